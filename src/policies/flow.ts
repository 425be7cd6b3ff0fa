/**
 * Flow policies (spec/RFM.md section 6): a velocity network v(t, y_t, s, T) on a latent y, sampled
 * by integrating dy/dt = v from y0 ~ N(0, I) over t in [tMin, 1 - tMin]; the action is tanh(y1).
 *
 * Network: [cond, y, emb(t), emb(T)] -> Dense H + GELU -> residual blocks h + gelu(Dense h)
 * -> Dense d. Orthogonal init (gain sqrt 2), as the reference.
 */
import {
  type Backend,
  type Rng,
  type Tensor,
  type MlpLayer,
  add,
  concat,
  detach,
  expand,
  linear,
  mlpEuler,
  mlpForward,
  mul,
  randn,
  reshape,
  slice,
  tensor,
  tidy,
  noGrad,
} from '../engine/index.ts';
import {
  Linear,
  Module,
  ResidualBlock,
  defaultBackend,
  fixedSinusoidalEmbedding,
  mseGradients,
  sinusoidalEmbedding,
} from '../nn/index.ts';

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
  constructor(
    readonly config: VelocityNetConfig,
    rng: Rng,
    backend?: Backend,
  ) {
    super();
    const be = defaultBackend(backend);
    const c = config;
    const inDim = c.condDim + c.dim + c.embedding * (c.temperatureInput ? 2 : 1);
    const o = { init: 'orthogonal' as const, gain: Math.SQRT2, backend: be };
    this.input = this.child('input', new Linear(inDim, c.hidden, rng, o));
    this.blocks = Array.from({ length: c.residualBlocks }, (_, i) =>
      this.child(`block${i}`, new ResidualBlock(c.hidden, rng, 'gelu', o)),
    );
    this.output = this.child('output', new Linear(c.hidden, c.dim, rng, o));
  }

  /**
   * v for rows: cond [N, condDim] (or null), y [N, dim], t [N], temperature [N], or one value for
   * every row, or null.
   */
  forward(cond: Tensor | null, y: Tensor, t: Tensor, temperature: Tensor | number | null): Tensor {
    let h = this.input.forward(this.inputRows(cond, y, t, temperature), 'gelu');
    for (const b of this.blocks) h = b.forward(h);
    return this.output.forward(h);
  }

  /** The network as a chain of layers (input GELU, residual GELU blocks, linear output). */
  chain(): MlpLayer[] {
    return [
      { weight: this.input.weight, bias: this.input.bias, act: 'gelu' },
      ...this.blocks.map((b) => ({
        weight: b.dense.weight,
        bias: b.dense.bias,
        act: b.activation,
        residual: true,
      })),
      { weight: this.output.weight, bias: this.output.bias, act: 'none' as const },
    ];
  }

  /**
   * The regression loss mean((forward(...) - target)^2) with its parameter gradients accumulated
   * in one backend call (nn/regression.ts); null where the backend cannot (then compose it).
   */
  mseGradients(
    cond: Tensor | null,
    y: Tensor,
    t: Tensor,
    temperature: Tensor | number | null,
    target: Tensor,
  ): number | null {
    if (!y.backend.mlpMseGrads) return null;
    return noGrad(() =>
      tidy(() => mseGradients(this.chain(), this.inputRows(cond, y, t, temperature), target)),
    );
  }

  /**
   * The first layer's input rows [cond, y, emb(t), emb(T)]; one temperature for every row has its
   * embedding made once (the same numbers as per row).
   */
  private inputRows(
    cond: Tensor | null,
    y: Tensor,
    t: Tensor,
    temperature: Tensor | number | null,
  ): Tensor {
    const c = this.config;
    const E = c.embedding;
    const parts = [y, sinusoidalEmbedding(t, E)];
    if (c.temperatureInput) {
      if (temperature === null)
        throw new Error('VelocityNet: this network is conditioned on the temperature; pass it');
      parts.push(
        typeof temperature === 'number'
          ? expand(fixedSinusoidalEmbedding([temperature], E, y.backend), [y.shape[0], E])
          : sinusoidalEmbedding(temperature, E),
      );
    }
    return cond ? concat([cond, ...parts], 1) : concat(parts, 1);
  }
}

