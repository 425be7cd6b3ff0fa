/**
 * The browser entry: every layer that runs without Node (engine with the TypeScript backend, nn,
 * paths, estimators, flow policies, agents, configuration, environments on mujoco-js, the training
 * loop with an in-memory store, checkpoints as bytes, rollout recording). Nothing here imports a
 * Node built-in; test/demo/bundle.test.ts bundles it for the browser platform and checks.
 *
 * Parts that need Node sit in src/host/node/ (the native backend, file reading), imported by
 * relative path; the browser bundle (src/demo/bundle.ts) swaps each for its counterpart in
 * src/host/browser/ (no native backend, no files).
 */
export * as engine from './engine/index.ts';
export * as nn from './nn/index.ts';
export * as paths from './paths/index.ts';
export * as estimators from './estimators/index.ts';
export {
  VelocityNet,
  integrateFlow,
  sampleFlow,
  particleVelocity,
  timeGrid,
  type Solver,
} from './policies/flow.ts';
export * from './agents/index.ts';
export { RfmAgent, type RfmAlgo } from './agents/rfm.ts';
export * from './config/index.ts';
export {
  Box,
  assertValidAction,
  assertKnownOptions,
  type Env,
  type EnvSpec,
  type StepResult,
} from './envs/core.ts';
export { envRng } from './envs/seeding.ts';
export { makeEnv, listEnvs, envSpec, registerEnv, type MakeEnvOptions } from './envs/registry.ts';
export {
  Wrapper,
  unwrap,
  TimeLimit,
  RescaleAction,
  ClipAction,
  NormalizeObservation,
  RunningMeanStd,
} from './envs/wrappers.ts';
export { loadMujoco } from './envs/mujoco/runtime.ts';
export {
  runTraining,
  runLoop,
  NonFiniteError,
  type RunStore,
  type LoopOptions,
  type Interrupts,
  type ProgressSink,
  type TrainResult,
  type TrainCallbacks,
  type StepInfo,
  type RunInfo,
} from './train/loop-core.ts';
export { MemoryRunStore, type RunFile } from './train/memory-store.ts';
export { MemoryMetrics, type Row, type MetricsLog } from './train/metrics.ts';
export {
  encodeCheckpoint,
  parseCheckpointMeta,
  decodeCheckpointTensors,
  checkFiniteAgent,
  withPrefix,
  CheckpointError,
  type Checkpoint,
  type CheckpointMeta,
} from './train/checkpoint-format.ts';
export { sha256Hex } from './train/sha256.ts';
export { evaluate, type EvalResult } from './train/evaluate.ts';
export { buildEnv, trainEpisodeSeed, evalEpisodeSeed, type EnvStack } from './train/env.ts';
export { recordRollout, serializeRollout, type Rollout } from './viz/rollout-record.ts';
export { policySamples, agentActionSamples, type SamplesFile } from './viz/samples.ts';
