/**
 * The native CPU backend: the C++ kernels of native/src/ (packed GEMM, threaded over the cores),
 * called through Node-API. The addon holds the kernels once per instruction-set tier (AVX-512,
 * AVX2, baseline x86-64; NEON on arm64) and picks one at load from the CPU (RFM_ISA forces one:
 * a tier the CPU or the build lacks is an error, with one line saying why). Storage is the TypeScript backend's pooled Float32Array, so
 * allocation, read/write and the pool are inherited; every kernel is overridden.
 *
 * The addon is build/Release/rfm_native.node at the repository root (built by node-gyp at
 * `npm install`); when it is missing or fails to load the backend is unavailable (null).
 */
import { loadNativeAddon } from './native-path.ts';
import { fileURLToPath } from 'node:url';
import type {
  Activation,
  AdamParams,
  BinaryOp,
  MlpLayerStorage,
  ReduceOp,
  ReluCriticStorage,
  Storage,
  UnaryOp,
  View,
} from './backend.ts';
import { BINARY_OPS, UNARY_OPS } from './backend.ts';
import { TsBackend, checkTwinCritics, dataOf } from './backend-ts.ts';
import { WasmBackend } from './backend-wasm.ts';
import { registerBackend } from './registry.ts';
import { type NormalBulk, type PhiloxBulk, setNormalBulk, setPhiloxBulk } from './rng.ts';

type F32 = Float32Array;
/** The functions the addon exports (native/src/addon.cc). */
interface Addon {
  fill(out: F32, value: number): void;
  unary(op: number, x: F32, out: F32, p0: number, p1: number): void;
  unaryBackward(op: number, x: F32, y: F32, gy: F32, gx: F32, p0: number, p1: number): void;
  binary(op: number, a: F32, b: F32, out: F32, meta: Int32Array): void;
  where(cond: F32, a: F32, b: F32, out: F32, meta: Int32Array): void;
  copy(src: F32, dst: F32, meta: Int32Array, accumulate: boolean): void;
  axpy(alpha: number, x: F32, y: F32): void;
  scale(x: F32, alpha: number, out: F32): void;
  reduce(op: number, x: F32, out: F32, outer: number, len: number, inner: number): void;
  argReduce(op: number, x: F32, out: F32, outer: number, len: number, inner: number): void;
  sumSquares(x: F32): number;
  gather(
    src: F32,
    idx: F32,
    out: F32,
    outer: number,
    srcLen: number,
    inner: number,
    nIdx: number,
  ): number;
  scatterAdd(
    gout: F32,
    idx: F32,
    gsrc: F32,
    outer: number,
    srcLen: number,
    inner: number,
    nIdx: number,
  ): number;
  matmul(
    a: F32,
    b: F32,
    c: F32,
    m: number,
    n: number,
    k: number,
    flags: number,
    batch: number,
    sA: number,
    sB: number,
    sC: number,
  ): void;
  linear(
    x: F32,
    w: F32,
    bias: F32 | null,
    y: F32,
    pre: F32 | null,
    m: number,
    n: number,
    k: number,
    act: number,
    biasGroups: number,
    res: F32 | null,
  ): void;
  linearBackward(
    x: F32,
    w: F32,
    pre: F32,
    y: F32,
    gy: F32,
    gx: F32 | null,
    gw: F32 | null,
    gb: F32 | null,
    scratch: F32,
    m: number,
    n: number,
    k: number,
    act: number,
    accumulate: boolean,
    biasGroups: number,
  ): void;
  adam(
    p: F32,
    g: F32,
    m: F32,
    v: F32,
    lr: number,
    b1: number,
    b2: number,
    eps: number,
    wd: number,
    bc1: number,
    bc2: number,
    gs: number,
  ): void;
  mlpForward(x: F32, y: F32, meta: Int32Array, ...weights: (F32 | null)[]): void;
  mlpEuler(
    y0: F32,
    y: F32,
    meta: Int32Array,
    stepBias: F32,
    h: F32,
    ...weights: (F32 | null)[]
  ): void;
  philoxBlocks(out: Uint32Array, k0: number, k1: number, lo: number, hi: number, n: number): void;
  mlpMseGrads(
    x: F32,
    target: F32,
    pred: F32 | null,
    meta: Int32Array,
    ...rest: (F32 | null | number)[]
  ): number;
  posteriorMean(
    x1: F32,
    x0: F32,
    logits: F32,
    grads: F32,
    aOverB: F32,
    cRow: F32 | null,
    m: F32,
    c: F32,
    w: F32,
    diag: Float64Array,
    b: number,
    k: number,
    d: number,
    ridge: number,
    clip: number,
  ): void;
  tanhLatentTerms(
    y: F32,
    a: F32,
    v: F32,
    g: F32,
    value: F32,
    grad: F32,
    n: number,
    d: number,
  ): void;
  adamMulti(
    params: F32[],
    grads: (F32 | null)[],
    m: F32[],
    v: F32[],
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    bc1: number,
    bc2: number,
    maxGradNorm: number,
  ): number;
  polyakMulti(targets: F32[], onlines: F32[], tau: number): void;
  normalsFromBlocks(
    out: F32,
    k0: number,
    k1: number,
    lo: number,
    hi: number,
    mean: number,
    std: number,
  ): void;
  twinReluCriticMin(
    act: F32,
    q1: F32,
    q2: F32,
    grad: F32 | null,
    meta: Int32Array,
    ...critics: (F32 | null)[]
  ): void;
  threads(): number;
  isa(): string;
  /** The vector math function `name` of native/src/vmath.h at x into out (a test hook). */
  vmathEval(name: string, x: Float64Array, out: Float64Array): void;
}

