/**
 * The schema of Config: one entry per dotted key ('train.steps', 'rfm.temperature', ...), used to
 * validate every layer (presets, task defaults, files) and to parse `--set key=value` strings by
 * the field's type. The TSDoc of each field lives on the interfaces in ./types.ts.
 */
import { CONTROL_VARIATES, ENDPOINTS, PATHS, SOLVERS } from './enums.ts';

/** A configuration mistake: printed as one line by the CLI. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Field {
  /** Human description of the accepted values, for error messages. */
  readonly expects: string;
  /** Checks a value (from JSON/YAML or a parsed string); returns an error phrase or null. */
  check(v: unknown): string | null;
  /** Parses a command-line string into a value of this type (then `check` runs). */
  parse(s: string): unknown;
}

const parseNumber = (s: string): unknown => {
  const t = s.trim();
  return t === '' ? NaN : Number(t);
};

function num(
  min: number,
  max = Infinity,
  opts: { minExclusive?: boolean; integer?: boolean } = {},
): Field {
  const lo = opts.minExclusive ? `> ${min}` : `>= ${min}`;
  const range = max === Infinity ? lo : `${lo} and <= ${max}`;
  const expects = `${opts.integer ? 'an integer' : 'a number'} ${range}`;
  return {
    expects,
    parse: parseNumber,
    check(v) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `expected ${expects}`;
      if (opts.integer && !Number.isInteger(v)) return `expected ${expects}`;
      if (opts.minExclusive ? !(v > min) : !(v >= min)) return `expected ${expects}`;
      if (!(v <= max)) return `expected ${expects}`;
      return null;
    },
  };
}
const int = (min: number, max = Infinity): Field => num(min, max, { integer: true });
const positive = (max = Infinity): Field => num(0, max, { minExclusive: true });

const bool: Field = {
  expects: 'true or false',
  parse: (s) => (s === 'true' ? true : s === 'false' ? false : s),
  check: (v) => (typeof v === 'boolean' ? null : 'expected true or false'),
};

function oneOf(values: readonly string[]): Field {
  const expects = `one of ${values.map((v) => `'${v}'`).join(', ')}`;
  return {
    expects,
    parse: (s) => s.trim(),
    check: (v) => (typeof v === 'string' && values.includes(v) ? null : `expected ${expects}`),
  };
}

/** Layer sizes: a non-empty list of positive integers, written `256,256` or `[256, 256]` on the command line. */
const layers: Field = {
  expects: 'a non-empty list of positive integers, e.g. 256,256',
  parse: (s) => {
    const t = s.trim().replace(/^\[/, '').replace(/\]$/, '');
    return t === '' ? [] : t.split(',').map(parseNumber);
  },
  check: (v) =>
    Array.isArray(v) &&
    v.length > 0 &&
    v.every((x) => typeof x === 'number' && Number.isInteger(x) && x > 0)
      ? null
      : 'expected a non-empty list of positive integers, e.g. 256,256',
};

/** A number field that may also be null ("off"); `null` or `none` on the command line. */
function orNull(f: Field): Field {
  const expects = `${f.expects}, or null`;
  return {
    expects,
    parse: (s) => (s.trim() === 'null' || s.trim() === 'none' ? null : f.parse(s)),
    check: (v) => (v === null ? null : f.check(v) === null ? null : `expected ${expects}`),
  };
}

const prob = num(0, 1);

