/**
 * Building a Config: defaults -> algorithm -> task defaults -> preset -> task requirements -> files
 * -> `--set` overrides, each layer validated key by key against FIELDS (a wrong key or value is a
 * one-line ConfigError).
 */
import { readTextFile } from '../host/node/fs.ts';
import { parse as parseYaml } from 'yaml';
import {
  ALGO_DEFAULTS,
  ALGOS,
  DEFAULTS,
  PRESET_NAMES,
  type Algo,
  type Config,
  type ConfigPatch,
  type PresetName,
} from './types.ts';
import { PRESETS, TASK_DEFAULTS, TASK_REQUIREMENTS } from './presets.ts';
import { canonicalKey, ConfigError, fieldOf, FIELDS, RENAMED_ALGOS } from './schema.ts';

/** A deep copy of DEFAULTS (safe to mutate). */
export function defaultConfig(): Config {
  return structuredClone(DEFAULTS) as Config;
}

/** Dotted key -> value, for every field (the order of FIELDS). */
export function flattenConfig(c: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(FIELDS)) {
    const [s, f] = key.split('.');
    out[key] = (c as unknown as Record<string, Record<string, unknown>>)[s][f];
  }
  return out;
}

/**
 * Top-level keys that describe a run rather than configure it: a run folder's config.json starts
 * with them (so the file says what was run), and reading such a file as a config skips them.
 */
export const RUN_IDENTITY_KEYS = ['algo', 'envId', 'seed'] as const;

/** Turns a nested ({train: {steps}}) or dotted ({'train.steps'}) object into dotted entries. */
function entriesOf(patch: unknown, where: string): [string, unknown][] {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    throw new ConfigError(`${where}: expected an object of config sections (train, sac, td3, rfm)`);
  }
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if ((RUN_IDENTITY_KEYS as readonly string[]).includes(k)) continue;
    if (k.includes('.')) out.push([k, v]);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [f, x] of Object.entries(v)) out.push([`${k}.${f}`, x]);
    } else {
      fieldOf(k, where); // throws with a suggestion
    }
  }
  return out;
}

/** Sets one dotted key after validating it; `where` names the source in errors. */
function setKey(c: Config, key: string, value: unknown, where: string): void {
  const f = fieldOf(key, where);
  const problem = f.check(value);
  if (problem) throw new ConfigError(`${where}: ${key} = ${JSON.stringify(value)}: ${problem}`);
  const [s, name] = (canonicalKey(key) ?? key).split('.');
  (c as unknown as Record<string, Record<string, unknown>>)[s][name] = Array.isArray(value)
    ? [...value]
    : value;
}

/** A full Config from a run's config.json (identity keys dropped, every field validated). */
export function configFromRunFile(path: string): Config {
  return configFromRun(loadConfigFile(path), path);
}

/** As configFromRunFile, from the file's text (a page has the text, not a path); `name` ends in .json or .yaml. */
export function configFromRunText(text: string, name: string): Config {
  return configFromRun(parseConfigText(text, name), name);
}

function configFromRun(patch: Record<string, unknown>, where: string): Config {
  const c = defaultConfig();
  applyPatch(c, patch, where);
  return validateConfig(c);
}

/** Applies a partial config (nested or dotted keys) in place. */
export function applyPatch(
  c: Config,
  patch: ConfigPatch | Record<string, unknown>,
  where: string,
): Config {
  for (const [k, v] of entriesOf(patch, where)) setKey(c, k, v, where);
  return c;
}

/** Applies one `key=value` override, parsing the value by the field's type. */
export function applySet(c: Config, assignment: string): Config {
  const eq = assignment.indexOf('=');
  if (eq <= 0)
    throw new ConfigError(
      `--set ${assignment}: expected key=value, e.g. --set rfm.temperature=0.05`,
    );
  const key = assignment.slice(0, eq).trim();
  const raw = assignment.slice(eq + 1);
  const f = fieldOf(key, '--set');
  const value = f.parse(raw);
  const problem = f.check(value);
  if (problem) throw new ConfigError(`--set ${key}=${raw}: ${problem}`);
  setKey(c, key, value, '--set');
  return c;
}