const UNARY_CODE = Object.fromEntries(UNARY_OPS.map((op, i) => [op, i])) as Record<UnaryOp, number>;
const BINARY_CODE = Object.fromEntries(BINARY_OPS.map((op, i) => [op, i])) as Record<
  BinaryOp,
  number
>;
const ACT_CODE: Record<Activation, number> = {
  none: -1,
  relu: UNARY_CODE.relu,
  gelu: UNARY_CODE.gelu,
  tanh: UNARY_CODE.tanh,
  silu: UNARY_CODE.silu,
  sigmoid: UNARY_CODE.sigmoid,
};
const REDUCE_CODE: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2 };
const MAX_DIMS = 16;

/** The addon's path: build/Release/rfm_native.node two levels above this file (src/engine/). */
export const NATIVE_ADDON_PATH = fileURLToPath(
  new URL('../../build/Release/rfm_native.node', import.meta.url),
);

let loadError: unknown = null;
function loadAddon(): Addon | null {
  try {
    return loadNativeAddon<Addon>(); // build/Release first, then prebuilds/<platform>-<arch>/ (./native-path.ts)
  } catch (e) {
    loadError = e;
    return null;
  }
}
/** Why the addon did not load (null when it did or was not tried). */
export function nativeLoadError(): unknown {
  return loadError;
}

export class NativeBackend extends TsBackend {
  override readonly name: string = 'native';
  /** Walk descriptions for strided kernels: [nd, shape..., (offset, strides...) per view]; reused. */
  private readonly meta = new Int32Array(1 + MAX_DIMS + 3 * (1 + MAX_DIMS));

  constructor(readonly addon: Addon) {
    super();
  }

  /** Threads the kernels use, and the instruction-set tier in use (avx512, avx2, baseline, neon). */
  get threads(): number {
    return this.addon.threads();
  }
  get isa(): string {
    return this.addon.isa();
  }

  private walk(views: readonly View[], shape: readonly number[]): Int32Array {
    const nd = shape.length;
    if (nd > MAX_DIMS)
      throw new Error(`native backend: tensors of rank ${nd} (at most ${MAX_DIMS})`);
    const m = this.meta;
    m[0] = nd;
    for (let d = 0; d < nd; d++) m[1 + d] = shape[d];
    let p = 1 + nd;
    for (const v of views) {
      m[p++] = v.offset;
      for (let d = 0; d < nd; d++) m[p++] = v.strides[d];
    }
    return m;
  }

