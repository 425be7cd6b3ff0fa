/**
 * The WebAssembly backend: the C++ kernels of native/src/ compiled to wasm32 with 128-bit SIMD
 * (native/wasm/rfm_kernels.wasm, built by scripts/build-wasm.mjs), single-threaded. It runs where
 * the native addon cannot: in a browser (the demo page's worker) and in Node without a compiler or
 * prebuild (RFM_BACKEND=wasm).
 *
 * Storage stays the TypeScript backend's pooled Float32Array (so allocation, read / write and the
 * pool are inherited). A kernel call copies its arrays into the module's memory, runs, and copies
 * its outputs back: one pass over the data, small beside the products and transcendental
 * functions that the module speeds up. The kernels covered are the GEMM, the fused linear forward
 * and backward, the unary ops and their derivatives, the strided binary ops, where and copy, the
 * reductions, gather and scatterAdd, Adam (adamMulti in one pass: every array copied in once), and
 * the agents' fused kernels (mlpForward, mlpEuler, twinReluCriticMin, mlpMseGrads, posteriorMean),
 * as the native backend calls them. What stays the TypeScript backend's: fill, axpy, scale and
 * polyakMulti (one pass each, where the copies would cost as much as the work) and storage.
 *
 * Browser-safe: nothing from Node. The host hands over the module's bytes (src/host/node/wasm.ts
 * reads the file; a page fetches it and calls `registerWasmBackend`).
 */
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
import { TsBackend, checkIndices, checkTwinCritics, clipScale, dataOf } from './backend-ts.ts';
import { registerBackend } from './registry.ts';

/** The module's exports (native/wasm/exports.cc); pointers are byte offsets into `memory`. */
interface Kernels {
  memory: WebAssembly.Memory;
  rfm_alloc(bytes: number): number;
  rfm_free(ptr: number): void;
  rfm_unary(op: number, x: number, out: number, n: number, p0: number, p1: number): void;
  rfm_unary_backward(
    op: number,
    x: number,
    y: number,
    gy: number,
    gx: number,
    n: number,
    p0: number,
    p1: number,
  ): void;
  rfm_matmul(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    flags: number,
    batch: number,
    sA: number,
    sB: number,
    sC: number,
  ): void;
  rfm_linear(
    x: number,
    w: number,
    bias: number,
    y: number,
    pre: number,
    m: number,
    n: number,
    k: number,
    act: number,
    groups: number,
    res: number,
  ): void;
  rfm_linear_backward(
    x: number,
    w: number,
    pre: number,
    y: number,
    gy: number,
    gx: number,
    gw: number,
    gb: number,
    scratch: number,
    m: number,
    n: number,
    k: number,
    act: number,
    accumulate: number,
    groups: number,
  ): void;
  rfm_mlp_forward(x: number, m: number, meta: number, ptrs: number, nl: number, y: number): void;
  rfm_mlp_euler(
    y0: number,
    m: number,
    meta: number,
    ptrs: number,
    nl: number,
    steps: number,
    stepBias: number,
    groups: number,
    h: number,
    y: number,
  ): void;
  rfm_binary(op: number, a: number, b: number, out: number, walk: number): void;
  rfm_where(c: number, a: number, b: number, out: number, walk: number): void;
  rfm_copy(src: number, dst: number, walk: number, accumulate: number): void;
  rfm_reduce(op: number, x: number, out: number, outer: number, len: number, inner: number): void;
  rfm_arg_reduce(
    op: number,
    x: number,
    out: number,
    outer: number,
    len: number,
    inner: number,
  ): void;
  rfm_sum_squares(x: number, n: number): number;
  rfm_gather(
    src: number,
    idx: number,
    out: number,
    outer: number,
    srcLen: number,
    inner: number,
    nIdx: number,
  ): void;
  rfm_scatter_add(
    gout: number,
    idx: number,
    gsrc: number,
    outer: number,
    srcLen: number,
    inner: number,
    nIdx: number,
  ): void;
  rfm_adam(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    bc1: number,
    bc2: number,
    gradScale: number,
  ): void;
  rfm_twin_relu_critic_min(
    act: number,
    meta: number,
    ptrs: number,
    q1: number,
    q2: number,
    grad: number,
  ): void;
  rfm_mlp_mse_grads(
    x: number,
    target: number,
    pred: number,
    m: number,
    meta: number,
    ptrs: number,
    nl: number,
    scale: number,
  ): number;
  rfm_posterior_mean(
    x1: number,
    x0: number,
    logits: number,
    grads: number,
    aOverB: number,
    cRow: number,
    b: number,
    k: number,
    d: number,
    ridge: number,
    clip: number,
    m: number,
    c: number,
    w: number,
    diag: number,
  ): void;
}

