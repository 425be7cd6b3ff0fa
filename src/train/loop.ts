/**
 * The off-policy training loop, one environment, in the order of CleanRL's scripts:
 *
 *   for step = 1 .. train.steps:
 *     a  = uniform in [-1, 1]^d          while step <= train.randomSteps
 *        = agent.act(s, stochastic)      afterwards
 *     s', r, terminated, truncated = env.step(a);  buffer.add(s, a, r, s', terminated)
 *     (only `terminated` stops bootstrapping; on terminated OR truncated the env is reset)
 *     utd updates per step once step >= randomSteps (fractional UTD accumulates)
 *     every logEvery:        a metrics row (update means, finished episodes, steps/s)
 *     every evalEvery:       evalEpisodes deterministic episodes on a separate env
 *     every checkpointEvery: a checkpoint (and always at the end)
 *
 * Exact resume. A checkpoint holds the agent's state (parameters, targets, optimiser moments,
 * update counters, RNG), the replay buffer, the loop's RNG and counters, the metric accumulators,
 * the observation normaliser, and the actions taken so far in the current episode. Every
 * training episode k is reset with seed trainEpisodeSeed(seed, k), so resuming rebuilds the
 * environment's exact mid-episode state by resetting with that seed and replaying those actions
 * (environments are deterministic given their seed and actions; the replayed observation is
 * checked against the saved one). Hence N steps straight and N/2 + resume N/2 give identical
 * metrics and parameters on the same backend.
 *
 * A non-finite loss, gradient norm or Q statistic ('loss/*', 'grad/*', 'q/*' metrics) stops the run
 * with a NonFiniteError naming the quantity; nothing is written after it, so the last good
 * checkpoint stays as it was. (Other diagnostics may be NaN by design, e.g. where undefined.)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Rng, type RngState } from '../engine/index.ts';
import { createAgent, ReplayBuffer, type Agent, type Metrics, type ReplayState } from '../agents/index.ts';
import { configFromRunFile, type Algo, type Config } from '../config/index.ts';
import type { NamedArray } from '../nn/index.ts';
import { envSpec, type RunningMeanStdState } from '../envs/index.ts';
import { buildEnv, trainEpisodeSeed, type EnvFactory, type EnvStack } from './env.ts';
import { evaluate, type EvalResult } from './evaluate.ts';
import { accumulate, emptyAccumulator, MetricsWriter, summarize, type MetricAccumulator, type Row } from './metrics.ts';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, withPrefix } from './checkpoint.ts';
import { Progress } from './progress.ts';
import { predictor, type Predict } from './predict.ts';

/** A loss or Q value became NaN or infinite. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

/** One environment step of the training loop, as TrainCallbacks.onStep sees it. */
export interface StepInfo {
  readonly step: number;
  readonly obs: Float32Array;
  readonly action: Float32Array;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
}

/** Hooks into the loop; they observe and must not change what they are given. */
export interface TrainCallbacks {
  /** After every environment step (and its updates). */
  onStep?(info: StepInfo): void;
  /** After every gradient update, with its metrics. */
  onUpdate?(metrics: Metrics, step: number): void;
  /** After every evaluation. */
  onEval?(result: EvalResult, step: number): void;
}

/** Options of train: algorithm, seed, where the run folder goes, progress, callbacks. */
export interface TrainOptions {
  /** Algorithm (default 'rfm'). */
  algo?: Algo;
  /** Seed of the agent, the loop and the environments (default 0). */
  seed?: number;
  /** Parent folder for the run folder; null or absent: nothing is written to disk. */
  outDir?: string | null;
  /** Run folder name (default `<algo>-<env>-s<seed>-<time>`). */
  runName?: string;
  /** Progress line on stderr (default false in the library; the CLI turns it on). */
  progress?: boolean;
  callbacks?: TrainCallbacks;
  /** How to build the environment (tests); default: the registry with a TimeLimit. */
  envFactory?: EnvFactory;
  /**
   * Stop cleanly on SIGINT / SIGTERM: finish the current step, write a checkpoint there (resume
   * continues exactly from it) and return with `interrupted: true`. The CLI turns this on.
   */
  handleSignals?: boolean;
}

