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
 * Divergence. A non-finite loss, gradient norm or Q statistic ('loss/*', 'grad/*', 'q/*' metrics),
 * a non-finite or exploding parameter or optimiser moment after an update (./guard.ts), a
 * non-finite action, or an agent that fails on non-finite numbers (e.g. RFM's particle sampling)
 * stops the run with a one-line NonFiniteError naming the quantity, the step and the newest
 * checkpoint that verifies; nothing is written after it, and a checkpoint is written only after
 * the agent's state passed the guard, so that checkpoint is never a poisoned one.
 * (Other diagnostics may be NaN by design, e.g. where undefined.)
 *
 * Nothing lost. Every file the loop rewrites goes through write-temp, fsync, rename (./files.ts);
 * a new run folder is created only once the environments, agent and replay buffer exist; a resume
 * writes nothing until the checkpoint loaded, its episode replayed and the metrics rows checked.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Rng, type RngState } from '../engine/index.ts';
import { createAgent, ReplayBuffer, type Agent, type Metrics, type ReplayState } from '../agents/index.ts';
import { applySet, configFromRunFile, validateConfig, type Algo, type Config } from '../config/index.ts';
import type { NamedArray } from '../nn/index.ts';
import { envSpec, type RunningMeanStdState } from '../envs/index.ts';
import { buildEnv, trainEpisodeSeed, type EnvFactory, type EnvStack } from './env.ts';
import { evaluate, type EvalResult } from './evaluate.ts';
import { accumulate, emptyAccumulator, MetricsWriter, readMetrics, summarize, type MetricAccumulator, type Row } from './metrics.ts';
import { checkpointsDir, findCheckpoint, listCheckpoints, saveCheckpoint, withPrefix, type LoadedCheckpoint } from './checkpoint.ts';
import { checkCreatableDir, makeDirs, removeStaleTemps, writeFileAtomic } from './files.ts';
import { checkAgentTensors, NonFiniteError, type StateProblem } from './guard.ts';
import { Progress } from './progress.ts';
import { predictor, type Predict } from './predict.ts';

export { NonFiniteError };

/**
 * A request the run cannot honour as given (a resume length below the checkpoint's step, a run
 * folder that exists or is not a run): the CLI reports it as a usage error (exit code 2).
 */
export class RunRequestError extends Error {
  override name = 'RunRequestError';
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

/** The metrics whose non-finite values stop a run: losses, gradient norms, Q statistics. */
const GUARDED = ['loss/', 'grad/', 'q/'];

/** The first guarded metric that is not finite, as "loss/critic is NaN", or null. */
function nonFiniteMetric(m: Metrics): string | null {
  for (const [k, v] of Object.entries(m)) {
    if (!Number.isFinite(v) && GUARDED.some((p) => k.startsWith(p))) return `${k} is ${v}`;
  }
  return null;
}

/** An error that comes from computing with NaN or infinite numbers (as opposed to a bug or an I/O failure). */
const NUMERIC = /finite|NaN|Infinity/;

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
  let commit: (() => void) | null = null;
  if (options.outDir) {
    const dir = resolve(options.outDir, options.runName ?? `${algo}-${envId}-s${seed}-${timestamp()}`);
    runDir = dir;
    if (existsSync(join(dir, 'run.json'))) throw new RunRequestError(`run folder ${dir} already exists (resume it with --resume, or choose another name)`);
    checkCreatableDir(dir);
    // The folder is made once the environments, agent and buffer exist (see runLoop), so a
    // setup failure leaves no half-made run behind.
    commit = () => {
      makeDirs(join(dir, 'checkpoints'));
      const info: RunInfo = { algo, envId, seed, created: new Date().toISOString() };
      writeFileAtomic(join(dir, 'run.json'), JSON.stringify(info, null, 2) + '\n');
      writeRunConfig(dir, info, config);
    };
  }
  return runLoop({ algo, envId, seed, config, runDir, options, resume: null, commit });
}

