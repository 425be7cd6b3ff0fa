/**
 * Tensors and reverse-mode automatic differentiation.
 *
 * A Tensor is a contiguous float32 array with a shape, stored by a backend. Each op records a
 * node (its inputs and a backward rule) when gradients are enabled and an input requires them.
 * `backward(loss)` accumulates gradients into leaf tensors' `.grad` (parameters);
 * `grad(loss, [x, ...])` returns d loss / d x for any tensors (inputs as well as parameters).
 *
 * Memory: storage is reference-counted and returns to its backend's pool when the last tensor
 * using it is disposed. `tidy(fn)` disposes every tensor created inside fn except those it
 * returns or that were `keep()`-ed, so training loops reuse the same buffers step after step.
 */
import type {
  Activation,
  Backend,
  BinaryOp,
  MlpLayerStorage,
  Storage,
  UnaryOp,
  View,
} from './backend.ts';
import { getBackend } from './registry.ts';
import { Rng } from './rng.ts';

export type Shape = readonly number[];

interface Node {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Gradients for each input (null where the input needs none), given the output's gradient. */
  backward(g: Tensor): (Tensor | null)[];
}

// ---------------------------------------------------------------------------------------------
// global state: grad mode and scopes

let gradEnabled = true;
const scopes: Tensor[][] = [];

/** Runs fn with gradient recording off (no nodes are created). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

function collectTensors(v: unknown, out: Set<Tensor>, depth = 0): void {
  if (v instanceof Tensor) out.add(v);
  else if (depth < 3 && Array.isArray(v)) for (const x of v) collectTensors(x, out, depth + 1);
  else if (depth < 3 && v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) collectTensors(x, out, depth + 1);
}

/**
 * Runs fn and disposes every tensor it created, except the tensors in its result (a tensor, or
 * an array / plain object of them, up to three levels deep) and tensors marked with keep().
 */
