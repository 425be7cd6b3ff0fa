/** Layers: Linear, MLP, residual block, LayerNorm, sinusoidal embedding. */
import {
  type Activation,
  type Backend,
  type MlpLayer,
  type Rng,
  type Tensor,
  add,
  concat,
  cos,
  linear,
  mlpForward,
  slice,
  mean,
  mul,
  noGrad,
  reshape,
  sin,
  sub,
  square,
  tensor,
  tidy,
  unary,
  zeros,
  ones,
} from '../engine/index.ts';
import { lecunNormal, orthogonal, torchUniform, type InitName } from './init.ts';
import { Module, defaultBackend } from './module.ts';

export interface LinearOptions {
  bias?: boolean;
  /** 'torch' (default, PyTorch's), 'lecun' (flax's), 'orthogonal' (with `gain`). Biases start at 0 except for 'torch'. */
  init?: InitName;
  gain?: number;
  backend?: Backend;
}

/** y = act(x W^T + b), W [out, in] (PyTorch layout). */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    opts: LinearOptions = {},
  ) {
    super();
    const be = defaultBackend(opts.backend);
    const init = opts.init ?? 'torch';
    const w =
      init === 'orthogonal'
        ? orthogonal(rng, outFeatures, inFeatures, opts.gain ?? 1)
        : init === 'lecun'
          ? lecunNormal(rng, outFeatures, inFeatures)
          : torchUniform(rng, outFeatures * inFeatures, inFeatures);
    this.weight = this.param('weight', tensor(w, [outFeatures, inFeatures], be));
    this.bias =
      opts.bias === false
        ? null
        : this.param(
            'bias',
            init === 'torch'
              ? tensor(torchUniform(rng, outFeatures, inFeatures), [outFeatures], be)
              : zeros([outFeatures], be),
          );
  }
  /** act(x W^T + b), plus `residual` (the output's shape) after the activation when given. */
  forward(x: Tensor, act: Activation = 'none', residual: Tensor | null = null): Tensor {
    return linear(x, this.weight, this.bias, act, residual);
  }
}

export interface MLPOptions extends LinearOptions {
  activation?: Activation;
  /** Init of the last layer (default: the same as the others). */
  outputInit?: InitName;
  outputGain?: number;
}

/** Dense layers sizes[0] -> sizes[1] -> ... with `activation` between them (none after the last). */
export class MLP extends Module {
  readonly layers: Linear[];
  readonly activation: Activation;
  constructor(sizes: readonly number[], rng: Rng, opts: MLPOptions = {}) {
    super();
    if (sizes.length < 2)
      throw new Error(`MLP: need at least input and output sizes, got [${sizes}]`);
    this.activation = opts.activation ?? 'relu';
    this.layers = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const last = i + 2 === sizes.length;
      const o = last
        ? { ...opts, init: opts.outputInit ?? opts.init, gain: opts.outputGain ?? opts.gain }
        : opts;
      this.layers.push(this.child(String(i), new Linear(sizes[i], sizes[i + 1], rng, o)));
    }
  }
  /** The layers as an engine chain (`mlpForward`: one fused kernel when no gradient is recorded). */
  /** The layers as a chain for mlpForward / mseGradients. */
  chain(): MlpLayer[] {
    return this.layers.map((l, i) => ({
      weight: l.weight,
      bias: l.bias,
      act: i + 1 < this.layers.length ? this.activation : 'none',
    }));
  }

  forward(x: Tensor): Tensor {
    return x.rank === 2
      ? mlpForward(x, this.chain())
      : mlpForward(reshape(x, [-1, x.shape[x.rank - 1]]), this.chain()).reshape([
          ...x.shape.slice(0, -1),
          this.layers[this.layers.length - 1].weight.shape[0],
        ]);
  }

  /**
   * The network on rows [cond_b, x_i] where each condition cond [B, C] is shared by a run of
   * R = rows(x) / B consecutive rows of x [B*R, D]: equal to forward(concat([repeat each cond R
   * times, x], 1)) up to float rounding, but the first layer's share of the condition,
   * W_c cond + bias, is computed once per condition (B rows, not B*R).
   */
  forwardRepeated(cond: Tensor, x: Tensor): Tensor {
    const [B, C] = cond.shape;
    const D = x.shape[x.rank - 1];
    const first = this.layers[0];
    if (
      cond.rank !== 2 ||
      x.rank !== 2 ||
      C + D !== first.weight.shape[1] ||
      x.shape[0] % B !== 0
    ) {
      throw new Error(
        `MLP.forwardRepeated: condition ${fmtShape(cond.shape)} and rows ${fmtShape(x.shape)} do not fit a first layer of ${first.weight.shape[1]} inputs (rows must be a multiple of the conditions)`,
      );
    }
    const condPart = linear(cond, slice(first.weight, 1, 0, C), first.bias); // [B, H]
    const chain = this.chain();
    chain[0] = { ...chain[0], weight: slice(first.weight, 1, C, C + D), bias: condPart };
    return mlpForward(x, chain);
  }
}

