/**
 * The registry: every environment the library ships, by id, built with `makeEnv(id)`.
 *
 * Each family folder exports `envSpecs` (see EnvSpec in core.ts); the registry gathers them. The
 * only wrapper `makeEnv` adds is TimeLimit, when the spec has `maxEpisodeSteps` (Gymnasium's `make`
 * also adds its checkers; we don't). Everything else is the caller's choice, written out.
 */
import type { Env, EnvSpec } from './core.ts';
import { ClipAction, RecordEpisodeStatistics, RescaleAction, TimeLimit } from './wrappers.ts';
import { envSpecs as classicSpecs } from './classic/index.ts';
import { envSpecs as gymMujocoSpecs } from './gym-mujoco/index.ts';
import { envSpecs as dmcSpecs } from './dmc/index.ts';
import { envSpecs as toySpecs } from './toy/index.ts';

/** Options of makeEnv: the episode limit, task options and wrappers. */
export interface MakeEnvOptions {
  /**
   * Episode length for the TimeLimit wrapper: a number overrides the spec's `maxEpisodeSteps`;
   * `false` builds the env without TimeLimit. Default: the spec's value (no wrapper when it has none).
   */
  maxEpisodeSteps?: number | false;
  /** Task options passed to the spec's `make` (e.g. `{ dim: 3 }` for MultimodalBandit-v0). */
  envOptions?: Record<string, unknown>;
  /**
   * Wrappers to add around the TimeLimit, innermost first, written as data so that AsyncVectorEnv
   * workers can build the same stack (e.g. `[{ type: 'RecordEpisodeStatistics' }]` puts episode
   * returns into each finished episode's `finalInfo.episode`).
   */
  wrappers?: WrapperSpec[];
}

/** A wrapper described as data (see MakeEnvOptions.wrappers). */
export type WrapperSpec =
  | { type: 'RecordEpisodeStatistics'; bufferLength?: number }
  | { type: 'RescaleAction'; min?: number | number[]; max?: number | number[] }
  | { type: 'ClipAction' };

function applyWrapper(env: Env, w: WrapperSpec): Env {
  switch (w?.type) {
    case 'RecordEpisodeStatistics':
      return new RecordEpisodeStatistics(env, w.bufferLength);
    case 'RescaleAction':
      return new RescaleAction(env, w.min ?? -1, w.max ?? 1);
    case 'ClipAction':
      return new ClipAction(env);
    default:
      throw new Error(
        `makeEnv: unknown wrapper ${JSON.stringify(w)} (known types: RecordEpisodeStatistics, RescaleAction, ClipAction)`,
      );
  }
}

let table: Map<string, EnvSpec> | undefined;

function specs(): Map<string, EnvSpec> {
  if (table) return table;
  table = new Map();
  for (const s of [...classicSpecs, ...gymMujocoSpecs, ...dmcSpecs, ...toySpecs]) add(table, s);
  return table;
}

function add(t: Map<string, EnvSpec>, spec: EnvSpec): void {
  if (!spec || typeof spec.id !== 'string' || spec.id === '' || typeof spec.make !== 'function') {
    throw new Error(
      `registry: an EnvSpec needs an id and a make function, got ${JSON.stringify(spec)}`,
    );
  }
  if (t.has(spec.id)) throw new Error(`registry: environment id '${spec.id}' is registered twice`);
  if (
    spec.maxEpisodeSteps !== undefined &&
    !(Number.isInteger(spec.maxEpisodeSteps) && spec.maxEpisodeSteps > 0)
  ) {
    throw new Error(
      `registry: ${spec.id} has maxEpisodeSteps ${spec.maxEpisodeSteps}; expected a positive integer`,
    );
  }
  t.set(spec.id, spec);
}

/**
 * Adds an environment to this process's registry (for user tasks and tests). Note that
 * AsyncVectorEnv workers are fresh processes' threads: they only know the built-in ids unless
 * given `workerImports` that register the same specs.
 */
export function registerEnv(spec: EnvSpec): void {
  add(specs(), spec);
}

/** Every registered spec, in registration order (classic, Gymnasium MuJoCo, DMC, toy, then user). */
export function listEnvs(): EnvSpec[] {
  return [...specs().values()];
}

/** Levenshtein distance, case-insensitive (ids differ in case more often by typo than on purpose). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length];
}

/** Known ids sorted by edit distance to `id` (ties alphabetically). */
export function nearestIds(id: string): string[] {
  return [...specs().keys()]
    .map((k) => [k, editDistance(id, k)] as const)
    .sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .map(([k]) => k);
}

/** The spec registered under `id`; an unknown id is an Error listing the known ids, nearest first. */
export function envSpec(id: string): EnvSpec {
  const spec = specs().get(id);
  if (spec) return spec;
  const known = nearestIds(String(id));
  throw new Error(
    known.length === 0
      ? `unknown environment '${id}': no environments are registered`
      : `unknown environment '${id}'; known ids, nearest first: ${known.join(', ')}`,
  );
}

/**
 * Builds environment `id`, wrapped in TimeLimit when its spec (or `options.maxEpisodeSteps`) sets
 * one, then in `options.wrappers` if given.
 */
export async function makeEnv(id: string, options: MakeEnvOptions = {}): Promise<Env> {
  const spec = envSpec(id);
  const env = await spec.make(options.envOptions);
  const limit =
    options.maxEpisodeSteps === undefined ? spec.maxEpisodeSteps : options.maxEpisodeSteps;
  let out = limit === false || limit === undefined ? env : new TimeLimit(env, limit);
  for (const w of options.wrappers ?? []) out = applyWrapper(out, w);
  return out;
}
