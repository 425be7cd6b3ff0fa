/**
 * rfm-rl: online reinforcement learning with flow and diffusion policies trained by Reverse Flow
 * Matching. This entry point is what README documents: environments, agents, training,
 * evaluation, configuration and plotting. The layers underneath have subpath entry points:
 * `rfm-rl/engine` (tensors, autodiff, backends), `rfm-rl/nn`, `rfm-rl/paths`,
 * `rfm-rl/estimators`, `rfm-rl/policies`, and the full `rfm-rl/envs`, `rfm-rl/agents`,
 * `rfm-rl/config`, `rfm-rl/train`. test/index.test.ts pins the names exported here.
 */

// environments (Gymnasium's API)
export {
  Box,
  makeEnv,
  listEnvs,
  envSpec,
  registerEnv,
  checkEnv,
  TimeLimit,
  RescaleAction,
  ClipAction,
  RecordEpisodeStatistics,
  NormalizeObservation,
  SyncVectorEnv,
  AsyncVectorEnv,
  makeVectorEnv,
} from './envs/index.ts';
export type {
  Env,
  EnvSpec,
  Info,
  ResetOptions,
  StepResult,
  MakeEnvOptions,
  VectorEnv,
} from './envs/index.ts';

// agents
export { createAgent, availableAgents } from './agents/index.ts';
export type { Agent, ActOptions, Observation } from './agents/index.ts';

// training, evaluation, saving and loading
export {
  train,
  resumeTraining,
  evaluate,
  predictor,
  saveAgent,
  loadAgent,
  loadAgentFile,
  NonFiniteError,
  CheckpointError,
} from './train/index.ts';
export type {
  TrainOptions,
  TrainResult,
  TrainCallbacks,
  StepInfo,
  EvalResult,
  Predict,
  LoadedRun,
} from './train/index.ts';

// configuration
export {
  resolveConfig,
  ConfigError,
  ALGOS,
  PRESET_NAMES,
  DEFAULTS,
  PRESETS,
  TASK_DEFAULTS,
  TASK_REQUIREMENTS,
} from './config/index.ts';
export type {
  Algo,
  PresetName,
  Config,
  ConfigPatch,
  ResolveOptions,
  TrainConfig,
  SacConfig,
  Td3Config,
  RfmConfig,
} from './config/index.ts';

// plotting
export { plotRuns } from './viz/plot.ts';
export type { PlotRunsOptions, CurveGroup } from './viz/plot.ts';