const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;

/** h + act(Dense(h)): the residual block of the RFM velocity network. */
export class ResidualBlock extends Module {
  readonly dense: Linear;
  constructor(
    width: number,
    rng: Rng,
    readonly activation: Activation = 'gelu',
    opts: LinearOptions = {},
  ) {
    super();
    this.dense = this.child('dense', new Linear(width, width, rng, opts));
  }
  /** h + act(Dense(h)), the add fused into the dense layer's kernel. */
  forward(h: Tensor): Tensor {
    return this.dense.forward(h, this.activation, h);
  }
}

/** Layer normalisation over the last axis with learned scale and shift. */
export class LayerNorm extends Module {
  readonly scale: Tensor;
  readonly shift: Tensor;
  constructor(
    readonly features: number,
    readonly eps = 1e-5,
    backend?: Backend,
  ) {
    super();
    const be = defaultBackend(backend);
    this.scale = this.param('scale', ones([features], be));
    this.shift = this.param('shift', zeros([features], be));
  }
  forward(x: Tensor): Tensor {
    const mu = mean(x, -1, true);
    const xc = sub(x, mu);
    const v = mean(square(xc), -1, true);
    const inv = unary(add(v, this.eps), 'powscalar', -0.5);
    return add(mul(mul(xc, inv), this.scale), this.shift);
  }
}

/**
 * Sinusoidal embedding of a scalar per row: t [B] or [B, 1] -> [B, size],
 * [sin(t f_0), ..., sin(t f_{h-1}), cos(t f_0), ..., cos(t f_{h-1})],
 * f_i = exp(-ln(maxPeriod) i / (h - 1)), h = size / 2 (f_0 = 1, f_{h-1} = 1 / maxPeriod; t is not
 * rescaled). The RFM reference's embedding: 128 wide, maxPeriod 1000.
 */
/** The embeddings of fixed values (a time grid, a temperature) made once: a few, kept, by key. */
const fixedEmbeddings = new Map<string, Tensor>();
const FIXED_EMBEDDINGS_MAX = 16;

/**
 * sinusoidalEmbedding of the scalars `values` ([values.length, size]), made once per backend, size
 * and values and then reused (the sampler's time grid and temperature repeat update after
 * update). The tensor is kept: callers must not dispose it.
 */
export function fixedSinusoidalEmbedding(
  values: readonly number[],
  size: number,
  backend: Backend,
): Tensor {
  const key = `${backend.name}|${size}|${values.join(',')}`;
  const hit = fixedEmbeddings.get(key);
  if (hit && hit.backend === backend && !hit.disposed) return hit;
  if (hit) {
    // another backend of the same name (or released): replaced
    fixedEmbeddings.delete(key);
    hit.kept = false;
    hit.dispose();
  }
  if (fixedEmbeddings.size >= FIXED_EMBEDDINGS_MAX) {
    // the oldest goes (Map keeps insertion order)
    const [oldKey, old] = fixedEmbeddings.entries().next().value as [string, Tensor];
    fixedEmbeddings.delete(oldKey);
    old.kept = false;
    old.dispose();
  }
  const e = noGrad(() =>
    tidy(() => sinusoidalEmbedding(tensor(values, [values.length], backend), size)),
  ).keep();
  fixedEmbeddings.set(key, e);
  return e;
}

export function sinusoidalEmbedding(t: Tensor, size: number, maxPeriod = 1000): Tensor {
  if (size % 2 !== 0) throw new Error(`sinusoidalEmbedding: size must be even, got ${size}`);
  const h = size / 2;
  const freqs = tensor(
    Float32Array.from({ length: h }, (_, i) =>
      Math.exp((-Math.log(maxPeriod) * i) / Math.max(h - 1, 1)),
    ),
    [1, h],
    t.backend,
  );
  const arg = mul(reshape(t, [-1, 1]), freqs); // [B, h]
  return concat([sin(arg), cos(arg)], 1);
}
