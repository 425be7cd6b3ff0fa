/**
 * The backend interface: where tensor storage lives and how kernels run on it.
 *
 * Storage belongs to the backend and is opaque to everything above it; the only way to look at
 * the numbers is `read` (an explicit copy back to the host). This keeps the door open for a GPU
 * backend with device memory and asynchronous kernels. Every kernel writes into an output storage
 * given by the caller, so the engine above decides allocation (and reuses storage from a pool).
 *
 * Shapes and strides are in elements. All tensors are float32 and contiguous; strided arguments
 * describe *views* (broadcasting uses stride 0, slicing an offset and the parent's strides).
 */

/** An opaque block of float32 numbers owned by a backend. */
export interface Storage {
  readonly backend: Backend;
  /** Number of float32 elements. */
  readonly length: number;
  /**
   * How many tensors refer to this storage: bookkeeping of the engine (tensor.ts), which frees
   * the storage when it drops to 0. Backends create storage with 0.
   */
  refs: number;
}

export const UNARY_OPS = [
  'neg',
  'exp',
  'log',
  'log1p',
  'tanh',
  'sigmoid',
  'softplus',
  'relu',
  'gelu',
  'silu',
  'mish',
  'sin',
  'cos',
  'square',
  'sqrt',
  'abs',
  'recip',
  'logcosh',
  /** x^p0 (p0 a scalar exponent). */
  'powscalar',
  /** min(max(x, p0), p1). */
  'clamp',
  /** sign(x) (0 at 0); no gradient. */
  'sign',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'minimum',
  'maximum',
  'gt',
  'ge',
  'lt',
  'le',
  'eq',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export type ReduceOp = 'sum' | 'max' | 'min';

/** Activations that the fused linear kernels apply after x W^T + b. */
export type Activation = 'none' | 'relu' | 'gelu' | 'tanh' | 'silu' | 'sigmoid';

/** A strided view of a storage: element (i0, i1, ...) is at offset + sum_j i_j * strides[j]. */
export interface View {
  readonly storage: Storage;
  readonly offset: number;
  readonly strides: readonly number[];
}

export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay (AdamW); 0 for Adam. */
  weightDecay: number;
  /** 1 - beta1^step and 1 - beta2^step. */
  biasCorrection1: number;
  biasCorrection2: number;
  /** Multiplies the gradient first (global-norm clipping). */
  gradScale: number;
}

/** One critic of Backend.twinReluCriticMin. */
export interface ReluCriticStorage {
  w1: Storage;
  ldw1: number;
  offset: number;
  cond: Storage;
  w2: Storage;
  b2: Storage | null;
  w3: Storage;
  b3: Storage | null;
}

/** One layer of Backend.mlpForward. */
export interface MlpLayerStorage {
  w: Storage;
  bias: Storage | null;
  in: number;
  out: number;
  act: Activation;
  residual: boolean;
  biasGroups: number;
}

export interface Backend {
  readonly name: string;

  // --- storage -----------------------------------------------------------------------------
  /** New storage of `length` elements; contents unspecified. */
  alloc(length: number): Storage;
  /** New storage holding a copy of `data`. */
  fromArray(data: ArrayLike<number>): Storage;
  /** Copies the storage back to the host. */
  read(s: Storage): Float32Array;
  /** Copies host data into existing storage (lengths must match). */
  write(s: Storage, data: ArrayLike<number>): void;
  /** Hands storage back (to a pool or the allocator). Using it afterwards is an error. */
  free(s: Storage): void;

  // --- elementwise ---------------------------------------------------------------------------
  fill(out: Storage, value: number): void;
  /** out[i] = f(x[i]) for n contiguous elements; p0, p1: scalar parameters of the op. */
  unary(op: UnaryOp, x: Storage, out: Storage, p0: number, p1: number): void;
  /** gx[i] = gy[i] * f'(x[i]) (y = f(x) is given too; some derivatives are cheaper from it). */
  unaryBackward(
    op: UnaryOp,
    x: Storage,
    y: Storage,
    gy: Storage,
    gx: Storage,
    p0: number,
    p1: number,
  ): void;
  /** out (contiguous, `shape`) = a op b, with a and b strided views (stride 0 broadcasts). */
  binary(op: BinaryOp, a: View, b: View, out: Storage, shape: readonly number[]): void;
  /** out = cond != 0 ? a : b, all three strided views broadcast to `shape`. */
  where(cond: View, a: View, b: View, out: Storage, shape: readonly number[]): void;
  /** In place: y += alpha * x (contiguous, equal lengths). */
  axpy(alpha: number, x: Storage, y: Storage): void;
  /** out = x * alpha (contiguous). */
  scale(x: Storage, alpha: number, out: Storage): void;

