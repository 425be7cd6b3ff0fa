/**
 * The TypeScript reference backend: plain loops over Float32Array, no Node-only APIs, so the
 * engine runs in a browser. Storage is pooled by length: `free` keeps a buffer for reuse.
 */
import type {
  Activation,
  AdamParams,
  Backend,
  BinaryOp,
  MlpLayerStorage,
  ReduceOp,
  ReluCriticStorage,
  Storage,
  UnaryOp,
  View,
} from './backend.ts';
import {
  activationDerivative,
  activationValue,
  binaryValue,
  unaryDerivative,
  unaryValue,
} from './kernels-ts.ts';

export class TsStorage implements Storage {
  freed = false;
  refs = 0;
  constructor(
    readonly backend: Backend,
    public data: Float32Array,
  ) {}
  get length(): number {
    return this.data.length;
  }
}

/** The Float32Array behind a storage of a Float32Array-based backend, checking ownership and liveness. */
export function dataOf(s: Storage, backend: Backend): Float32Array {
  if (s.backend !== backend) {
    throw new Error(
      `backend mismatch: storage of backend '${s.backend.name}' passed to backend '${backend.name}'`,
    );
  }
  const t = s as TsStorage;
  if (t.freed) throw new Error('use of a released tensor (its storage was freed)');
  return t.data;
}

/**
 * The factor of global-norm gradient clipping (Backend.adamMulti): maxGradNorm / (norm + 1e-6)
 * when the norm exceeds a finite maxGradNorm, else 1.
 */
export function clipScale(norm: number, maxGradNorm: number): number {
  return Number.isFinite(maxGradNorm) && norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1;
}

/** Throws unless idx[0..nIdx) are integers in [0, srcLen) (gather and scatterAdd's indices). */
/** The fused twin-critic kernels' argument check: exactly two critics whose first layers have one layout. */
export function checkTwinCritics(critics: readonly ReluCriticStorage[]): void {
  if (critics.length !== 2)
    throw new Error(`twinReluCriticMin: two critics, got ${critics.length}`);
  if (critics[0].ldw1 !== critics[1].ldw1 || critics[0].offset !== critics[1].offset)
    throw new Error("twinReluCriticMin: the critics' first layers differ in shape");
}

export function checkIndices(fn: string, idx: Float32Array, nIdx: number, srcLen: number): void {
  for (let j = 0; j < nIdx; j++) {
    const k = idx[j];
    if (!(k >= 0 && k < srcLen && Number.isInteger(k)))
      throw new Error(`${fn}: index ${k} out of range [0, ${srcLen})`);
  }
}

/**
 * Visits the elements of a contiguous output of `shape` and, for each view, the offset of the
 * matching element. Calls `row(outIndex, offsets, innerLen, innerStrides)` once per last-axis run.
 */
