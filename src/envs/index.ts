/** The public environment API. */
export { Box, assertValidAction, assertKnownOptions } from './core.ts';
export type { Env, EnvSpec, Info, ResetOptions, StepResult } from './core.ts';
export { envRng } from './seeding.ts';
export { checkEnv } from './check.ts';
export type { CheckEnvOptions } from './check.ts';
export { makeEnv, listEnvs, envSpec, registerEnv, nearestIds, editDistance } from './registry.ts';
export type { MakeEnvOptions, WrapperSpec } from './registry.ts';
export {
  Wrapper,
  unwrap,
  findWrapper,
  TimeLimit,
  RescaleAction,
  ClipAction,
  RecordEpisodeStatistics,
  NormalizeObservation,
  RunningMeanStd,
} from './wrappers.ts';
export type {
  EpisodeStatistics,
  RunningMeanStdState,
  NormalizeObservationOptions,
} from './wrappers.ts';
export { SyncVectorEnv, AsyncVectorEnv, makeVectorEnv, autoresetStep } from './vector.ts';
export type {
  VectorEnv,
  VectorResetResult,
  VectorStepResult,
  AsyncVectorEnvOptions,
  MakeVectorEnvOptions,
} from './vector.ts';
export { PendulumEnv, MountainCarContinuousEnv } from './classic/index.ts';
export { MultimodalBanditEnv, optimalActions, optimalReturn, banditReward } from './toy/index.ts';
export type { MultimodalBanditOptions } from './toy/index.ts';