export function tidy<T>(fn: () => T): T {
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const keep = new Set<Tensor>();
  collectTensors(result, keep);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (keep.has(t)) {
      if (parent) parent.push(t);
    } else if (!t.kept && !t.disposed) t.dispose();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// shapes

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const s = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** The broadcast shape of two shapes (NumPy rules), or an error naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new Error(`${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** A view of t broadcast to `shape` (stride 0 along broadcast axes). */
function broadcastView(t: Tensor, shape: Shape): View {
  const n = shape.length;
  const st = contiguousStrides(t.shape);
  const strides = new Array(n);
  for (let i = 0; i < n; i++) {
    const j = t.shape.length - n + i;
    strides[i] = j < 0 || t.shape[j] === 1 ? 0 : st[j];
  }
  return { storage: t.storage, offset: 0, strides };
}

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw new Error(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

// ---------------------------------------------------------------------------------------------
// the tensor

export class Tensor {
  readonly shape: number[];
  readonly storage: Storage;
  readonly backend: Backend;
  requiresGrad: boolean;
  /** Accumulated gradient (leaf tensors, after backward). */
  grad: Tensor | null = null;
  /** Not disposed by tidy(). */
  kept = false;
  disposed = false;
  /** Optional name, used in error messages and checkpoints. */
  name?: string;
  node: Node | null = null;

  constructor(storage: Storage, shape: Shape, requiresGrad = false) {
    if (storage.length !== sizeOf(shape)) {
      throw new Error(
        `Tensor: storage of ${storage.length} elements cannot have shape ${fmt(shape)}`,
      );
    }
    this.storage = storage;
    this.backend = storage.backend;
    this.shape = [...shape];
    this.requiresGrad = requiresGrad;
    storage.refs++;
    const scope = scopes[scopes.length - 1];
    if (scope) scope.push(this);
  }

  get size(): number {
    return this.storage.length;
  }
  get rank(): number {
    return this.shape.length;
  }

  /** Releases the storage (when no other tensor shares it). Further use is an error. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (--this.storage.refs <= 0) this.backend.free(this.storage);
    this.node = null;
  }

  /** Excludes this tensor from every enclosing tidy(). */
  keep(): this {
    this.kept = true;
    return this;
  }

  /** Copies the values back to the host. */
  toArray(): Float32Array {
    live(this, 'toArray');
    return this.backend.read(this.storage);
  }
  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      throw new Error(`item: tensor of shape ${fmt(this.shape)} has ${this.size} elements`);
    return this.toArray()[0];
  }
  /** Nested arrays, for printing and tests. */
  toNested(): unknown {
    const d = this.toArray();
    const rec = (dim: number, off: number): unknown => {
      if (dim === this.rank) return d[off];
      const st = contiguousStrides(this.shape)[dim];
      return Array.from({ length: this.shape[dim] }, (_, i) => rec(dim + 1, off + i * st));
    };
    return rec(0, 0);
  }

  // chainable ops (see the functions of the same names below)
  add(b: Tensor | number): Tensor {
    return add(this, b);
  }
  sub(b: Tensor | number): Tensor {
    return sub(this, b);
  }
  mul(b: Tensor | number): Tensor {
    return mul(this, b);
  }
  div(b: Tensor | number): Tensor {
    return div(this, b);
  }
  pow(b: Tensor | number): Tensor {
    return pow(this, b);
  }
  neg(): Tensor {
    return unary(this, 'neg');
  }
  exp(): Tensor {
    return unary(this, 'exp');
  }
  log(): Tensor {
    return unary(this, 'log');
  }
  log1p(): Tensor {
    return unary(this, 'log1p');
  }
  tanh(): Tensor {
    return unary(this, 'tanh');
  }
  sigmoid(): Tensor {
    return unary(this, 'sigmoid');
  }
  softplus(): Tensor {
    return unary(this, 'softplus');
  }
  relu(): Tensor {
    return unary(this, 'relu');
  }
  gelu(): Tensor {
    return unary(this, 'gelu');
  }
  silu(): Tensor {
    return unary(this, 'silu');
  }
  mish(): Tensor {
    return unary(this, 'mish');
  }
  sin(): Tensor {
    return unary(this, 'sin');
  }
  cos(): Tensor {
    return unary(this, 'cos');
  }
  square(): Tensor {
    return unary(this, 'square');
  }
  sqrt(): Tensor {
    return unary(this, 'sqrt');
  }
  abs(): Tensor {
    return unary(this, 'abs');
  }
  logcosh(): Tensor {
    return unary(this, 'logcosh');
  }
  clamp(lo: number, hi: number): Tensor {
    return unary(this, 'clamp', lo, hi);
  }
  matmul(b: Tensor, opts?: MatmulOptions): Tensor {
    return matmul(this, b, opts);
  }
  sum(axis?: number, keepdim = false): Tensor {
    return sum(this, axis, keepdim);
  }
  mean(axis?: number, keepdim = false): Tensor {
    return mean(this, axis, keepdim);
  }
  max(axis?: number, keepdim = false): Tensor {
    return max(this, axis, keepdim);
  }
  min(axis?: number, keepdim = false): Tensor {
    return min(this, axis, keepdim);
  }
  reshape(shape: Shape): Tensor {
    return reshape(this, shape);
  }
  expand(shape: Shape): Tensor {
    return expand(this, shape);
  }
  transpose(): Tensor {
    return transpose(this);
  }
  detach(): Tensor {
    return detach(this);
  }
}

function live(t: Tensor, op: string): void {
  if (t.disposed)
    throw new Error(
      `${op}: use of a released tensor${t.name ? ` '${t.name}'` : ''} of shape ${fmt(t.shape)}`,
    );
}

function sameBackend(op: string, ts: readonly Tensor[]): Backend {
  const b = ts[0].backend;
  for (const t of ts) {
    live(t, op);
    if (t.backend !== b)
      throw new Error(`${op}: backend mismatch ('${b.name}' and '${t.backend.name}')`);
  }
  return b;
}

/**
 * During `grad(root, wrt)`, the tensors whose gradient is needed (those on a path to some x in
 * wrt); backward rules skip the rest, e.g. d Q / d action does not compute weight gradients.
 */
let activeNeeds: Set<Tensor> | null = null;
function wants(t: Tensor): boolean {
  return t.requiresGrad && (activeNeeds === null || activeNeeds.has(t));
}

function needsGrad(ts: readonly Tensor[]): boolean {
  return gradEnabled && ts.some((t) => t.requiresGrad);
}

/** A new tensor from a fresh storage filled by `kernel`, with a node when gradients flow. */
function make(
  backend: Backend,
  shape: Shape,
  inputs: readonly Tensor[],
  op: string,
  kernel: (out: Storage) => void,
  backward?: (g: Tensor, out: Tensor) => (Tensor | null)[],
): Tensor {
  const out = new Tensor(backend.alloc(sizeOf(shape)), shape);
  kernel(out.storage);
  if (backward && needsGrad(inputs)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward: (g) => backward(g, out) };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// creation

export function tensor(
  data: ArrayLike<number> | number,
  shape?: Shape,
  backend: Backend = getBackend(),
): Tensor {
  const arr = typeof data === 'number' ? [data] : data;
  const sh = shape ?? (typeof data === 'number' ? [] : [arr.length]);
  if (sizeOf(sh) !== arr.length)
    throw new Error(`tensor: ${arr.length} values do not fill shape ${fmt(sh)}`);
  return new Tensor(backend.fromArray(arr), sh);
}

export function full(shape: Shape, value: number, backend: Backend = getBackend()): Tensor {
  const t = new Tensor(backend.alloc(sizeOf(shape)), shape);
  backend.fill(t.storage, value);
  return t;
}
export const zeros = (shape: Shape, backend?: Backend): Tensor => full(shape, 0, backend);
export const ones = (shape: Shape, backend?: Backend): Tensor => full(shape, 1, backend);
export function scalar(v: number, backend?: Backend): Tensor {
  return tensor([v], [], backend);
}
export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, t.backend);
}
/**
 * A tensor of `shape` whose values are unspecified: for a kernel's output that the kernel writes
 * in full (no fill before it).
 */
export function empty(shape: Shape, backend: Backend = getBackend()): Tensor {
  return new Tensor(backend.alloc(sizeOf(shape)), shape);
}
/** Host draws before their upload: one buffer reused call to call (the backend copies it). */
let drawScratch = new Float32Array(0);
function drawBuffer(n: number): Float32Array {
  if (drawScratch.length < n) drawScratch = new Float32Array(Math.max(n, 2 * drawScratch.length));
  return drawScratch.subarray(0, n);
}
/** Normal draws from an explicit generator (numbers are made on the host, then uploaded). */
export function randn(shape: Shape, rng: Rng, backend?: Backend, std = 1): Tensor {
  return tensor(rng.fillNormal(drawBuffer(sizeOf(shape)), 0, std), shape, backend);
}
export function rand(shape: Shape, rng: Rng, backend?: Backend, low = 0, high = 1): Tensor {
  return tensor(rng.fillUniform(drawBuffer(sizeOf(shape)), low, high), shape, backend);
}
export function arange(n: number, backend?: Backend): Tensor {
  return tensor(
    Float32Array.from({ length: n }, (_, i) => i),
    [n],
    backend,
  );
}

function asTensor(x: Tensor | number, like: Tensor): Tensor {
  return typeof x === 'number' ? tensor([x], [], like.backend) : x;
}

// ---------------------------------------------------------------------------------------------
// elementwise

export function unary(x: Tensor, op: UnaryOp, p0 = 0, p1 = 0): Tensor {
  const be = sameBackend(op, [x]);
  return make(
    be,
    x.shape,
    [x],
    op,
    (o) => be.unary(op, x.storage, o, p0, p1),
    (g, y) => [
      make(be, x.shape, [], op + "'", (gx) =>
        be.unaryBackward(op, x.storage, y.storage, g.storage, gx, p0, p1),
      ),
    ],
  );
}

/** Sums g over the axes along which `shape` was broadcast, giving a tensor of `shape`. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  let t = g;
  const lead = g.rank - shape.length;
  for (let i = 0; i < g.rank; i++) {
    const target = i < lead ? 1 : shape[i - lead];
    if (target === 1 && g.shape[i] !== 1) t = sum(t, i, true);
  }
  return reshape(t, shape);
}

function binary(
  op: BinaryOp,
  a: Tensor,
  b: Tensor,
  backward?: (g: Tensor, out: Tensor) => (Tensor | null)[],
): Tensor {
  const be = sameBackend(op, [a, b]);
  const shape = broadcastShapes(op, a.shape, b.shape);
  return make(
    be,
    shape,
    [a, b],
    op,
    (o) => be.binary(op, broadcastView(a, shape), broadcastView(b, shape), o, shape),
    backward,
  );
}

export function add(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  return binary('add', a, bt, (g) => [sumTo(g, a.shape), sumTo(g, bt.shape)]);
}
export function sub(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  return binary('sub', a, bt, (g) => [
    sumTo(g, a.shape),
    wants(bt) ? sumTo(neg(g), bt.shape) : null,
  ]);
}
export function mul(a: Tensor, b: Tensor | number): Tensor {
  // by a number: one scaling kernel (no scalar tensor, no broadcast walk)
  if (typeof b === 'number') {
    const be = sameBackend('mul', [a]);
    // (b rounded to float32 first, as a scalar tensor would hold it: the same products)
    const f = Math.fround(b);
    return make(
      be,
      a.shape,
      [a],
      'mul',
      (o) => be.scale(a.storage, f, o),
      (g) => [mul(g, f)],
    );
  }
  const bt = asTensor(b, a);
  return binary('mul', a, bt, (g) => [
    wants(a) ? sumTo(mul(g, bt), a.shape) : null,
    wants(bt) ? sumTo(mul(g, a), bt.shape) : null,
  ]);
}
export function div(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  return binary('div', a, bt, (g, out) => [
    wants(a) ? sumTo(div(g, bt), a.shape) : null,
    wants(bt) ? sumTo(neg(div(mul(g, out), bt)), bt.shape) : null,
  ]);
}
/** a^b elementwise; a number exponent uses the scalar-power kernel. */
export function pow(a: Tensor, b: Tensor | number): Tensor {
  if (typeof b === 'number') return unary(a, 'powscalar', b);
  return binary('pow', a, b, (g, out) => [
    wants(a) ? sumTo(mul(g, mul(b, pow(a, sub(b, 1)))), a.shape) : null,
    wants(b) ? sumTo(mul(g, mul(out, log(a))), b.shape) : null,
  ]);
}
export function minimum(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  return binary('minimum', a, bt, (g) => {
    const m = compare('le', a, bt);
    return [sumTo(where(m, g, 0), a.shape), wants(bt) ? sumTo(where(m, 0, g), bt.shape) : null];
  });
}
export function maximum(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  return binary('maximum', a, bt, (g) => {
    const m = compare('ge', a, bt);
    return [sumTo(where(m, g, 0), a.shape), wants(bt) ? sumTo(where(m, 0, g), bt.shape) : null];
  });
}
/** 1 where the comparison holds, else 0 (no gradient). */
export function compare(
  op: 'gt' | 'ge' | 'lt' | 'le' | 'eq',
  a: Tensor,
  b: Tensor | number,
): Tensor {
  return binary(op, a, asTensor(b, a));
}

/** cond != 0 ? a : b, with broadcasting over all three. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const at = asTensor(a, cond);
  const bt = asTensor(b, cond);
  const be = sameBackend('where', [cond, at, bt]);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, at.shape), bt.shape);
  return make(
    be,
    shape,
    [at, bt],
    'where',
    (o) =>
      be.where(
        broadcastView(cond, shape),
        broadcastView(at, shape),
        broadcastView(bt, shape),
        o,
        shape,
      ),
    (g) => [
      wants(at) ? sumTo(where(cond, g, 0), at.shape) : null,
      wants(bt) ? sumTo(where(cond, 0, g), bt.shape) : null,
    ],
  );
}

export const neg = (x: Tensor): Tensor => unary(x, 'neg');
export const exp = (x: Tensor): Tensor => unary(x, 'exp');
export const log = (x: Tensor): Tensor => unary(x, 'log');
export const tanh = (x: Tensor): Tensor => unary(x, 'tanh');
export const square = (x: Tensor): Tensor => unary(x, 'square');
export const sin = (x: Tensor): Tensor => unary(x, 'sin');
export const cos = (x: Tensor): Tensor => unary(x, 'cos');
export const sqrt = (x: Tensor): Tensor => unary(x, 'sqrt');
export const relu = (x: Tensor): Tensor => unary(x, 'relu');
export const gelu = (x: Tensor): Tensor => unary(x, 'gelu');
export const sigmoid = (x: Tensor): Tensor => unary(x, 'sigmoid');
export const softplus = (x: Tensor): Tensor => unary(x, 'softplus');
export const clamp = (x: Tensor, lo: number, hi: number): Tensor => unary(x, 'clamp', lo, hi);

/** log sech^2(y) = -2 log cosh(y), stable for large |y| (the tanh change of variables). */
export function logSech2(y: Tensor): Tensor {
  return mul(unary(y, 'logcosh'), -2);
}

// ---------------------------------------------------------------------------------------------
// reductions

function reduceAxis(x: Tensor, axis: number): [outer: number, len: number, inner: number] {
  return [sizeOf(x.shape.slice(0, axis)), x.shape[axis], sizeOf(x.shape.slice(axis + 1))];
}

function reducedShape(shape: Shape, axis: number, keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
}

/** Sum over one axis, or over all elements when axis is undefined. */
export function sum(x: Tensor, axis?: number, keepdim = false): Tensor {
  const be = sameBackend('sum', [x]);
  if (axis === undefined) {
    const flat = reshape(x, [1, x.size, 1]);
    const s = sum(flat, 1);
    return reshape(s, keepdim ? x.shape.map(() => 1) : []);
  }
  const ax = normAxis('sum', axis, x.rank);
  const [outer, len, inner] = reduceAxis(x, ax);
  const shape = reducedShape(x.shape, ax, keepdim);
  return make(
    be,
    shape,
    [x],
    'sum',
    (o) => be.reduce('sum', x.storage, o, outer, len, inner),
    (g) => [expand(reshape(g, reducedShape(x.shape, ax, true)), x.shape)],
  );
}

export function mean(x: Tensor, axis?: number, keepdim = false): Tensor {
  const n = axis === undefined ? x.size : x.shape[normAxis('mean', axis, x.rank)];
  return mul(sum(x, axis, keepdim), 1 / n);
}

function extremum(
  op: 'max' | 'min',
  x: Tensor,
  axis: number | undefined,
  keepdim: boolean,
): Tensor {
  const be = sameBackend(op, [x]);
  if (axis === undefined) {
    const r = extremum(op, reshape(x, [x.size]), 0, false);
    return keepdim
      ? reshape(
          r,
          x.shape.map(() => 1),
        )
      : r;
  }
  const ax = normAxis(op, axis, x.rank);
  const [outer, len, inner] = reduceAxis(x, ax);
  const shape = reducedShape(x.shape, ax, keepdim);
  return make(
    be,
    shape,
    [x],
    op,
    (o) => be.reduce(op, x.storage, o, outer, len, inner),
    (g, out) => {
      // ties share the gradient equally
      const keepShape = reducedShape(x.shape, ax, true);
      const mask = compare('eq', x, reshape(out, keepShape));
      const count = sum(mask, ax, true);
      return [div(mul(mask, reshape(g, keepShape)), count)];
    },
  );
}
export const max = (x: Tensor, axis?: number, keepdim = false): Tensor =>
  extremum('max', x, axis, keepdim);
export const min = (x: Tensor, axis?: number, keepdim = false): Tensor =>
  extremum('min', x, axis, keepdim);

/** Index of the maximum along an axis (as float values; no gradient). */
export function argmax(x: Tensor, axis: number): Tensor {
  const be = sameBackend('argmax', [x]);
  const ax = normAxis('argmax', axis, x.rank);
  const [outer, len, inner] = reduceAxis(x, ax);
  return make(be, reducedShape(x.shape, ax, false), [], 'argmax', (o) =>
    be.argReduce('max', x.storage, o, outer, len, inner),
  );
}

/** log sum exp along an axis, stable (the max is subtracted first). */
export function logsumexp(x: Tensor, axis: number, keepdim = false): Tensor {
  const m = detach(max(x, axis, true));
  const s = add(log(sum(exp(sub(x, m)), axis, true)), m);
  return keepdim
    ? s
    : reshape(s, reducedShape(x.shape, normAxis('logsumexp', axis, x.rank), false));
}
export function logSoftmax(x: Tensor, axis: number): Tensor {
  return sub(x, logsumexp(x, axis, true));
}
export function softmax(x: Tensor, axis: number): Tensor {
  return exp(logSoftmax(x, axis));
}

// ---------------------------------------------------------------------------------------------
// layout

/** Same storage, new shape (one dimension may be -1). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  live(x, 'reshape');
  const sh = [...shape];
  const neg1 = sh.indexOf(-1);
  if (neg1 >= 0) sh[neg1] = x.size / sizeOf(sh.filter((_, i) => i !== neg1));
  if (sizeOf(sh) !== x.size || !sh.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`reshape: cannot reshape ${fmt(x.shape)} to ${fmt(shape)}`);
  }
  const out = new Tensor(x.storage, sh);
  if (needsGrad([x])) {
    out.requiresGrad = true;
    out.node = { op: 'reshape', inputs: [x], backward: (g) => [reshape(g, x.shape)] };
  }
  return out;
}

/** A tensor sharing x's storage with no gradient history. */
export function detach(x: Tensor): Tensor {
  live(x, 'detach');
  return new Tensor(x.storage, x.shape);
}

/** Broadcasts x to `shape` (a copy). */
export function expand(x: Tensor, shape: Shape): Tensor {
  const be = sameBackend('expand', [x]);
  const target = broadcastShapes('expand', x.shape, shape);
  if (target.length !== shape.length || !target.every((d, i) => d === shape[i])) {
    throw new Error(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)}`);
  }
  return make(
    be,
    shape,
    [x],
    'expand',
    (o) =>
      be.copy(
        broadcastView(x, shape),
        { storage: o, offset: 0, strides: contiguousStrides(shape) },
        shape,
        false,
      ),
    (g) => [sumTo(g, x.shape)],
  );
}