/**
 * The network for sampling many particles of the same B conditions, as a chain of layers whose
 * first layer takes a bias per condition and time. Exploits the first layer's linearity,
 *   W [cond, y, e(t), e(T)] + bias = (W_c cond + W_T e(T)) + W_y y + (W_t e(t) + bias),
 * computing the condition's part once (not per particle and Euler step) and the time's part once
 * per time (not per row). `biasAt(ts)` gives the first layer's bias at times ts, [S, B, H].
 */
function particleChain(
  net: VelocityNet,
  cond: Tensor | null,
  temperature: number | null,
): { B: number; layers: MlpLayer[]; biasAt: (ts: readonly number[]) => Tensor } {
  const c = net.config;
  const W = net.input.weight; // [H, condDim + dim + E (+ E)]
  const H = c.hidden;
  const o = c.condDim;
  const E = c.embedding;
  const be = W.backend;
  const Wy = slice(W, 1, o, o + c.dim);
  const Wt = slice(W, 1, o + c.dim, o + c.dim + E);
  let condPart: Tensor | null = null; // [B, H]
  if (cond || c.temperatureInput) {
    condPart = tidy(() => {
      let part: Tensor | null = cond && o > 0 ? linear(cond, slice(W, 1, 0, o), null) : null; // [B, H]
      if (c.temperatureInput) {
        if (temperature === null)
          throw new Error(
            'particleVelocity: this network is conditioned on the temperature; pass it',
          );
        const eT = fixedSinusoidalEmbedding([temperature], E, be);
        const tPart = linear(eT, slice(W, 1, o + c.dim + E, o + c.dim + 2 * E), null); // [1, H]
        part = part ? add(part, tPart) : tPart;
      }
      return reshape(part!, [-1, H]);
    });
  }
  const B = condPart ? condPart.shape[0] : 1;
  const biasAt = (ts: readonly number[]): Tensor => {
    const tb = linear(fixedSinusoidalEmbedding(ts, E, be), Wt, net.input.bias); // [S, H]
    return condPart
      ? add(reshape(condPart, [1, B, H]), reshape(tb, [ts.length, 1, H]))
      : reshape(tb, [ts.length, 1, H]);
  };
  const layers: MlpLayer[] = [
    { weight: Wy, bias: null, act: 'gelu' },
    ...net.blocks.map((b) => ({
      weight: b.dense.weight,
      bias: b.dense.bias,
      act: b.activation,
      residual: true,
    })),
    { weight: net.output.weight, bias: net.output.bias, act: 'none' as const },
  ];
  return { B, layers, biasAt };
}

/**
 * v(t, y) for y [B*P, dim] whose rows b*P .. b*P+P-1 belong to condition b (see particleChain).
 * The result equals `forward` up to float rounding. `times`: the time grid, whose biases are
 * made once. Call it inside a tidy() scope: the precomputed parts live until that scope ends.
 */
export function particleVelocity(
  net: VelocityNet,
  cond: Tensor | null,
  particles: number,
  temperature: number | null,
  times?: readonly number[],
): (y: Tensor, t: number) => Tensor {
  const H = net.config.hidden;
  const { B, layers, biasAt } = particleChain(net, cond, temperature);
  // the time grid's biases, once for all steps
  const grid = times && times.length > 0 ? biasAt(times) : null;
  return (y: Tensor, t: number) => {
    const n = y.shape[0];
    if (B * particles !== n && B !== 1)
      throw new Error(`particleVelocity: ${n} rows for ${B} conditions x ${particles} particles`);
    const i = times ? times.indexOf(t) : -1;
    const all = grid && i >= 0 ? slice(grid, 0, i, i + 1) : biasAt([t]);
    const bias = B === 1 ? reshape(all, [H]) : reshape(all, [B, H]);
    // the whole network in one chain (one fused kernel when sampling without gradients)
    return mlpForward(y, [{ ...layers[0], bias }, ...layers.slice(1)]);
  };
}

/**
 * Euler integration of the particles y0 [B*P, dim] (rows b*P .. b*P+P-1 belong to condition b)
 * over the time grid `times`, with no gradient: y += (t_{k+1} - t_k) v(t_k, y). The same numbers
 * as stepping with particleVelocity; the backend makes all steps in one kernel (mlpEuler).
 */
