/** Finite-difference gradient checks for every op, on every available backend. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as E from '../../src/engine/index.ts';
import { checkGradients, randomArray, testBackends } from './helpers.ts';
import type { UnaryOp } from '../../src/engine/index.ts';

const rng = new E.Rng(123);
const A = (n: number, lo = -1, hi = 1) => randomArray(rng, n, lo, hi);

/**
 * x [m, k], W [n, k] and a bias of `groups` rows whose pre-activations x W^T + b all stay 0.1
 * away from 0 (ReLU's kink), so that no kink sits inside a finite-difference stencil.
 */
function awayFromKinks(
  m: number,
  k: number,
  n: number,
  groups: number,
): [Float32Array, Float32Array, Float32Array] {
  for (;;) {
    const x = A(m * k);
    const w = A(n * k);
    const b = A(groups * n);
    let ok = true;
    for (let i = 0; i < m && ok; i++)
      for (let j = 0; j < n; j++) {
        let z = b[Math.floor((i * groups) / m) * n + j];
        for (let p = 0; p < k; p++) z += x[i * k + p] * w[j * k + p];
        if (Math.abs(z) < 0.1) ok = false;
      }
    if (ok) return [x, w, b];
  }
}

const unaryCases: [UnaryOp, number, number, number?, number?][] = [
  ['neg', -2, 2],
  ['exp', -2, 2],
  ['log', 0.5, 2],
  ['log1p', -0.5, 2],
  ['tanh', -2, 2],
  ['sigmoid', -3, 3],
  ['softplus', -3, 3],
  ['relu', -2, 2],
  ['gelu', -3, 3],
  ['silu', -3, 3],
  ['mish', -3, 3],
  ['sin', -3, 3],
  ['cos', -3, 3],
  ['square', -2, 2],
  ['sqrt', 0.5, 2],
  ['abs', -2, 2],
  ['recip', 0.5, 2],
  ['logcosh', -3, 3],
  ['powscalar', 0.5, 2, 2.5],
  ['clamp', -2, 2, -0.5, 0.7],
];