/** Permutes the axes (a copy). */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const be = sameBackend('permute', [x]);
  if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) {
    throw new Error(`permute: ${fmt(perm)} is not a permutation of the axes of ${fmt(x.shape)}`);
  }
  const st = contiguousStrides(x.shape);
  const shape = perm.map((p) => x.shape[p]);
  const inv = perm.map((_, i) => perm.indexOf(i));
  return make(
    be,
    shape,
    [x],
    'permute',
    (o) =>
      be.copy(
        { storage: x.storage, offset: 0, strides: perm.map((p) => st[p]) },
        { storage: o, offset: 0, strides: contiguousStrides(shape) },
        shape,
        false,
      ),
    (g) => [permute(g, inv)],
  );
}
/** Swaps the last two axes. */
export function transpose(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return permute(x, perm);
}

/** x[..., start:end, ...] along `axis`. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const be = sameBackend('slice', [x]);
  const ax = normAxis('slice', axis, x.rank);
  if (!(0 <= start && start <= end && end <= x.shape[ax])) {
    throw new Error(`slice: [${start}, ${end}) out of range for axis ${ax} of ${fmt(x.shape)}`);
  }
  const shape = x.shape.map((d, i) => (i === ax ? end - start : d));
  const st = contiguousStrides(x.shape);
  const region: View = { storage: x.storage, offset: start * st[ax], strides: st };
  return make(
    be,
    shape,
    [x],
    'slice',
    (o) =>
      be.copy(region, { storage: o, offset: 0, strides: contiguousStrides(shape) }, shape, false),
    (g) => {
      const gx = zeros(x.shape, be);
      be.copy(
        { storage: g.storage, offset: 0, strides: contiguousStrides(shape) },
        { storage: gx.storage, offset: start * st[ax], strides: st },
        shape,
        true,
      );
      return [gx];
    },
  );
}

/** Joins tensors along an axis (all other dimensions equal). */
export function concat(ts: readonly Tensor[], axis: number): Tensor {
  if (ts.length === 0) throw new Error('concat: no tensors');
  const be = sameBackend('concat', ts);
  const ax = normAxis('concat', axis, ts[0].rank);
  for (const t of ts) {
    if (t.rank !== ts[0].rank || t.shape.some((d, i) => i !== ax && d !== ts[0].shape[i])) {
      throw new Error(
        `concat: shapes ${ts.map((u) => fmt(u.shape)).join(', ')} differ outside axis ${ax}`,
      );
    }
  }
  const shape = ts[0].shape.map((d, i) => (i === ax ? ts.reduce((a, t) => a + t.shape[ax], 0) : d));
  const st = contiguousStrides(shape);
  const starts: number[] = [];
  let acc = 0;
  for (const t of ts) {
    starts.push(acc);
    acc += t.shape[ax];
  }
  return make(
    be,
    shape,
    ts,
    'concat',
    (o) => {
      ts.forEach((t, i) =>
        be.copy(
          { storage: t.storage, offset: 0, strides: contiguousStrides(t.shape) },
          { storage: o, offset: starts[i] * st[ax], strides: st },
          t.shape,
          false,
        ),
      );
    },
    (g) => ts.map((t, i) => (wants(t) ? slice(g, ax, starts[i], starts[i] + t.shape[ax]) : null)),
  );
}