  // --- reductions ---------------------------------------------------------------------------
  /** x viewed as [outer, len, inner]; out [outer, inner] = reduce over len. */
  reduce(op: ReduceOp, x: Storage, out: Storage, outer: number, len: number, inner: number): void;
  /** Index (as float) of the max / min over len. */
  argReduce(
    op: 'max' | 'min',
    x: Storage,
    out: Storage,
    outer: number,
    len: number,
    inner: number,
  ): void;
  /** sum of squares of all elements, returned to the host. */
  sumSquares(x: Storage): number;

  // --- layout --------------------------------------------------------------------------------
  /** dst view (shape) = src view, or dst += src when accumulate. */
  copy(src: View, dst: View, shape: readonly number[], accumulate: boolean): void;
  /** src [outer, srcLen, inner]; out [outer, idx.length, inner] = src[:, idx[j], :]. */
  gather(
    src: Storage,
    idx: Storage,
    out: Storage,
    outer: number,
    srcLen: number,
    inner: number,
    nIdx: number,
  ): void;
  /** gsrc[:, idx[j], :] += gout[:, j, :] (gsrc must be zeroed or hold what to add to). */
  scatterAdd(
    gout: Storage,
    idx: Storage,
    gsrc: Storage,
    outer: number,
    srcLen: number,
    inner: number,
    nIdx: number,
  ): void;

  // --- linear algebra ------------------------------------------------------------------------
  /**
   * Batched GEMM: for each of `batch` problems, C [M,N] = op(A) op(B) (+ C if accumulate),
   * op(A) [M,K] (A stored [K,M] when transA), op(B) [K,N] (B stored [N,K] when transB).
   * Offsets step by strideA/strideB/strideC per problem.
   */
  matmul(
    a: Storage,
    b: Storage,
    c: Storage,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    accumulate: boolean,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
  ): void;
  /**
   * Fused y [M,N] = act(x [M,K] W^T + bias) + residual, W stored [N,K] (PyTorch layout).
   * bias is [biasGroups, N] or null: row i of x uses bias row floor(i / (M / biasGroups)), so one
   * row serves all (biasGroups 1) or each group of consecutive rows has its own (M divisible by
   * biasGroups). residual [M,N] or null is added after the activation.
   * `pre` (optional, [M,N]) receives x W^T + bias before the activation (needed by backward).
   */
  linear(
    x: Storage,
    w: Storage,
    bias: Storage | null,
    y: Storage,
    pre: Storage | null,
    m: number,
    n: number,
    k: number,
    act: Activation,
    biasGroups?: number,
    residual?: Storage | null,
  ): void;
  /**
   * Backward of `linear`: gz = gy * act'(pre); gx = gz W (if gx); gw (+)= gz^T x; gbias (+)= the
   * sums of gz's rows per bias group ([biasGroups, N]). `scratch` [M,N] receives gz. Gradients of W
   * and bias accumulate when `accumulate`. act' is taken from pre alone for none, relu, gelu and
   * silu; tanh and sigmoid use y = act(pre) (so y must not include a residual for them).
   */
  linearBackward(
    x: Storage,
    w: Storage,
    pre: Storage,
    y: Storage,
    gy: Storage,
    gx: Storage | null,
    gw: Storage | null,
    gbias: Storage | null,
    scratch: Storage,
    m: number,
    n: number,
    k: number,
    act: Activation,
    accumulate: boolean,
    biasGroups?: number,
  ): void;

  /**
   * A whole MLP forward with no gradient: y [M, last out] from x [M, first in], each layer
   * act(h W^T + bias) (+ h when residual), bias per group as in `linear`. Backends may run it
   * over blocks of rows that stay in cache. Every layer's `in` is at most 512; grouped biases
   * only on layers with more than 8 outputs.
   */
  mlpForward(x: Storage, y: Storage, m: number, layers: readonly MlpLayerStorage[]): void;

