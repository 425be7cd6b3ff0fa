/**
 * The environment contract, with Gymnasium's semantics:
 *   reset({ seed }) -> [obs, info]
 *   step(action)    -> [obs, reward, terminated, truncated, info]
 * `terminated` means the MDP reached a terminal state (no bootstrapping past it);
 * `truncated` means the episode was cut short (time limit): the TD target still bootstraps.
 */

import { envRng, type Rng } from './seeding.ts';

/** A box in R^n: every element of a point lies in [low[i], high[i]] (bounds may be infinite). */
export class Box {
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly shape: readonly number[];
  constructor(
    low: ArrayLike<number> | number,
    high: ArrayLike<number> | number,
    shape?: readonly number[],
  ) {
    const n = shape
      ? shape.reduce((a, b) => a * b, 1)
      : typeof low === 'number'
        ? typeof high === 'number'
          ? 1
          : high.length
        : low.length;
    this.shape = shape ?? [n];
    this.low = typeof low === 'number' ? new Float64Array(n).fill(low) : Float64Array.from(low);
    this.high = typeof high === 'number' ? new Float64Array(n).fill(high) : Float64Array.from(high);
    if (this.low.length !== n || this.high.length !== n) {
      throw new Error(
        `Box: bounds of length ${this.low.length}/${this.high.length} do not match shape [${this.shape}]`,
      );
    }
    for (let i = 0; i < n; i++) {
      if (!(this.low[i] <= this.high[i]))
        throw new Error(`Box: low[${i}]=${this.low[i]} > high[${i}]=${this.high[i]}`);
    }
  }
  /** Number of elements. */
  get size(): number {
    return this.low.length;
  }
  contains(x: ArrayLike<number>): boolean {
    if (x.length !== this.size) return false;
    for (let i = 0; i < x.length; i++)
      if (!(x[i] >= this.low[i] && x[i] <= this.high[i])) return false;
    return true;
  }

  /** Element type of the points: every environment here produces Float64Array observations. */
  readonly dtype = 'float64' as const;

  private rng: Rng | undefined;

  /**
   * Seeds `sample()` (Gymnasium's `space.seed`): the same seed gives the same samples. Without a
   * seed the generator takes an OS-random key. Returns the space.
   */
  seed(seed?: number): this {
    this.rng = envRng(seed);
    return this;
  }

  /**
   * A random point of the box, as Gymnasium samples: uniform on [low, high] where both bounds are
   * finite, low + Exp(1) or high - Exp(1) where one is, N(0, 1) where neither is. An unseeded
   * space seeds itself from the OS on first use (call `seed(s)` for reproducible samples).
   */
  sample(): Float64Array {
    this.rng ??= envRng();
    const out = new Float64Array(this.size);
    for (let i = 0; i < out.length; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      const u = this.rng.uniform();
      if (Number.isFinite(lo) && Number.isFinite(hi)) out[i] = lo + (hi - lo) * u;
      else if (Number.isFinite(lo)) out[i] = lo - Math.log1p(-u);
      else if (Number.isFinite(hi)) out[i] = hi + Math.log1p(-u);
      else out[i] = this.rng.normal();
    }
    return out;
  }
}

/** Extra, environment-specific values returned by reset and step. */
export type Info = Record<string, unknown>;
/** What Env.step returns: [observation, reward, terminated, truncated, info]. */
export type StepResult = [
  obs: Float64Array,
  reward: number,
  terminated: boolean,
  truncated: boolean,
  info: Info,
];

/** Options of Env.reset: a seed makes the episode reproducible. */
export interface ResetOptions {
  /** Seeds the environment's generator; later resets without a seed continue its stream. */
  seed?: number;
}

/** An environment with Gymnasium's API: reset({ seed }) gives [obs, info], step(action) gives [obs, reward, terminated, truncated, info]. */
export interface Env {
  readonly id: string;
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  reset(options?: ResetOptions): [obs: Float64Array, info: Info];
  step(action: ArrayLike<number>): StepResult;
  close(): void;
}

/** How the registry builds an environment. Each task family exports a list of these. */
export interface EnvSpec {
  /** Registered id, e.g. 'HalfCheetah-v5' or 'cheetah-run'. */
  readonly id: string;
  readonly family: 'classic' | 'gymnasium-mujoco' | 'dmc' | 'toy';
  /** Episode length enforced by the TimeLimit wrapper (truncation); undefined: no limit. */
  readonly maxEpisodeSteps?: number;
  /** One line for `rfm envs list`. */
  readonly summary: string;
  /** Builds the bare environment (no wrappers). Async because MuJoCo's wasm module loads asynchronously. */
  make(options?: Record<string, unknown>): Promise<Env>;
}

/**
 * Checks an action before an environment uses it: a wrong length or a non-finite element is an
 * Error that names the environment. Nothing is clipped here; bounds are each task's business
 * (most tasks clip to their published limits as part of their equations).
 */
export function assertValidAction(envId: string, space: Box, action: ArrayLike<number>): void {
  if (action == null || typeof action.length !== 'number') {
    throw new Error(
      `${envId}: action must be an array of ${space.size} numbers, got ${String(action)}`,
    );
  }
  if (action.length !== space.size) {
    throw new Error(`${envId}: action has length ${action.length}, expected ${space.size}`);
  }
  for (let i = 0; i < action.length; i++) {
    const v = action[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(
        `${envId}: action[${i}] is ${String(v)}; every element must be a finite number`,
      );
    }
  }
}

/** Throws an Error naming the env when `options` has a key outside `known` (a typo must not pass silently). */
export function assertKnownOptions(
  envId: string,
  options: object | undefined,
  known: readonly string[],
): void {
  if (!options) return;
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      throw new Error(`${envId}: unknown option '${k}' (known: ${known.join(', ') || 'none'})`);
    }
  }
}

/** The error for `step()` before the first `reset()` (every task uses this wording). */
export function stepBeforeResetError(envId: string): Error {
  return new Error(`${envId}: step() called before reset()`);
}

/** The error for `step()` after a step returned terminated, without a `reset()` in between. */
export function stepAfterEndError(envId: string): Error {
  return new Error(
    `${envId}: step() called after the episode ended (terminated); call reset() first`,
  );
}

/**
 * Checks `reset()`'s options: only the keys in `known` (default just 'seed'), and a seed, when
 * given, a non-negative safe integer. Throws an Error naming the env otherwise.
 */
export function assertResetOptions(
  envId: string,
  options: ResetOptions | undefined,
  known: readonly string[] = ['seed'],
): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') {
    throw new Error(
      `${envId}: reset options must be an object such as { seed: 0 }, got ${String(options)}`,
    );
  }
  assertKnownOptions(envId, options, known);
  const seed = (options as { seed?: unknown }).seed;
  if (
    seed !== undefined &&
    !(typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0)
  ) {
    throw new Error(`${envId}: seed must be a non-negative safe integer, got ${String(seed)}`);
  }
}
