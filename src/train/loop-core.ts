/**
 * The off-policy training loop (host-free: it runs under Node and in a page alike), one environment, in the order of CleanRL's scripts:
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
 * Where things go. Checkpoints and metrics files go to an injected RunStore: under Node a run
 * folder (./loop.ts, which also holds train() and resumeTraining()), in a page memory
 * (./memory-store.ts). Progress lines and signal handling are injected the same way.
 */
import { Rng, type RngState } from '../engine/index.ts';
import {
  createAgent,
  ReplayBuffer,
  type Agent,
  type Metrics,
  type ReplayState,
} from '../agents/index.ts';
import type { Algo, Config } from '../config/index.ts';
import type { NamedArray } from '../nn/safetensors.ts';
import type { RunningMeanStdState } from '../envs/wrappers.ts';
import { envSpec } from '../envs/registry.ts';
import { buildEnv, trainEpisodeSeed, type EnvFactory, type EnvStack } from './env.ts';
import { predictor, type Predict } from './predict.ts';
import { evaluate, type EvalResult } from './evaluate.ts';
import {
  accumulate,
  emptyAccumulator,
  MemoryMetrics,
  summarize,
  type MetricAccumulator,
  type MetricsLog,
  type Row,
} from './metrics.ts';
import { withPrefix, type Checkpoint, type CheckpointInput } from './checkpoint-format.ts';
import { checkAgentTensors, NonFiniteError, type StateProblem } from './guard.ts';

export { NonFiniteError };

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

/**
 * Where a run keeps its checkpoints and metrics: a run folder under Node (./loop.ts), memory in a
 * page (./memory-store.ts).
 */
export interface RunStore {
  /** How messages name the run (a folder path under Node); also TrainResult.runDir. */
  readonly location: string;
  /** The metrics rows (and, for a folder, metrics.jsonl / metrics.csv). */
  readonly metrics: MetricsLog;
  /** Called once during setup, before anything is restored or written (a folder removes stale temp files). */
  prepare(): void;
  /** Keeps a checkpoint (a folder keeps the newest two). */
  saveCheckpoint(meta: CheckpointInput, tensors: Map<string, NamedArray>): void;
  /** The newest checkpoint that verifies; throws when there is none. */
  newestGood(): { path: string; step: number };
}

/** The progress display (./progress.ts under Node). */
export interface ProgressSink {
  step(step: number): void;
  eval(step: number, mean: number): void;
  done(): void;
}

/** How a host stops a run cleanly between steps (signals under Node, a Pause/Stop button in a page). */
export interface Interrupts {
  /** When stepping starts (after setup) and when it ends (always, also on errors). */
  begin(): void;
  end(): void;
  /** Awaited about every 100 ms of stepping: the host's event loop gets a turn (signals, messages; a page may hold here while paused). */
  yieldTurn(): Promise<void>;
  /** True once a clean stop was asked for; checked before every step. */
  requested(): boolean;
  /** After a requested stop, once the checkpoint (if any) is kept. */
  stopped(step: number): void;
}

/** What a host plugs into the loop. */
export interface LoopOptions {
  callbacks?: TrainCallbacks;
  /** How to build the environment (tests); default: the registry with a TimeLimit. */
  envFactory?: EnvFactory;
  /** Makes the progress display, given the step the session starts from. */
  progress?: (start: number) => ProgressSink;
  interrupts?: Interrupts;
}

