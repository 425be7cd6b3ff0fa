/**
 * Sweep grids: a YAML or JSON file that declares many training runs at once, expanded into run
 * specs with stable ids.
 *
 *   name: pendulum-sac            # optional; default: the file's base name
 *   out: sweeps/pendulum-sac      # optional; local runs go here (default sweeps/<name>)
 *   algos: [sac, td3]             # the Cartesian product algos x envs x seeds x presets x set
 *   envs: [Pendulum-v1]
 *   seeds: [0, 1, 2]              # a list of integers, or a count n meaning 0 .. n-1
 *   presets: [small]              # optional
 *   steps: 2000                   # optional: train.steps of every run
 *   set:                          # optional; a list is a set of alternatives (one axis of the
 *     train.evalEvery: 500        # product), anything else a fixed value; an array-valued key
 *     sac.tau: [0.005, 0.01]      # takes a list of arrays: sac.actorHidden: [[64, 64], [256, 256]];
 *                                 # a key of one algorithm's section applies to its runs only
 *   runs:                         # optional explicit extra runs, outside the product
 *     - { algo: rfm, env: Pendulum-v1, seed: 0, preset: small, set: { rfm.temperature: 0.1 } }
 *
 * Every run's config is resolved and validated as `rfm train` would (defaults, algorithm, task,
 * preset, then the grid's values). Its id is `<algo>-<env>-s<seed>-<hash>`, the hash being the
 * SHA-256 of the algorithm, task, seed and every config field it reads: the same run always gets the same
 * id, so a re-run sweep finds its finished and unfinished runs again.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import {
  ALGO_SECTION,
  applyPatch,
  canonicalKey,
  checkAlgo,
  checkPreset,
  ConfigError,
  defaultConfig,
  FIELDS,
  flattenConfig,
  parseConfigText,
  resolveConfig,
  unknownKeyMessage,
  validateConfig,
  type Algo,
  type Config,
} from '../config/index.ts';
import { envSpec } from '../envs/index.ts';

/** A problem with a grid file or a job payload; its message is one line. */
export class SweepError extends Error {
  override name = 'SweepError';
}

/** Names that become one path segment (sweep names and run ids): no separators, no leading dot. */
export const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** How a run was declared in the grid (for reports: the settings that tell runs apart). */
export interface RunLabel {
  readonly preset: string | null;
  /** The grid's values for this run (train.steps included when the grid sets steps). */
  readonly set: Readonly<Record<string, unknown>>;
}

/** One run of a sweep, fully resolved. */
export interface RunSpec {
  readonly sweep: string;
  readonly id: string;
  readonly algo: Algo;
  readonly envId: string;
  readonly seed: number;
  readonly label: RunLabel;
  readonly config: Config;
}

export interface Grid {
  readonly name: string;
  /** The output folder for local runs, as written in the grid (default sweeps/<name>). */
  readonly out: string;
  readonly runs: RunSpec[];
  /** Runs declared twice (same id) and dropped. */
  readonly duplicates: number;
}

const GRID_KEYS = ['name', 'out', 'algos', 'envs', 'seeds', 'presets', 'steps', 'set', 'runs'];
const RUN_KEYS = ['algo', 'env', 'seed', 'preset', 'steps', 'set'];

const describe = (v: unknown) => JSON.stringify(v)?.slice(0, 60) ?? String(v);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k))
      throw new SweepError(`${where}: unknown key '${k}' (allowed: ${allowed.join(', ')})`);
  }
}

function stringList(v: unknown, key: string, where: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((x) => typeof x === 'string' && x !== '')
  ) {
    throw new SweepError(
      `${where}: '${key}' must be a non-empty list of names, got ${describe(v)}`,
    );
  }
  return list as string[];
}

function checkSeed(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new SweepError(`${where}: a seed must be an integer >= 0, got ${describe(v)}`);
  return v;
}

function seedList(v: unknown, where: string): number[] {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 1 || v > 10_000)
      throw new SweepError(
        `${where}: 'seeds' as a count must be an integer in [1, 10000], got ${describe(v)}`,
      );
    return Array.from({ length: v }, (_, i) => i);
  }
  if (!Array.isArray(v) || v.length === 0)
    throw new SweepError(
      `${where}: 'seeds' must be a list of integers or a count, got ${describe(v)}`,
    );
  return v.map((s) => checkSeed(s, where));
}

