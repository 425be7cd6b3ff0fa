/**
 * Wrappers with Gymnasium's semantics, each with one purpose:
 *
 *   TimeLimit                 truncates an episode after N steps (truncated = true; terminated untouched)
 *   RescaleAction             the agent acts in [min, max]; the env receives the affine image in [low, high]
 *   ClipAction                clips actions into the env's bounds (its own action space is unbounded)
 *   RecordEpisodeStatistics   info.episode = { r, l, t } on the last step of every episode
 *   NormalizeObservation      running mean / variance normalisation, savable as JSON, freezable
 *
 * A wrapper forwards the spaces, `close()` and, when the inner env has them, `setState()` and
 * `getState()`; `unwrapped` is the innermost env. Nothing else is forwarded implicitly: reach a
 * task's own fields through `unwrapped` (or `unwrap(env)`).
 */
import {
  Box,
  assertValidAction,
  type Env,
  type Info,
  type ResetOptions,
  type StepResult,
} from './core.ts';

type AnyFn = (...args: any[]) => any;

/** Base class: passes everything through to `env`. Subclasses override what they change. */
export class Wrapper implements Env {
  readonly env: Env;
  /** Present when the inner env has `setState` (MuJoCo tasks, classic control). */
  readonly setState?: AnyFn;
  /** Present when the inner env has `getState`. */
  readonly getState?: AnyFn;

  constructor(env: Env) {
    if (!env || typeof env.step !== 'function' || typeof env.reset !== 'function') {
      throw new TypeError(`${new.target.name}: expected an Env, got ${String(env)}`);
    }
    this.env = env;
    const inner = env as Env & { setState?: unknown; getState?: unknown };
    if (typeof inner.setState === 'function') this.setState = (inner.setState as AnyFn).bind(inner);
    if (typeof inner.getState === 'function') this.getState = (inner.getState as AnyFn).bind(inner);
  }

  get id(): string {
    return this.env.id;
  }
  get observationSpace(): Box {
    return this.env.observationSpace;
  }
  get actionSpace(): Box {
    return this.env.actionSpace;
  }
  /** The innermost env. */
  get unwrapped(): Env {
    return unwrap(this.env);
  }
  reset(options?: ResetOptions): [Float64Array, Info] {
    return this.env.reset(options);
  }
  step(action: ArrayLike<number>): StepResult {
    return this.env.step(action);
  }
  close(): void {
    this.env.close();
  }
}

/** The innermost env of a wrapper stack (the env itself when it is not wrapped). */
export function unwrap(env: Env): Env {
  let e = env;
  while (e instanceof Wrapper) e = e.env;
  return e;
}

/** The first wrapper of class `cls` in the stack from `env` inward, or undefined. */
export function findWrapper<W extends Wrapper>(
  env: Env,
  cls: abstract new (...args: any[]) => W,
): W | undefined {
  let e: Env = env;
  while (e instanceof Wrapper) {
    if (e instanceof cls) return e;
    e = e.env;
  }
  return undefined;
}

/**
 * Cuts episodes at `maxEpisodeSteps`: the step that reaches the limit returns truncated = true
 * (with `terminated` whatever the env said; both can be true). The count restarts at reset.
 */
export class TimeLimit extends Wrapper {
  readonly maxEpisodeSteps: number;
  private elapsed = 0;