/** What train and resumeTraining return: the trained agent, its run folder, metrics rows and last evaluation, and predict. */
export interface TrainResult {
  readonly agent: Agent;
  readonly algo: Algo;
  readonly envId: string;
  readonly seed: number;
  readonly config: Config;
  /** The run folder, or null when nothing was written. */
  readonly runDir: string | null;
  readonly steps: number;
  readonly rows: Row[];
  /** The last evaluation (null if none ran). */
  readonly lastEval: EvalResult | null;
  /** True when the run stopped early on a signal (a checkpoint was written at `steps`). */
  readonly interrupted: boolean;
  /**
   * Actions for raw observations of the environment, in its own units (deterministic unless
   * `{ deterministic: false }`); observations are normalised as in training. See ./predict.ts.
   */
  readonly predict: Predict;
}

/** The run folder's run.json: what the run is (config.json holds how). */
export interface RunInfo {
  readonly algo: Algo;
  readonly envId: string;
  readonly seed: number;
  readonly created: string;
}

/** Everything of the loop that a checkpoint must carry (besides agent, buffer and episode actions). */
interface LoopState {
  step: number;
  /** Index of the current training episode (its reset seed is trainEpisodeSeed(seed, episode)). */
  episode: number;
  episodeStep: number;
  episodeReturn: number;
  updates: number;
  /** Fractional updates owed (UTD accumulator). */
  updatesDue: number;
  rng: RngState;
  acc: MetricAccumulator;
  lastEval: { step: number; mean: number; std: number; returns: number[]; lengths: number[] } | null;
  /** Wall seconds spent before this session (so time/elapsed continues across resumes). */
  elapsed: number;
  normalizer: RunningMeanStdState | null;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** The quantities whose non-finite values stop a run: losses, gradient norms, Q statistics. */
const GUARDED = ['loss/', 'grad/', 'q/'];

function checkFinite(m: Metrics, step: number, updates: number): void {
  for (const [k, v] of Object.entries(m)) {
    if (!Number.isFinite(v) && GUARDED.some((p) => k.startsWith(p))) {
      throw new NonFiniteError(`${k} is ${v} at step ${step} (update ${updates}); stopping. The last checkpoint before it is intact.`);
    }
  }
}

/** Rows of a [n, d] host array into a tensor entry. */
const arr = (data: Float32Array, shape: number[]): NamedArray => ({ data, shape });

/**
 * Trains `algo` on `envId` with `config` (a resolved Config: see resolveConfig in src/config).
 * With `outDir`, writes `<outDir>/<run>/` with run.json, config.json, metrics.jsonl, metrics.csv
 * and checkpoints/.
 */
export async function train(envId: string, config: Config, options: TrainOptions = {}): Promise<TrainResult> {
  const algo = options.algo ?? 'rfm';
  const seed = options.seed ?? 0;
  if (!options.envFactory) envSpec(envId); // an unknown id fails here, before a run folder exists
  let runDir: string | null = null;
  if (options.outDir) {
    runDir = resolve(options.outDir, options.runName ?? `${algo}-${envId}-s${seed}-${timestamp()}`);
    if (existsSync(join(runDir, 'run.json'))) throw new Error(`run folder ${runDir} already exists (resume it with --resume, or choose another name)`);
    mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
    const info: RunInfo = { algo, envId, seed, created: new Date().toISOString() };
    writeFileSync(join(runDir, 'run.json'), JSON.stringify(info, null, 2) + '\n');
    writeRunConfig(runDir, info, config);
  }
  return runLoop({ algo, envId, seed, config, runDir, options, resumeFrom: null });
}

/**
 * Continues a run from its newest checkpoint, up to `steps` total environment steps (default: the
 * run's train.steps). Only the length may change: the rest of the config is the run's own.
 */
export async function resumeTraining(runDir: string, options: Omit<TrainOptions, 'algo' | 'seed' | 'outDir' | 'runName'> & { steps?: number } = {}): Promise<TrainResult> {
  const dir = resolve(runDir);
  const readJson = (f: string) => {
    const p = join(dir, f);
    if (!existsSync(p)) throw new Error(`${dir} is not a run folder (no ${f})`);
    return JSON.parse(readFileSync(p, 'utf8'));
  };
  const info = readJson('run.json') as RunInfo;
  const config = configFromRunFile(join(dir, 'config.json'));
  if (options.steps !== undefined) {
    if (!(Number.isInteger(options.steps) && options.steps >= 1)) throw new Error(`resume: steps must be a positive integer, got ${options.steps}`);
    config.train.steps = options.steps;
    writeRunConfig(dir, info, config);
  }
  return runLoop({ algo: info.algo, envId: info.envId, seed: info.seed, config, runDir: dir, options, resumeFrom: latestCheckpoint(dir) });
}

/** config.json: the run's identity (algo, envId, seed: for readers such as `rfm plot`), then the Config. */
function writeRunConfig(dir: string, info: RunInfo, config: Config): void {
  const body = { algo: info.algo, envId: info.envId, seed: info.seed, ...config };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(body, null, 2) + '\n');
}