function checkSteps(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new SweepError(`${where}: 'steps' must be a positive integer, got ${describe(v)}`);
  return v;
}

/** The `set` block as axes: key -> its alternatives (a fixed value is a one-value axis). */
function setAxes(v: unknown, where: string, allowLists: boolean): [string, unknown[]][] {
  if (v === undefined) return [];
  if (!isObject(v))
    throw new SweepError(`${where}: 'set' must map config keys to values, got ${describe(v)}`);
  const axes: [string, unknown[]][] = [];
  // a section written as a mapping (train: { evalEvery: 500 }) is its dotted keys
  const entries = Object.entries(v).flatMap(([k, x]) =>
    !k.includes('.') && isObject(x)
      ? Object.entries(x).map(([n, y]) => [`${k}.${n}`, y] as const)
      : [[k, x] as const],
  );
  for (const [k, x] of entries) {
    if (canonicalKey(k) === null) throw new SweepError(unknownKeyMessage(k, `${where}: set`));
    if (Array.isArray(x) && allowLists) {
      if (x.length === 0)
        throw new SweepError(`${where}: set.${k} is an empty list of alternatives`);
      axes.push([k, x]);
    } else axes.push([k, [x]]);
  }
  return axes;
}

const ALGO_SECTIONS: ReadonlySet<string> = new Set(Object.values(ALGO_SECTION));

/**
 * The axes that concern `algo`: a key in another algorithm's section (td3.tau for sac) changes
 * nothing in its runs, so it neither multiplies them (identical runs under two ids, counted twice
 * by plots) nor labels them.
 */
function axesOf(algo: string, axes: [string, unknown[]][]): [string, unknown[]][] {
  const own = (ALGO_SECTION as Readonly<Record<string, string>>)[algo];
  if (own === undefined) return axes; // an unknown algorithm: resolveRun says so
  return axes.filter(([k]) => {
    const section = (canonicalKey(k) ?? k).split('.')[0];
    return section === own || !ALGO_SECTIONS.has(section);
  });
}

/** Every combination of the axes' values, as objects key -> value. */
function product(axes: [string, unknown[]][]): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [k, values] of axes) out = out.flatMap((o) => values.map((x) => ({ ...o, [k]: x })));
  return out;
}

/**
 * SHA-256 over what defines a run: the config as every field the run reads (the training loop's
 * and its algorithm's own section), in FIELDS order. Another algorithm's defaults changing does
 * not move the run to a new folder.
 */
export function runHash(algo: string, envId: string, seed: number, config: Config): string {
  const own = (ALGO_SECTION as Readonly<Record<string, string>>)[algo];
  const read = Object.entries(flattenConfig(config)).filter(([k]) => {
    const section = k.split('.')[0];
    return section === own || !ALGO_SECTIONS.has(section);
  });
  const body = JSON.stringify({ algo, envId, seed, config: Object.fromEntries(read) });
  return createHash('sha256').update(body).digest('hex');
}

/** The stable id of a run. */
export function runId(algo: string, envId: string, seed: number, config: Config): string {
  return `${algo}-${envId}-s${seed}-${runHash(algo, envId, seed, config).slice(0, 10)}`;
}

interface Declared {
  algo: string;
  env: string;
  seed: number;
  preset: string | null;
  set: Record<string, unknown>;
}

function resolveRun(sweep: string, d: Declared, where: string): RunSpec {
  let algo: Algo;
  let config: Config;
  try {
    algo = checkAlgo(d.algo);
    envSpec(d.env);
    if (d.preset !== null) checkPreset(d.preset);
    config = resolveConfig({ algo, envId: d.env, preset: d.preset ?? undefined, patches: [d.set] });
  } catch (e) {
    throw new SweepError(`${where}: ${(e as Error).message.split('\n')[0]}`);
  }
  const id = runId(algo, d.env, d.seed, config);
  if (!SAFE_NAME.test(id))
    throw new SweepError(`${where}: environment id '${d.env}' cannot be part of a run folder name`);
  return {
    sweep,
    id,
    algo,
    envId: d.env,
    seed: d.seed,
    label: { preset: d.preset, set: d.set },
    config,
  };
}

