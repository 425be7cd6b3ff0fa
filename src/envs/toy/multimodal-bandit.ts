/**
 * MultimodalBandit-v0: a one-step task whose reward has several equally good modes, so a policy
 * that can represent multimodal action distributions (a flow or diffusion policy) can put mass on
 * all of them, while a unimodal Gaussian has to pick one or average them (and averaging lands
 * between the modes, where the reward is ~0).
 *
 *   modes   mu_k = (±c, ..., ±c) in [-1, 1]^d     (all 2^d sign patterns; c = 0.5 by default)
 *   reward  r(a) = max_k exp(-||a - mu_k||^2 / (2 sigma^2))  (+ optional N(0, noiseStd^2) noise)
 *
 * Taking the max of the bumps (not their sum) makes every mode an exact optimum with reward 1.
 * Observation: the constant [1] (dimension `obsDim`, default 1). Every step terminates.
 */
import {
  Box,
  assertKnownOptions,
  assertValidAction,
  type Env,
  type Info,
  type ResetOptions,
  type StepResult,
} from '../core.ts';
import { envRng, type Rng } from '../seeding.ts';

export interface MultimodalBanditOptions {
  /** Action dimension d (modes: 2^d); default 2. */
  dim?: number;
  /** Mode offset c: modes at (±c, ..., ±c); default 0.5. */
  center?: number;
  /** Width of each bump; default 0.1. */
  sigma?: number;
  /** Standard deviation of Gaussian reward noise; default 0 (deterministic reward). */
  noiseStd?: number;
  /** Size of the constant observation; default 1. */
  obsDim?: number;
}

const KNOWN = ['dim', 'center', 'sigma', 'noiseStd', 'obsDim'];
const DEFAULTS = { dim: 2, center: 0.5, sigma: 0.1, noiseStd: 0, obsDim: 1 } as const;

function resolve(options: MultimodalBanditOptions = {}): Required<MultimodalBanditOptions> {
  assertKnownOptions('MultimodalBandit-v0', options, KNOWN);
  const o = { ...DEFAULTS, ...options };
  if (!Number.isInteger(o.dim) || o.dim < 1 || o.dim > 16) {
    throw new Error(`MultimodalBandit-v0: dim must be an integer in [1, 16], got ${o.dim}`);
  }
  if (!(o.center > 0 && o.center <= 1))
    throw new Error(`MultimodalBandit-v0: center must be in (0, 1], got ${o.center}`);
  if (!(o.sigma > 0)) throw new Error(`MultimodalBandit-v0: sigma must be > 0, got ${o.sigma}`);
  if (!(o.noiseStd >= 0))
    throw new Error(`MultimodalBandit-v0: noiseStd must be >= 0, got ${o.noiseStd}`);
  if (!Number.isInteger(o.obsDim) || o.obsDim < 1) {
    throw new Error(`MultimodalBandit-v0: obsDim must be a positive integer, got ${o.obsDim}`);
  }
  return o;
}

/** The optimal actions (the modes), 2^dim of them, in sign-pattern order (bit j set: coordinate j negative). */
export function optimalActions(options: MultimodalBanditOptions = {}): Float64Array[] {
  const { dim, center } = resolve(options);
  const out: Float64Array[] = [];
  for (let k = 0; k < 2 ** dim; k++) {
    const mu = new Float64Array(dim);
    for (let j = 0; j < dim; j++) mu[j] = (k >> j) & 1 ? -center : center;
    out.push(mu);
  }
  return out;
}

/** The best expected return of one episode: 1 (the peak of each bump; the noise has mean 0). */
export function optimalReturn(_options: MultimodalBanditOptions = {}): number {
  return 1;
}

/** The noiseless reward of `action`: the highest of the bumps (each mode is then an exact optimum). */
export function banditReward(
  action: ArrayLike<number>,
  options: MultimodalBanditOptions = {},
): number {
  const { dim, center, sigma } = resolve(options);
  if (action.length !== dim)
    throw new Error(`MultimodalBandit-v0: action has length ${action.length}, expected ${dim}`);
  // The nearest mode is the one with the sign of each coordinate (ties at 0 are equidistant).
  let d2 = 0;
  for (let j = 0; j < dim; j++) {
    const diff = Math.abs(action[j]) - center;
    d2 += diff * diff;
  }
  return Math.exp(-d2 / (2 * sigma * sigma));
}

export class MultimodalBanditEnv implements Env {
  readonly id = 'MultimodalBandit-v0';
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  readonly options: Readonly<Required<MultimodalBanditOptions>>;
  private rng: Rng | undefined;

  constructor(options: MultimodalBanditOptions = {}) {
    this.options = resolve(options);
    this.observationSpace = new Box(1, 1, [this.options.obsDim]);
    this.actionSpace = new Box(-1, 1, [this.options.dim]);
  }

  reset(options: ResetOptions = {}): [Float64Array, Info] {
    if (options.seed !== undefined || !this.rng) this.rng = envRng(options.seed);
    return [new Float64Array(this.options.obsDim).fill(1), {}];
  }

  step(action: ArrayLike<number>): StepResult {
    assertValidAction(this.id, this.actionSpace, action);
    if (!this.rng) throw new Error('MultimodalBandit-v0: step() called before reset()');
    const clean = banditReward(action, this.options);
    const noise = this.options.noiseStd > 0 ? this.options.noiseStd * this.rng.normal() : 0;
    return [
      new Float64Array(this.options.obsDim).fill(1),
      clean + noise,
      true,
      false,
      { rewardClean: clean },
    ];
  }

  close(): void {}
}