  constructor(env: Env, maxEpisodeSteps: number) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new RangeError(
        `TimeLimit(${env.id}): maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`,
      );
    }
    this.maxEpisodeSteps = maxEpisodeSteps;
  }

  /** Steps taken since the last reset. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  override reset(options?: ResetOptions): [Float64Array, Info] {
    this.elapsed = 0;
    return this.env.reset(options);
  }

  override step(action: ArrayLike<number>): StepResult {
    const [obs, reward, terminated, truncated, info] = this.env.step(action);
    this.elapsed++;
    return [obs, reward, terminated, truncated || this.elapsed >= this.maxEpisodeSteps, info];
  }
}

function bound(
  name: string,
  v: number | ArrayLike<number>,
  n: number,
  envId: string,
): Float64Array {
  const out = typeof v === 'number' ? new Float64Array(n).fill(v) : Float64Array.from(v);
  if (out.length !== n)
    throw new RangeError(
      `RescaleAction(${envId}): ${name} has length ${out.length}, expected ${n}`,
    );
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i]))
      throw new RangeError(`RescaleAction(${envId}): ${name}[${i}] must be finite`);
  }
  return out;
}

/**
 * The agent acts in the box [minAction, maxAction] (scalars or arrays); the env receives
 *   low + (high - low) (a - minAction) / (maxAction - minAction).
 * The env's bounds must be finite. The map is affine and does not clip: an action outside
 * [minAction, maxAction] maps outside [low, high], and the env (or a ClipAction below) decides.
 */
export class RescaleAction extends Wrapper {
  private readonly space: Box;
  private readonly scale: Float64Array;
  private readonly offset: Float64Array;

  constructor(
    env: Env,
    minAction: number | ArrayLike<number> = -1,
    maxAction: number | ArrayLike<number> = 1,
  ) {
    super(env);
    const { low, high } = env.actionSpace;
    const n = low.length;
    const lo = bound('minAction', minAction, n, env.id);
    const hi = bound('maxAction', maxAction, n, env.id);
    this.scale = new Float64Array(n);
    this.offset = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (!(lo[i] < hi[i]))
        throw new RangeError(`RescaleAction(${env.id}): minAction[${i}] must be < maxAction[${i}]`);
      if (!Number.isFinite(low[i]) || !Number.isFinite(high[i])) {
        throw new RangeError(
          `RescaleAction(${env.id}): the action space bound ${i} is infinite; cannot rescale`,
        );
      }
      this.scale[i] = (high[i] - low[i]) / (hi[i] - lo[i]);
      this.offset[i] = low[i] - lo[i] * this.scale[i];
    }
    this.space = new Box(lo, hi, env.actionSpace.shape);
  }

  override get actionSpace(): Box {
    return this.space;
  }

  /** The env's action for agent action `a` (a fresh array). */
  action(a: ArrayLike<number>): Float64Array {
    assertValidAction(this.id, this.space, a);
    const out = new Float64Array(this.scale.length);
    for (let i = 0; i < out.length; i++) out[i] = this.offset[i] + this.scale[i] * a[i];
    return out;
  }

  override step(action: ArrayLike<number>): StepResult {
    return this.env.step(this.action(action));
  }
}

/**
 * Clips each action element into the env's [low, high]. As in Gymnasium 1.x, this wrapper's own
 * action space is unbounded (any finite action is accepted). Wrong lengths and NaN are still errors.
 */
export class ClipAction extends Wrapper {
  private readonly space: Box;

  constructor(env: Env) {
    super(env);
    this.space = new Box(-Infinity, Infinity, env.actionSpace.shape);
  }

  override get actionSpace(): Box {
    return this.space;
  }

  override step(action: ArrayLike<number>): StepResult {
    assertValidAction(this.id, this.env.actionSpace, action);
    const { low, high } = this.env.actionSpace;
    const a = new Float64Array(action.length);
    for (let i = 0; i < a.length; i++) a[i] = Math.min(Math.max(action[i], low[i]), high[i]);
    return this.env.step(a);
  }
}

/** Statistics of one finished episode, as Gymnasium names them. */
export interface EpisodeStatistics {
  /** Return: the sum of rewards. */
  readonly r: number;
  /** Length in steps. */
  readonly l: number;
  /** Wall time since the reset, seconds. */
  readonly t: number;
}

/**
 * On the step that ends an episode (terminated or truncated), adds `info.episode = { r, l, t }`.
 * The last `bufferLength` returns and lengths are kept in `returnQueue` / `lengthQueue`.
 */
