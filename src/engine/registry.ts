/**
 * Backend selection: native when it built, else TypeScript (said once), overridable with the
 * environment variable RFM_BACKEND=ts|native or setBackend().
 */
import type { Backend } from './backend.ts';
import { TsBackend } from './backend-ts.ts';

let current: Backend | null = null;
const loaders: Record<string, () => Backend | null> = {
  ts: () => new TsBackend(),
};
const instances = new Map<string, Backend>();

/** Makes a backend available by name (the native module registers itself this way). */
export function registerBackend(name: string, load: () => Backend | null): void {
  loaders[name] = load;
}

function env(): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return g.process?.env?.RFM_BACKEND;
}

/** The backend of that name, or null when it is unavailable (e.g. the native build failed). */
export function tryBackend(name: string): Backend | null {
  const hit = instances.get(name);
  if (hit) return hit;
  const load = loaders[name];
  if (!load)
    throw new Error(`unknown backend '${name}' (known: ${Object.keys(loaders).join(', ')})`);
  const b = load();
  if (b) instances.set(name, b);
  return b;
}

export function availableBackends(): string[] {
  return Object.keys(loaders).filter((n) => tryBackend(n) !== null);
}

let warned = false;
/** The current default backend. */
export function getBackend(): Backend {
  if (current) return current;
  const want = env();
  if (want) {
    const b = tryBackend(want);
    if (!b)
      throw new Error(
        `RFM_BACKEND=${want}: that backend is not available (did the native build fail? run 'npm run build:native')`,
      );
    current = b;
    return b;
  }
  const native = loaders.native ? tryBackend('native') : null;
  if (native) current = native;
  else {
    if (!warned) {
      warned = true;
      console.warn('[rfm] native backend not available; using the TypeScript backend');
    }
    current = tryBackend('ts')!;
  }
  return current;
}

/** Sets the default backend by name or instance. */
export function setBackend(b: string | Backend): Backend {
  current =
    typeof b === 'string'
      ? (tryBackend(b) ??
        (() => {
          throw new Error(`backend '${b}' is not available`);
        })())
      : b;
  return current;
}
