/**
 * Bundling for the browser with esbuild (platform 'browser'): an entry file and what it imports,
 * as one ES module. mujoco-js (11 MB, its wasm inlined) stays a separate file next to the bundle:
 * its import is rewritten to `./mujoco_wasm.js`. The bundle must not reach a Node built-in; any
 * that it does is reported by name (`nodeBuiltins`), and `bundleForBrowser` refuses it.
 */
import { builtinModules } from 'node:module';
import { dirname, resolve as resolvePath } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';

/** The file name mujoco-js's module has next to the bundle. */
export const MUJOCO_FILE = 'mujoco_wasm.js';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Rewrites `import ... from 'mujoco-js'` to the sibling file, kept out of the bundle. */
const mujocoSibling: Plugin = {
  name: 'mujoco-sibling',
  setup(b) {
    b.onResolve({ filter: /^mujoco-js$/ }, () => ({ path: `./${MUJOCO_FILE}`, external: true }));
    // the dashboard's viewer (reused by the demo page) loads it from the dashboard server's path
    b.onResolve({ filter: /^\/vendor\/mujoco\/mujoco_wasm\.js$/ }, () => ({
      path: `./${MUJOCO_FILE}`,
      external: true,
    }));
  },
};

/**
 * The browser's host: the sources import Node's host modules (src/host/node/NAME.ts: files, the
 * native addon); in the bundle each becomes its browser counterpart (src/host/browser/NAME.ts).
 */
const browserHost: Plugin = {
  name: 'browser-host',
  setup(b) {
    b.onResolve({ filter: /\/host\/node\/\w+\.[jt]s$/ }, (args) => ({
      path: resolvePath(dirname(args.importer), args.path).replace(
        /([\\/])host\1node\1(\w+\.[jt]s)$/,
        '$1host$1browser$1$2',
      ),
    }));
  },
};

/** Records every import of a Node built-in (kept external, so the build completes and can list them all). */
function builtinProbe(found: Set<string>): Plugin {
  return {
    name: 'node-builtin-probe',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!NODE_BUILTINS.has(args.path)) return undefined;
        found.add(`${args.path} (imported by ${args.importer})`);
        return { path: args.path, external: true };
      });
    },
  };
}

export interface BrowserBundle {
  /** The bundled ES module. */
  readonly code: string;
  /** Node built-ins the entry reaches, with their importers (must be empty). */
  readonly nodeBuiltins: string[];
  readonly metafile: Metafile;
}

/** Bundles `entry` for the browser; `nodeBuiltins` lists what would break it. */
export async function bundleEntry(
  entry: string,
  opts: { minify?: boolean } = {},
): Promise<BrowserBundle> {
  const found = new Set<string>();
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    outdir: 'out', // nothing is written (write: false); esbuild names its outputs from it
    metafile: true,
    minify: opts.minify ?? false,
    logLevel: 'silent',
    plugins: [browserHost, builtinProbe(found), mujocoSibling],
  });
  const out = r.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!out) throw new Error(`esbuild produced no JavaScript for ${entry}`);
  return { code: out.text, nodeBuiltins: [...found].sort(), metafile: r.metafile };
}

/** As bundleEntry, but an entry that reaches a Node built-in is an error naming them. */
export async function bundleForBrowser(
  entry: string,
  opts: { minify?: boolean } = {},
): Promise<string> {
  const b = await bundleEntry(entry, opts);
  if (b.nodeBuiltins.length > 0)
    throw new Error(
      `${entry} reaches Node built-ins, so it cannot run in a browser: ${b.nodeBuiltins.join('; ')}`,
    );
  return b.code;
}