/** Validates a parsed grid and expands it into runs. `fallbackName`: the name when the grid has none. */
export function expandGrid(raw: unknown, fallbackName: string, where = 'grid'): Grid {
  if (!isObject(raw))
    throw new SweepError(`${where}: expected a mapping of grid keys (${GRID_KEYS.join(', ')})`);
  checkKeys(raw, GRID_KEYS, where);
  const name = raw.name ?? fallbackName;
  if (typeof name !== 'string' || !SAFE_NAME.test(name)) {
    throw new SweepError(
      `${where}: 'name' must be letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${describe(name)}`,
    );
  }
  const out = raw.out ?? `sweeps/${name}`;
  if (typeof out !== 'string' || out === '')
    throw new SweepError(`${where}: 'out' must be a folder path, got ${describe(raw.out)}`);
  const steps = raw.steps === undefined ? undefined : checkSteps(raw.steps, where);
  const declared: [Declared, string][] = [];
  const productKeys = ['algos', 'envs', 'seeds'].filter((k) => raw[k] !== undefined);
  if (productKeys.length > 0 || raw.presets !== undefined || raw.set !== undefined) {
    for (const k of ['algos', 'envs', 'seeds']) {
      if (raw[k] === undefined)
        throw new SweepError(
          `${where}: '${k}' is missing (the product needs algos, envs and seeds)`,
        );
    }
    const algos = stringList(raw.algos, 'algos', where);
    const envs = stringList(raw.envs, 'envs', where);
    const seeds = seedList(raw.seeds, where);
    const presets: (string | null)[] =
      raw.presets === undefined ? [null] : stringList(raw.presets, 'presets', where);
    const axes = setAxes(raw.set, where, true);
    if (steps !== undefined) axes.push(['train.steps', [steps]]);
    for (const algo of algos)
      for (const env of envs)
        for (const preset of presets)
          for (const set of product(axesOf(algo, axes))) {
            for (const seed of seeds)
              declared.push([{ algo, env, seed, preset, set }, `${where}: ${algo} on ${env}`]);
          }
  }
  if (raw.runs !== undefined) {
    if (!Array.isArray(raw.runs))
      throw new SweepError(`${where}: 'runs' must be a list of runs, got ${describe(raw.runs)}`);
    raw.runs.forEach((r, i) => {
      const w = `${where}: runs[${i}]`;
      if (!isObject(r))
        throw new SweepError(`${w}: expected a mapping with ${RUN_KEYS.join(', ')}`);
      checkKeys(r, RUN_KEYS, w);
      for (const k of ['algo', 'env', 'seed'])
        if (r[k] === undefined) throw new SweepError(`${w}: '${k}' is missing`);
      const [algo] = stringList(r.algo, 'algo', w);
      const [env] = stringList(r.env, 'env', w);
      const preset = r.preset === undefined ? null : stringList(r.preset, 'preset', w)[0];
      const set = Object.fromEntries(setAxes(r.set, w, false).map(([k, v]) => [k, v[0]]));
      const runSteps = r.steps !== undefined ? checkSteps(r.steps, w) : steps;
      if (runSteps !== undefined) set['train.steps'] = runSteps;
      declared.push([{ algo, env, seed: checkSeed(r.seed, w), preset, set }, w]);
    });
  }
  if (declared.length === 0)
    throw new SweepError(`${where}: no runs (give algos, envs and seeds, or a list of runs)`);
  const runs = new Map<string, RunSpec>();
  for (const [d, w] of declared) {
    const spec = resolveRun(name, d, w);
    if (!runs.has(spec.id)) runs.set(spec.id, spec);
  }
  return { name, out, runs: [...runs.values()], duplicates: declared.length - runs.size };
}