/** Selects entries along an axis by integer indices: out.shape[axis] = indices.length. */
export function indexSelect(x: Tensor, axis: number, indices: Tensor | ArrayLike<number>): Tensor {
  const be = sameBackend('indexSelect', [x]);
  const idx = indices instanceof Tensor ? indices : tensor(indices, undefined, be);
  const ax = normAxis('indexSelect', axis, x.rank);
  const [outer, len, inner] = reduceAxis(x, ax);
  const n = idx.size;
  const shape = x.shape.map((d, i) => (i === ax ? n : d));
  return make(
    be,
    shape,
    [x],
    'indexSelect',
    (o) => be.gather(x.storage, idx.storage, o, outer, len, inner, n),
    (g) => {
      const gx = zeros(x.shape, be);
      be.scatterAdd(g.storage, idx.storage, gx.storage, outer, len, inner, n);
      return [gx];
    },
  );
}
export const gather = indexSelect;

/** Repeats each entry along `axis` `repeats` times in place (torch.repeat_interleave). */
export function repeatInterleave(x: Tensor, repeats: number, axis: number): Tensor {
  const ax = normAxis('repeatInterleave', axis, x.rank);
  const idx = Float32Array.from({ length: x.shape[ax] * repeats }, (_, i) =>
    Math.floor(i / repeats),
  );
  return indexSelect(x, ax, idx);
}