export class RecordEpisodeStatistics extends Wrapper {
  readonly bufferLength: number;
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];
  /** Episodes finished so far. */
  episodeCount = 0;
  private episodeReturn = 0;
  private episodeLength = 0;
  private startTime = performance.now();

  constructor(env: Env, bufferLength = 100) {
    super(env);
    if (!Number.isInteger(bufferLength) || bufferLength < 1) {
      throw new RangeError(
        `RecordEpisodeStatistics(${env.id}): bufferLength must be a positive integer`,
      );
    }
    this.bufferLength = bufferLength;
  }

  override reset(options?: ResetOptions): [Float64Array, Info] {
    const out = this.env.reset(options);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.startTime = performance.now();
    return out;
  }

  override step(action: ArrayLike<number>): StepResult {
    const [obs, reward, terminated, truncated, info] = this.env.step(action);
    this.episodeReturn += reward;
    this.episodeLength++;
    if (!(terminated || truncated)) return [obs, reward, terminated, truncated, info];
    if ('episode' in info)
      throw new Error(`RecordEpisodeStatistics(${this.id}): info already has an 'episode' key`);
    const episode: EpisodeStatistics = {
      r: this.episodeReturn,
      l: this.episodeLength,
      t: Math.round((performance.now() - this.startTime) * 1000) / 1e6,
    };
    this.push(this.returnQueue, episode.r);
    this.push(this.lengthQueue, episode.l);
    this.push(this.timeQueue, episode.t);
    this.episodeCount++;
    return [obs, reward, terminated, truncated, { ...info, episode }];
  }

  private push(q: number[], v: number): void {
    q.push(v);
    if (q.length > this.bufferLength) q.shift();
  }
}

/** Running statistics of NormalizeObservation; plain data, so JSON.stringify / JSON.parse round-trip it. */
export interface RunningMeanStdState {
  /** Number of observations folded in. */
  readonly count: number;
  readonly mean: number[];
  /** Population variance (divides by count). */
  readonly var: number[];
}

/**
 * Running mean and variance by the parallel (Chan et al.) update: merging a batch of size m with
 * mean mb and population variance vb into (n, mean, var):
 *   delta = mb - mean,  n' = n + m,  mean' = mean + delta m / n'
 *   var'  = (var n + vb m + delta^2 n m / n') / n'
 * With m = 1 this is Welford's update. Unlike Gymnasium (which starts from count = 1e-4, var = 1),
 * the statistics start empty, so they equal the exact mean and variance of what was seen.
 */
export class RunningMeanStd {
  count = 0;
  readonly mean: Float64Array;
  readonly var: Float64Array;

  constructor(size: number) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
  }

  /** Folds in one observation. */
  update(x: ArrayLike<number>): void {
    this.updateBatch(x, 1);
  }

  /** Folds in `m` observations laid out row-major in `xs` ([m, size]). */
  updateBatch(xs: ArrayLike<number>, m: number): void {
    const d = this.mean.length;
    if (xs.length !== m * d)
      throw new RangeError(`RunningMeanStd: batch has ${xs.length} values, expected ${m} x ${d}`);
    if (m === 0) return;
    const n = this.count;
    const total = n + m;
    for (let j = 0; j < d; j++) {
      let mb = 0;
      for (let i = 0; i < m; i++) mb += xs[i * d + j];
      mb /= m;
      let vb = 0;
      for (let i = 0; i < m; i++) vb += (xs[i * d + j] - mb) ** 2;
      vb /= m;
      const delta = mb - this.mean[j];
      const oldVar = n === 0 ? 0 : this.var[j];
      this.mean[j] += (delta * m) / total;
      this.var[j] = (oldVar * n + vb * m + (delta * delta * n * m) / total) / total;
    }
    this.count = total;
  }

  state(): RunningMeanStdState {
    return { count: this.count, mean: Array.from(this.mean), var: Array.from(this.var) };
  }

  loadState(s: RunningMeanStdState): void {
    const d = this.mean.length;
    if (
      !s ||
      !Array.isArray(s.mean) ||
      !Array.isArray(s.var) ||
      s.mean.length !== d ||
      s.var.length !== d
    ) {
      throw new Error(`RunningMeanStd.loadState: expected mean and var of length ${d}`);
    }
    if (!(Number.isFinite(s.count) && s.count >= 0))
      throw new Error(`RunningMeanStd.loadState: bad count ${s.count}`);
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(s.mean[j]) || !(s.var[j] >= 0)) {
        throw new Error(
          `RunningMeanStd.loadState: element ${j} is not a finite mean / non-negative variance`,
        );
      }
    }
    this.count = s.count;
    this.mean.set(s.mean);
    this.var.set(s.var);
  }
}