function forEachRow(
  shape: readonly number[],
  views: readonly View[],
  row: (outStart: number, offsets: number[], len: number, strides: number[]) => void,
): void {
  const nd = shape.length;
  const size = shape.reduce((a, b) => a * b, 1);
  if (size === 0) return;
  const len = nd === 0 ? 1 : shape[nd - 1];
  const inner = views.map((v) => (nd === 0 ? 0 : v.strides[nd - 1]));
  const idx = new Array(Math.max(nd - 1, 0)).fill(0);
  const offsets = views.map((v) => v.offset);
  for (let start = 0; start < size; start += len) {
    row(start, offsets.slice(), len, inner);
    // advance the multi-index over the leading axes
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      for (let v = 0; v < views.length; v++) offsets[v] += views[v].strides[d];
      if (idx[d] < shape[d]) break;
      for (let v = 0; v < views.length; v++) offsets[v] -= views[v].strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

export class TsBackend implements Backend {
  readonly name: string = 'ts';
  private readonly pool = new Map<number, Float32Array[]>();

  alloc(length: number): Storage {
    const list = this.pool.get(length);
    const data = list && list.length > 0 ? list.pop()! : new Float32Array(length);
    return new TsStorage(this, data);
  }
  fromArray(data: ArrayLike<number>): Storage {
    const s = this.alloc(data.length);
    (s as TsStorage).data.set(data);
    return s;
  }
  read(s: Storage): Float32Array {
    return dataOf(s, this).slice();
  }
  write(s: Storage, data: ArrayLike<number>): void {
    const d = dataOf(s, this);
    if (data.length !== d.length)
      throw new Error(`write: ${data.length} values into storage of ${d.length}`);
    d.set(data);
  }
  free(s: Storage): void {
    const t = s as TsStorage;
    const d = dataOf(s, this);
    t.freed = true;
    let list = this.pool.get(d.length);
    if (!list) this.pool.set(d.length, (list = []));
    if (list.length < 64) list.push(d);
  }

  fill(out: Storage, value: number): void {
    dataOf(out, this).fill(value);
  }

  unary(op: UnaryOp, x: Storage, out: Storage, p0: number, p1: number): void {
    const xd = dataOf(x, this);
    const od = dataOf(out, this);
    for (let i = 0; i < xd.length; i++) od[i] = unaryValue(op, xd[i], p0, p1);
  }
  unaryBackward(
    op: UnaryOp,
    x: Storage,
    y: Storage,
    gy: Storage,
    gx: Storage,
    p0: number,
    p1: number,
  ): void {
    const xd = dataOf(x, this);
    const yd = dataOf(y, this);
    const g = dataOf(gy, this);
    const o = dataOf(gx, this);
    for (let i = 0; i < xd.length; i++) o[i] = g[i] * unaryDerivative(op, xd[i], yd[i], p0, p1);
  }

  binary(op: BinaryOp, a: View, b: View, out: Storage, shape: readonly number[]): void {
    const ad = dataOf(a.storage, this);
    const bd = dataOf(b.storage, this);
    const od = dataOf(out, this);
    forEachRow(shape, [a, b], (o, [ao, bo], len, [as, bs]) => {
      for (let i = 0; i < len; i++) od[o + i] = binaryValue(op, ad[ao + i * as], bd[bo + i * bs]);
    });
  }
  where(cond: View, a: View, b: View, out: Storage, shape: readonly number[]): void {
    const cd = dataOf(cond.storage, this);
    const ad = dataOf(a.storage, this);
    const bd = dataOf(b.storage, this);
    const od = dataOf(out, this);
    forEachRow(shape, [cond, a, b], (o, [co, ao, bo], len, [cs, as, bs]) => {
      for (let i = 0; i < len; i++)
        od[o + i] = cd[co + i * cs] !== 0 ? ad[ao + i * as] : bd[bo + i * bs];
    });
  }
  axpy(alpha: number, x: Storage, y: Storage): void {
    const xd = dataOf(x, this);
    const yd = dataOf(y, this);
    for (let i = 0; i < yd.length; i++) yd[i] += alpha * xd[i];
  }
  scale(x: Storage, alpha: number, out: Storage): void {
    const xd = dataOf(x, this);
    const od = dataOf(out, this);
    for (let i = 0; i < xd.length; i++) od[i] = alpha * xd[i];
  }

  reduce(op: ReduceOp, x: Storage, out: Storage, outer: number, len: number, inner: number): void {
    const xd = dataOf(x, this);
    const od = dataOf(out, this);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * len * inner + j;
        let acc = op === 'sum' ? 0 : xd[base];
        for (let i = op === 'sum' ? 0 : 1; i < len; i++) {
          const v = xd[base + i * inner];
          if (op === 'sum') acc += v;
          else if (op === 'max') acc = v > acc || Number.isNaN(v) ? v : acc;
          else acc = v < acc || Number.isNaN(v) ? v : acc;
        }
        od[o * inner + j] = acc;
      }
    }
  }
  argReduce(
    op: 'max' | 'min',
    x: Storage,
    out: Storage,
    outer: number,
    len: number,
    inner: number,
  ): void {
    const xd = dataOf(x, this);
    const od = dataOf(out, this);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * len * inner + j;
        let best = 0;
        let bv = xd[base];
        for (let i = 1; i < len; i++) {
          const v = xd[base + i * inner];
          if (op === 'max' ? v > bv : v < bv) {
            bv = v;
            best = i;
          }
        }
        od[o * inner + j] = best;
      }
    }
  }
  sumSquares(x: Storage): number {
    const xd = dataOf(x, this);
    let s = 0;
    for (let i = 0; i < xd.length; i++) s += xd[i] * xd[i];
    return s;
  }

  copy(src: View, dst: View, shape: readonly number[], accumulate: boolean): void {
    const sd = dataOf(src.storage, this);
    const dd = dataOf(dst.storage, this);
    // iterate over src and dst views together; the "output index" is unused
    forEachRow(shape, [src, dst], (_o, [so, doff], len, [ss, ds]) => {
      if (accumulate) for (let i = 0; i < len; i++) dd[doff + i * ds] += sd[so + i * ss];
      else for (let i = 0; i < len; i++) dd[doff + i * ds] = sd[so + i * ss];
    });
  }
  gather(
    src: Storage,
    idx: Storage,
    out: Storage,
    outer: number,
    srcLen: number,
    inner: number,
    nIdx: number,
  ): void {
    const sd = dataOf(src, this);
    const id = dataOf(idx, this);
    const od = dataOf(out, this);
    checkIndices('gather', id, nIdx, srcLen);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < nIdx; j++) {
        const s0 = (o * srcLen + id[j]) * inner;
        const d0 = (o * nIdx + j) * inner;
        for (let i = 0; i < inner; i++) od[d0 + i] = sd[s0 + i];
      }
  }
  scatterAdd(
    gout: Storage,
    idx: Storage,
    gsrc: Storage,
    outer: number,
    srcLen: number,
    inner: number,
    nIdx: number,
  ): void {
    const gd = dataOf(gout, this);
    const id = dataOf(idx, this);
    const sd = dataOf(gsrc, this);
    checkIndices('scatterAdd', id, nIdx, srcLen);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < nIdx; j++) {
        const s0 = (o * srcLen + id[j]) * inner;
        const d0 = (o * nIdx + j) * inner;
        for (let i = 0; i < inner; i++) sd[s0 + i] += gd[d0 + i];
      }
  }

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
  ): void {
    const A = dataOf(a, this);
    const B = dataOf(b, this);
    const C = dataOf(c, this);
    for (let q = 0; q < batch; q++) {
      const oa = q * strideA;
      const ob = q * strideB;
      const oc = q * strideC;
      if (!accumulate) C.fill(0, oc, oc + m * n);
      if (!transA && !transB) {
        for (let i = 0; i < m; i++) {
          const ci = oc + i * n;
          for (let p = 0; p < k; p++) {
            const aip = A[oa + i * k + p];
            if (aip === 0) continue;
            const bp = ob + p * n;
            for (let j = 0; j < n; j++) C[ci + j] += aip * B[bp + j];
          }
        }
      } else if (!transA && transB) {
        for (let i = 0; i < m; i++) {
          const ai = oa + i * k;
          for (let j = 0; j < n; j++) {
            const bj = ob + j * k;
            let s = 0;
            for (let p = 0; p < k; p++) s += A[ai + p] * B[bj + p];
            C[oc + i * n + j] += s;
          }
        }
      } else if (transA && !transB) {
        for (let p = 0; p < k; p++) {
          const ap = oa + p * m;
          const bp = ob + p * n;
          for (let i = 0; i < m; i++) {
            const api = A[ap + i];
            if (api === 0) continue;
            const ci = oc + i * n;
            for (let j = 0; j < n; j++) C[ci + j] += api * B[bp + j];
          }
        }
      } else {
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += A[oa + p * m + i] * B[ob + j * k + p];
            C[oc + i * n + j] += s;
          }
      }
    }
  }

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
    biasGroups = 1,
    residual: Storage | null = null,
  ): void {
    const z = pre ?? y;
    this.matmul(x, w, z, m, n, k, false, true, false, 1, 0, 0, 0);
    const Z = dataOf(z, this);
    const Y = dataOf(y, this);
    if (bias) {
      const bd = dataOf(bias, this);
      const rows = m / biasGroups;
      for (let i = 0; i < m; i++) {
        const bo = biasGroups > 1 ? Math.floor(i / rows) * n : 0;
        for (let j = 0; j < n; j++) Z[i * n + j] += bd[bo + j];
      }
    }
    if (act !== 'none' || pre) for (let i = 0; i < m * n; i++) Y[i] = activationValue(act, Z[i]);
    if (residual) {
      const R = dataOf(residual, this);
      for (let i = 0; i < m * n; i++) Y[i] += R[i];
    }
  }
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
    biasGroups = 1,
  ): void {
    const Z = dataOf(pre, this);
    const Y = dataOf(y, this);
    const G = dataOf(gy, this);
    const S = dataOf(scratch, this);
    for (let i = 0; i < m * n; i++) S[i] = G[i] * activationDerivative(act, Z[i], Y[i]);
    if (gx) this.matmul(scratch, w, gx, m, k, n, false, false, false, 1, 0, 0, 0);
    if (gw) this.matmul(scratch, x, gw, n, k, m, true, false, accumulate, 1, 0, 0, 0);
    if (gbias) {
      const gb = dataOf(gbias, this);
      if (!accumulate) gb.fill(0);
      const rows = m / biasGroups;
      for (let i = 0; i < m; i++) {
        const bo = biasGroups > 1 ? Math.floor(i / rows) * n : 0;
        for (let j = 0; j < n; j++) gb[bo + j] += S[i * n + j];
      }
    }
  }

  mlpForward(x: Storage, y: Storage, m: number, layers: readonly MlpLayerStorage[]): void {
    let cur = x;
    layers.forEach((l, i) => {
      const out = i + 1 === layers.length ? y : this.alloc(m * l.out);
      this.linear(
        cur,
        l.w,
        l.bias,
        out,
        null,
        m,
        l.out,
        l.in,
        l.act,
        l.biasGroups,
        l.residual ? cur : null,
      );
      if (cur !== x) this.free(cur);
      cur = out;
    });
  }

  mlpEuler(
    y0: Storage,
    y: Storage,
    m: number,
    layers: readonly MlpLayerStorage[],
    stepBias: Storage,
    groups: number,
    h: readonly number[],
  ): void {
    const H0 = layers[0].out;
    const Y = dataOf(y, this);
    Y.set(dataOf(y0, this).subarray(0, Y.length));
    const v = this.alloc(y.length);
    const hv = this.alloc(y.length);
    const bias = this.alloc(groups * H0);
    const sb = dataOf(stepBias, this);
    try {
      h.forEach((hk, k) => {
        dataOf(bias, this).set(sb.subarray(k * groups * H0, (k + 1) * groups * H0));
        this.mlpForward(y, v, m, [{ ...layers[0], bias, biasGroups: groups }, ...layers.slice(1)]);
        this.scale(v, Math.fround(hk), hv);
        const V = dataOf(hv, this);
        for (let i = 0; i < Y.length; i++) Y[i] = Math.fround(Y[i] + V[i]);
      });
    } finally {
      this.free(v);
      this.free(hv);
      this.free(bias);
    }
  }

  adamMulti(
    params: readonly Storage[],
    grads: readonly (Storage | null)[],
    m: readonly Storage[],
    v: readonly Storage[],
    p: Omit<AdamParams, 'gradScale'>,
    maxGradNorm: number,
  ): number {
    if (
      grads.length !== params.length ||
      m.length !== params.length ||
      v.length !== params.length
    ) {
      throw new Error('adamMulti: the lists differ in length, or an array is too short');
    }
    let s = 0;
    for (const g of grads) if (g) s += this.sumSquares(g);
    const norm = Math.sqrt(s);
    const gradScale = clipScale(norm, maxGradNorm);
    params.forEach((param, i) => {
      const g = grads[i];
      if (!g) return;
      this.adam(param, g, m[i], v[i], { ...p, gradScale });
      this.fill(g, 0);
    });
    return norm;
  }

  polyakMulti(targets: readonly Storage[], onlines: readonly Storage[], tau: number): void {
    if (targets.length !== onlines.length)
      throw new Error('polyakMulti: the lists differ in length, or an array is too short');
    targets.forEach((t, i) => {
      this.scale(t, 1 - tau, t);
      this.axpy(tau, onlines[i], t);
    });
  }

  adam(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams): void {
    const P = dataOf(param, this);
    const G = dataOf(grad, this);
    const M = dataOf(m, this);
    const V = dataOf(v, this);
    const { lr, beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2, gradScale } = p;
    for (let i = 0; i < P.length; i++) {
      const g = G[i] * gradScale;
      M[i] = beta1 * M[i] + (1 - beta1) * g;
      V[i] = beta2 * V[i] + (1 - beta2) * g * g;
      const mh = M[i] / biasCorrection1;
      const vh = V[i] / biasCorrection2;
      P[i] = P[i] - lr * (mh / (Math.sqrt(vh) + eps) + weightDecay * P[i]);
    }
  }
}