// ---------------------------------------------------------------------------------------------
// linear algebra

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/**
 * Matrix product op(a) op(b) of 2-D tensors, or batched 3-D (same leading batch size).
 * transA / transB: use a's / b's last two axes transposed, without copying.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const be = sameBackend('matmul', [a, b]);
  const tA = opts.transA ?? false;
  const tB = opts.transB ?? false;
  if (!(
    (a.rank === 2 && b.rank === 2) ||
    (a.rank === 3 && b.rank === 3 && a.shape[0] === b.shape[0])
  )) {
    throw new Error(
      `matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} (need two 2-D or two 3-D with equal batch)`,
    );
  }
  const r = a.rank;
  const batch = r === 3 ? a.shape[0] : 1;
  const [ar, ac] = [a.shape[r - 2], a.shape[r - 1]];
  const [br, bc] = [b.shape[r - 2], b.shape[r - 1]];
  const [m, ka] = tA ? [ac, ar] : [ar, ac];
  const [kb, n] = tB ? [bc, br] : [br, bc];
  if (ka !== kb) {
    throw new Error(
      `matmul: inner dimensions differ: ${fmt(a.shape)}${tA ? 'ᵀ' : ''} x ${fmt(b.shape)}${tB ? 'ᵀ' : ''}`,
    );
  }
  const shape = r === 3 ? [batch, m, n] : [m, n];
  return make(
    be,
    shape,
    [a, b],
    'matmul',
    (o) =>
      be.matmul(a.storage, b.storage, o, m, n, ka, tA, tB, false, batch, ar * ac, br * bc, m * n),
    (g) => {
      let ga: Tensor | null = null;
      let gb: Tensor | null = null;
      if (!tA && !tB) {
        if (wants(a)) ga = matmul(g, b, { transB: true });
        if (wants(b)) gb = matmul(a, g, { transA: true });
      } else if (!tA && tB) {
        if (wants(a)) ga = matmul(g, b);
        if (wants(b)) gb = matmul(g, a, { transA: true });
      } else if (tA && !tB) {
        if (wants(a)) ga = matmul(b, g, { transB: true });
        if (wants(b)) gb = matmul(a, g);
      } else {
        if (wants(a)) ga = matmul(b, g, { transA: true, transB: true });
        if (wants(b)) gb = matmul(g, a, { transA: true, transB: true });
      }
      return [ga, gb];
    },
  );
}

/**
 * Fused act(x W^T + bias) + residual: x [M, K], W [N, K] (PyTorch layout). Leading axes of x are
 * flattened into M. One kernel forward, one backward.
 *
 * bias: [N], or [G, N] with M divisible by G, where each run of M / G consecutive rows has its
 * own bias row (a per-group offset, e.g. a condition's share of a first layer computed once for
 * its particles); or null. residual: a tensor of the output's shape added after the activation
 * (a residual block h + act(h W^T + b) in one pass); or null.
 */
