/**
 * The native backend against the TypeScript reference: every kernel, random inputs, odd sizes
 * (GEMM edge tiles, depth and column blocking, both thread splits), all transposition cases.
 * Skipped when the native backend is not available (outside CI). RFM_AGREE_BACKEND=NAME puts
 * another backend in native's place (backends-agree-wasm.test.ts runs it on the wasm backend).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from '../../src/engine/index.ts';
import {
  UNARY_OPS,
  BINARY_OPS,
  type Backend,
  type Storage,
  type View,
  type Activation,
  type UnaryOp,
} from '../../src/engine/index.ts';
import { randomArray } from './helpers.ts';

const ts = E.tryBackend('ts')!;
const UNDER = process.env.RFM_AGREE_BACKEND ?? 'native';
const native = E.tryBackend(UNDER);
if (!native && process.env.CI === 'true')
  throw new Error(`CI: the ${UNDER} backend is not available`);

const rng = new E.Rng(2024);
const R = (n: number, lo = -1, hi = 1): Float32Array => randomArray(rng, n, lo, hi);

/** Equal within rtol relative plus atol absolute; NaNs must match NaNs, infinities must be equal. */
function close(
  name: string,
  got: Float32Array,
  want: Float32Array,
  rtol = 1e-4,
  atol = 1e-6,
): void {
  assert.equal(got.length, want.length, `${name}: lengths ${got.length} vs ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      assert.ok(Number.isNaN(w) && Number.isNaN(g), `${name}[${i}]: native ${g} vs ts ${w}`);
      continue;
    }
    if (!Number.isFinite(w) || !Number.isFinite(g)) {
      assert.equal(g, w, `${name}[${i}]: native ${g} vs ts ${w}`);
      continue;
    }
    assert.ok(
      Math.abs(g - w) <= atol + rtol * Math.abs(w),
      `${name}[${i}]: native ${g} vs ts ${w}`,
    );
  }
}

/** The same data on both backends. */
function both(data: Float32Array): [Storage, Storage] {
  return [native!.fromArray(data), ts.fromArray(data)];
}
function pair(n: number): [Storage, Storage] {
  return [native!.alloc(n), ts.alloc(n)];
}
/** Runs f on each backend with its own storages; compares the outputs listed by `outs`. */
function agree(
  name: string,
  n: Storage[],
  t: Storage[],
  run: (be: Backend, s: Storage[]) => void,
  outs: number[],
  rtol?: number,
  atol?: number,
): void {
  run(native!, n);
  run(ts, t);
  for (const o of outs)
    close(`${name} (output ${o})`, native!.read(n[o]), ts.read(t[o]), rtol, atol);
}
function strides(shape: readonly number[]): number[] {
  const s = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
/** A view of a contiguous tensor of `own` shape broadcast to `shape`. */
function bview(storage: Storage, own: readonly number[], shape: readonly number[]): View {
  const st = strides(own);
  const n = shape.length;
  return {
    storage,
    offset: 0,
    strides: shape.map((_, i) => {
      const j = own.length - n + i;
      return j < 0 || own[j] === 1 ? 0 : st[j];
    }),
  };
}
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Input range per unary op (inside the domain), with special values mixed in. */
const domain: Partial<Record<UnaryOp, [number, number]>> = {
  log: [0.01, 5],
  sqrt: [0, 4],
  recip: [0.2, 3],
  log1p: [-0.9, 3],
  powscalar: [0, 3],
};
const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-30, -1e-30, 30, -30, 100, -100];

describe(
  `${UNDER} and TypeScript backends agree`,
  { skip: native ? false : `${UNDER} backend not available` },
  () => {
    it('unary: every op, forward and backward (small and threaded sizes)', () => {
      for (const op of UNARY_OPS) {
        const [lo, hi] = domain[op] ?? [-4, 4];
        for (const n of [1, 37, 70001]) {
          const x = R(n, lo, hi);
          if (n > 20) x.set(SPECIAL);
          const [p0, p1] = op === 'powscalar' ? [2.5, 0] : op === 'clamp' ? [-0.5, 0.7] : [0, 0];
          const [xn, xt] = both(x);
          const [yn, yt] = pair(n);
          agree(
            `unary ${op} n=${n}`,
            [xn, yn],
            [xt, yt],
            (be, [a, b]) => be.unary(op, a, b, p0, p1),
            [1],
          );
          // y from the TypeScript forward, on both backends
          const yn2 = native!.fromArray(ts.read(yt));
          const [gn, gt] = both(R(n));
          const [on, ot] = pair(n);
          agree(
            `unaryBackward ${op} n=${n}`,
            [xn, yn2, gn, on],
            [xt, yt, gt, ot],
            (be, [a, y, g, o]) => be.unaryBackward(op, a, y, g, o, p0, p1),
            [3],
            1e-4,
            1e-5,
          );
        }
      }
    });

    it('binary: every op with same-shape, row, column, scalar and 3-D broadcasting', () => {
      const cases: [number[], number[]][] = [
        [
          [37, 65],
          [37, 65],
        ],
        [[37, 65], [65]],
        [[37, 65], []],
        [[], [37, 65]],
        [
          [37, 1],
          [1, 65],
        ],
        [
          [3, 1, 5],
          [4, 5],
        ],
        [[300, 257], [257]],
        [
          [300, 257],
          [300, 257],
        ],
        [[1], [7]],
      ];
      for (const op of BINARY_OPS) {
        for (const [sa, sb] of cases) {
          const shape = E.broadcastShapes(op, sa, sb);
          const lo = op === 'pow' ? 0.1 : -2;
          const a = R(size(sa), lo, 2);
          const b = R(size(sb), op === 'pow' ? -2 : -2, 2);
          // exact ties for the comparisons and min / max
          if (size(sa) === size(sb)) for (let i = 0; i < a.length; i += 3) b[i] = a[i];
          if (a.length > 4) a.set([NaN, 0, Infinity], 1);
          const [an, at] = both(a);
          const [bn, bt] = both(b);
          const [on, ot] = pair(size(shape));
          agree(
            `binary ${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
            [an, bn, on],
            [at, bt, ot],
            (be, [x, y, o]) => be.binary(op, bview(x, sa, shape), bview(y, sb, shape), o, shape),
            [2],
          );
        }
      }
    });

    it('where with broadcasting', () => {
      for (const [sc, sa, sb] of [
        [
          [40, 33],
          [40, 33],
          [40, 33],
        ],
        [[40, 1], [33], []],
        [
          [2, 3, 4],
          [3, 1],
          [2, 1, 4],
        ],
      ] as number[][][]) {
        const shape = E.broadcastShapes('where', E.broadcastShapes('where', sc, sa), sb);
        const c = R(size(sc)).map((v) => (v > 0 ? 1 : 0));
        if (c.length > 2) c[1] = NaN;
        const [cn, ct] = both(c);
        const [an, at] = both(R(size(sa)));
        const [bn, bt] = both(R(size(sb)));
        const [on, ot] = pair(size(shape));
        agree(
          `where ${JSON.stringify([sc, sa, sb])}`,
          [cn, an, bn, on],
          [ct, at, bt, ot],
          (be, [c0, a0, b0, o]) =>
            be.where(bview(c0, sc, shape), bview(a0, sa, shape), bview(b0, sb, shape), o, shape),
          [3],
        );
      }
    });

    it('reduce (sum, max, min), argReduce and sumSquares over every axis layout', () => {
      for (const [outer, len, inner] of [
        [1, 1, 1],
        [1, 70001, 1],
        [5, 7, 3],
        [300, 65, 1],
        [1, 300, 257],
        [4, 17, 9],
        [3, 0, 2],
      ]) {
        const x = R(outer * len * inner, -3, 3);
        if (x.length > 10) x[5] = NaN;
        const [xn, xt] = both(x);
        for (const op of ['sum', 'max', 'min'] as const) {
          const [on, ot] = pair(outer * inner);
          agree(
            `reduce ${op} ${outer},${len},${inner}`,
            [xn, on],
            [xt, ot],
            (be, [a, o]) => be.reduce(op, a, o, outer, len, inner),
            [1],
            1e-5,
            1e-5,
          );
        }
        if (len > 0)
          for (const op of ['max', 'min'] as const) {
            const [on, ot] = pair(outer * inner);
            agree(
              `argReduce ${op} ${outer},${len},${inner}`,
              [xn, on],
              [xt, ot],
              (be, [a, o]) => be.argReduce(op, a, o, outer, len, inner),
              [1],
              0,
              0,
            );
          }
      }
      for (const n of [0, 1, 9, 100003]) {
        const [xn, xt] = both(R(n));
        const a = native!.sumSquares(xn);
        const b = ts.sumSquares(xt);
        assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, b), `sumSquares n=${n}: ${a} vs ${b}`);
      }
    });

    it('copy with strided, sliced, broadcast and accumulated views', () => {
      const cases: {
        shape: number[];
        src: (s: Storage) => View;
        dst: (s: Storage) => View;
        srcLen: number;
        dstLen: number;
      }[] = [
        // transpose of [33, 70] into contiguous [70, 33]
        {
          shape: [70, 33],
          src: (s) => ({ storage: s, offset: 0, strides: [1, 70] }),
          dst: (s) => ({ storage: s, offset: 0, strides: [33, 1] }),
          srcLen: 33 * 70,
          dstLen: 70 * 33,
        },
        // a slice [2:5] along axis 1 of [4, 9, 6]
        {
          shape: [4, 3, 6],
          src: (s) => ({ storage: s, offset: 12, strides: [54, 6, 1] }),
          dst: (s) => ({ storage: s, offset: 0, strides: [18, 6, 1] }),
          srcLen: 216,
          dstLen: 72,
        },
        // broadcast [5] to [300, 5] (stride 0)
        {
          shape: [300, 5],
          src: (s) => ({ storage: s, offset: 0, strides: [0, 1] }),
          dst: (s) => ({ storage: s, offset: 0, strides: [5, 1] }),
          srcLen: 5,
          dstLen: 1500,
        },
        // into a slice of a bigger destination, a 3-D permutation
        {
          shape: [3, 4, 5],
          src: (s) => ({ storage: s, offset: 0, strides: [1, 15, 3] }),
          dst: (s) => ({ storage: s, offset: 7, strides: [40, 10, 1] }),
          srcLen: 60,
          dstLen: 130,
        },
        // a large contiguous copy (threaded)
        {
          shape: [400, 401],
          src: (s) => ({ storage: s, offset: 0, strides: [401, 1] }),
          dst: (s) => ({ storage: s, offset: 0, strides: [401, 1] }),
          srcLen: 160400,
          dstLen: 160400,
        },
      ];
      for (const c of cases)
        for (const acc of [false, true]) {
          const [sn, st] = both(R(c.srcLen));
          const [dn, dt] = both(R(c.dstLen));
          agree(
            `copy ${JSON.stringify(c.shape)} acc=${acc}`,
            [sn, dn],
            [st, dt],
            (be, [s, d]) => be.copy(c.src(s), c.dst(d), c.shape, acc),
            [1],
            0,
            0,
          );
        }
    });

    it('gather, scatterAdd, axpy, scale, fill', () => {
      const [outer, srcLen, inner] = [3, 11, 5];
      const idx = Float32Array.from([0, 10, 3, 3, 7, 1, 10]);
      const [sn, st] = both(R(outer * srcLen * inner));
      const [in_, it_] = both(idx);
      const [on, ot] = pair(outer * idx.length * inner);
      agree(
        'gather',
        [sn, in_, on],
        [st, it_, ot],
        (be, [s, i, o]) => be.gather(s, i, o, outer, srcLen, inner, idx.length),
        [2],
        0,
        0,
      );
      const [gn, gt] = both(R(outer * idx.length * inner));
      const [zn, zt] = both(R(outer * srcLen * inner));
      agree(
        'scatterAdd',
        [gn, in_, zn],
        [gt, it_, zt],
        (be, [g, i, z]) => be.scatterAdd(g, i, z, outer, srcLen, inner, idx.length),
        [2],
      );
      for (const be of [native!, ts]) {
        const bad = be.fromArray([0, 11]);
        assert.throws(
          () =>
            be.gather(
              be.fromArray(R(outer * srcLen * inner)),
              bad,
              be.alloc(outer * 2 * inner),
              outer,
              srcLen,
              inner,
              2,
            ),
          /gather: index 11 out of range \[0, 11\)/,
        );
      }
      // scatterAdd checks its indices too, before it adds anything
      for (const be of [native!, ts]) {
        const into = be.fromArray(new Float32Array(11).fill(1));
        assert.throws(
          () => be.scatterAdd(be.fromArray([5, 5]), be.fromArray([0, -1]), into, 1, 11, 1, 2),
          /scatterAdd: index -1 out of range \[0, 11\)/,
        );
        assert.deepEqual([...be.read(into)], new Array(11).fill(1));
      }
      for (const n of [3, 100001]) {
        const [xn, xt] = both(R(n));
        const [yn, yt] = both(R(n));
        agree(`axpy n=${n}`, [xn, yn], [xt, yt], (be, [x, y]) => be.axpy(-0.37, x, y), [1]);
        const [on2, ot2] = pair(n);
        agree(`scale n=${n}`, [xn, on2], [xt, ot2], (be, [x, o]) => be.scale(x, 1.7, o), [1]);
        agree(`fill n=${n}`, [on2], [ot2], (be, [o]) => be.fill(o, -2.5), [0], 0, 0);
      }
    });

    it('adam and adamW', () => {
      for (const [n, wd] of [
        [7, 0],
        [100003, 0.01],
      ]) {
        const [pn, pt] = both(R(n));
        const [gn, gt] = both(R(n, -3, 3));
        const [mn, mt] = both(R(n, -0.1, 0.1));
        const [vn, vt] = both(R(n, 0, 0.1));
        const p = {
          lr: 3e-4,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          weightDecay: wd,
          biasCorrection1: 1 - 0.9 ** 3,
          biasCorrection2: 1 - 0.999 ** 3,
          gradScale: 0.5,
        };
        agree(
          `adam n=${n}`,
          [pn, gn, mn, vn],
          [pt, gt, mt, vt],
          (be, [a, g, m, v]) => be.adam(a, g, m, v, p),
          [0, 2, 3],
          1e-5,
          1e-7,
        );
      }
    });

    /** GEMM tolerance: relative 1e-4 plus an absolute floor that grows like sqrt(K). */
    const gemmAtol = (k: number): number => 1e-5 * Math.sqrt(Math.max(k, 1)) * 4;

    it('matmul: M, N, K in {1, 7, 17, 65, 300}, every transposition, accumulate', () => {
      const dims = [1, 7, 17, 65, 300];
      for (const m of dims)
        for (const n of dims)
          for (const k of dims) {
            // the full cube in every case is slow on the TypeScript side: thin out the large ones
            if (m * n * k > 300 * 65 * 65 && (m + n + k) % 2 === 1) continue;
            for (const tA of [false, true])
              for (const tB of [false, true]) {
                const acc = (m + n + k + (tA ? 1 : 0) + (tB ? 2 : 0)) % 3 === 0;
                const [an, at] = both(R(m * k));
                const [bn, bt] = both(R(k * n));
                const [cn, ct] = both(R(m * n));
                agree(
                  `matmul ${m}x${k}x${n} tA=${tA} tB=${tB} acc=${acc}`,
                  [an, bn, cn],
                  [at, bt, ct],
                  (be, [a, b, c]) => be.matmul(a, b, c, m, n, k, tA, tB, acc, 1, 0, 0, 0),
                  [2],
                  1e-4,
                  gemmAtol(k),
                );
              }
          }
    });

    it('matmul: depth and column blocking, thread splits, batched with strides', () => {
      const big: [number, number, number][] = [
        [64, 1400, 700],
        [17, 1400, 300],
        [300, 33, 1200],
        [1, 300, 1100],
        [600, 1, 300],
      ];
      for (const [m, n, k] of big)
        for (const [tA, tB] of [
          [false, false],
          [true, true],
          [false, true],
          [true, false],
        ]) {
          const [an, at] = both(R(m * k));
          const [bn, bt] = both(R(k * n));
          const [cn, ct] = both(R(m * n));
          agree(
            `matmul ${m}x${k}x${n} tA=${tA} tB=${tB}`,
            [an, bn, cn],
            [at, bt, ct],
            (be, [a, b, c]) => be.matmul(a, b, c, m, n, k, tA, tB, tA, 1, 0, 0, 0),
            [2],
            1e-4,
            gemmAtol(k),
          );
        }
      for (const [batch, m, n, k] of [
        [3, 17, 65, 7],
        [5, 1, 1, 1],
        [40, 9, 13, 11],
        [2, 300, 65, 65],
      ])
        for (const [tA, tB] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ]) {
          // strides larger than the problems (gaps between them)
          const sA = m * k + 3,
            sB = k * n + 1,
            sC = m * n + 2;
          const [an, at] = both(R(batch * sA));
          const [bn, bt] = both(R(batch * sB));
          const [cn, ct] = both(R(batch * sC));
          const acc = tB;
          agree(
            `batched matmul ${batch}x${m}x${k}x${n} tA=${tA} tB=${tB} acc=${acc}`,
            [an, bn, cn],
            [at, bt, ct],
            (be, [a, b, c]) => be.matmul(a, b, c, m, n, k, tA, tB, acc, batch, sA, sB, sC),
            [2],
            1e-4,
            gemmAtol(k),
          );
        }
    });

    it('matmul and linear with empty dimensions (K = 0, M = 0, batch = 0)', () => {
      for (const [m, n, k, batch] of [
        [5, 7, 0, 1],
        [0, 7, 5, 1],
        [5, 0, 3, 1],
        [3, 4, 5, 0],
        [2, 3, 0, 2],
      ])
        for (const acc of [false, true]) {
          const [an, at] = both(R(Math.max(1, batch) * m * k));
          const [bn, bt] = both(R(Math.max(1, batch) * k * n));
          const [cn, ct] = both(R(Math.max(1, batch) * m * n));
          agree(
            `matmul ${m}x${k}x${n} batch=${batch} acc=${acc}`,
            [an, bn, cn],
            [at, bt, ct],
            (be, [a, b, c]) =>
              be.matmul(a, b, c, m, n, k, false, false, acc, batch, m * k, k * n, m * n),
            [2],
            0,
            0,
          );
        }
      for (const act of ['none', 'relu', 'tanh'] as const) {
        const [xn, xt] = both(new Float32Array(0));
        const [wn, wt] = both(new Float32Array(0));
        const [bn, bt] = both(R(6));
        const [yn, yt] = pair(4 * 6);
        agree(
          `linear K=0 ${act}`,
          [xn, wn, bn, yn],
          [xt, wt, bt, yt],
          (be, [x, w, b, y]) => be.linear(x, w, b, y, null, 4, 6, 0, act),
          [3],
        );
      }
    });

    const ACTS: Activation[] = ['none', 'relu', 'gelu', 'tanh', 'silu', 'sigmoid'];

    it('linear: every activation, with and without bias and pre-activation, odd sizes', () => {
      const shapes: [number, number, number][] = [
        [1, 1, 1],
        [7, 3, 17],
        [65, 300, 23],
        [300, 65, 17],
        [257, 1, 256],
        [33, 4, 9],
        [1000, 70, 31],
      ];
      for (const [m, n, k] of shapes)
        for (const act of ACTS)
          for (const withBias of [true, false])
            for (const withPre of [true, false]) {
              const [xn, xt] = both(R(m * k, -2, 2));
              const [wn, wt] = both(R(n * k));
              const [bn, bt] = both(R(n));
              const [yn, yt] = pair(m * n);
              const [zn, zt] = pair(m * n);
              agree(
                `linear ${m}x${k}x${n} ${act} bias=${withBias} pre=${withPre}`,
                [xn, wn, bn, yn, zn],
                [xt, wt, bt, yt, zt],
                (be, [x, w, b, y, z]) =>
                  be.linear(x, w, withBias ? b : null, y, withPre ? z : null, m, n, k, act),
                withPre ? [3, 4] : [3],
                1e-4,
                gemmAtol(k),
              );
            }
    });

    it('linear with a per-group bias and a residual; its backward with grouped bias gradients', () => {
      const shapes: [number, number, number, number][] = [
        [6, 5, 3, 3],
        [2048, 256, 6, 256],
        [96, 40, 23, 8],
        [260, 1, 64, 20],
        [13, 9, 7, 13],
      ];
      for (const [m, n, k, groups] of shapes)
        for (const act of ACTS)
          for (const withRes of [true, false]) {
            const [xn, xt] = both(R(m * k, -2, 2));
            const [wn, wt] = both(R(n * k));
            const [bn, bt] = both(R(groups * n));
            const [rn, rt] = both(R(m * n));
            const [yn, yt] = pair(m * n);
            const [zn, zt] = pair(m * n);
            agree(
              `linear ${m}x${k}x${n} groups=${groups} ${act} residual=${withRes}`,
              [xn, wn, bn, yn, zn, rn],
              [xt, wt, bt, yt, zt, rt],
              (be, [x, w, b, y, z, r]) =>
                be.linear(x, w, b, y, z, m, n, k, act, groups, withRes ? r : null),
              [3, 4],
              1e-4,
              gemmAtol(k),
            );
            // without pre: the residual lands on y itself
            const [y2n, y2t] = pair(m * n);
            agree(
              `linear ${m}x${k}x${n} groups=${groups} ${act} residual=${withRes} no pre`,
              [xn, wn, bn, y2n, rn],
              [xt, wt, bt, y2t, rt],
              (be, [x, w, b, y, r]) =>
                be.linear(x, w, b, y, null, m, n, k, act, groups, withRes ? r : null),
              [3],
              1e-4,
              gemmAtol(k),
            );
          }
      for (const [m, n, k, groups] of shapes)
        for (const acc of [false, true]) {
          const [xn, xt] = both(R(m * k, -2, 2));
          const [wn, wt] = both(R(n * k));
          const [zn, zt] = both(R(m * n, -2, 2));
          const [yn, yt] = both(R(m * n));
          const [gyn, gyt] = both(R(m * n));
          const [gxn, gxt] = pair(m * k);
          const [gbn, gbt] = both(R(groups * n));
          const [sn, st] = pair(m * n);
          agree(
            `linearBackward ${m}x${k}x${n} groups=${groups} accumulate=${acc}`,
            [xn, wn, zn, yn, gyn, gxn, gbn, sn],
            [xt, wt, zt, yt, gyt, gxt, gbt, st],
            (be, [x0, w0, z0, y0, g0, gx0, gb0, s0]) =>
              be.linearBackward(
                x0,
                w0,
                z0,
                y0,
                g0,
                gx0,
                null,
                gb0,
                s0,
                m,
                n,
                k,
                'gelu',
                acc,
                groups,
              ),
            [5, 6, 7],
            1e-4,
            gemmAtol(Math.max(m, n)),
          );
        }
    });

    it('mlpForward: whole chains (grouped bias, residual blocks, narrow output, partial row blocks) match layer-by-layer linear', () => {
      type L = { in: number; out: number; act: Activation; residual: boolean; groups: number };
      const chains: [number, L[]][] = [
        // the flow policy's sampler: K=6 first layer with a per-state bias, two residual GELU blocks, 6 outputs
        [
          96,
          [
            { in: 6, out: 40, act: 'gelu', residual: false, groups: 8 },
            { in: 40, out: 40, act: 'gelu', residual: true, groups: 1 },
            { in: 40, out: 40, act: 'gelu', residual: true, groups: 1 },
            { in: 40, out: 6, act: 'none', residual: false, groups: 1 },
          ],
        ],
        // a critic: ReLU layers, one output; rows not a multiple of the block
        [
          101,
          [
            { in: 23, out: 64, act: 'relu', residual: false, groups: 1 },
            { in: 64, out: 64, act: 'relu', residual: false, groups: 1 },
            { in: 64, out: 1, act: 'none', residual: false, groups: 1 },
          ],
        ],
        // fewer rows than a strip; tanh, sigmoid, silu (tanh / sigmoid with a residual too)
        [
          5,
          [
            { in: 9, out: 33, act: 'tanh', residual: false, groups: 5 },
            { in: 33, out: 33, act: 'sigmoid', residual: true, groups: 1 },
            { in: 33, out: 33, act: 'silu', residual: true, groups: 1 },
            { in: 33, out: 3, act: 'gelu', residual: false, groups: 1 },
          ],
        ],
        // one layer, wide; and a single narrow layer
        [300, [{ in: 512, out: 70, act: 'relu', residual: false, groups: 3 }]],
        [50, [{ in: 17, out: 2, act: 'sigmoid', residual: false, groups: 1 }]],
      ];
      for (const [m, layers] of chains) {
        const x = R(m * layers[0].in, -2, 2);
        const ws = layers.map((l) => R(l.out * l.in, -0.5, 0.5));
        const bs = layers.map((l) => R(l.groups * l.out));
        const run = (be: Backend): Float32Array => {
          const y = be.alloc(m * layers[layers.length - 1].out);
          be.mlpForward(
            be.fromArray(x),
            y,
            m,
            layers.map((l, i) => ({
              w: be.fromArray(ws[i]),
              bias: be.fromArray(bs[i]),
              in: l.in,
              out: l.out,
              act: l.act,
              residual: l.residual,
              biasGroups: l.groups,
            })),
          );
          return be.read(y);
        };
        // reference: layer by layer with the TypeScript linear
        let h = ts.fromArray(x);
        layers.forEach((l, i) => {
          const o = ts.alloc(m * l.out);
          ts.linear(
            h,
            ts.fromArray(ws[i]),
            ts.fromArray(bs[i]),
            o,
            null,
            m,
            l.out,
            l.in,
            l.act,
            l.groups,
            l.residual ? h : null,
          );
          h = o;
        });
        const want = ts.read(h);
        close(
          `mlpForward ${m} rows, ${layers.length} layers (native)`,
          run(native!),
          want,
          1e-4,
          1e-4,
        );
        close(`mlpForward ${m} rows, ${layers.length} layers (ts)`, run(ts), want, 1e-6, 1e-6);
      }
      // bad sizes are errors, not memory faults
      assert.throws(
        () =>
          native!.mlpForward(native!.alloc(10), native!.alloc(10), 5, [
            {
              w: native!.alloc(4),
              bias: null,
              in: 2,
              out: 3,
              act: 'none',
              residual: false,
              biasGroups: 1,
            },
          ]),
        /sizes do not fit/,
      );
    });

    it('mlpEuler: the fused Euler steps equal mlpForward + scale + add step by step, on each backend', () => {
      type L = { in: number; out: number; act: Activation; residual: boolean };
      // (rows, groups, steps, width): the last case's blocks are long enough that the kernel makes
      // one pass over the blocks per step rather than every step per block
      for (const [m, groups, steps, H] of [
        [96, 12, 4, 40],
        [101, 1, 3, 40],
        [7, 7, 1, 40],
        [60, 3, 0, 40],
        [100, 4, 3, 200],
      ]) {
        const layers: L[] = [
          { in: 5, out: H, act: 'gelu', residual: false },
          { in: H, out: H, act: 'gelu', residual: true },
          { in: H, out: 5, act: 'none', residual: false },
        ];
        const y0 = R(m * 5, -2, 2);
        const ws = layers.map((l) => R(l.out * l.in, -0.5, 0.5));
        const bs = layers.map((l) => R(l.out));
        const sb = R(Math.max(steps, 1) * groups * H);
        const h = Array.from({ length: steps }, (_, k) => 0.1 + 0.05 * k);
        for (const be of [ts, native!]) {
          const chain = (bias0: Storage) =>
            layers.map((l, i) => ({
              w: be.fromArray(ws[i]),
              bias: i === 0 ? bias0 : be.fromArray(bs[i]),
              in: l.in,
              out: l.out,
              act: l.act,
              residual: l.residual,
              biasGroups: i === 0 ? groups : 1,
            }));
          const y = be.alloc(m * 5);
          be.mlpEuler(be.fromArray(y0), y, m, chain(be.alloc(1)), be.fromArray(sb), groups, h);
          // step by step with the backend's own kernels
          let cur = be.fromArray(y0);
          for (let k = 0; k < steps; k++) {
            const v = be.alloc(m * 5);
            be.mlpForward(
              cur,
              v,
              m,
              chain(be.fromArray(sb.subarray(k * groups * H, (k + 1) * groups * H))),
            );
            const hv = be.alloc(m * 5);
            be.scale(v, Math.fround(h[k]), hv);
            const next = be.alloc(m * 5);
            be.binary(
              'add',
              { storage: cur, offset: 0, strides: [1] },
              { storage: hv, offset: 0, strides: [1] },
              next,
              [m * 5],
            );
            cur = next;
          }
          assert.deepEqual(
            [...be.read(y)],
            [...be.read(cur)],
            `${be.name}: ${m} rows, ${groups} groups, ${steps} steps`,
          );
        }
      }
      // bad sizes are errors, not memory faults
      const n = native!;
      const lay = [
        {
          w: n.alloc(6),
          bias: null,
          in: 2,
          out: 3,
          act: 'none' as const,
          residual: false,
          biasGroups: 1,
        },
      ];
      assert.throws(
        () => n.mlpEuler(n.alloc(10), n.alloc(10), 5, lay, n.alloc(3), 1, [0.1]),
        /must map D to D/,
      );
      const sq = [
        {
          w: n.alloc(4),
          bias: null,
          in: 2,
          out: 2,
          act: 'none' as const,
          residual: false,
          biasGroups: 1,
        },
      ];
      assert.throws(
        () => n.mlpEuler(n.alloc(10), n.alloc(10), 5, sq, n.alloc(3), 1, [0.1, 0.2]),
        /sizes do not fit/,
      );
    });

    it('fused activations are accurate over a wide range (forward and backward)', () => {
      // y = act(x * 1 + 0): the activation alone, for x from tiny to large, and NaN / infinities
      const xs = Float32Array.from([
        ...Array.from({ length: 401 }, (_, i) => -20 + i * 0.1),
        1e-6,
        -1e-6,
        1e-30,
        0,
        -0,
        0.4999,
        0.5,
        0.5001,
        -0.5,
        60,
        -60,
        100,
        -100,
        NaN,
      ]);
      const m = xs.length;
      for (const act of ACTS) {
        const fx = Float32Array.from([...xs, Infinity, -Infinity]);
        const [xn, xt] = both(fx);
        const [wn, wt] = both(Float32Array.from([1]));
        const [yn, yt] = pair(fx.length);
        agree(
          `activation ${act}`,
          [xn, wn, yn],
          [xt, wt, yt],
          (be, [x, w, y]) => be.linear(x, w, null, y, null, fx.length, 1, 1, act),
          [2],
          2e-6,
          1e-7,
        );
        // backward from z = x, y = act(x) (from the TypeScript side), gy = 1.5
        const y = ts.alloc(m);
        ts.linear(ts.fromArray(xs), ts.fromArray([1]), null, y, null, m, 1, 1, act);
        const [zn, zt] = both(xs);
        const [y2n, y2t] = both(ts.read(y));
        const [gn, gt] = both(new Float32Array(m).fill(1.5));
        const [sn, st] = pair(m);
        const [gbn, gbt] = pair(1);
        agree(
          `activation gradient ${act}`,
          [zn, wn, zn, y2n, gn, sn, gbn],
          [zt, wt, zt, y2t, gt, st, gbt],
          (be, [x, w, z, yy, g, s, gb]) =>
            be.linearBackward(x, w, z, yy, g, null, null, gb, s, m, 1, 1, act, false),
          [5],
          1e-5,
          1e-6,
        );
      }
    });

    it('linearBackward: every activation, optional gradients, accumulate', () => {
      const shapes: [number, number, number][] = [
        [1, 1, 1],
        [7, 3, 17],
        [65, 300, 23],
        [300, 65, 17],
        [257, 1, 256],
        [1000, 70, 31],
      ];
      for (const [m, n, k] of shapes)
        for (const act of ACTS)
          for (const variant of [0, 1, 2]) {
            const acc = variant === 1;
            const wantGx = variant !== 2;
            const wantGb = variant !== 1;
            const x = R(m * k, -2, 2);
            const w = R(n * k);
            const b = R(n);
            // forward on the TypeScript backend gives pre and y for both
            const [xt, wt, bt] = [ts.fromArray(x), ts.fromArray(w), ts.fromArray(b)];
            const [yt0, zt0] = [ts.alloc(m * n), ts.alloc(m * n)];
            ts.linear(xt, wt, bt, yt0, zt0, m, n, k, act);
            const [zn, zt] = both(ts.read(zt0));
            const [yn, yt] = both(ts.read(yt0));
            const [xn] = both(x);
            const [wn] = both(w);
            const [gyn, gyt] = both(R(m * n));
            const [gxn, gxt] = pair(m * k);
            const [gwn, gwt] = both(R(n * k));
            const [gbn, gbt] = both(R(n));
            const [sn, st] = pair(m * n);
            agree(
              `linearBackward ${m}x${k}x${n} ${act} variant=${variant}`,
              [xn, wn, zn, yn, gyn, gxn, gwn, gbn, sn],
              [xt, wt, zt, yt, gyt, gxt, gwt, gbt, st],
              (be, [x0, w0, z0, y0, g0, gx0, gw0, gb0, s0]) =>
                be.linearBackward(
                  x0,
                  w0,
                  z0,
                  y0,
                  g0,
                  wantGx ? gx0 : null,
                  gw0,
                  wantGb ? gb0 : null,
                  s0,
                  m,
                  n,
                  k,
                  act,
                  acc,
                ),
              [...(wantGx ? [5] : []), 6, ...(wantGb ? [7] : []), 8],
              1e-4,
              gemmAtol(Math.max(m, n)),
            );
          }
    });

    it('tensor-level: a two-layer network trains to the same numbers on both', () => {
      const run = (be: Backend): Float32Array => {
        const r = new E.Rng(5);
        const w1 = E.variable(E.randn([64, 23], r, be, 0.2));
        const b1 = E.variable(E.zeros([64], be));
        const w2 = E.variable(E.randn([1, 64], r, be, 0.2));
        const x = E.randn([129, 23], r, be);
        const t = E.randn([129, 1], r, be);
        const h = E.linear(x, w1, b1, 'relu');
        const y = E.linear(h, w2, null);
        const loss = E.mean(E.square(E.sub(y, t)));
        E.backward(loss);
        return Float32Array.from([
          loss.item(),
          ...w1.grad!.toArray(),
          ...b1.grad!.toArray(),
          ...w2.grad!.toArray(),
        ]);
      };
      close('network gradients', run(native!), run(ts), 1e-4, 1e-5);
    });

    it('misuse: backend mismatch names both backends; released storage says released; bad lengths throw', () => {
      const a = E.tensor([1, 2, 3], [3], native!);
      const b = E.tensor([1, 2, 3], [3], ts);
      assert.throws(() => E.add(a, b), new RegExp(`backend mismatch \\('${UNDER}' and 'ts'\\)`));
      assert.throws(
        () => native!.fill(ts.alloc(3), 0),
        new RegExp(`storage of backend 'ts' passed to backend '${UNDER}'`),
      );
      assert.throws(
        () => ts.fill(native!.alloc(3), 0),
        new RegExp(`storage of backend '${UNDER}' passed to backend 'ts'`),
      );
      const s = native!.alloc(4);
      native!.free(s);
      assert.throws(() => native!.fill(s, 1), /released/);
      const t = E.tensor([1, 2], [2], native!);
      t.dispose();
      assert.throws(() => E.exp(t), /released/);
      assert.throws(
        () =>
          native!.matmul(
            native!.alloc(3),
            native!.alloc(4),
            native!.alloc(4),
            2,
            2,
            2,
            false,
            false,
            false,
            1,
            0,
            0,
            0,
          ),
        /too short/,
      );
      assert.throws(
        () =>
          native!.linear(
            native!.alloc(4),
            native!.alloc(4),
            null,
            native!.alloc(3),
            null,
            2,
            2,
            2,
            'relu',
          ),
        /too short/,
      );
      // the addon's and the wasm backend's copy check their views, the TypeScript backend's does not
      if (UNDER === 'native' || UNDER === 'wasm')
        assert.throws(
          () =>
            native!.copy(
              { storage: native!.alloc(3), offset: 1, strides: [1] },
              { storage: native!.alloc(3), offset: 0, strides: [1] },
              [3],
              false,
            ),
          /out of range/,
        );
    });
  },
);