export interface NormalizeObservationOptions {
  /** Added to the variance under the square root; default 1e-8 (Gymnasium's). */
  epsilon?: number;
  /** Clip normalised observations to [-clip, clip]; default: no clipping (SB3's VecNormalize uses 10). */
  clip?: number;
  /** Whether observations update the statistics; default true. Set false to freeze them for evaluation. */
  update?: boolean;
}

/**
 * Returns (obs - mean) / sqrt(var + epsilon), optionally clipped, with mean and var the running
 * statistics of every observation seen (from reset and step), each folded in before it is
 * normalised. `update = false` freezes the statistics; `state()` / `loadState()` save and restore
 * them as JSON-able data. The observation space becomes unbounded (or [-clip, clip]).
 */
export class NormalizeObservation extends Wrapper {
  readonly epsilon: number;
  readonly clip: number;
  /** When false the statistics are frozen (evaluation). */
  update: boolean;
  readonly rms: RunningMeanStd;
  private readonly space: Box;

  constructor(env: Env, options: NormalizeObservationOptions = {}) {
    super(env);
    this.epsilon = options.epsilon ?? 1e-8;
    this.clip = options.clip ?? Infinity;
    this.update = options.update ?? true;
    if (!(this.epsilon >= 0))
      throw new RangeError(`NormalizeObservation(${env.id}): epsilon must be >= 0`);
    if (!(this.clip > 0)) throw new RangeError(`NormalizeObservation(${env.id}): clip must be > 0`);
    const size = env.observationSpace.size;
    this.rms = new RunningMeanStd(size);
    this.space = new Box(-this.clip, this.clip, env.observationSpace.shape);
  }

  override get observationSpace(): Box {
    return this.space;
  }

  override reset(options?: ResetOptions): [Float64Array, Info] {
    const [obs, info] = this.env.reset(options);
    return [this.observation(obs), info];
  }

  override step(action: ArrayLike<number>): StepResult {
    const [obs, reward, terminated, truncated, info] = this.env.step(action);
    return [this.observation(obs), reward, terminated, truncated, info];
  }

  /** Folds `obs` into the statistics (when `update`) and returns it normalised (a fresh array). */
  observation(obs: ArrayLike<number>): Float64Array {
    if (this.update) this.rms.update(obs);
    return this.normalize(obs);
  }

  /** Normalises with the current statistics, without updating them. */
  normalize(obs: ArrayLike<number>): Float64Array {
    const { mean } = this.rms;
    const v = this.rms.var;
    const out = new Float64Array(obs.length);
    for (let i = 0; i < out.length; i++) {
      const z = (obs[i] - mean[i]) / Math.sqrt(v[i] + this.epsilon);
      out[i] = Math.min(Math.max(z, -this.clip), this.clip);
    }
    return out;
  }

  state(): RunningMeanStdState {
    return this.rms.state();
  }

  loadState(s: RunningMeanStdState): void {
    this.rms.loadState(s);
  }
}