/** Parses config text: JSON for .json names, YAML for .yaml / .yml (YAML otherwise, a JSON superset). */
export function parseConfigText(text: string, name: string): Record<string, unknown> {
  try {
    const v = name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    return (v ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(
      `${name}: not valid ${name.endsWith('.json') ? 'JSON' : 'YAML'} (${(e as Error).message.split('\n')[0]})`,
    );
  }
}

export function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readTextFile(path);
  } catch (e) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(e as { code?: string }).code ?? (e as Error).message}`,
    );
  }
  return parseConfigText(text, path);
}

/** Checks relations between fields (each field alone is checked when set). */
export function validateConfig(c: Config): Config {
  const bad = (msg: string) => {
    throw new ConfigError(msg);
  };
  if (!(c.sac.logStdMin < c.sac.logStdMax))
    bad(`sac.logStdMin (${c.sac.logStdMin}) must be < sac.logStdMax (${c.sac.logStdMax})`);
  if (c.rfm.temperatureEnd !== null && c.rfm.annealUpdates < 1)
    bad('rfm.temperatureEnd is set: rfm.annealUpdates must be >= 1');
  if (!(c.dqs.sigmaMin < c.dqs.sigmaMax))
    bad(`dqs.sigmaMin (${c.dqs.sigmaMin}) must be < dqs.sigmaMax (${c.dqs.sigmaMax})`);
  if (c.train.batchSize > c.train.bufferSize)
    bad(
      `train.batchSize (${c.train.batchSize}) must be <= train.bufferSize (${c.train.bufferSize})`,
    );
  return c;
}

/** What resolveConfig builds a Config from: the algorithm, the task, a preset, files, partial configs and key=value overrides. */
export interface ResolveOptions {
  algo: Algo | string;
  /** Environment id: selects TASK_DEFAULTS and TASK_REQUIREMENTS. */
  envId?: string;
  preset?: PresetName | string;
  /** Config files (JSON or YAML), applied in order. */
  files?: readonly string[];
  /** Already-parsed partial configs, applied after the files (library use). */
  patches?: readonly (ConfigPatch | Record<string, unknown>)[];
  /** `key=value` overrides, applied last. */
  sets?: readonly string[];
}

export function checkAlgo(algo: string): Algo {
  if ((ALGOS as readonly string[]).includes(algo)) return algo as Algo;
  if (RENAMED_ALGOS[algo])
    throw new ConfigError(`algorithm '${algo}' is now ${RENAMED_ALGOS[algo]}`);
  throw new ConfigError(`unknown algorithm '${algo}' (known: ${ALGOS.join(', ')})`);
}

export function checkPreset(preset: string): PresetName {
  if ((PRESET_NAMES as readonly string[]).includes(preset)) return preset as PresetName;
  throw new ConfigError(`unknown preset '${preset}' (known: ${PRESET_NAMES.join(', ')})`);
}

/** The full, validated Config for a run. */
export function resolveConfig(o: ResolveOptions): Config {
  const algo = checkAlgo(o.algo);
  const c = defaultConfig();
  applyPatch(c, ALGO_DEFAULTS[algo], `defaults of ${algo}`);
  if (o.envId && TASK_DEFAULTS[o.envId])
    applyPatch(c, TASK_DEFAULTS[o.envId], `defaults of ${o.envId}`);
  if (o.preset !== undefined) applyPatch(c, PRESETS[checkPreset(o.preset)], `preset ${o.preset}`);
  if (o.envId && TASK_REQUIREMENTS[o.envId])
    applyPatch(c, TASK_REQUIREMENTS[o.envId], `requirements of ${o.envId}`);
  for (const f of o.files ?? []) applyPatch(c, loadConfigFile(f), f);
  for (const p of o.patches ?? []) applyPatch(c, p, 'config');
  for (const s of o.sets ?? []) applySet(c, s);
  return validateConfig(c);
}