  /**
   * Euler integration through a chain (no gradient): y = y0 [M, D], then for each step k
   * y = y + h[k] chain_k(y), rounded as a `scale` then an `add`. chain_k is `layers` with layer 0's
   * bias replaced by rows [k * groups, (k + 1) * groups) of stepBias [steps, groups, layers[0].out]
   * (row i of y takes group i / (M / groups)). The chain maps D to D; `groups` > 1 only where
   * layer 0 has more than 8 outputs.
   */
  mlpEuler(
    y0: Storage,
    y: Storage,
    m: number,
    layers: readonly MlpLayerStorage[],
    stepBias: Storage,
    groups: number,
    h: readonly number[],
  ): void;

  /**
   * Optional fused kernel: twin ReLU critics [state, action] -> H1 -> H2 -> 1 at actions
   * act [M, A] whose states repeat in `groups` runs of M / groups rows. Writes q1, q2 [M] and, when
   * grad is given, d min(q1, q2) / d act [M, A] through the critic giving the minimum (the first
   * on ties, as `minimum`'s gradient). Each critic: w1 [H1, ldw1] with the action columns at
   * `offset`, cond [groups, H1] (the state's share of layer 1 plus its bias), w2 [H2, H1], b2,
   * w3 [1, H2], b3. Backends without it leave it undefined (callers differentiate the critics).
   */
  twinReluCriticMin?(
    act: Storage,
    q1: Storage,
    q2: Storage,
    grad: Storage | null,
    m: number,
    a: number,
    h1: number,
    h2: number,
    groups: number,
    critics: readonly ReluCriticStorage[],
  ): void;

  /**
   * Optional fused kernel: the regression loss scale * mean((f(x) - target)^2) of a chain f of
   * layers (x [M, in]; biases [out] or null; no tanh / sigmoid on residual layers) and its
   * gradients, accumulated into each layer's gw, gb (null: not wanted). pred (or null) receives
   * f(x). Returns the loss.
   */
  mlpMseGrads?(
    x: Storage,
    target: Storage,
    pred: Storage | null,
    m: number,
    layers: readonly (MlpLayerStorage & { gw: Storage | null; gb: Storage | null })[],
    scale: number,
  ): number;

  /**
   * Optional fused kernel: the self-normalised posterior mean of estimators/posterior-mean.ts for
   * B rows of K proposals in D dimensions. x1, x0, grads [B, K, D]; logits [B, K]; aOverB [B];
   * cRow [B] (c for every dimension of the row) or null for the autotuned control variate (ridge,
   * clip). Writes m, c [B, D] and the weights w [B, K]; returns the diagnostics (means over rows).
   */
  posteriorMean?(
    x1: Storage,
    x0: Storage,
    logits: Storage,
    grads: Storage,
    aOverB: Storage,
    cRow: Storage | null,
    m: Storage,
    c: Storage,
    w: Storage,
    b: number,
    k: number,
    d: number,
    ridge: number,
    clip: number,
  ): { ess: number; meanC: number; maxWeight: number; logitSpread: number };

  /**
   * Optional fused kernel: the terms of a log-target moved from actions a = tanh(y) to latents y
   * (estimators/posterior-mean.ts, tanhLatentLogTarget), for n rows of d: value [n] = v + sum_j
   * log sech^2(y_j) and grad [n, d] = g (1 - a^2) - 2a, from y, a [n, d] and the target's value
   * v [n] and gradient g [n, d] at a. Each step rounded as the engine's composition of the same
   * formula rounds it. Backends without it leave it undefined (callers compose it).
   */
  tanhLatentTerms?(
    y: Storage,
    a: Storage,
    v: Storage,
    g: Storage,
    value: Storage,
    grad: Storage,
    n: number,
    d: number,
  ): void;

  // --- optimisers ----------------------------------------------------------------------------
  /** One fused Adam(W) step in place on param, m, v given grad. */
  adam(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams): void;
  /**
   * One Adam step of a list of parameters together: the global gradient norm over every grad
   * (the sum of sumSquares in list order; null grads count 0), gradScale = maxGradNorm /
   * (norm + 1e-6) when the norm exceeds a finite maxGradNorm (else 1), then `adam` on each
   * parameter with a grad and the grad zeroed. Returns the norm before clipping.
   */
  adamMulti(
    params: readonly Storage[],
    grads: readonly (Storage | null)[],
    m: readonly Storage[],
    v: readonly Storage[],
    p: Omit<AdamParams, 'gradScale'>,
    maxGradNorm: number,
  ): number;
  /** target = scale(target, 1 - tau) then axpy(tau, online, target), pair by pair. */
  polyakMulti(targets: readonly Storage[], onlines: readonly Storage[], tau: number): void;
}