  override fill(out: Storage, value: number): void {
    this.addon.fill(dataOf(out, this), value);
  }
  override unary(op: UnaryOp, x: Storage, out: Storage, p0: number, p1: number): void {
    this.addon.unary(UNARY_CODE[op], dataOf(x, this), dataOf(out, this), p0, p1);
  }
  override unaryBackward(
    op: UnaryOp,
    x: Storage,
    y: Storage,
    gy: Storage,
    gx: Storage,
    p0: number,
    p1: number,
  ): void {
    this.addon.unaryBackward(
      UNARY_CODE[op],
      dataOf(x, this),
      dataOf(y, this),
      dataOf(gy, this),
      dataOf(gx, this),
      p0,
      p1,
    );
  }
  override binary(op: BinaryOp, a: View, b: View, out: Storage, shape: readonly number[]): void {
    const ad = dataOf(a.storage, this);
    const bd = dataOf(b.storage, this);
    this.addon.binary(BINARY_CODE[op], ad, bd, dataOf(out, this), this.walk([a, b], shape));
  }
  override where(cond: View, a: View, b: View, out: Storage, shape: readonly number[]): void {
    const cd = dataOf(cond.storage, this);
    const ad = dataOf(a.storage, this);
    const bd = dataOf(b.storage, this);
    this.addon.where(cd, ad, bd, dataOf(out, this), this.walk([cond, a, b], shape));
  }
  override axpy(alpha: number, x: Storage, y: Storage): void {
    this.addon.axpy(alpha, dataOf(x, this), dataOf(y, this));
  }
  override scale(x: Storage, alpha: number, out: Storage): void {
    this.addon.scale(dataOf(x, this), alpha, dataOf(out, this));
  }

  override reduce(
    op: ReduceOp,
    x: Storage,
    out: Storage,
    outer: number,
    len: number,
    inner: number,
  ): void {
    this.addon.reduce(REDUCE_CODE[op], dataOf(x, this), dataOf(out, this), outer, len, inner);
  }
  override argReduce(
    op: 'max' | 'min',
    x: Storage,
    out: Storage,
    outer: number,
    len: number,
    inner: number,
  ): void {
    this.addon.argReduce(REDUCE_CODE[op], dataOf(x, this), dataOf(out, this), outer, len, inner);
  }
  override sumSquares(x: Storage): number {
    return this.addon.sumSquares(dataOf(x, this));
  }

  override copy(src: View, dst: View, shape: readonly number[], accumulate: boolean): void {
    const sd = dataOf(src.storage, this);
    const dd = dataOf(dst.storage, this);
    this.addon.copy(sd, dd, this.walk([src, dst], shape), accumulate);
  }
  override gather(
    src: Storage,
    idx: Storage,
    out: Storage,
    outer: number,
    srcLen: number,
    inner: number,
    nIdx: number,
  ): void {
    const id = dataOf(idx, this);
    const bad = this.addon.gather(
      dataOf(src, this),
      id,
      dataOf(out, this),
      outer,
      srcLen,
      inner,
      nIdx,
    );
    if (bad >= 0) throw new Error(`gather: index ${id[bad]} out of range [0, ${srcLen})`);
  }
  override scatterAdd(
    gout: Storage,
    idx: Storage,
    gsrc: Storage,
    outer: number,
    srcLen: number,
    inner: number,
    nIdx: number,
  ): void {
    const id = dataOf(idx, this);
    const bad = this.addon.scatterAdd(
      dataOf(gout, this),
      id,
      dataOf(gsrc, this),
      outer,
      srcLen,
      inner,
      nIdx,
    );
    if (bad >= 0) throw new Error(`scatterAdd: index ${id[bad]} out of range [0, ${srcLen})`);
  }