export function integrateParticles(
  net: VelocityNet,
  cond: Tensor | null,
  y0: Tensor,
  temperature: number | null,
  times: readonly number[],
): Tensor {
  return noGrad(() =>
    tidy(() => {
      const H = net.config.hidden;
      const { B, layers, biasAt } = particleChain(net, cond, temperature);
      const n = y0.shape[0];
      if (B !== 1 && n % B !== 0)
        throw new Error(`integrateParticles: ${n} rows do not split among ${B} conditions`);
      const K = times.length - 1;
      if (K < 1) return detach(y0);
      // the whole grid's biases (as particleVelocity makes them: the same numbers), the last unused
      const grid = slice(biasAt(times), 0, 0, K); // [K, B, H]
      const h = new Array<number>(K);
      for (let k = 0; k < K; k++) h[k] = times[k + 1] - times[k];
      return mlpEuler(y0, layers, B === 1 ? reshape(grid, [K, H]) : grid, h);
    }),
  );
}

export interface SampleOptions {
  steps: number;
  tMin: number;
  solver?: Solver;
}

/** The time grid t_0 = tMin < ... < t_steps = 1 - tMin. */
export function timeGrid(steps: number, tMin: number): number[] {
  const ts = new Array<number>(steps + 1);
  for (let i = 0; i <= steps; i++) ts[i] = tMin + ((1 - 2 * tMin) * i) / steps;
  return ts;
}

/** A velocity field v(y, t) for rows y [N, dim] at one time t. */
export type VelocityField = (y: Tensor, t: number) => Tensor;

/**
 * The one Euler / Heun integrator of the library, with no gradient: from y0 [N, dim] over the
 * time grid `times` (t_0 < ... < t_K), h_k = t_{k+1} - t_k,
 *
 *   Euler: y <- y + h_k v(y, t_k)
 *   Heun:  y <- y + h_k (v(y, t_k) + v(y + h_k v(y, t_k), t_{k+1})) / 2
 *
 * integrateParticles makes the Euler steps in one backend call for a VelocityNet; it draws no
 * noise, so both paths give the same numbers from the same y0.
 */
export function integrate(
  v: VelocityField,
  y0: Tensor,
  times: readonly number[],
  solver: Solver = 'euler',
): Tensor {
  return noGrad(() => {
    let y = y0;
    for (let k = 0; k + 1 < times.length; k++) {
      const h = times[k + 1] - times[k];
      const next = tidy(() => {
        const v0 = v(y, times[k]);
        if (solver === 'heun') {
          const v1 = v(add(y, mul(v0, h)), times[k + 1]);
          return add(y, mul(add(v0, v1), h / 2));
        }
        return add(y, mul(v0, h));
      });
      if (y !== y0) y.dispose();
      y = next;
    }
    return y;
  });
}

/**
 * Integrates the flow from y0 [N, dim] (noise) to y1, with no gradient; cond [N, condDim] or null,
 * temperature [N] or null. One integrator serves stochastic and greedy sampling alike: the caller
 * owns the noise y0.
 */
export function integrateFlow(
  net: VelocityNet,
  cond: Tensor | null,
  y0: Tensor,
  temperature: Tensor | null,
  opts: SampleOptions,
): Tensor {
  const n = y0.shape[0];
  const tAt = (v: number) => tensor(new Float32Array(n).fill(v), [n], y0.backend);
  return integrate(
    (y, t) => net.forward(cond, y, tAt(t), temperature),
    y0,
    timeGrid(opts.steps, opts.tMin),
    opts.solver,
  );
}

/** Draws y0 ~ N(0, I) for `n` rows and integrates; returns the latent endpoints [n, dim]. */
export function sampleFlow(
  net: VelocityNet,
  cond: Tensor | null,
  n: number,
  temperature: Tensor | null,
  opts: SampleOptions,
  rng: Rng,
): Tensor {
  const y0 = randn([n, net.config.dim], rng, defaultBackend(cond?.backend));
  return integrateFlow(net, cond, y0, temperature, opts);
}