const REDUCE_CODE: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2 };
const UNARY_CODE = Object.fromEntries(UNARY_OPS.map((op, i) => [op, i])) as Record<UnaryOp, number>;
const BINARY_CODE = Object.fromEntries(BINARY_OPS.map((op, i) => [op, i])) as Record<
  BinaryOp,
  number
>;
/** The most dims of a strided walk (native/src/common.h, MAX_DIMS). */
const MAX_DIMS = 16;
const ACT_CODE: Record<Activation, number> = {
  none: -1,
  relu: UNARY_CODE.relu,
  gelu: UNARY_CODE.gelu,
  tanh: UNARY_CODE.tanh,
  silu: UNARY_CODE.silu,
  sigmoid: UNARY_CODE.sigmoid,
};
/** The kernels' limits (native/src/common.h): layer widths of the row-block kernels, layers per chain. */
const BLOCK_MAX_DEPTH = 512;
const NARROW_MAX = 8;
const MAX_LAYERS = 12;

type Arr = Float32Array | Int32Array | Float64Array;
/** How an array takes part in a call: read by the kernel, written by it, or both. */
type Role = 'in' | 'out' | 'inout';

/**
 * The module's imports: WASI functions that wasi-libc links (environment, abort's message) with
 * nothing behind them; the kernels read no environment and write no files.
 */
function wasiStubs(memory: () => WebAssembly.Memory): WebAssembly.Imports {
  const zeros = (a: number, b: number): number => {
    const v = new DataView(memory().buffer);
    v.setUint32(a, 0, true);
    v.setUint32(b, 0, true);
    return 0;
  };
  return {
    wasi_snapshot_preview1: {
      environ_sizes_get: zeros,
      environ_get: () => 0,
      fd_close: () => 8, // EBADF: no files
      fd_seek: () => 8,
      fd_write: () => 8,
      proc_exit: (code: number) => {
        throw new Error(`wasm backend: the kernels aborted (exit code ${code})`);
      },
    },
  };
}

export class WasmBackend extends TsBackend {
  override readonly name: string = 'wasm';
  /** The instruction set the kernels use (for the start-up line and benchmarks, as native's isa). */
  readonly isa = 'wasm-simd128';
  readonly threads = 1;
  private readonly k: Kernels;
  /** One reusable region of the module's memory that every call lays its arrays out in. */
  private region = 0;
  private regionBytes = 0;

  constructor(module: WebAssembly.Module) {
    super();
    let memory: WebAssembly.Memory | null = null;
    const instance = new WebAssembly.Instance(
      module,
      wasiStubs(() => memory!),
    );
    this.k = instance.exports as unknown as Kernels;
    memory = this.k.memory;
  }

  /**
   * Runs `call` with the arrays laid out in the module's memory (the same array twice gets one
   * place, so in-place calls stay in place; null gives pointer 0): copies the inputs in, calls with
   * their byte offsets, copies the outputs back.
   */
  private run(
    arrays: readonly (readonly [Arr | null, Role])[],
    call: (ptrs: number[]) => void,
  ): void {
    const place = new Map<Arr, number>();
    let bytes = 0;
    for (const [a] of arrays) {
      if (!a || place.has(a)) continue;
      place.set(a, bytes);
      bytes += (a.byteLength + 15) & ~15;
    }
    if (bytes > this.regionBytes) {
      if (this.region) this.k.rfm_free(this.region);
      this.regionBytes = Math.max(bytes, 2 * this.regionBytes);
      this.region = this.k.rfm_alloc(this.regionBytes);
      if (!this.region) {
        this.regionBytes = 0;
        throw new Error(`wasm backend: out of memory (${bytes} bytes for one call)`);
      }
    }
    const base = this.region;
    const copied = new Set<Arr>();
    let buffer = this.k.memory.buffer;
    for (const [a, role] of arrays) {
      if (!a || role === 'out' || copied.has(a)) continue;
      copied.add(a);
      new Uint8Array(buffer, base + place.get(a)!, a.byteLength).set(
        new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
      );
    }
    call(arrays.map(([a]) => (a ? base + place.get(a)! : 0)));
    buffer = this.k.memory.buffer; // the call may have grown the memory (a new buffer)
    for (const [a, role] of arrays) {
      if (!a || role === 'in') continue;
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(
        new Uint8Array(buffer, base + place.get(a)!, a.byteLength),
      );
    }
  }