export function linear(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  act: Activation = 'none',
  residual: Tensor | null = null,
): Tensor {
  const inputs = [x, w];
  if (bias) inputs.push(bias);
  if (residual) inputs.push(residual);
  const be = sameBackend('linear', inputs);
  const k = x.shape[x.rank - 1];
  const n = w.rank === 2 ? w.shape[0] : -1;
  const m = x.size / k;
  const groups = bias?.rank === 2 ? bias.shape[0] : 1;
  const biasOk =
    !bias ||
    (bias.rank === 1 && bias.shape[0] === n) ||
    (bias.rank === 2 && bias.shape[1] === n && groups > 0 && m % groups === 0);
  if (w.rank !== 2 || w.shape[1] !== k || !biasOk) {
    throw new Error(
      `linear: input ${fmt(x.shape)}, weight ${fmt(w.shape)}${bias ? `, bias ${fmt(bias.shape)}` : ''} do not fit (weight must be [out, ${k}], bias [out] or [groups, out] with groups dividing ${m} rows)`,
    );
  }
  const shape = [...x.shape.slice(0, -1), n];
  if (
    residual &&
    (residual.rank !== shape.length || residual.shape.some((d, i) => d !== shape[i]))
  ) {
    throw new Error(
      `linear: residual ${fmt(residual.shape)} does not match the output ${fmt(shape)}`,
    );
  }
  // tanh' and sigmoid' are computed from the output, which a residual would change: unfused
  if (residual && (act === 'tanh' || act === 'sigmoid'))
    return add(linear(x, w, bias, act), residual);
  const grad = needsGrad(inputs);
  // the pre-activation is kept only when backward needs it; ReLU's derivative [z > 0] equals
  // [y > 0], so its output serves instead (saves writing and holding an [M, N] buffer) unless a
  // residual was added to it
  const pre =
    grad && act !== 'none' && (act !== 'relu' || residual)
      ? new Tensor(be.alloc(m * n), shape)
      : null;
  const y = make(
    be,
    shape,
    inputs,
    'linear',
    (o) =>
      be.linear(
        x.storage,
        w.storage,
        bias ? bias.storage : null,
        o,
        pre ? pre.storage : null,
        m,
        n,
        k,
        act,
        groups,
        residual ? residual.storage : null,
      ),
    (g, out) => {
      const gx = wants(x) ? new Tensor(be.alloc(x.size), x.shape) : null;
      const gw = wants(w) ? new Tensor(be.alloc(w.size), w.shape) : null;
      const gb = bias && wants(bias) ? new Tensor(be.alloc(bias.size), bias.shape) : null;
      const grads: (Tensor | null)[] = [gx, gw];
      if (bias) grads.push(gb);
      if (residual) grads.push(wants(residual) ? g : null);
      if (!gx && !gw && !gb) return grads;
      const scratch = new Tensor(be.alloc(m * n), shape);
      be.linearBackward(
        x.storage,
        w.storage,
        (pre ?? out).storage,
        out.storage,
        g.storage,
        gx?.storage ?? null,
        gw?.storage ?? null,
        gb?.storage ?? null,
        scratch.storage,
        m,
        n,
        k,
        act,
        false,
        groups,
      );
      scratch.dispose();
      return grads;
    },
  );
  return y;
}