  override matmul(
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
  ): void {
    const flags = (transA ? 1 : 0) | (transB ? 2 : 0) | (accumulate ? 4 : 0);
    this.addon.matmul(
      dataOf(a, this),
      dataOf(b, this),
      dataOf(c, this),
      m,
      n,
      k,
      flags,
      batch,
      strideA,
      strideB,
      strideC,
    );
  }
  override linear(
    x: Storage,
    w: Storage,
    bias: Storage | null,
    y: Storage,
    pre: Storage | null,
    m: number,
    n: number,
    k: number,
    act: Activation,
    biasGroups = 1,
    residual: Storage | null = null,
  ): void {
    this.addon.linear(
      dataOf(x, this),
      dataOf(w, this),
      bias ? dataOf(bias, this) : null,
      dataOf(y, this),
      pre ? dataOf(pre, this) : null,
      m,
      n,
      k,
      ACT_CODE[act],
      biasGroups,
      residual ? dataOf(residual, this) : null,
    );
  }
  override linearBackward(
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
    biasGroups = 1,
  ): void {
    this.addon.linearBackward(
      dataOf(x, this),
      dataOf(w, this),
      dataOf(pre, this),
      dataOf(y, this),
      dataOf(gy, this),
      gx ? dataOf(gx, this) : null,
      gw ? dataOf(gw, this) : null,
      gbias ? dataOf(gbias, this) : null,
      dataOf(scratch, this),
      m,
      n,
      k,
      ACT_CODE[act],
      accumulate,
      biasGroups,
    );
  }

  /** meta [lead..., nl, per layer in, out, act, residual, biasGroups] and the weight arguments. */
  private chainArgs(
    lead: readonly number[],
    layers: readonly MlpLayerStorage[],
  ): { meta: Int32Array; weights: (F32 | null)[] } {
    const meta = new Int32Array(lead.length + 1 + 5 * layers.length);
    meta.set(lead);
    meta[lead.length] = layers.length;
    const weights: (F32 | null)[] = [];
    layers.forEach((l, i) => {
      meta.set(
        [l.in, l.out, ACT_CODE[l.act], l.residual ? 1 : 0, l.biasGroups],
        lead.length + 1 + 5 * i,
      );
      weights.push(dataOf(l.w, this), l.bias ? dataOf(l.bias, this) : null);
    });
    return { meta, weights };
  }

  override mlpForward(x: Storage, y: Storage, m: number, layers: readonly MlpLayerStorage[]): void {
    const { meta, weights } = this.chainArgs([m], layers);
    this.addon.mlpForward(dataOf(x, this), dataOf(y, this), meta, ...weights);
  }

  override mlpEuler(
    y0: Storage,
    y: Storage,
    m: number,
    layers: readonly MlpLayerStorage[],
    stepBias: Storage,
    groups: number,
    h: readonly number[],
  ): void {
    // layer 0's bias comes from stepBias
    const { meta, weights } = this.chainArgs(
      [m, h.length, groups],
      [{ ...layers[0], bias: null, biasGroups: 1 }, ...layers.slice(1)],
    );
    this.addon.mlpEuler(
      dataOf(y0, this),
      dataOf(y, this),
      meta,
      dataOf(stepBias, this),
      Float32Array.from(h),
      ...weights,
    );
  }

  twinReluCriticMin(
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
  ): void {
    checkTwinCritics(critics);
    const meta = Int32Array.of(m, a, h1, h2, groups, critics[0].ldw1, critics[0].offset);
    const d = (s: Storage | null) => (s ? dataOf(s, this) : null);
    this.addon.twinReluCriticMin(
      dataOf(act, this),
      dataOf(q1, this),
      dataOf(q2, this),
      d(grad),
      meta,
      ...critics.flatMap((c) => [d(c.w1), d(c.cond), d(c.w2), d(c.b2), d(c.w3), d(c.b3)]),
    );
  }

  mlpMseGrads(
    x: Storage,
    target: Storage,
    pred: Storage | null,
    m: number,
    layers: readonly (MlpLayerStorage & { gw: Storage | null; gb: Storage | null })[],
    scale: number,
  ): number {
    const meta = new Int32Array(2 + 4 * layers.length);
    meta[0] = m;
    meta[1] = layers.length;
    const d = (s: Storage | null) => (s ? dataOf(s, this) : null);
    const arrays: (F32 | null)[] = [];
    layers.forEach((l, i) => {
      meta.set([l.in, l.out, ACT_CODE[l.act], l.residual ? 1 : 0], 2 + 4 * i);
      arrays.push(d(l.w), d(l.bias), d(l.gw), d(l.gb));
    });
    return this.addon.mlpMseGrads(
      dataOf(x, this),
      dataOf(target, this),
      d(pred),
      meta,
      ...arrays,
      scale,
    );
  }