  private d(s: Storage): Float32Array {
    return dataOf(s, this);
  }

  override unary(op: UnaryOp, x: Storage, out: Storage, p0: number, p1: number): void {
    const xd = this.d(x);
    const od = this.d(out);
    if (od.length < xd.length)
      throw new Error(`unary: output of ${od.length} for ${xd.length} inputs`);
    this.run(
      [
        [xd, 'in'],
        [od, 'out'],
      ],
      ([px, po]) => this.k.rfm_unary(UNARY_CODE[op], px, po, xd.length, p0, p1),
    );
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
    const [xd, yd, gyd, gxd] = [x, y, gy, gx].map((s) => this.d(s));
    const n = xd.length;
    if (yd.length < n || gyd.length < n || gxd.length < n)
      throw new Error('unaryBackward: arrays shorter than x');
    this.run(
      [
        [xd, 'in'],
        [yd, 'in'],
        [gyd, 'in'],
        [gxd, 'out'],
      ],
      ([a, b, c, o]) => this.k.rfm_unary_backward(UNARY_CODE[op], a, b, c, o, n, p0, p1),
    );
  }

  /**
   * The kernels' Walk for views over `shape` (int32 nd, shape[16], off[3], stride[3][16]), each view
   * checked to stay inside its array: a walk outside it would read or write another array's place.
   */
  private walk(fn: string, views: readonly View[], shape: readonly number[]): Int32Array {
    const nd = shape.length;
    if (nd > MAX_DIMS) throw new Error(`${fn}: tensors of rank ${nd} (at most ${MAX_DIMS})`);
    const w = new Int32Array(1 + MAX_DIMS + 3 + 3 * MAX_DIMS);
    w[0] = nd;
    w.set(shape, 1);
    const empty = shape.some((s) => s === 0);
    views.forEach((v, i) => {
      let lo = v.offset;
      let hi = v.offset;
      for (let d = 0; d < nd; d++) {
        const span = (shape[d] - 1) * v.strides[d];
        if (span < 0) lo += span;
        else hi += span;
      }
      if (!empty && (lo < 0 || hi >= this.d(v.storage).length))
        throw new Error(
          `${fn}: a view's elements [${lo}, ${hi}] out of range [0, ${this.d(v.storage).length})`,
        );
      w[1 + MAX_DIMS + i] = v.offset;
      w.set(v.strides, 1 + MAX_DIMS + 3 + MAX_DIMS * i);
    });
    return w;
  }

  override binary(op: BinaryOp, a: View, b: View, out: Storage, shape: readonly number[]): void {
    const od = this.d(out);
    const n = shape.reduce((x, y) => x * y, 1);
    if (od.length < n)
      throw new Error(`binary: output of ${od.length} for shape [${shape.join(', ')}]`);
    const w = this.walk('binary', [a, b], shape);
    this.run(
      [
        [this.d(a.storage), 'in'],
        [this.d(b.storage), 'in'],
        [w, 'in'],
        [od, od.length > n ? 'inout' : 'out'],
      ],
      ([pa, pb, pw, po]) => this.k.rfm_binary(BINARY_CODE[op], pa, pb, po, pw),
    );
  }

  override where(cond: View, a: View, b: View, out: Storage, shape: readonly number[]): void {
    const od = this.d(out);
    const n = shape.reduce((x, y) => x * y, 1);
    if (od.length < n)
      throw new Error(`where: output of ${od.length} for shape [${shape.join(', ')}]`);
    const w = this.walk('where', [cond, a, b], shape);
    this.run(
      [
        [this.d(cond.storage), 'in'],
        [this.d(a.storage), 'in'],
        [this.d(b.storage), 'in'],
        [w, 'in'],
        [od, od.length > n ? 'inout' : 'out'],
      ],
      ([pc, pa, pb, pw, po]) => this.k.rfm_where(pc, pa, pb, po, pw),
    );
  }