/** One layer of `mlpForward`: act(h W^T + bias) (+ h when residual). */
export interface MlpLayer {
  weight: Tensor;
  bias: Tensor | null;
  act: Activation;
  residual?: boolean;
}

function layerStorages(layers: readonly MlpLayer[]): MlpLayerStorage[] {
  return layers.map((l) => ({
    w: l.weight.storage,
    bias: l.bias ? l.bias.storage : null,
    in: l.weight.shape[1],
    out: l.weight.shape[0],
    act: l.act,
    residual: !!l.residual,
    biasGroups: l.bias?.rank === 2 ? l.bias.shape[0] : 1,
  }));
}

/** Whether a chain of layers on m rows of `width` inputs is one the fused kernels take. */
function chainFits(m: number, width: number, layers: readonly MlpLayer[]): boolean {
  for (const l of layers) {
    const [out, inp] = l.weight.shape;
    const b = l.bias;
    const biasFits =
      !b ||
      (b.rank === 1 && b.shape[0] === out) ||
      (b.rank === 2 && b.shape[1] === out && m % b.shape[0] === 0 && (b.shape[0] === 1 || out > 8));
    if (!(
      l.weight.rank === 2 &&
      inp === width &&
      inp <= 512 &&
      biasFits &&
      (!l.residual || inp === out)
    ))
      return false;
    width = out;
  }
  return true;
}

/**
 * A chain of `linear` layers, x [M, in] -> [M, out]: the same numbers as calling `linear` layer by
 * layer (bias per group included). With no gradient to record, the backend runs the chain in one
 * kernel (the native one passes blocks of rows through every layer while they sit in cache);
 * otherwise it is the differentiable composition.
 */
export function mlpForward(x: Tensor, layers: readonly MlpLayer[]): Tensor {
  if (layers.length === 0) throw new Error('mlpForward: no layers');
  const inputs = [x];
  for (const l of layers) {
    inputs.push(l.weight);
    if (l.bias) inputs.push(l.bias);
  }
  const be = sameBackend('mlpForward', inputs);
  const m = x.rank === 2 ? x.shape[0] : -1;
  // the fused kernel takes a chain of well-shaped layers; anything else (and any shape error,
  // which linear() names) goes through the layer-by-layer composition
  if (m < 0 || needsGrad(inputs) || !chainFits(m, x.shape[x.rank - 1], layers)) {
    let h = x;
    for (const l of layers) h = linear(h, l.weight, l.bias, l.act, l.residual ? h : null);
    return h;
  }
  const width = layers[layers.length - 1].weight.shape[0];
  const out = new Tensor(be.alloc(m * width), [m, width]);
  be.mlpForward(x.storage, out.storage, m, layerStorages(layers));
  return out;
}

/**
 * Euler integration through a chain: y = y0 [M, D], then for each step k, y = y + h[k] f_k(y)
 * with f_k = mlpForward(., layers) whose layer 0 takes the bias stepBias[k] ([K, H] or, one row
 * per group of M / G rows, [K, G, H]); layer 0's own bias must be null. The same numbers as the
 * loop `y = add(y, mul(mlpForward(y, layers_k), h[k]))`, which it is when gradients are recorded;
 * without, the backend runs all steps in one kernel (rows are independent, so the native one
 * takes each block of rows through every step while it sits in cache).
 */