export interface ResumeOptions extends Omit<TrainOptions, 'algo' | 'seed' | 'outDir' | 'runName'> {
  /** The new total of environment steps (not below the checkpoint's step). */
  steps?: number;
  /**
   * Where to continue from: a step of one of the run's checkpoints, or a checkpoint JSON path.
   * Default: the newest checkpoint that verifies (newer ones that do not are reported and skipped).
   */
  from?: number | string;
  /** `key=value` config overrides (as `--set`), e.g. a smaller 'rfm.actorLr' after a divergence. */
  sets?: readonly string[];
  /** Where notes go (skipped checkpoints, set-aside checkpoints); default: stderr. */
  warn?: (line: string) => void;
}

/**
 * Continues a run from a checkpoint (default: its newest good one), up to `steps` total
 * environment steps (default: the run's train.steps), with the run's config plus any `sets`.
 * Checkpoints newer than the one continued from are moved to checkpoints/abandoned-<time>/
 * (kept, but no longer picked up). Nothing is written unless everything checks out.
 */
export async function resumeTraining(runDir: string, options: ResumeOptions = {}): Promise<TrainResult> {
  const dir = resolve(runDir);
  const warn = options.warn ?? ((line: string) => void process.stderr.write(`${line}\n`));
  if (!existsSync(dir)) throw new RunRequestError(`${dir} does not exist`);
  if (!existsSync(join(dir, 'run.json'))) throw new RunRequestError(`${dir} is not a run folder (no run.json)`);
  let info: RunInfo;
  try {
    info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunInfo;
  } catch (e) {
    throw new Error(`${join(dir, 'run.json')} is unreadable or not valid JSON (${(e as Error).message})`);
  }
  const config = configFromRunFile(join(dir, 'config.json'));
  for (const assignment of options.sets ?? []) applySet(config, assignment);
  if (options.steps !== undefined) {
    if (!(Number.isSafeInteger(options.steps) && options.steps >= 1)) throw new RunRequestError(`resume: steps must be a positive integer, got ${options.steps}`);
    config.train.steps = options.steps;
  }
  validateConfig(config);
  for (const d of [dir, join(dir, 'checkpoints')]) removeStaleTemps(d);
  const from = options.from;
  if (typeof from === 'string' && resolve(dirname(resolve(from))) !== resolve(checkpointsDir(dir))) {
    throw new RunRequestError(`--from ${from} is not one of this run's checkpoints (they are in ${checkpointsDir(dir)})`);
  }
  const found = findCheckpoint(typeof from === 'string' ? resolve(from) : dir, { step: typeof from === 'number' ? from : undefined, warn });
  const ckStep = found.checkpoint.meta.step;
  if (config.train.steps < ckStep) {
    throw new RunRequestError(`--steps ${config.train.steps} is below the step of the checkpoint to continue from (${ckStep}, ${basename(found.path)}); give a total of at least ${ckStep}`);
  }
  const changed = options.steps !== undefined || (options.sets ?? []).length > 0;
  const branches = (options.sets ?? []).length > 0 || from !== undefined; // what follows may differ from what was
  const commit = () => {
    if (changed) writeRunConfig(dir, info, config);
    const setAside = setAsideNewer(checkpointsDir(dir), ckStep, warn);
    // The rows after the checkpoint are about to be dropped; when the run continues differently
    // (other settings or an older checkpoint) they are not reproduced, so a copy is kept.
    const metrics = join(dir, 'metrics.jsonl');
    if (branches && existsSync(metrics)) {
      const rows = readMetrics(dir);
      const after = rows.filter((r) => r.step > ckStep);
      if (after.length > 0) {
        const copy = join(setAside ?? dir, setAside ? 'metrics.jsonl' : `metrics.before-resume-${timestamp()}.jsonl`);
        writeFileAtomic(copy, readFileSync(metrics));
        warn(`kept the ${after.length} metrics row(s) after step ${ckStep} in ${copy}`);
      }
    }
  };
  return runLoop({ algo: info.algo, envId: info.envId, seed: info.seed, config, runDir: dir, options, resume: found, commit });
}

/**
 * Moves the checkpoints after `step` (a branch a resume from an older checkpoint abandons) into a
 * subfolder; returns it (null when there were none).
 */
