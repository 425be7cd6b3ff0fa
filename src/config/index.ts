/**
 * Configuration: typed sections per algorithm plus the training loop, presets, task defaults,
 * JSON / YAML files and `--set key=value` overrides. Start with ./types.ts (the shape and its
 * documentation) and `resolveConfig` in ./resolve.ts.
 */
export * from './types.ts';
export { PRESETS, TASK_DEFAULTS, TASK_REQUIREMENTS } from './presets.ts';
export { canonicalKey, ConfigError, FIELDS, nearestKeys, unknownKeyMessage } from './schema.ts';
export { CONTROL_VARIATES, ENDPOINTS, PATHS, SOLVERS } from './enums.ts';
export {
  applyPatch,
  applySet,
  checkAlgo,
  checkPreset,
  defaultConfig,
  flattenConfig,
  loadConfigFile,
  parseConfigText,
  resolveConfig,
  validateConfig,
  configFromRunFile,
  configFromRunText,
  RUN_IDENTITY_KEYS,
  type ResolveOptions,
} from './resolve.ts';