for (const be of testBackends()) {
  describe(`gradients on ${be.name}`, () => {
    for (const [op, lo, hi, p0, p1] of unaryCases) {
      it(`unary ${op}`, () => {
        // keep kinks (relu, abs, clamp) away from the finite-difference stencil
        let x = A(12, lo, hi);
        if (op === 'relu' || op === 'abs' || op === 'clamp')
          x = x.map((v) =>
            Math.abs(v) < 0.05 || Math.abs(v + 0.5) < 0.05 || Math.abs(v - 0.7) < 0.05
              ? v + 0.13
              : v,
          );
        checkGradients(be, op, [{ data: x, shape: [3, 4] }], (t) =>
          E.unary(t, op, p0 ?? 0, p1 ?? 0),
        );
      });
    }
    for (const op of ['add', 'sub', 'mul', 'div', 'minimum', 'maximum'] as const) {
      it(`binary ${op} with broadcasting`, () => {
        const fn = {
          add: E.add,
          sub: E.sub,
          mul: E.mul,
          div: E.div,
          minimum: E.minimum,
          maximum: E.maximum,
        }[op];
        // minimum / maximum: the operands stay apart, so no tie sits inside the difference stencil
        const kinked = op === 'minimum' || op === 'maximum';
        const b =
          op === 'div' ? A(4, 0.5, 2) : kinked ? Float32Array.from([-0.6, -0.1, 0.3, 0.8]) : A(4);
        const a = kinked
          ? Float32Array.from({ length: 12 }, (_, i) => [-0.9, -0.35, 0.05, 0.55, 0.95][i % 5])
          : A(12);
        checkGradients(
          be,
          op,
          [
            { data: a, shape: [3, 4] },
            { data: b, shape: [4] },
          ],
          (x, y) => fn(x, y),
        );
        const a2 = kinked ? Float32Array.from([-0.9, -0.35, 0.05, 0.55, 0.95, 0.4]) : A(6);
        checkGradients(
          be,
          op,
          [
            { data: a2, shape: [2, 3, 1] },
            { data: op === 'div' ? A(4, 0.5, 2) : b, shape: [1, 4] },
          ],
          (x, y) => fn(x, y),
        );
      });
    }
    it('pow (tensor exponent)', () => {
      checkGradients(
        be,
        'pow',
        [
          { data: A(6, 0.5, 2), shape: [2, 3] },
          { data: A(3, -1, 2), shape: [3] },
        ],
        (x, y) => E.pow(x, y),
      );
    });
    it('where', () => {
      const cond = E.tensor([1, 0, 1, 0, 0, 1], [2, 3], be);
      checkGradients(
        be,
        'where',
        [
          { data: A(6), shape: [2, 3] },
          { data: A(3), shape: [3] },
        ],
        (x, y) => E.where(cond, x, y),
      );
    });
    it('sum, mean, max, min, logsumexp, softmax, logSoftmax along axes', () => {
      for (const axis of [0, 1, 2]) {
        const x = { data: A(24), shape: [2, 3, 4] };
        checkGradients(be, 'sum', [x], (t) => E.sum(t, axis));
        checkGradients(be, 'mean', [x], (t) => E.mean(t, axis, true));
        // max / min: distinct values 0.1 apart, so no tie sits inside the difference stencil
        const distinct = {
          data: Float32Array.from(rng.shuffle(Array.from({ length: 24 }, (_, i) => i * 0.1 - 1.2))),
          shape: [2, 3, 4],
        };
        checkGradients(be, 'max', [distinct], (t) => E.max(t, axis));
        checkGradients(be, 'min', [distinct], (t) => E.min(t, axis, true));
        checkGradients(be, 'logsumexp', [x], (t) => E.logsumexp(t, axis));
        checkGradients(be, 'softmax', [x], (t) => E.softmax(t, axis));
        checkGradients(be, 'logSoftmax', [x], (t) => E.logSoftmax(t, axis));
      }
      checkGradients(be, 'sum all', [{ data: A(6), shape: [2, 3] }], (t) => E.sum(t));
      checkGradients(be, 'mean all', [{ data: A(6), shape: [2, 3] }], (t) => E.mean(t));
    });
    it('matmul with every transposition, 2-D and batched', () => {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = { data: A(12), shape: transA ? [4, 3] : [3, 4] };
          const b = { data: A(20), shape: transB ? [5, 4] : [4, 5] };
          checkGradients(be, `matmul ${transA} ${transB}`, [a, b], (x, y) =>
            E.matmul(x, y, { transA, transB }),
          );
          const a3 = { data: A(24), shape: transA ? [2, 4, 3] : [2, 3, 4] };
          const b3 = { data: A(40), shape: transB ? [2, 5, 4] : [2, 4, 5] };
          checkGradients(be, `bmm ${transA} ${transB}`, [a3, b3], (x, y) =>
            E.matmul(x, y, { transA, transB }),
          );
        }
      }
    });
    it('fused linear with each activation', () => {
      for (const act of ['none', 'relu', 'gelu', 'tanh', 'silu', 'sigmoid'] as const) {
        checkGradients(
          be,
          `linear ${act}`,
          [
            { data: A(15), shape: [5, 3] },
            { data: A(12), shape: [4, 3] },
            { data: A(4), shape: [4] },
          ],
          (x, w, b) => E.linear(x, w, b, act),
        );
      }
      checkGradients(
        be,
        'linear no bias, 3-D input',
        [
          { data: A(18), shape: [2, 3, 3] },
          { data: A(6), shape: [2, 3] },
        ],
        (x, w) => E.linear(x, w, null, 'gelu'),
      );
    });
    it('fused linear with a per-group bias and a residual, each activation', () => {
      for (const act of ['none', 'relu', 'gelu', 'tanh', 'silu', 'sigmoid'] as const) {
        // 6 rows in 3 groups of 2, each group with its own bias row
        const [x, w, b] = awayFromKinks(6, 3, 4, 3);
        checkGradients(
          be,
          `linear grouped bias ${act}`,
          [
            { data: x, shape: [6, 3] },
            { data: w, shape: [4, 3] },
            { data: b, shape: [3, 4] },
          ],
          (x, w, b) => E.linear(x, w, b, act),
        );
        const [x2, w2, b2] = awayFromKinks(5, 3, 4, 1);
        checkGradients(
          be,
          `linear residual ${act}`,
          [
            { data: x2, shape: [5, 3] },
            { data: w2, shape: [4, 3] },
            { data: b2, shape: [4] },
            { data: A(20), shape: [5, 4] },
          ],
          (x, w, b, r) => E.linear(x, w, b, act, r),
        );
      }
      // a residual block h + gelu(h W^T + b): the residual is the input itself
      checkGradients(
        be,
        'residual block',
        [
          { data: A(12), shape: [3, 4] },
          { data: A(16), shape: [4, 4] },
          { data: A(4), shape: [4] },
        ],
        (h, w, b) => E.linear(h, w, b, 'gelu', h),
      );
    });
    it('fused linear: wrong bias groups or residual shapes are errors naming the shapes', () => {
      const x = E.tensor(A(15), [5, 3], be);
      const w = E.tensor(A(12), [4, 3], be);
      assert.throws(
        () => E.linear(x, w, E.tensor(A(8), [2, 4], be)),
        /bias \[2, 4\].*groups dividing 5 rows/,
      );
      assert.throws(
        () => E.linear(x, w, null, 'relu', E.tensor(A(16), [4, 4], be)),
        /residual \[4, 4\] does not match the output \[5, 4\]/,
      );
    });
    it('mlpEuler: differentiable when gradients are recorded, the same numbers as the fused kernel', () => {
      // y [6, 2] through 2 steps of a 2 -> 9 (tanh, bias per step and group of 2 rows) -> 2 chain
      const layers = (w1: E.Tensor, w2: E.Tensor, b2: E.Tensor): E.MlpLayer[] => [
        { weight: w1, bias: null, act: 'tanh' },
        { weight: w2, bias: b2, act: 'none' },
      ];
      const h = [0.3, 0.25];
      const sb = A(2 * 3 * 9);
      checkGradients(
        be,
        'mlpEuler',
        [
          { data: A(12), shape: [6, 2] },
          { data: A(18), shape: [9, 2] },
          { data: A(18), shape: [2, 9] },
          { data: A(2), shape: [2] },
          { data: sb, shape: [2, 3, 9] },
        ],
        (y0, w1, w2, b2, s) => E.mlpEuler(y0, layers(w1, w2, b2), s, h),
      );
      const t = (d: Float32Array, shape: number[]) => E.tensor(d, shape, be);
      const [y0, w1, w2, b2, s] = [
        t(A(12), [6, 2]),
        t(A(18), [9, 2]),
        t(A(18), [2, 9]),
        t(A(2), [2]),
        t(sb, [2, 3, 9]),
      ];
      const recorded = E.mlpEuler(y0, layers(E.variable(w1), w2, b2), s, h);
      const fused = E.noGrad(() => E.mlpEuler(y0, layers(w1, w2, b2), s, h));
      assert.ok(recorded.requiresGrad && !fused.requiresGrad);
      assert.deepEqual([...fused.toArray()], [...recorded.toArray()]);
      // no steps: a copy of y0
      assert.deepEqual(
        [...E.mlpEuler(y0, layers(w1, w2, b2), t(new Float32Array(0), [0, 9]), []).toArray()],
        [...y0.toArray()],
      );
      // misfits are errors naming the sizes
      assert.throws(
        () =>
          E.mlpEuler(
            y0,
            [
              { weight: w1, bias: t(A(9), [9]), act: 'tanh' },
              { weight: w2, bias: b2, act: 'none' },
            ],
            s,
            h,
          ),
        /layer 0 takes its bias from stepBias/,
      );
      assert.throws(
        () => E.mlpEuler(y0, layers(w1, w2, b2), s, [0.1]),
        /stepBias \[2, 3, 9\] must be \[steps, H\] or \[steps, groups, H\] with 1 steps and H = 9/,
      );
      assert.throws(
        () => E.mlpEuler(y0, [{ weight: w1, bias: null, act: 'tanh' }], s, h),
        /maps 2 inputs to 9 outputs/,
      );
      assert.throws(
        () => E.mlpEuler(t(A(10), [5, 2]), layers(w1, w2, b2), s, h),
        /5 rows do not split into 3 groups/,
      );
    });
    it('concat, slice, reshape, expand, permute, transpose', () => {
      checkGradients(
        be,
        'concat',
        [
          { data: A(6), shape: [2, 3] },
          { data: A(4), shape: [2, 2] },
        ],
        (x, y) => E.concat([x, y], 1),
      );
      checkGradients(
        be,
        'concat axis 0',
        [
          { data: A(6), shape: [2, 3] },
          { data: A(3), shape: [1, 3] },
        ],
        (x, y) => E.concat([x, y], 0),
      );
      checkGradients(be, 'slice', [{ data: A(24), shape: [2, 3, 4] }], (x) => E.slice(x, 2, 1, 3));
      checkGradients(be, 'reshape', [{ data: A(12), shape: [3, 4] }], (x) =>
        E.reshape(E.square(x), [2, -1]),
      );
      checkGradients(be, 'expand', [{ data: A(3), shape: [3, 1] }], (x) => E.expand(x, [2, 3, 4]));
      checkGradients(be, 'permute', [{ data: A(24), shape: [2, 3, 4] }], (x) =>
        E.permute(x, [2, 0, 1]),
      );
      checkGradients(be, 'transpose', [{ data: A(6), shape: [2, 3] }], (x) => E.transpose(x));
    });
    it('indexSelect (gather) and repeatInterleave', () => {
      checkGradients(be, 'indexSelect', [{ data: A(12), shape: [4, 3] }], (x) =>
        E.indexSelect(x, 0, [3, 0, 0, 2, 1]),
      );
      checkGradients(be, 'indexSelect axis 1', [{ data: A(12), shape: [2, 3, 2] }], (x) =>
        E.indexSelect(x, 1, [2, 2, 0]),
      );
      checkGradients(be, 'repeatInterleave', [{ data: A(6), shape: [2, 3] }], (x) =>
        E.repeatInterleave(x, 3, 0),
      );
    });
    it('logSech2 (the tanh Jacobian) and a composed expression', () => {
      checkGradients(be, 'logSech2', [{ data: A(8, -4, 4), shape: [8] }], (x) => E.logSech2(x));
      checkGradients(be, 'composed', [{ data: A(6), shape: [2, 3] }], (x) =>
        E.mul(E.tanh(x), E.exp(E.neg(E.square(x)))).sum(1),
      );
    });
  });
}