export function mlpEuler(
  y0: Tensor,
  layers: readonly MlpLayer[],
  stepBias: Tensor,
  h: readonly number[],
): Tensor {
  if (layers.length === 0) throw new Error('mlpEuler: no layers');
  if (layers[0].bias)
    throw new Error('mlpEuler: layer 0 takes its bias from stepBias; give it none');
  const K = h.length;
  const H = layers[0].weight.shape[0];
  const G = stepBias.rank === 3 ? stepBias.shape[1] : 1;
  if (
    !(stepBias.rank === 2 || stepBias.rank === 3) ||
    stepBias.shape[0] !== K ||
    stepBias.shape[stepBias.rank - 1] !== H
  ) {
    throw new Error(
      `mlpEuler: stepBias ${fmt(stepBias.shape)} must be [steps, H] or [steps, groups, H] with ${K} steps and H = ${H}`,
    );
  }
  const inputs = [y0, stepBias];
  for (const l of layers) inputs.push(l.weight, ...(l.bias ? [l.bias] : []));
  const be = sameBackend('mlpEuler', inputs);
  const D = y0.shape[y0.rank - 1];
  const M = y0.rank === 2 ? y0.shape[0] : -1;
  const outW = layers[layers.length - 1].weight.shape[0];
  if (outW !== D)
    throw new Error(
      `mlpEuler: the chain maps ${D} inputs to ${outW} outputs; an Euler step needs the same`,
    );
  if (M >= 0 && M % G !== 0) throw new Error(`mlpEuler: ${M} rows do not split into ${G} groups`);
  const layersAt = (k: number): MlpLayer[] => [
    { ...layers[0], bias: reshape(slice(stepBias, 0, k, k + 1), G === 1 ? [H] : [G, H]) },
    ...layers.slice(1),
  ];
  if (M < 0 || needsGrad(inputs) || (G > 1 && H <= 8) || !chainFits(M, D, layers)) {
    // the composition (differentiable; linear() names any misfit of the sizes)
    let y = y0;
    for (let k = 0; k < K; k++) y = add(y, mul(mlpForward(y, layersAt(k)), h[k]));
    return y === y0 ? detach(y0) : y;
  }
  const out = new Tensor(be.alloc(M * D), [M, D]);
  be.mlpEuler(y0.storage, out.storage, M, layerStorages(layers), stepBias.storage, G, h);
  return out;
}

// ---------------------------------------------------------------------------------------------
// differentiation

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // iterative DFS (graphs of deep networks can exceed the call stack)
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const c = inputs[i];
      if (c.requiresGrad && !seen.has(c)) {
        seen.add(c);
        stack.push([c, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

function accumulate(map: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = map.get(t);
  if (!prev) map.set(t, g);
  else map.set(t, add(prev, g));
}

function propagate(
  root: Tensor,
  seed: Tensor | undefined,
  onLeaf: (t: Tensor, g: Tensor) => void,
  wrt?: Set<Tensor>,
): void {
  live(root, 'backward');
  if (!root.requiresGrad)
    throw new Error('backward: the tensor does not depend on anything that requires a gradient');
  if (!seed && root.size !== 1)
    throw new Error(
      `backward: a non-scalar output ${fmt(root.shape)} needs an explicit output gradient`,
    );
  const order = topoOrder(root);
  let needs: Set<Tensor> | null = null;
  if (wrt) {
    // inputs come before outputs in `order`: one forward pass marks what leads to wrt
    needs = new Set();
    for (const t of order)
      if (wrt.has(t) || t.node?.inputs.some((i) => needs!.has(i))) needs.add(t);
  }
  const prevNeeds = activeNeeds;
  activeNeeds = needs;
  try {
    noGrad(() => {
      const grads = new Map<Tensor, Tensor>();
      grads.set(root, seed ?? full(root.shape, 1, root.backend));
      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i];
        const g = grads.get(t);
        if (!g) continue;
        if (wrt?.has(t) || (!wrt && !t.node)) onLeaf(t, g);
        if (!t.node || (needs && !needs.has(t))) continue;
        const gs = t.node.backward(g);
        t.node.inputs.forEach((inp, j) => {
          const gi = gs[j];
          if (gi && wants(inp)) accumulate(grads, inp, gi);
        });
      }
    });
  } finally {
    activeNeeds = prevNeeds;
  }
}

/** Accumulates d root / d leaf into every leaf's `.grad` (leaves: tensors with requiresGrad and no node). */
export function backward(root: Tensor, seed?: Tensor): void {
  propagate(root, seed, (t, g) => {
    if (!t.grad) {
      t.grad = full(t.shape, 0, t.backend).keep();
    }
    t.backend.axpy(1, g.storage, t.grad.storage);
  });
}

/** d root / d x for each x in `wrt` (zeros where root does not depend on x). Leaves' .grad are untouched. */
export function grad(root: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  const set = new Set(wrt);
  const out = new Map<Tensor, Tensor>();
  propagate(root, seed, (t, g) => out.set(t, g), set);
  return wrt.map((x) => out.get(x) ?? zerosLike(x));
}

/** A leaf tensor that requires gradients (a parameter or an input to differentiate against). */
export function variable(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}
