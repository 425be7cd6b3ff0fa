/**
 * Training: the loop, evaluation, checkpoints, metrics files and the progress line.
 *
 *   import { resolveConfig, train, resumeTraining, loadAgent, evaluate } from 'rfm-rl';
 *   const config = resolveConfig({ algo: 'sac', envId: 'Pendulum-v1', preset: 'small', sets: ['train.steps=3000'] });
 *   const run = await train('Pendulum-v1', config, { algo: 'sac', seed: 0, outDir: 'runs' });
 *   run.agent.act(obs, { deterministic: true });               // Float32Array in [-1, 1]^d
 *   run.predict(obs);                                           // Float64Array in the env's units
 *   await resumeTraining(run.runDir!, { steps: 6000 });         // exact continuation
 *   const { agent, makeEvalEnv } = loadAgent(run.runDir!);      // newest checkpoint
 *   const predict = predictor(agent, await makeEvalEnv());       // env units, as run.predict
 *
 * Run folder: run.json (algo, env, seed), config.json (the resolved Config), metrics.jsonl and
 * metrics.csv (one row per logged step), checkpoints/ckpt-<step>.{safetensors,json} (the newest two).
 */
export {
  train,
  resumeTraining,
  NonFiniteError,
  type TrainOptions,
  type TrainResult,
  type TrainCallbacks,
  type StepInfo,
  type RunInfo,
} from './loop.ts';
export {
  runTraining,
  runLoop,
  type RunStore,
  type LoopOptions,
  type Interrupts,
  type ProgressSink,
} from './loop-core.ts';
export { MemoryRunStore } from './memory-store.ts';
export { evaluate, type EvalResult } from './evaluate.ts';
export {
  buildEnv,
  defaultEnvFactory,
  trainEpisodeSeed,
  evalEpisodeSeed,
  type EnvFactory,
  type EnvStack,
} from './env.ts';
export {
  saveCheckpoint,
  loadCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  writeFileAtomic,
  CheckpointError,
  withPrefix,
  type Checkpoint,
  type CheckpointMeta,
} from './checkpoint.ts';
export { MetricsWriter, readMetrics } from './metrics-files.ts';
export { MemoryMetrics, type MetricsLog, type Row } from './metrics.ts';
export { loadAgent, saveAgent, loadAgentFile, type LoadedRun } from './load.ts';
export { predictor, type Predict } from './predict.ts';