function setAsideNewer(dir: string, step: number, warn: (line: string) => void): string | null {
  const newer = listCheckpoints(dir).filter((p) => Number(/ckpt-(\d+)\.json$/.exec(p)![1]) > step);
  if (newer.length === 0) return null;
  let to = join(dir, `abandoned-${timestamp()}`);
  for (let k = 2; existsSync(to); k++) to = join(dir, `abandoned-${timestamp()}-${k}`); // never over an earlier set
  makeDirs(to);
  for (const p of newer) {
    for (const f of [p, p.replace(/\.json$/, '.safetensors')]) if (existsSync(f)) renameSync(f, join(to, basename(f)));
  }
  warn(`moved ${newer.length} checkpoint(s) after step ${step} to ${to}`);
  return to;
}

/** config.json: the run's identity (algo, envId, seed: for readers such as `rfm plot`), then the Config. */
function writeRunConfig(dir: string, info: RunInfo, config: Config): void {
  const body = { algo: info.algo, envId: info.envId, seed: info.seed, ...config };
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(body, null, 2) + '\n');
}

interface RunArgs {
  algo: Algo;
  envId: string;
  seed: number;
  config: Config;
  runDir: string | null;
  options: TrainOptions;
  /** The checkpoint to continue from (null: a fresh run). */
  resume: LoadedCheckpoint | null;
  /** Writes what the run folder needs before the first step (null: nothing to write); runs once setup succeeded. */
  commit: (() => void) | null;
}