const evenEmbedding: Field = {
  ...int(2),
  expects: 'an even integer >= 2',
  check: (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= 2 && v % 2 === 0
      ? null
      : 'expected an even integer >= 2',
};

/** The fields every diffusion baseline section has (DiffusionBaselineConfig). */
function diffusionBaselineFields(section: string): Record<string, Field> {
  return {
    [`${section}.hidden`]: int(1),
    [`${section}.residualBlocks`]: int(0),
    [`${section}.embedding`]: evenEmbedding,
    [`${section}.criticHidden`]: layers,
    [`${section}.actorLr`]: positive(),
    [`${section}.criticLr`]: positive(),
    [`${section}.gamma`]: prob,
    [`${section}.tau`]: num(0, 1, { minExclusive: true }),
    [`${section}.maxGradNorm`]: orNull(positive()),
    [`${section}.rewardScale`]: positive(),
  };
}

/** Every configurable key. Keep in step with the interfaces in ./types.ts (a test checks it). */
export const FIELDS: Readonly<Record<string, Field>> = {
  'train.steps': int(1),
  'train.bufferSize': int(1),
  'train.randomSteps': int(0),
  'train.batchSize': int(1),
  'train.utd': positive(1000),
  'train.evalEvery': int(0),
  'train.evalEpisodes': int(1),
  'train.checkpointEvery': int(0),
  'train.logEvery': int(1),
  'train.normalizeObs': bool,
  'train.maxEpisodeSteps': orNull(int(1)),
  'train.divergenceThreshold': positive(),
  'train.guardEvery': int(1),

  'sac.actorHidden': layers,
  'sac.criticHidden': layers,
  'sac.actorLr': positive(),
  'sac.criticLr': positive(),
  'sac.alphaLr': positive(),
  'sac.gamma': prob,
  'sac.tau': num(0, 1, { minExclusive: true }),
  'sac.initAlpha': positive(),
  'sac.autotune': bool,
  'sac.targetEntropyScale': num(-100, 100),
  'sac.logStdMin': num(-20, 2),
  'sac.logStdMax': num(-20, 10),
  'sac.maxGradNorm': orNull(positive()),
  'sac.rewardScale': positive(),

  'td3.actorHidden': layers,
  'td3.criticHidden': layers,
  'td3.actorLr': positive(),
  'td3.criticLr': positive(),
  'td3.gamma': prob,
  'td3.tau': num(0, 1, { minExclusive: true }),
  'td3.policyNoise': num(0),
  'td3.noiseClip': num(0),
  'td3.policyDelay': int(1),
  'td3.explorationNoise': num(0),
  'td3.maxGradNorm': orNull(positive()),
  'td3.rewardScale': positive(),

  'rfm.temperature': positive(),
  'rfm.temperatureEnd': orNull(positive()),
  'rfm.annealUpdates': int(0),
  'rfm.temperatureInput': bool,
  'rfm.particles': int(1),
  'rfm.reverseSamples': int(1),
  'rfm.eulerSteps': int(1),
  'rfm.tMin': num(0, 0.5, { minExclusive: true }),
  'rfm.embedding': evenEmbedding,
  'rfm.hidden': int(1),
  'rfm.residualBlocks': int(0),
  'rfm.criticHidden': layers,
  'rfm.actorLr': positive(),
  'rfm.criticLr': positive(),
  'rfm.gamma': prob,
  'rfm.tau': num(0, 1, { minExclusive: true }),
  'rfm.maxGradNorm': orNull(positive()),
  'rfm.estimator': oneOf(CONTROL_VARIATES),
  'rfm.cvRidge': num(0),
  'rfm.cvClip': positive(),
  'rfm.endpoint': oneOf(ENDPOINTS),
  'rfm.solver': oneOf(SOLVERS),
  'rfm.path': oneOf(PATHS),
  'rfm.rewardScale': positive(),

  ...diffusionBaselineFields('dqs'),
  'dqs.temperature': positive(),
  'dqs.sigmaMin': positive(),
  'dqs.sigmaMax': positive(),
  'dqs.integrationSteps': int(1),
  'dqs.mcSamples': int(1),
  'dqs.diffusionScale': num(0),

  ...diffusionBaselineFields('qsm'),
  'qsm.diffusionSteps': int(1),
  'qsm.ddpmTemperature': num(0),
  'qsm.qGradScale': num(0),
  'qsm.explorationNoise': num(0),
  'qsm.targetActionNoise': num(0),

  ...diffusionBaselineFields('qvpo'),
  'qvpo.diffusionSteps': int(1),
  'qvpo.trainSamples': int(1),
  'qvpo.behaviorSamples': int(1),
  'qvpo.targetSamples': int(1),
  'qvpo.evalSamples': int(1),
  'qvpo.entropySamples': int(0),
  'qvpo.entropyAlpha': num(0),
  'qvpo.noiseRatio': num(0),

  ...diffusionBaselineFields('maxentdp'),
  'maxentdp.temperature': positive(),
  'maxentdp.diffusionSteps': int(1),
  'maxentdp.tMin': num(0, 0.5, { minExclusive: true }),
  'maxentdp.scoreSamples': int(1),
  'maxentdp.logProbSamples': int(1),
  'maxentdp.backupEntropy': bool,
  'maxentdp.evalCandidates': int(1),
};

/** Keys that were renamed: the old name still reads (run folders written before the rename). */
export const RENAMED_KEYS: Readonly<Record<string, string>> = {
  'rfm.controlVariate': 'rfm.estimator',
};

/** Algorithms that became settings of another (a clear error tells the new spelling). */
export const RENAMED_ALGOS: Readonly<Record<string, string>> = {
  sdac: '--algo rfm-diffusion --set rfm.estimator=ne (the noise-expectation estimator ablation; it never was SDAC)',
};

/** Levenshtein distance (kept here so the config module imports nothing heavy). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** Known keys sorted by edit distance to `key` (nearest first). */
export function nearestKeys(key: string): string[] {
  return Object.keys(FIELDS)
    .map(
      (k) => [k, Math.min(editDistance(key, k), editDistance(key, k.split('.')[1]) + 1)] as const,
    )
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k]) => k);
}

/** The current name of a config key (a renamed key's new name), or null for no key at all ('toString' included). */
export function canonicalKey(key: string): string | null {
  const k = Object.hasOwn(RENAMED_KEYS, key) ? RENAMED_KEYS[key] : key;
  return Object.hasOwn(FIELDS, k) ? k : null;
}

/** The one-line message for a key that is not a config key, suggesting the nearest known one. */
export function unknownKeyMessage(key: string, where: string): string {
  return `${where}: unknown config key '${key}' (did you mean '${nearestKeys(key)[0]}'?)`;
}

/** The field of `key`; an unknown key is a ConfigError suggesting the nearest known one. */
export function fieldOf(key: string, where: string): Field {
  const k = canonicalKey(key);
  if (k !== null) return FIELDS[k];
  throw new ConfigError(unknownKeyMessage(key, where));
}