/** What train and resumeTraining return: the trained agent, its run folder, metrics rows and last evaluation, and predict. */
export interface TrainResult {
  readonly agent: Agent;
  readonly algo: Algo;
  readonly envId: string;
  readonly seed: number;
  readonly config: Config;
  /** The store's location (the run folder under Node), or null when there was no store. */
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

/** The text of a run folder's config.json: the run's identity (algo, envId, seed: for readers such as `rfm plot`), then the Config. */
export function runConfigText(info: RunInfo, config: Config): string {
  const body = { algo: info.algo, envId: info.envId, seed: info.seed, ...config };
  return JSON.stringify(body, null, 2) + '\n';
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
  lastEval: {
    step: number;
    mean: number;
    std: number;
    returns: number[];
    lengths: number[];
  } | null;
  /** Wall seconds spent before this session (so time/elapsed continues across resumes). */
  elapsed: number;
  normalizer: RunningMeanStdState | null;
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
 * A fresh run of `algo` on `envId` with `config` (a resolved Config) kept in `store` (null: rows in
 * memory only). Under Node, train() in ./loop.ts adds the run folder and signals.
 */
export function runTraining(
  envId: string,
  config: Config,
  o: LoopOptions & { algo?: Algo; seed?: number; store?: RunStore | null } = {},
): Promise<TrainResult> {
  const { algo = 'rfm', seed = 0, store = null, ...options } = o;
  if (!options.envFactory) envSpec(envId); // an unknown id fails here, before anything is kept
  return runLoop({ algo, envId, seed, config, store, options, resume: null, commit: null });
}

export interface RunArgs {
  algo: Algo;
  envId: string;
  seed: number;
  config: Config;
  /** Where checkpoints and metrics files go (null: nothing is kept but the rows in memory). */
  store: RunStore | null;
  options: LoopOptions;
  /** The checkpoint to continue from (null: a fresh run). */
  resume: { readonly path: string; readonly checkpoint: Checkpoint } | null;
  /** Writes what the run folder needs before the first step (null: nothing to write); runs once setup succeeded. */
  commit: (() => void) | null;
}

export async function runLoop(a: RunArgs): Promise<TrainResult> {
  const { algo, envId, seed, config, store, options } = a;
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
  const writer: MetricsLog = store?.metrics ?? new MemoryMetrics();
  const s: LoopState = {
    step: 0,
    episode: 0,
    episodeStep: 0,
    episodeReturn: 0,
    updates: 0,
    updatesDue: 0,
    rng: new Rng(seed).split(0x100).state(),
    acc: emptyAccumulator(),
    lastEval: null,
    elapsed: 0,
    normalizer: null,
  };
  let episodeActions: number[] = []; // flat [episodeStep, actDim]
  let obs: Float32Array;

  // ---- setup, all in memory; the run folder is written only once it succeeded ----
  try {
    evalEnv = await buildEnv(envId, tc, options.envFactory);
    agent = createAgent(algo, obsDim, actDim, config, seed);
    buffer = allocateBuffer(tc.bufferSize, obsDim, actDim);
    store?.prepare();
    if (a.resume) {
      // ---- restore: agent, buffer, loop state, then rebuild the current episode by replay ----
      const { checkpoint: ck, path } = a.resume;
      if (ck.meta.algo !== algo || ck.meta.envId !== envId)
        throw new Error(
          `checkpoint ${path} is for ${ck.meta.algo} on ${ck.meta.envId}, not ${algo} on ${envId}`,
        );
      agent.loadState({ tensors: withPrefix(ck.tensors, 'agent'), json: ck.meta.agent });
      const rs = ck.meta.loop.replay as ReplayState;
      const put = (name: string, into: Float32Array) => {
        const t = ck.tensors.get(`replay.${name}`);
        if (!t) throw new Error(`checkpoint ${path}: missing replay.${name}`);
        if (t.data.length > into.length)
          throw new Error(
            `checkpoint ${path}: its replay buffer holds more than train.bufferSize (${tc.bufferSize}) transitions`,
          );
        into.set(t.data);
      };
      put('obs', buffer.obs);
      put('action', buffer.action);
      put('reward', buffer.reward);
      put('next_obs', buffer.nextObs);
      put('terminated', buffer.terminated);
      buffer.loadState(rs);
      Object.assign(s, ck.meta.loop.state as LoopState);
      episodeActions = Array.from(ck.tensors.get('loop.episode_actions')?.data ?? []);
      obs = replayEpisode(train, seed, s, episodeActions, actDim);
      const saved = ck.tensors.get('loop.obs')?.data;
      if (!saved || saved.some((v, i) => v !== obs[i])) {
        throw new Error(
          `resume: replaying episode ${s.episode} (${s.episodeStep} steps) did not reproduce the saved observation; is ${envId} deterministic given its seed?`,
        );
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
  const progress = options.progress?.(s.step) ?? null;
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
    if (store) {
      try {
        const good = store.newestGood();
        where = `newest good checkpoint: ${good.path} (step ${good.step}); continue from it with: rfm train --resume ${store.location} --from ${good.step} --set <smaller learning rate>`;
      } catch {
        where = `no checkpoint was written before it, so the run cannot be continued (${store.location})`;
      }
    }
    throw new NonFiniteError(
      `${what.split('\n')[0]} at step ${s.step} (update ${s.updates}); stopping. ${where}`,
    );
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
      if (NUMERIC.test(msg))
        return diverged(`${what} failed on non-finite numbers (${msg.split('\n')[0]})`);
      throw e;
    }
  };

  const snapshot = (): void => {
    if (!store) return;
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
    tensors.set(
      'loop.episode_actions',
      arr(Float32Array.from(episodeActions), [s.episodeStep, actDim]),
    );
    tensors.set('loop.obs', arr(obs, [obsDim]));
    const loopState: LoopState = {
      ...s,
      rng: rng.state(),
      elapsed: s.elapsed + (performance.now() - t0) / 1000,
      normalizer: train.normalizer ? train.normalizer.state() : null,
    };
    store.saveCheckpoint(
      {
        step: s.step,
        algo,
        envId,
        seed,
        agent: st.json,
        loop: { state: loopState, replay: buffer.state(), metricRows: writer.rows.length },
      },
      tensors,
    );
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
    return {
      'eval/return': r.mean,
      'eval/return_std': r.std,
      'eval/length': r.lengths.reduce((x, y) => x + y, 0) / r.lengths.length,
    };
  };

  let interrupted = false;
  options.interrupts?.begin();
  try {
    const randomAction = new Float32Array(actDim);
    // The loop is synchronous work; with `interrupts` it hands the host's event loop a turn every
    // ~100 ms so that signal handlers, the dashboard's watchers or a page's messages get to run.
    let lastYield = performance.now();
    const interrupts = options.interrupts;
    while (s.step < tc.steps) {
      if (interrupts) {
        if (performance.now() - lastYield > 100) {
          await interrupts.yieldTurn();
          lastYield = performance.now();
        }
        if (interrupts.requested()) {
          interrupted = true;
          break;
        }
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
      if ((tc.checkpointEvery > 0 && s.step % tc.checkpointEvery === 0) || s.step === tc.steps)
        snapshot();
      progress?.step(s.step);
    }
    if (interrupted) {
      const saved =
        store !== null &&
        ((tc.checkpointEvery > 0 && s.step % tc.checkpointEvery === 0) || s.step === tc.steps);
      if (!saved) snapshot();
      progress?.done();
      options.interrupts?.stopped(s.step);
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
    options.interrupts?.end();
    closeEnvs();
  }
  return {
    agent,
    algo,
    envId,
    seed,
    config,
    runDir: store?.location ?? null,
    steps: s.step,
    rows: writer.rows,
    lastEval,
    interrupted,
    predict: predictor(agent, train),
  };
}

/** A replay buffer of `capacity` transitions, or a one-line error saying why it cannot be allocated. */
function allocateBuffer(capacity: number, obsDim: number, actDim: number): ReplayBuffer {
  try {
    return new ReplayBuffer(capacity, obsDim, actDim);
  } catch (e) {
    const gb = (capacity * (2 * obsDim + actDim + 2) * 4) / 2 ** 30;
    throw new Error(
      `train.bufferSize ${capacity}: cannot allocate the replay buffer (${gb.toPrecision(3)} GiB of float32; ${(e as Error).message}); choose a smaller train.bufferSize`,
    );
  }
}

/** Resets the training env to the start of episode s.episode and replays its actions; returns the current observation. */
function replayEpisode(
  train: EnvStack,
  seed: number,
  s: LoopState,
  actions: number[],
  actDim: number,
): Float32Array {
  const norm = train.normalizer;
  if (norm && s.normalizer) {
    norm.loadState(s.normalizer);
    norm.update = false; // the replayed observations were already folded into the saved statistics
  }
  let [o] = train.env.reset({ seed: trainEpisodeSeed(seed, s.episode) });
  for (let t = 0; t < s.episodeStep; t++) {
    const [next, , terminated, truncated] = train.env.step(
      Float32Array.from(actions.slice(t * actDim, (t + 1) * actDim)),
    );
    if (terminated || truncated)
      throw new Error(
        `resume: the replayed episode ended after ${t + 1} of ${s.episodeStep} steps`,
      );
    o = next;
  }
  if (norm) norm.update = true;
  return Float32Array.from(o);
}