  posteriorMean(
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
  ): { ess: number; meanC: number; maxWeight: number; logitSpread: number } {
    const diag = new Float64Array(4);
    const f = (s: Storage) => dataOf(s, this);
    this.addon.posteriorMean(
      f(x1),
      f(x0),
      f(logits),
      f(grads),
      f(aOverB),
      cRow ? f(cRow) : null,
      f(m),
      f(c),
      f(w),
      diag,
      b,
      k,
      d,
      ridge,
      clip,
    );
    return { ess: diag[0], meanC: diag[1], maxWeight: diag[2], logitSpread: diag[3] };
  }

  tanhLatentTerms(
    y: Storage,
    a: Storage,
    v: Storage,
    g: Storage,
    value: Storage,
    grad: Storage,
    n: number,
    d: number,
  ): void {
    const f = (s: Storage) => dataOf(s, this);
    this.addon.tanhLatentTerms(f(y), f(a), f(v), f(g), f(value), f(grad), n, d);
  }

  override adamMulti(
    params: readonly Storage[],
    grads: readonly (Storage | null)[],
    m: readonly Storage[],
    v: readonly Storage[],
    p: Omit<AdamParams, 'gradScale'>,
    maxGradNorm: number,
  ): number {
    const d = (s: Storage) => dataOf(s, this);
    return this.addon.adamMulti(
      params.map(d),
      grads.map((g) => (g ? d(g) : null)),
      m.map(d),
      v.map(d),
      p.lr,
      p.beta1,
      p.beta2,
      p.eps,
      p.weightDecay,
      p.biasCorrection1,
      p.biasCorrection2,
      maxGradNorm,
    );
  }

  override polyakMulti(
    targets: readonly Storage[],
    onlines: readonly Storage[],
    tau: number,
  ): void {
    const d = (s: Storage) => dataOf(s, this);
    this.addon.polyakMulti(targets.map(d), onlines.map(d), tau);
  }

  override adam(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams): void {
    this.addon.adam(
      dataOf(param, this),
      dataOf(grad, this),
      dataOf(m, this),
      dataOf(v, this),
      p.lr,
      p.beta1,
      p.beta2,
      p.eps,
      p.weightDecay,
      p.biasCorrection1,
      p.biasCorrection2,
      p.gradScale,
    );
  }
}

/** A backend in words: its name, with the native backend's instruction-set tier and threads ("native (avx2, 2 threads)"). */
export function describeBackend(be: { name: string }): string {
  return be instanceof NativeBackend || be instanceof WasmBackend
    ? `${be.name} (${be.isa}, ${be.threads} threads)`
    : be.name;
}

let nativeBulk: PhiloxBulk | null = null;
/** The addon's bulk Philox block generator (null until the native backend has loaded). */
export function nativePhiloxBulk(): PhiloxBulk | null {
  return nativeBulk;
}
let nativeNormals: NormalBulk | null = null;
/** The native bulk normal generator, when the addon is loaded. */
export function nativeNormalBulk(): NormalBulk | null {
  return nativeNormals;
}

registerBackend('native', () => {
  const addon = loadAddon();
  if (!addon) {
    // a tier forced with RFM_ISA that this CPU or build lacks: an error, not a silent fall-back to
    // the (much slower) TypeScript backend
    const e = loadError as { code?: string; message?: string } | null;
    if (e?.code === 'ERR_RFM_ISA') throw new Error(`native backend: ${e.message}`);
    return null;
  }
  // bulk random blocks: the same integers as the TypeScript Philox; normals by the same formula
  // (equal floats but for about one draw in 1e8, see setNormalBulk)
  nativeBulk = (out, k0, k1, lo, hi, n) => addon.philoxBlocks(out, k0, k1, lo, hi, n);
  setPhiloxBulk(nativeBulk);
  nativeNormals = (out, k0, k1, lo, hi, mean, std) =>
    addon.normalsFromBlocks(out, k0, k1, lo, hi, mean, std);
  setNormalBulk(nativeNormals);
  return new NativeBackend(addon);
});