/** Reads, validates and expands a grid file (YAML, or JSON for .json names). */
export function loadGrid(path: string): Grid {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SweepError(
      `cannot read grid file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = parseConfigText(text, path);
  } catch (e) {
    throw new SweepError((e as Error).message.split('\n')[0]);
  }
  const stem =
    basename(path, extname(path))
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '') || 'sweep';
  return expandGrid(raw, stem, path);
}

/** What a job (or a run folder's sweep-run.json) carries: a RunSpec with its config flattened. */
export interface RunPayload {
  v: 1;
  sweep: string;
  id: string;
  algo: string;
  envId: string;
  seed: number;
  label: RunLabel;
  config: Record<string, unknown>;
}

export const PAYLOAD_KEYS = [
  'v',
  'sweep',
  'id',
  'algo',
  'envId',
  'seed',
  'label',
  'config',
] as const;

export function toPayload(s: RunSpec): RunPayload {
  return {
    v: 1,
    sweep: s.sweep,
    id: s.id,
    algo: s.algo,
    envId: s.envId,
    seed: s.seed,
    label: s.label,
    config: flattenConfig(s.config),
  };
}

/**
 * Checks a payload from outside (a queue job) and rebuilds its RunSpec: exactly the expected keys;
 * names that are single path segments; a known algorithm and environment; a config that sets
 * every field and passes validation; and an id equal to the hash of all that (so any edit of the
 * payload after it was made by `rfm sweep` is refused). Throws a one-line SweepError.
 */
export function checkPayload(data: unknown): RunSpec {
  const bad = (msg: string): never => {
    throw new SweepError(`refused job payload: ${msg}`);
  };
  if (!isObject(data)) bad('not an object');
  const p = data as Record<string, unknown>;
  for (const k of Object.keys(p))
    if (!(PAYLOAD_KEYS as readonly string[]).includes(k)) bad(`unexpected key '${k}'`);
  for (const k of PAYLOAD_KEYS) if (p[k] === undefined) bad(`missing key '${k}'`);
  if (p.v !== 1) bad(`unsupported version ${describe(p.v)}`);
  if (typeof p.sweep !== 'string' || !SAFE_NAME.test(p.sweep))
    bad(`sweep name ${describe(p.sweep)} is not a plain folder name`);
  if (typeof p.id !== 'string' || !SAFE_NAME.test(p.id))
    bad(`run id ${describe(p.id)} is not a plain folder name`);
  if (typeof p.seed !== 'number' || !Number.isSafeInteger(p.seed) || p.seed < 0)
    bad(`seed ${describe(p.seed)} is not an integer >= 0`);
  if (typeof p.envId !== 'string') bad('envId is not a string');
  if (!isObject(p.config)) bad('config is not an object');
  const cfg = p.config as Record<string, unknown>;
  for (const k of Object.keys(FIELDS)) if (!(k in cfg)) bad(`config lacks ${k}`);
  const label = p.label;
  if (
    !isObject(label) ||
    Object.keys(label).some((k) => k !== 'preset' && k !== 'set') ||
    !isObject(label.set) ||
    !(label.preset === null || typeof label.preset === 'string')
  ) {
    bad('label must be { preset: name or null, set: { key: value } }');
  }
  const lab = label as { preset: string | null; set: Record<string, unknown> };
  for (const k of Object.keys(lab.set))
    if (canonicalKey(k) === null) bad(`label sets unknown config key '${k}'`);
  let algo: Algo;
  let config: Config;
  try {
    algo = checkAlgo(String(p.algo));
    envSpec(p.envId as string);
    if (lab.preset !== null) checkPreset(lab.preset);
    config = validateConfig(applyPatch(defaultConfig(), cfg, 'job config'));
  } catch (e) {
    if (e instanceof ConfigError || e instanceof Error) bad((e as Error).message.split('\n')[0]);
    throw e;
  }
  const id = runId(algo!, p.envId as string, p.seed as number, config!);
  if (id !== p.id)
    bad(`run id ${p.id} does not match its config (expected ${id}); the payload was altered`);
  return {
    sweep: p.sweep as string,
    id,
    algo: algo!,
    envId: p.envId as string,
    seed: p.seed as number,
    label: { preset: lab.preset, set: lab.set },
    config: config!,
  };
}
