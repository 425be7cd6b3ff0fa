/**
 * Optimisers with explicit, savable state: Adam and AdamW (decoupled weight decay), with
 * optional global gradient-norm clipping folded into the fused update, and Polyak averaging.
 *
 *   g <- g * min(1, maxGradNorm / ||g||)      (||g||: norm over all parameters together)
 *   m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
 *   p <- p - lr ( m / (1 - b1^k) / (sqrt(v / (1 - b2^k)) + eps) + wd p )
 */
import type { Tensor } from '../engine/index.ts';
import { full } from '../engine/index.ts';

export interface AdamConfig {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW). 0 gives Adam. */
  weightDecay?: number;
  /** Clip the global gradient norm to this value (Infinity: no clipping). */
  maxGradNorm?: number;
}

export interface AdamState {
  readonly count: number;
  /** First and second moments per parameter, in the order of the parameter list. */
  readonly mu: Float32Array[];
  readonly nu: Float32Array[];
}

/** Global L2 norm of the gradients of `params` (parameters without a gradient count as 0). */
export function globalGradNorm(params: readonly Tensor[]): number {
  let s = 0;
  for (const p of params) if (p.grad) s += p.backend.sumSquares(p.grad.storage);
  return Math.sqrt(s);
}

export class Adam {
  readonly params: readonly Tensor[];
  readonly config: Required<AdamConfig>;
  private count = 0;
  private readonly m: Tensor[];
  private readonly v: Tensor[];
  /** Global gradient norm before clipping, from the last step. */
  lastGradNorm = 0;

  constructor(params: readonly Tensor[], config: AdamConfig) {
    this.params = params;
    this.config = {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      maxGradNorm: Infinity,
      ...config,
    };
    const c = this.config;
    if (
      !(c.lr > 0) ||
      !(c.beta1 >= 0 && c.beta1 < 1) ||
      !(c.beta2 >= 0 && c.beta2 < 1) ||
      !(c.eps > 0) ||
      !(c.maxGradNorm > 0)
    ) {
      throw new Error(`Adam: invalid config ${JSON.stringify(config)}`);
    }
    const be = params[0]?.backend;
    const other = params.find((p) => p.backend !== be);
    if (other)
      throw new Error(
        `Adam: the parameters live on two backends ('${be!.name}' and '${other.backend.name}'); one optimiser per backend`,
      );
    this.m = params.map((p) => full(p.shape, 0, p.backend).keep());
    this.v = params.map((p) => full(p.shape, 0, p.backend).keep());
  }

  /** One update from the parameters' accumulated gradients; then clears them. Returns the pre-clip norm. */
  step(): number {
    const c = this.config;
    this.count++;
    const p = {
      lr: c.lr,
      beta1: c.beta1,
      beta2: c.beta2,
      eps: c.eps,
      weightDecay: c.weightDecay,
      biasCorrection1: 1 - c.beta1 ** this.count,
      biasCorrection2: 1 - c.beta2 ** this.count,
    };
    const be = this.params[0]?.backend;
    // one call for the whole list: global norm, clipping, the Adam step, zeroed gradients
    const norm = be
      ? be.adamMulti(
          this.params.map((q) => q.storage),
          this.params.map((q) => q.grad?.storage ?? null),
          this.m.map((t) => t.storage),
          this.v.map((t) => t.storage),
          p,
          c.maxGradNorm,
        )
      : 0;
    this.lastGradNorm = norm;
    return norm;
  }

  zeroGrad(): void {
    for (const p of this.params) if (p.grad) p.backend.fill(p.grad.storage, 0);
  }

  state(): AdamState {
    return {
      count: this.count,
      mu: this.m.map((t) => t.toArray()),
      nu: this.v.map((t) => t.toArray()),
    };
  }
  loadState(s: AdamState): void {
    if (s.mu.length !== this.m.length || s.nu.length !== this.v.length) {
      throw new Error(
        `Adam.loadState: state for ${s.mu.length} parameters, optimiser has ${this.m.length}`,
      );
    }
    this.count = s.count;
    s.mu.forEach((a, i) => this.m[i].backend.write(this.m[i].storage, a));
    s.nu.forEach((a, i) => this.v[i].backend.write(this.v[i].storage, a));
  }
}

/** target <- tau * online + (1 - tau) * target, parameter by parameter (same order and shapes). */
export function polyakUpdate(
  target: readonly Tensor[],
  online: readonly Tensor[],
  tau: number,
): void {
  if (target.length !== online.length)
    throw new Error(`polyakUpdate: ${target.length} target vs ${online.length} online parameters`);
  target.forEach((t, i) => {
    const o = online[i];
    if (o.size !== t.size)
      throw new Error(`polyakUpdate: parameter ${i} sizes differ (${t.size} vs ${o.size})`);
    if (o.backend !== t.backend)
      throw new Error(
        `polyakUpdate: parameter ${i} lives on two backends ('${t.backend.name}' and '${o.backend.name}')`,
      );
  });
  const be = target[0]?.backend;
  if (!be) return;
  if (target.every((t) => t.backend === be)) {
    be.polyakMulti(
      target.map((t) => t.storage),
      online.map((o) => o.storage),
      tau,
    );
    return;
  }
  target.forEach((t, i) => t.backend.polyakMulti([t.storage], [online[i].storage], tau));
}