interface RunArgs {
  algo: Algo;
  envId: string;
  seed: number;
  config: Config;
  runDir: string | null;
  options: TrainOptions;
  resumeFrom: string | null;
}

async function runLoop(a: RunArgs): Promise<TrainResult> {
  const { algo, envId, seed, config, runDir, options } = a;
  const tc = config.train;
  const cb = options.callbacks ?? {};
  const train: EnvStack = await buildEnv(envId, tc, options.envFactory);
  const evalEnv: EnvStack = await buildEnv(envId, tc, options.envFactory);
  const { obsDim, actDim } = train;
  const agent = createAgent(algo, obsDim, actDim, config, seed);
  const buffer = new ReplayBuffer(tc.bufferSize, obsDim, actDim);
  const writer = new MetricsWriter(runDir);

  const s: LoopState = {
    step: 0, episode: 0, episodeStep: 0, episodeReturn: 0, updates: 0, updatesDue: 0,
    rng: new Rng(seed).split(0x100).state(), acc: emptyAccumulator(), lastEval: null, elapsed: 0, normalizer: null,
  };
  let episodeActions: number[] = []; // flat [episodeStep, actDim]
  let obs: Float32Array;

  if (a.resumeFrom) {
    // ---- restore: agent, buffer, loop state, then rebuild the current episode by replay ----
    const ck = loadCheckpoint(a.resumeFrom);
    if (ck.meta.algo !== algo || ck.meta.envId !== envId) throw new Error(`checkpoint ${a.resumeFrom} is for ${ck.meta.algo} on ${ck.meta.envId}, not ${algo} on ${envId}`);
    agent.loadState({ tensors: withPrefix(ck.tensors, 'agent'), json: ck.meta.agent });
    const rs = ck.meta.loop.replay as ReplayState;
    const put = (name: string, into: Float32Array) => {
      const t = ck.tensors.get(`replay.${name}`);
      if (!t) throw new Error(`checkpoint ${a.resumeFrom}: missing replay.${name}`);
      into.set(t.data);
    };
    put('obs', buffer.obs); put('action', buffer.action); put('reward', buffer.reward); put('next_obs', buffer.nextObs); put('terminated', buffer.terminated);
    buffer.loadState(rs);
    Object.assign(s, ck.meta.loop.state as LoopState);
    episodeActions = Array.from(ck.tensors.get('loop.episode_actions')?.data ?? []);
    obs = replayEpisode(train, seed, s, episodeActions, actDim);
    const saved = ck.tensors.get('loop.obs')?.data;
    if (!saved || saved.some((v, i) => v !== obs[i])) {
      throw new Error(`resume: replaying episode ${s.episode} (${s.episodeStep} steps) did not reproduce the saved observation; is ${envId} deterministic given its seed?`);
    }
    writer.restore(ck.meta.loop.metricRows as number);
  } else {
    const [o] = train.env.reset({ seed: trainEpisodeSeed(seed, 0) });
    obs = Float32Array.from(o);
  }

  const rng = Rng.fromState(s.rng);
  const progress = options.progress ? new Progress({ total: tc.steps, start: s.step, label: `${algo} ${envId}`, plainEvery: Math.max(tc.logEvery, Math.ceil(tc.steps / 20)) }) : null;
  const t0 = performance.now();
  let rowT = t0;
  let rowStep = s.step;
  let lastEval: EvalResult | null = s.lastEval;

  const snapshot = (): void => {
    if (!runDir) return;
    const st = agent.state();
    const tensors = new Map<string, NamedArray>();
    for (const [k, v] of st.tensors) tensors.set(`agent.${k}`, v);
    const n = buffer.size;
    tensors.set('replay.obs', arr(buffer.obs.subarray(0, n * obsDim), [n, obsDim]));
    tensors.set('replay.action', arr(buffer.action.subarray(0, n * actDim), [n, actDim]));
    tensors.set('replay.reward', arr(buffer.reward.subarray(0, n), [n]));
    tensors.set('replay.next_obs', arr(buffer.nextObs.subarray(0, n * obsDim), [n, obsDim]));
    tensors.set('replay.terminated', arr(buffer.terminated.subarray(0, n), [n]));
    tensors.set('loop.episode_actions', arr(Float32Array.from(episodeActions), [s.episodeStep, actDim]));
    tensors.set('loop.obs', arr(obs, [obsDim]));
    const loopState: LoopState = {
      ...s, rng: rng.state(), elapsed: s.elapsed + (performance.now() - t0) / 1000,
      normalizer: train.normalizer ? train.normalizer.state() : null,
    };
    saveCheckpoint(join(runDir, 'checkpoints'), { step: s.step, algo, envId, seed, agent: st.json, loop: { state: loopState, replay: buffer.state(), metricRows: writer.rows.length } }, tensors);
    writer.writeCsv();
  };

  /** A metrics row from the accumulator (the caller resets it). */
  const logRow = (): Row => {
    const now = performance.now();
    const row: Row = {
      ...summarize(s.acc),
      'train/updates': s.updates,
      'time/sps': (s.step - rowStep) / Math.max((now - rowT) / 1000, 1e-9),
      'time/elapsed': s.elapsed + (now - t0) / 1000,
    };
    rowT = now;
    rowStep = s.step;
    return row;
  };
  const runEval = (): Row => {
    if (train.normalizer && evalEnv.normalizer) {
      evalEnv.normalizer.loadState(train.normalizer.state());
      evalEnv.normalizer.update = false;
    }
    const r = evaluate(agent, evalEnv.env, tc.evalEpisodes, seed);
    lastEval = r;
    s.lastEval = { step: s.step, ...r };
    cb.onEval?.(r, s.step);
    progress?.eval(s.step, r.mean);
    return { 'eval/return': r.mean, 'eval/return_std': r.std, 'eval/length': r.lengths.reduce((x, y) => x + y, 0) / r.lengths.length };
  };

  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  if (options.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    const randomAction = new Float32Array(actDim);
    // The loop is synchronous work; it hands the event loop a turn every ~100 ms so that signal
    // handlers (and the dashboard's watchers in the same process) get to run.
    let lastYield = performance.now();
    while (s.step < tc.steps && !interrupted) {
      if (options.handleSignals && performance.now() - lastYield > 100) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
        if (interrupted) break;
      }
      // ---- act and step the environment ----
      let action: Float32Array;
      if (s.step < tc.randomSteps) {
        for (let i = 0; i < actDim; i++) randomAction[i] = 2 * rng.uniform() - 1;
        action = Float32Array.from(randomAction);
      } else {
        action = agent.act(obs, { deterministic: false });
      }
      const [nextRaw, reward, terminated, truncated] = train.env.step(action);
      const next = Float32Array.from(nextRaw);
      buffer.add(obs, action, reward, next, terminated); // truncation still bootstraps from `next`
      s.step++;
      s.episodeStep++;
      s.episodeReturn += reward;
      for (let i = 0; i < actDim; i++) episodeActions.push(action[i]);
      const stepObs = obs;
      if (terminated || truncated) {
        s.acc.episodeReturns.push(s.episodeReturn);
        s.acc.episodeLengths.push(s.episodeStep);
        s.episode++;
        s.episodeStep = 0;
        s.episodeReturn = 0;
        episodeActions = [];
        obs = Float32Array.from(train.env.reset({ seed: trainEpisodeSeed(seed, s.episode) })[0]);
      } else {
        obs = next;
      }

      // ---- gradient updates (update-to-data ratio) ----
      if (s.step >= Math.max(tc.randomSteps, 1)) {
        s.updatesDue += tc.utd;
        while (s.updatesDue >= 1) {
          s.updatesDue -= 1;
          const m = agent.update(buffer.sample(tc.batchSize, rng));
          s.updates++;
          checkFinite(m, s.step, s.updates);
          accumulate(s.acc, m);
          cb.onUpdate?.(m, s.step);
        }
      }
      cb.onStep?.({ step: s.step, obs: stepObs, action, reward, terminated, truncated });

      // ---- metrics row, evaluation, checkpoint (on their cadences) ----
      const row: Row = {};
      if (s.step % tc.logEvery === 0) {
        Object.assign(row, logRow());
        s.acc = emptyAccumulator();
      }
      if (tc.evalEvery > 0 && s.step % tc.evalEvery === 0) Object.assign(row, runEval());
      if (Object.keys(row).length > 0) writer.write({ step: s.step, ...row });
      if ((tc.checkpointEvery > 0 && s.step % tc.checkpointEvery === 0) || s.step === tc.steps) snapshot();
      progress?.step(s.step);
    }
    if (interrupted) {
      const saved = runDir !== null && ((tc.checkpointEvery > 0 && s.step % tc.checkpointEvery === 0) || s.step === tc.steps);
      if (!saved) snapshot();
      progress?.done();
      process.stderr.write(`interrupted at step ${s.step}${runDir ? `; checkpoint written (rfm train --resume ${runDir})` : ''}\n`);
    }
    // The end of this session: a last row and evaluation when the cadences did not just make them.
    // They come after the final checkpoint, so a resumed run drops them (see MetricsWriter.restore)
    // and its metrics equal those of a straight run.
    const last = writer.rows[writer.rows.length - 1];
    if (!interrupted && s.step > 0 && !(last && last.step === s.step && 'eval/return' in last)) {
      const row: Row = last && last.step === s.step ? {} : logRow();
      writer.write({ step: s.step, ...row, ...runEval() });
    }
    progress?.done();
    writer.writeCsv();
  } finally {
    if (options.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    train.env.close();
    evalEnv.env.close();
  }
  return { agent, algo, envId, seed, config, runDir, steps: s.step, rows: writer.rows, lastEval, interrupted, predict: predictor(agent, train) };
}

/** Resets the training env to the start of episode s.episode and replays its actions; returns the current observation. */
function replayEpisode(train: EnvStack, seed: number, s: LoopState, actions: number[], actDim: number): Float32Array {
  const norm = train.normalizer;
  if (norm && s.normalizer) {
    norm.loadState(s.normalizer);
    norm.update = false; // the replayed observations were already folded into the saved statistics
  }
  let [o] = train.env.reset({ seed: trainEpisodeSeed(seed, s.episode) });
  for (let t = 0; t < s.episodeStep; t++) {
    const [next, , terminated, truncated] = train.env.step(Float32Array.from(actions.slice(t * actDim, (t + 1) * actDim)));
    if (terminated || truncated) throw new Error(`resume: the replayed episode ended after ${t + 1} of ${s.episodeStep} steps`);
    o = next;
  }
  if (norm) norm.update = true;
  return Float32Array.from(o);
}