async function runLoop(a: RunArgs): Promise<TrainResult> {
  const { algo, envId, seed, config, runDir, options } = a;
  const tc = config.train;
  const cb = options.callbacks ?? {};
  const train: EnvStack = await buildEnv(envId, tc, options.envFactory);
  let evalEnv: EnvStack | null = null;
  const closeEnvs = () => {
    train.env.close();
    evalEnv?.env.close();
  };
  const { obsDim, actDim } = train;
  let agent: Agent;
  let buffer: ReplayBuffer;
  const writer = new MetricsWriter(runDir);
  const s: LoopState = {
    step: 0, episode: 0, episodeStep: 0, episodeReturn: 0, updates: 0, updatesDue: 0,
    rng: new Rng(seed).split(0x100).state(), acc: emptyAccumulator(), lastEval: null, elapsed: 0, normalizer: null,
  };
  let episodeActions: number[] = []; // flat [episodeStep, actDim]
  let obs: Float32Array;

  // ---- setup, all in memory; the run folder is written only once it succeeded ----
  try {
    evalEnv = await buildEnv(envId, tc, options.envFactory);
    agent = createAgent(algo, obsDim, actDim, config, seed);
    buffer = allocateBuffer(tc.bufferSize, obsDim, actDim);
    if (runDir) for (const d of [runDir, join(runDir, 'checkpoints')]) removeStaleTemps(d);
    if (a.resume) {
      // ---- restore: agent, buffer, loop state, then rebuild the current episode by replay ----
      const { checkpoint: ck, path } = a.resume;
      if (ck.meta.algo !== algo || ck.meta.envId !== envId) throw new Error(`checkpoint ${path} is for ${ck.meta.algo} on ${ck.meta.envId}, not ${algo} on ${envId}`);
      agent.loadState({ tensors: withPrefix(ck.tensors, 'agent'), json: ck.meta.agent });
      const rs = ck.meta.loop.replay as ReplayState;
      const put = (name: string, into: Float32Array) => {
        const t = ck.tensors.get(`replay.${name}`);
        if (!t) throw new Error(`checkpoint ${path}: missing replay.${name}`);
        if (t.data.length > into.length) throw new Error(`checkpoint ${path}: its replay buffer holds more than train.bufferSize (${tc.bufferSize}) transitions`);
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
      const kept = writer.rowsForResume(ck.meta.loop.metricRows as number, ck.meta.step);
      a.commit?.();
      writer.restore(kept);
    } else {
      const [o] = train.env.reset({ seed: trainEpisodeSeed(seed, 0) });
      obs = Float32Array.from(o);
      a.commit?.();
    }
  } catch (e) {
    closeEnvs();
    throw e;
  }
  const evalStack: EnvStack = evalEnv;

  const rng = Rng.fromState(s.rng);
  const progress = options.progress ? new Progress({ total: tc.steps, start: s.step, label: `${algo} ${envId}`, plainEvery: Math.max(tc.logEvery, Math.ceil(tc.steps / 20)) }) : null;
  const t0 = performance.now();
  let rowT = t0;
  let rowStep = s.step;
  let lastEval: EvalResult | null = s.lastEval;

  /**
   * Stops the run on divergence: one line naming what went wrong, the step, and the newest
   * checkpoint that verifies (the one `rfm train --resume` continues from).
   */
  const diverged = (what: string): never => {
    let where = 'nothing was written (no run folder)';
    if (runDir) {
      try {
        const good = findCheckpoint(runDir);
        const st = good.checkpoint.meta.step;
        where = `newest good checkpoint: ${good.path} (step ${st}); continue from it with: rfm train --resume ${runDir} --from ${st} --set <smaller learning rate>`;
      } catch {
        where = `no checkpoint was written before it, so the run cannot be continued (${runDir})`;
      }
    }
    throw new NonFiniteError(`${what.split('\n')[0]} at step ${s.step} (update ${s.updates}); stopping. ${where}`);
  };
  const describe = (p: StateProblem) => `${p.quantity} ${p.reason}`;
  /** The guard on the agent's whole state (parameters, targets, optimiser moments). */
  const checkState = (tensors: ReadonlyMap<string, NamedArray>): void => {
    const p = checkAgentTensors(tensors, tc.divergenceThreshold);
    if (p) diverged(describe(p));
  };
  /**
   * Runs agent work (act, update, evaluation); an error from non-finite numbers inside it (e.g.
   * sampling from NaN logits) becomes the divergence stop, naming the bad state when there is one.
   */
  const guarded = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof NonFiniteError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      const p = checkAgentTensors(agent.state().tensors, tc.divergenceThreshold);
      if (p) return diverged(describe(p));
      if (NUMERIC.test(msg)) return diverged(`${what} failed on non-finite numbers (${msg.split('\n')[0]})`);
      throw e;
    }
  };

  const snapshot = (): void => {
    if (!runDir) return;
    const st = agent.state();
    checkState(st.tensors); // never write a poisoned checkpoint
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
    if (train.normalizer && evalStack.normalizer) {
      evalStack.normalizer.loadState(train.normalizer.state());
      evalStack.normalizer.update = false;
    }
    const r = guarded('evaluation', () => evaluate(agent, evalStack.env, tc.evalEpisodes, seed));
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
        action = guarded('acting', () => agent.act(obs, { deterministic: false }));
        for (let i = 0; i < actDim; i++) {
          if (Number.isFinite(action[i])) continue;
          const p = checkAgentTensors(agent.state().tensors, tc.divergenceThreshold);
          diverged(p ? describe(p) : `the agent's action[${i}] is ${action[i]}`);
        }
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
          const batch = buffer.sample(tc.batchSize, rng);
          s.updates++; // counted before it runs, so a failure inside names this update
          const m = guarded('the update', () => agent.update(batch));
          const bad = nonFiniteMetric(m);
          if (bad) diverged(bad);
          if (s.updates % tc.guardEvery === 0) checkState(agent.state().tensors);
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
  } catch (e) {
    progress?.done(); // end the progress line, so the error starts on its own
    throw e;
  } finally {
    if (options.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    closeEnvs();
  }
  return { agent, algo, envId, seed, config, runDir, steps: s.step, rows: writer.rows, lastEval, interrupted, predict: predictor(agent, train) };
}

/** A replay buffer of `capacity` transitions, or a one-line error saying why it cannot be allocated. */
function allocateBuffer(capacity: number, obsDim: number, actDim: number): ReplayBuffer {
  try {
    return new ReplayBuffer(capacity, obsDim, actDim);
  } catch (e) {
    const gb = (capacity * (2 * obsDim + actDim + 2) * 4) / 2 ** 30;
    throw new Error(`train.bufferSize ${capacity}: cannot allocate the replay buffer (${gb.toPrecision(3)} GiB of float32; ${(e as Error).message}); choose a smaller train.bufferSize`);
  }
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