  override copy(src: View, dst: View, shape: readonly number[], accumulate: boolean): void {
    const w = this.walk('copy', [src, dst], shape);
    // dst is a view: what it does not cover keeps its values
    this.run(
      [
        [this.d(src.storage), 'in'],
        [w, 'in'],
        [this.d(dst.storage), 'inout'],
      ],
      ([ps, pw, pd]) => this.k.rfm_copy(ps, pd, pw, accumulate ? 1 : 0),
    );
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
    if (![m, n, k, batch, strideA, strideB, strideC].every((v) => Number.isInteger(v) && v >= 0))
      throw new Error('matmul: bad sizes');
    if (batch === 0 || m === 0 || n === 0) return;
    const [ad, bd, cd] = [a, b, c].map((s) => this.d(s));
    if (
      (batch - 1) * strideA + m * k > ad.length ||
      (batch - 1) * strideB + k * n > bd.length ||
      (batch - 1) * strideC + m * n > cd.length
    ) {
      throw new Error('matmul: arrays too short for the sizes');
    }
    const flags = (transA ? 1 : 0) | (transB ? 2 : 0) | (accumulate ? 4 : 0);
    // C is copied in too unless the products cover it whole (no gaps between them, no tail)
    const overlaid = batch === 1 || strideC === 0;
    const whole =
      (overlaid || strideC === m * n) && (overlaid ? m * n : batch * m * n) === cd.length;
    this.run(
      [
        [ad, 'in'],
        [bd, 'in'],
        [cd, accumulate || !whole ? 'inout' : 'out'],
      ],
      ([pa, pb, pc]) =>
        this.k.rfm_matmul(pa, pb, pc, m, n, k, flags, batch, strideA, strideB, strideC),
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
    if (
      ![m, n, k, biasGroups].every((v) => Number.isInteger(v) && v >= 0) ||
      biasGroups < 1 ||
      (m > 0 && m % biasGroups !== 0)
    ) {
      throw new Error('linear: bad arguments');
    }
    const xd = this.d(x);
    const wd = this.d(w);
    const bd = bias ? this.d(bias) : null;
    const yd = this.d(y);
    const pd = pre ? this.d(pre) : null;
    const rd = residual ? this.d(residual) : null;
    const mn = m * n;
    if (
      m * k > xd.length ||
      n * k > wd.length ||
      (bd && n * biasGroups > bd.length) ||
      mn > yd.length ||
      (pd && mn > pd.length) ||
      (rd && mn > rd.length)
    ) {
      throw new Error('linear: arrays too short for the sizes');
    }
    // y's untouched tail (a longer array) must survive the copy back
    this.run(
      [
        [xd, 'in'],
        [wd, 'in'],
        [bd, 'in'],
        [rd, 'in'],
        [yd, yd.length > mn ? 'inout' : 'out'],
        [pd, pd && pd.length > mn ? 'inout' : 'out'],
      ],
      ([px, pw, pb, pr, py, pp]) =>
        this.k.rfm_linear(px, pw, pb, py, pp, m, n, k, ACT_CODE[act], biasGroups, pr),
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
    if (
      ![m, n, k, biasGroups].every((v) => Number.isInteger(v) && v >= 0) ||
      biasGroups < 1 ||
      (m > 0 && m % biasGroups !== 0)
    ) {
      throw new Error('linearBackward: bad arguments');
    }
    const [xd, wd, pd, yd, gyd, sd] = [x, w, pre, y, gy, scratch].map((s) => this.d(s));
    const gxd = gx ? this.d(gx) : null;
    const gwd = gw ? this.d(gw) : null;
    const gbd = gbias ? this.d(gbias) : null;
    const mn = m * n;
    if (
      m * k > xd.length ||
      n * k > wd.length ||
      mn > pd.length ||
      mn > yd.length ||
      mn > gyd.length ||
      mn > sd.length ||
      (gxd && m * k > gxd.length) ||
      (gwd && n * k > gwd.length) ||
      (gbd && n * biasGroups > gbd.length)
    ) {
      throw new Error('linearBackward: arrays too short for the sizes');
    }
    const acc: Role = accumulate ? 'inout' : 'out';
    this.run(
      [
        [xd, 'in'],
        [wd, 'in'],
        [pd, 'in'],
        [yd, 'in'],
        [gyd, 'in'],
        [gxd, gxd && gxd.length > m * k ? 'inout' : 'out'],
        [gwd, acc],
        [gbd, acc],
        [sd, 'inout'],
      ],
      ([px, pw, pp, py, pgy, pgx, pgw, pgb, ps]) =>
        this.k.rfm_linear_backward(
          px,
          pw,
          pp,
          py,
          pgy,
          pgx,
          pgw,
          pgb,
          ps,
          m,
          n,
          k,
          ACT_CODE[act],
          accumulate ? 1 : 0,
          biasGroups,
        ),
    );
  }

  /** The layer table of mlpForward / mlpEuler (meta, weight arrays), checked as the addon checks it. */
  private chain(
    fn: string,
    m: number,
    layers: readonly MlpLayerStorage[],
  ): { meta: Int32Array; weights: (Float32Array | null)[] } {
    if (layers.length < 1 || layers.length > MAX_LAYERS)
      throw new Error(`${fn}: 1 to ${MAX_LAYERS} layers, got ${layers.length}`);
    const meta = new Int32Array(5 * layers.length);
    const weights: (Float32Array | null)[] = [];
    layers.forEach((l, i) => {
      const w = this.d(l.w);
      const b = l.bias ? this.d(l.bias) : null;
      const ok =
        l.in >= 1 &&
        l.in <= BLOCK_MAX_DEPTH &&
        l.out >= 1 &&
        l.biasGroups >= 1 &&
        (l.biasGroups === 1 || (l.out > NARROW_MAX && m % l.biasGroups === 0)) &&
        (!l.residual || l.in === l.out) &&
        (i === 0 || l.in === layers[i - 1].out) &&
        l.in * l.out <= w.length &&
        (!b || l.out * l.biasGroups <= b.length);
      if (!ok) throw new Error(`${fn}: layer ${i}'s sizes do not fit`);
      meta.set([l.in, l.out, ACT_CODE[l.act], l.residual ? 1 : 0, l.biasGroups], 5 * i);
      weights.push(w, b);
    });
    return { meta, weights };
  }

  /**
   * Runs `call` with the `head` arrays, `meta` and a table of pointers (int32, 0 for null) to the
   * `table` arrays, all laid out in the module's memory (weights read, or gradients accumulated).
   */
  private withTable(
    meta: Int32Array,
    table: readonly (readonly [Float32Array | null, Role])[],
    head: readonly (readonly [Arr | null, Role])[],
    call: (head: number[], meta: number, ptrs: number) => void,
  ): void {
    const ptrs = new Int32Array(table.length);
    const list: (readonly [Arr | null, Role])[] = [...head, [meta, 'in'], [ptrs, 'in'], ...table];
    // the pointer table's contents depend on the layout: lay out, fill ptrs in memory, then call
    this.run(list, (p) => {
      const t = new Int32Array(this.k.memory.buffer, p[head.length + 1], table.length);
      for (let i = 0; i < table.length; i++) t[i] = p[head.length + 2 + i];
      call(p.slice(0, head.length), p[head.length], p[head.length + 1]);
    });
  }

  override mlpForward(x: Storage, y: Storage, m: number, layers: readonly MlpLayerStorage[]): void {
    const { meta, weights } = this.chain('mlpForward', m, layers);
    const xd = this.d(x);
    const yd = this.d(y);
    const out = m * layers[layers.length - 1].out;
    if (m * layers[0].in > xd.length || out > yd.length)
      throw new Error('mlpForward: arrays too short for the sizes');
    this.withTable(
      meta,
      weights.map((w) => [w, 'in'] as const),
      [
        [xd, 'in'],
        [yd, yd.length > out ? 'inout' : 'out'],
      ],
      ([px, py], pm, pp) => this.k.rfm_mlp_forward(px, m, pm, pp, layers.length, py),
    );
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
    const { meta, weights } = this.chain('mlpEuler', m, [
      { ...layers[0], bias: null, biasGroups: 1 },
      ...layers.slice(1),
    ]);
    const D = layers[0].in;
    const H0 = layers[0].out;
    const y0d = this.d(y0);
    const yd = this.d(y);
    const sb = this.d(stepBias);
    const steps = h.length;
    const ok =
      layers[layers.length - 1].out === D &&
      m * D <= y0d.length &&
      m * D <= yd.length &&
      groups >= 1 &&
      m % groups === 0 &&
      (groups === 1 || H0 > NARROW_MAX) &&
      steps * groups * H0 <= sb.length;
    if (!ok)
      throw new Error(
        'mlpEuler: sizes do not fit (the chain must map D to D; stepBias [steps, groups, H])',
      );
    const hd = Float32Array.from(h);
    this.withTable(
      meta,
      weights.map((w) => [w, 'in'] as const),
      [
        [y0d, 'in'],
        [sb, 'in'],
        [hd, 'in'],
        [yd, yd.length > m * D || yd === y0d ? 'inout' : 'out'],
      ],
      ([p0, psb, ph, py], pm, pp) =>
        this.k.rfm_mlp_euler(p0, m, pm, pp, layers.length, steps, psb, groups, ph, py),
    );
  }
  /** An output role: written whole by the kernel when its array has exactly `n` elements. */
  private static outRole(a: Arr, n: number): Role {
    return a.length > n ? 'inout' : 'out';
  }

  private static counts(fn: string, ...v: number[]): void {
    if (!v.every((x) => Number.isInteger(x) && x >= 0)) throw new Error(`${fn}: bad arguments`);
  }

  override reduce(
    op: ReduceOp,
    x: Storage,
    out: Storage,
    outer: number,
    len: number,
    inner: number,
  ): void {
    this.reduceCall('reduce', REDUCE_CODE[op], x, out, outer, len, inner);
  }

  override argReduce(
    op: 'max' | 'min',
    x: Storage,
    out: Storage,
    outer: number,
    len: number,
    inner: number,
  ): void {
    this.reduceCall('argReduce', REDUCE_CODE[op], x, out, outer, len, inner);
  }

  private reduceCall(
    fn: 'reduce' | 'argReduce',
    op: number,
    x: Storage,
    out: Storage,
    outer: number,
    len: number,
    inner: number,
  ): void {
    WasmBackend.counts(fn, outer, len, inner);
    const xd = this.d(x);
    const od = this.d(out);
    const n = outer * inner;
    if (outer * len * inner > xd.length || n > od.length)
      throw new Error(`${fn}: arrays too short for the sizes`);
    if (n === 0) return;
    this.run(
      [
        [xd, 'in'],
        [od, WasmBackend.outRole(od, n)],
      ],
      ([px, po]) =>
        fn === 'reduce'
          ? this.k.rfm_reduce(op, px, po, outer, len, inner)
          : this.k.rfm_arg_reduce(op, px, po, outer, len, inner),
    );
  }

  override sumSquares(x: Storage): number {
    const xd = this.d(x);
    let s = 0;
    this.run([[xd, 'in']], ([px]) => {
      s = this.k.rfm_sum_squares(px, xd.length);
    });
    return s;
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
    this.gatherScatter('gather', src, idx, out, outer, srcLen, inner, nIdx);
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
    this.gatherScatter('scatterAdd', gout, idx, gsrc, outer, srcLen, inner, nIdx);
  }

  /** gather (a: src, b: out) or scatterAdd (a: gout, b: gsrc), their sizes and indices checked. */
  private gatherScatter(
    fn: 'gather' | 'scatterAdd',
    a: Storage,
    idx: Storage,
    b: Storage,
    outer: number,
    srcLen: number,
    inner: number,
    nIdx: number,
  ): void {
    WasmBackend.counts(fn, outer, srcLen, inner, nIdx);
    const [ad, id, bd] = [a, idx, b].map((s) => this.d(s));
    const srcSize = outer * srcLen * inner;
    const outSize = outer * nIdx * inner;
    const [aSize, bSize] = fn === 'gather' ? [srcSize, outSize] : [outSize, srcSize];
    if (nIdx > id.length || aSize > ad.length || bSize > bd.length)
      throw new Error(`${fn}: arrays too short for the sizes`);
    checkIndices(fn, id, nIdx, srcLen);
    if (outSize === 0) return;
    this.run(
      [
        [ad, 'in'],
        [id, 'in'],
        [bd, fn === 'gather' ? WasmBackend.outRole(bd, outSize) : 'inout'],
      ],
      ([pa, pi, pb]) =>
        fn === 'gather'
          ? this.k.rfm_gather(pa, pi, pb, outer, srcLen, inner, nIdx)
          : this.k.rfm_scatter_add(pa, pi, pb, outer, srcLen, inner, nIdx),
    );
  }

  /** rfm_adam on laid-out arrays (pointers), n elements, gradScale from p. */
  private adamAt(
    [pp, pg, pm, pv]: readonly number[],
    n: number,
    p: AdamParams | (Omit<AdamParams, 'gradScale'> & { gradScale: number }),
  ): void {
    this.k.rfm_adam(
      pp,
      pg,
      pm,
      pv,
      n,
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

  override adam(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams): void {
    const [pd, gd, md, vd] = [param, grad, m, v].map((s) => this.d(s));
    if (gd.length < pd.length || md.length < pd.length || vd.length < pd.length)
      throw new Error('adam: arrays too short');
    this.run(
      [
        [pd, 'inout'],
        [gd, 'in'],
        [md, 'inout'],
        [vd, 'inout'],
      ],
      (ptrs) => this.adamAt(ptrs, pd.length, p),
    );
  }

  /**
   * Backend.adamMulti in one pass over the module's memory: every array copied in once, the norm
   * and the steps computed there, parameters and moments copied back; the gradients zeroed here.
   */
  override adamMulti(
    params: readonly Storage[],
    grads: readonly (Storage | null)[],
    m: readonly Storage[],
    v: readonly Storage[],
    p: Omit<AdamParams, 'gradScale'>,
    maxGradNorm: number,
  ): number {
    const n = params.length;
    const P = params.map((s) => this.d(s));
    const G = grads.map((s) => (s ? this.d(s) : null));
    const Mo = m.map((s) => this.d(s));
    const V = v.map((s) => this.d(s));
    const ok =
      G.length === n &&
      Mo.length === n &&
      V.length === n &&
      P.every(
        (q, i) =>
          (!G[i] || G[i]!.length >= q.length) &&
          Mo[i].length >= q.length &&
          V[i].length >= q.length,
      );
    if (!ok) throw new Error('adamMulti: the lists differ in length, or an array is too short');
    const list: (readonly [Arr | null, Role])[] = [];
    for (let i = 0; i < n; i++)
      list.push([P[i], 'inout'], [G[i], 'in'], [Mo[i], 'inout'], [V[i], 'inout']);
    let norm = 0;
    this.run(list, (ptrs) => {
      let s = 0;
      for (let i = 0; i < n; i++)
        if (G[i]) s += this.k.rfm_sum_squares(ptrs[4 * i + 1], P[i].length);
      norm = Math.sqrt(s);
      const gradScale = clipScale(norm, maxGradNorm);
      for (let i = 0; i < n; i++)
        if (G[i]) this.adamAt(ptrs.slice(4 * i, 4 * i + 4), P[i].length, { ...p, gradScale });
    });
    for (let i = 0; i < n; i++) G[i]?.fill(0, 0, P[i].length);
    return norm;
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
    const { ldw1, offset } = critics[0];
    const ad = this.d(act);
    const [q1d, q2d] = [q1, q2].map((s) => this.d(s));
    const gd = grad ? this.d(grad) : null;
    const within = (v: number) => Number.isInteger(v) && v >= 1 && v <= BLOCK_MAX_DEPTH;
    let ok =
      Number.isInteger(m) &&
      m >= 0 &&
      within(a) &&
      within(h1) &&
      within(h2) &&
      Number.isInteger(groups) &&
      groups >= 1 &&
      m % groups === 0 &&
      Number.isInteger(offset) &&
      offset >= 0 &&
      offset + a <= ldw1 &&
      m * a <= ad.length &&
      m <= q1d.length &&
      m <= q2d.length &&
      (!gd || m * a <= gd.length);
    const table: (readonly [Float32Array | null, Role])[] = [];
    for (const c of critics) {
      const [w1, cond, w2, w3] = [c.w1, c.cond, c.w2, c.w3].map((s) => this.d(s));
      const b2 = c.b2 ? this.d(c.b2) : null;
      const b3 = c.b3 ? this.d(c.b3) : null;
      ok &&=
        h1 * ldw1 <= w1.length &&
        groups * h1 <= cond.length &&
        h2 * h1 <= w2.length &&
        (!b2 || h2 <= b2.length) &&
        h2 <= w3.length &&
        (!b3 || b3.length >= 1);
      for (const w of [w1, cond, w2, b2, w3, b3]) table.push([w, 'in']);
    }
    if (!ok) throw new Error('twinReluCriticMin: arrays too short for the sizes');
    if (m === 0) return;
    const meta = Int32Array.of(m, a, h1, h2, groups, ldw1, offset);
    this.withTable(
      meta,
      table,
      [
        [ad, 'in'],
        [q1d, WasmBackend.outRole(q1d, m)],
        [q2d, WasmBackend.outRole(q2d, m)],
        [gd, gd ? WasmBackend.outRole(gd, m * a) : 'out'],
      ],
      ([pa, p1, p2, pg], pm, pp) => this.k.rfm_twin_relu_critic_min(pa, pm, pp, p1, p2, pg),
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
    if (!Number.isInteger(m) || m < 1 || layers.length < 1 || layers.length > MAX_LAYERS)
      throw new Error('mlpMseGrads: bad meta or missing arrays');
    const meta = new Int32Array(4 * layers.length);
    const table: (readonly [Float32Array | null, Role])[] = [];
    layers.forEach((l, i) => {
      const w = this.d(l.w);
      const [b, gw, gb] = [l.bias, l.gw, l.gb].map((s) => (s ? this.d(s) : null));
      const ok =
        Number.isInteger(l.in) &&
        Number.isInteger(l.out) &&
        l.in >= 1 &&
        l.out >= 1 &&
        (i === 0 || l.in === layers[i - 1].out) &&
        l.in * l.out <= w.length &&
        (!b || l.out <= b.length) &&
        (!gw || l.in * l.out <= gw.length) &&
        (!gb || l.out <= gb.length) &&
        (!l.residual || (l.in === l.out && l.act !== 'tanh' && l.act !== 'sigmoid'));
      if (!ok) throw new Error("mlpMseGrads: a layer's sizes do not fit");
      meta.set([l.in, l.out, ACT_CODE[l.act], l.residual ? 1 : 0], 4 * i);
      table.push([w, 'in'], [b, 'in'], [gw, 'inout'], [gb, 'inout']);
    });
    const xd = this.d(x);
    const td = this.d(target);
    const pd = pred ? this.d(pred) : null;
    const nOut = m * layers[layers.length - 1].out;
    if (m * layers[0].in > xd.length || nOut > td.length || (pd && nOut > pd.length))
      throw new Error('mlpMseGrads: arrays too short for the sizes');
    let loss = 0;
    this.withTable(
      meta,
      table,
      [
        [xd, 'in'],
        [td, 'in'],
        [pd, pd ? WasmBackend.outRole(pd, nOut) : 'out'],
      ],
      ([px, pt, pp], pm, ptab) => {
        loss = this.k.rfm_mlp_mse_grads(px, pt, pp, m, pm, ptab, layers.length, scale);
      },
    );
    return loss;
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
    const [x1d, x0d, ld, gd, abd, md, cd, wd] = [x1, x0, logits, grads, aOverB, m, c, w].map((s) =>
      this.d(s),
    );
    const crd = cRow ? this.d(cRow) : null;
    const bkd = b * k * d;
    const ok =
      [b, k, d].every((v) => Number.isInteger(v) && v >= 1) &&
      x1d.length >= bkd &&
      x0d.length >= bkd &&
      gd.length >= bkd &&
      ld.length >= b * k &&
      abd.length >= b &&
      (!crd || crd.length >= b) &&
      md.length >= b * d &&
      cd.length >= b * d &&
      wd.length >= b * k;
    if (!ok) throw new Error('posteriorMean: arrays too short for the sizes');
    const diag = new Float64Array(4);
    this.run(
      [
        [x1d, 'in'],
        [x0d, 'in'],
        [ld, 'in'],
        [gd, 'in'],
        [abd, 'in'],
        [crd, 'in'],
        [md, WasmBackend.outRole(md, b * d)],
        [cd, WasmBackend.outRole(cd, b * d)],
        [wd, WasmBackend.outRole(wd, b * k)],
        [diag, 'out'],
      ],
      ([p1, p0, pl, pg, pab, pcr, pm, pc, pw, pdiag]) =>
        this.k.rfm_posterior_mean(
          p1,
          p0,
          pl,
          pg,
          pab,
          pcr,
          b,
          k,
          d,
          ridge,
          clip,
          pm,
          pc,
          pw,
          pdiag,
        ),
    );
    return { ess: diag[0], meanC: diag[1], maxWeight: diag[2], logitSpread: diag[3] };
  }
}

/** A wasm backend from the module's bytes (compiled synchronously: in a page, call it in a worker). */
export function wasmBackendFromBytes(bytes: BufferSource): WasmBackend {
  return new WasmBackend(new WebAssembly.Module(bytes));
}

let source: (() => BufferSource) | null = null;
let failure: unknown = null;
/**
 * Registers the backend `wasm`, built on first use from the bytes `load` returns (the Node host
 * reads native/wasm/rfm_kernels.wasm; a page passes what it fetched). When that fails the backend
 * is unavailable and `wasmLoadError` says why.
 */
export function registerWasmBackend(load: () => BufferSource): void {
  source = load;
  registerBackend('wasm', () => {
    try {
      return wasmBackendFromBytes(source!());
    } catch (e) {
      failure = e;
      return null;
    }
  });
}
/** Why the wasm backend did not load (null when it did or was not tried). */
export function wasmLoadError(): unknown {
  return failure;
}
