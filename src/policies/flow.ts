/**
 * Flow policies (spec/RFM.md section 6): a velocity network v(t, y_t, s, T) on a latent y, sampled
 * by integrating dy/dt = v from y0 ~ N(0, I) over t in [tMin, 1 - tMin]; the action is tanh(y1).
 *
 * Network: [cond, y, emb(t), emb(T)] -> Dense H + GELU -> residual blocks h + gelu(Dense h)
 * -> Dense d. Orthogonal init (gain sqrt 2), as the reference.
 */
import {
  type Backend, type Rng, type Tensor,
  add, concat, randn, tensor, tidy, noGrad,
} from '../engine/index.ts';
import { Linear, Module, ResidualBlock, defaultBackend, sinusoidalEmbedding } from '../nn/index.ts';

export type Solver = 'euler' | 'heun';

export interface VelocityNetConfig {
  /** Dimension of the conditioning input (the state); 0 for an unconditional flow. */
  condDim: number;
  /** Latent (= action) dimension. */
  dim: number;
  hidden: number;
  residualBlocks: number;
  /** Size of each sinusoidal embedding (t, and T when conditioned on the temperature). */
  embedding: number;
  /** Condition on the temperature T too. */
  temperatureInput: boolean;
}

export class VelocityNet extends Module {
  readonly input: Linear;
  readonly blocks: ResidualBlock[];
  readonly output: Linear;
  constructor(readonly config: VelocityNetConfig, rng: Rng, backend?: Backend) {
    super();
    const be = defaultBackend(backend);
    const c = config;
    const inDim = c.condDim + c.dim + c.embedding * (c.temperatureInput ? 2 : 1);
    const o = { init: 'orthogonal' as const, gain: Math.SQRT2, backend: be };
    this.input = this.child('input', new Linear(inDim, c.hidden, rng, o));
    this.blocks = Array.from({ length: c.residualBlocks }, (_, i) => this.child(`block${i}`, new ResidualBlock(c.hidden, rng, 'gelu', o)));
    this.output = this.child('output', new Linear(c.hidden, c.dim, rng, o));
  }

  /** v for rows: cond [N, condDim] (or null), y [N, dim], t [N], temperature [N] (or null). */
  forward(cond: Tensor | null, y: Tensor, t: Tensor, temperature: Tensor | null): Tensor {
    const c = this.config;
    const parts = [y, sinusoidalEmbedding(t, c.embedding)];
    if (c.temperatureInput) {
      if (!temperature) throw new Error('VelocityNet: this network is conditioned on the temperature; pass it');
      parts.push(sinusoidalEmbedding(temperature, c.embedding));
    }
    const x = cond ? concat([cond, ...parts], 1) : concat(parts, 1);
    let h = this.input.forward(x, 'gelu');
    for (const b of this.blocks) h = b.forward(h);
    return this.output.forward(h);
  }
}

export interface SampleOptions {
  steps: number;
  tMin: number;
  solver?: Solver;
}

/** The time grid t_0 = tMin < ... < t_steps = 1 - tMin. */
export function timeGrid(steps: number, tMin: number): number[] {
  return Array.from({ length: steps + 1 }, (_, i) => tMin + ((1 - 2 * tMin) * i) / steps);
}

/**
 * Integrates the flow from y0 [N, dim] (noise) to y1, with no gradient; cond [N, condDim] or null,
 * temperature [N] or null. One integrator serves stochastic and greedy sampling alike: the caller
 * owns the noise y0.
 */
export function integrateFlow(net: VelocityNet, cond: Tensor | null, y0: Tensor, temperature: Tensor | null, opts: SampleOptions): Tensor {
  return noGrad(() => {
    const n = y0.shape[0];
    const ts = timeGrid(opts.steps, opts.tMin);
    const tAt = (v: number) => tensor(new Float32Array(n).fill(v), [n], y0.backend);
    let y = y0;
    for (let i = 0; i < opts.steps; i++) {
      const h = ts[i + 1] - ts[i];
      y = tidy(() => {
        const v = net.forward(cond, y, tAt(ts[i]), temperature);
        if (opts.solver === 'heun') {
          const yPred = add(y, v.mul(h));
          const v2 = net.forward(cond, yPred, tAt(ts[i + 1]), temperature);
          return add(y, add(v, v2).mul(h / 2));
        }
        return add(y, v.mul(h));
      });
    }
    return y;
  });
}

/** Draws y0 ~ N(0, I) for `n` rows and integrates; returns the latent endpoints [n, dim]. */
export function sampleFlow(net: VelocityNet, cond: Tensor | null, n: number, temperature: Tensor | null, opts: SampleOptions, rng: Rng): Tensor {
  const y0 = randn([n, net.config.dim], rng, defaultBackend(cond?.backend));
  return integrateFlow(net, cond, y0, temperature, opts);
}
