/** Training: the loop, evaluation, checkpoints, metrics files and the progress line. */
export { train, resumeTraining, NonFiniteError, type TrainOptions, type TrainResult, type TrainCallbacks, type StepInfo, type RunInfo } from './loop.ts';
export { evaluate, type EvalResult } from './evaluate.ts';
export { buildEnv, defaultEnvFactory, trainEpisodeSeed, evalEpisodeSeed, type EnvFactory, type EnvStack } from './env.ts';
export { saveCheckpoint, loadCheckpoint, latestCheckpoint, listCheckpoints, writeFileAtomic, CheckpointError, withPrefix, type Checkpoint, type CheckpointMeta } from './checkpoint.ts';
export { MetricsWriter, readMetrics, type Row } from './metrics.ts';
export { loadAgent, type LoadedRun } from './load.ts';
