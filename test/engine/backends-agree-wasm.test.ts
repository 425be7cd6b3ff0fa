/**
 * The kernel-agreement tests of backends-agree.test.ts on the WebAssembly backend (every kernel of
 * native/wasm/rfm_kernels.wasm: GEMM, linear forward / backward, unary and binary ops, where, copy,
 * reductions, gather / scatter, Adam, mlpForward, mlpEuler), its fused kernels of the agents
 * (twinReluCriticMin, mlpMseGrads, posteriorMean, adamMulti) against the TypeScript backend's
 * composition of the same formulas, and what is particular to it: arrays that alias stay aliased,
 * memory growth between calls, and the module always present (it is committed).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
// type-only: erased, so the engine loads after RFM_AGREE_BACKEND is set below
import type { Backend, MlpLayer, Tensor } from '../../src/engine/index.ts';

process.env.RFM_AGREE_BACKEND = 'wasm';
await import('./backends-agree.test.ts');
const E = await import('../../src/engine/index.ts');
const { TwinCritic } = await import('../../src/agents/critic.ts');
const { MLP, Linear, ResidualBlock, mseGradients } = await import('../../src/nn/index.ts');
const { posteriorMean, CV, NE, GE } = await import('../../src/estimators/index.ts');
const { randomArray } = await import('./helpers.ts');

describe('wasm backend', () => {
  const w = E.tryBackend('wasm');
  const ts = E.tryBackend('ts')!;

  it('loads from the committed module and names its instruction set', () => {
    assert.ok(w, `wasm backend unavailable: ${String(E.wasmLoadError())}`);
    assert.equal(w.name, 'wasm');
    assert.equal((w as InstanceType<typeof E.WasmBackend>).isa, 'wasm-simd128');
  });

  it('an in-place unary op (out is x) stays in place', () => {
    const x = Float32Array.from([-2, -0.5, 0, 0.5, 2]);
    const s = w!.fromArray(x);
    w!.unary('tanh', s, s, 0, 0);
    const want = ts.alloc(5);
    ts.unary('tanh', ts.fromArray(x), want, 0, 0);
    const got = w!.read(s);
    const ref = ts.read(want);
    // the module's vectorised tanh is within a few float ulps of Math.tanh
    for (let i = 0; i < 5; i++)
      assert.ok(Math.abs(got[i] - ref[i]) <= 1e-6, `tanh(${x[i]}): ${got[i]} vs ${ref[i]}`);
    assert.notEqual(got[0], x[0]);
  });

  it('a product larger than the first call grows the module memory and still agrees', () => {
    const rng = new E.Rng(7);
    for (const n of [8, 600]) {
      const a = rng.fillUniform(new Float32Array(n * n), -1, 1);
      const b = rng.fillUniform(new Float32Array(n * n), -1, 1);
      const run = (be: Backend): Float32Array => {
        const c = be.alloc(n * n);
        be.matmul(be.fromArray(a), be.fromArray(b), c, n, n, n, false, true, false, 1, 0, 0, 0);
        return be.read(c);
      };
      const got = run(w!);
      const want = run(ts);
      // sums of n products of [-1, 1] values: float rounding grows with the depth
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      assert.ok(worst < 1e-6 * n, `n=${n}: largest difference ${worst}`);
    }
  });

  it('bad sizes are one-line errors, and the storage is left as it was', () => {
    const c = w!.fromArray([1, 2, 3, 4]);
    assert.throws(
      () => w!.matmul(w!.alloc(3), w!.alloc(4), c, 2, 2, 2, false, false, false, 1, 0, 0, 0),
      /^Error: matmul: arrays too short for the sizes$/,
    );
    assert.deepEqual([...w!.read(c)], [1, 2, 3, 4]);
    assert.throws(
      () => w!.linear(w!.alloc(4), w!.alloc(4), null, w!.alloc(4), null, 2, 2, 2, 'relu', 3),
      /linear: bad arguments/,
    );
  });
});

/** Equal within tol relative to 1 + |want|. */
function near(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  assert.equal(got.length, want.length, `${name}: lengths`);
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])),
      `${name}[${i}]: wasm ${got[i]} vs ts ${want[i]}`,
    );
}

describe('wasm backend: fused kernels against the TypeScript composition', () => {
  const w = E.tryBackend('wasm')!;
  const ts = E.tryBackend('ts')!;
  /** Runs f counting the calls of the wasm backend's kernel `name` (a spy on the instance). */
  function counting<T>(name: 'twinReluCriticMin' | 'mlpMseGrads' | 'posteriorMean', f: () => T) {
    const target = w as unknown as Record<string, (...a: unknown[]) => unknown>;
    const kernel = target[name];
    let calls = 0;
    target[name] = function (this: unknown, ...a: unknown[]) {
      calls++;
      return kernel.apply(this, a);
    };
    try {
      return { value: f(), calls };
    } finally {
      delete target[name];
    }
  }
  /** The same parameters on `to` as on `from` (modules of the same shapes). */
  const copyParams = (from: { parameters(): Tensor[] }, to: { parameters(): Tensor[] }) =>
    from
      .parameters()
      .forEach((p, i) => to.parameters()[i].backend.write(to.parameters()[i].storage, p.toArray()));

  // (states, repeats, obs dim, action dim, hidden sizes): the agents' shape, odd sizes, a wide
  // action, one state; the last case makes both critics equal (every row a tie)
  const twinCases: [number, number, number, number, number[], boolean][] = [
    [16, 32, 17, 6, [64, 64], false],
    [7, 5, 3, 2, [40, 24], false],
    [3, 13, 11, 17, [33, 70], false],
    [1, 100, 5, 1, [16, 16], false],
    [5, 4, 4, 3, [32, 32], true],
  ];
  for (const [B, R, O, A, hidden, tie] of twinCases) {
    it(`twinReluCriticMin: ${B} states x ${R} actions, obs ${O}, action ${A}, hidden [${hidden}]${tie ? ', tied critics' : ''}: min(Q1, Q2) and its action gradient`, () => {
      E.tidy(() => {
        const rng = new E.Rng(B * 100 + R);
        const cfg = { hidden, lr: 1e-3, maxGradNorm: Infinity };
        const onTs = new TwinCritic(O, A, cfg, rng, ts);
        // biases away from zero so both critics' ReLUs are partly active
        for (const p of [...onTs.q[0].parameters(), ...onTs.q[1].parameters()])
          if (p.rank === 1)
            ts.write(p.storage, rng.fillUniform(new Float32Array(p.size), -0.3, 0.3));
        if (tie) onTs.q[1].copyFrom(onTs.q[0]);
        const onWasm = new TwinCritic(O, A, cfg, new E.Rng(1), w);
        for (const j of [0, 1] as const) copyParams(onTs.q[j], onWasm.q[j]);
        const obs = rng.fillNormal(new Float32Array(B * O));
        const act = rng.fillUniform(new Float32Array(B * R * A), -0.99, 0.99);
        const run = (c: InstanceType<typeof TwinCritic>, be: Backend) => {
          const r = c.minQRepeatedValueAndGrad(
            E.tensor(obs, [B, O], be),
            E.tensor(act, [B * R, A], be),
          );
          return { value: r.value.toArray(), grad: r.grad.toArray() };
        };
        const want = run(onTs, ts);
        const got = counting('twinReluCriticMin', () => run(onWasm, w));
        assert.equal(got.calls, 1, 'the fused kernel ran');
        near('value', got.value.value, want.value, 2e-5);
        near('grad', got.value.grad, want.grad, 2e-5);
        // values alone (no gradient): the same numbers
        const only = counting('twinReluCriticMin', () =>
          E.noGrad(() =>
            onWasm.minQRepeated(E.tensor(obs, [B, O], w), E.tensor(act, [B * R, A], w)),
          ).toArray(),
        );
        assert.equal(only.calls, 1);
        near('value without gradient', only.value, want.value, 2e-5);
      });
    });
  }

  it('twinReluCriticMin: arrays too short are a one-line error, and the outputs are left as they were', () => {
    const c = {
      w1: w.alloc(4 * 5),
      ldw1: 5,
      offset: 3,
      cond: w.alloc(4),
      w2: w.alloc(16),
      b2: null,
      w3: w.alloc(4),
      b3: null,
    };
    const q1 = w.fromArray([7, 7, 7]);
    assert.throws(
      () =>
        w.twinReluCriticMin!(w.alloc(6), q1, w.alloc(3), null, 3, 2, 4, 4, 1, [
          c,
          { ...c, w2: w.alloc(15) },
        ]),
      /^Error: twinReluCriticMin: arrays too short for the sizes$/,
    );
    assert.throws(
      () =>
        w.twinReluCriticMin!(w.alloc(6), q1, w.alloc(3), null, 3, 2, 4, 4, 1, [
          c,
          { ...c, offset: 4 },
        ]),
      /differ in shape/,
    );
    assert.deepEqual([...w.read(q1)], [7, 7, 7]);
  });

  it('mlpMseGrads: loss, prediction and accumulated gradients of a ReLU MLP and of a residual GELU / SiLU chain', () => {
    E.tidy(() => {
      const r = new E.Rng(31);
      /** The two chains on backend be, built from the same seeds. */
      const chains = (be: Backend) => {
        const mlp = new MLP([7, 24, 24, 1], new E.Rng(4), { backend: be, activation: 'relu' });
        const first = new Linear(5, 16, new E.Rng(5), { backend: be });
        const blocks = [
          new ResidualBlock(16, new E.Rng(6), 'gelu', { backend: be }),
          new ResidualBlock(16, new E.Rng(7), 'silu', { backend: be }),
        ];
        const last = new Linear(16, 3, new E.Rng(8), { backend: be });
        const res: MlpLayer[] = [
          { weight: first.weight, bias: first.bias, act: 'gelu' },
          ...blocks.map((b) => ({
            weight: b.dense.weight,
            bias: b.dense.bias,
            act: b.activation,
            residual: true,
          })),
          { weight: last.weight, bias: last.bias, act: 'none' as const },
        ];
        return [mlp.chain(), res];
      };
      const [onTs, onWasm] = [chains(ts), chains(w)];
      for (const [c, M, inW, outW, scale] of [
        [0, 37, 7, 1, 0.5],
        [1, 29, 5, 3, 1],
      ] as const) {
        const x = randomArray(r, M * inW);
        const target = randomArray(r, M * outW);
        // the TypeScript backend composes the loss and calls backward()
        const tsParams = onTs[c].flatMap((l) => [l.weight, l.bias!]);
        for (const q of tsParams) q.grad = null;
        assert.equal(
          mseGradients(onTs[c], E.tensor(x, [M, inW], ts), E.tensor(target, [M, outW], ts)),
          null,
        );
        let h = E.tensor(x, [M, inW], ts);
        for (const l of onTs[c]) h = E.linear(h, l.weight, l.bias, l.act, l.residual ? h : null);
        const loss = E.mul(E.mean(E.square(E.sub(h, E.tensor(target, [M, outW], ts)))), scale);
        E.backward(loss);
        const wantGrads = tsParams.map((q) => q.grad!.toArray());
        // the wasm backend: one kernel call, twice (the gradients accumulate)
        const params = onWasm[c].flatMap((l) => [l.weight, l.bias!]);
        for (const q of params) q.grad = null;
        const pred = E.zeros([M, outW], w);
        const args = [E.tensor(x, [M, inW], w), E.tensor(target, [M, outW], w)] as const;
        const got = counting('mlpMseGrads', () => mseGradients(onWasm[c], ...args, scale, pred));
        assert.equal(got.calls, 1, 'the fused kernel ran');
        near('loss', [got.value!], [loss.item()], 1e-5);
        near('pred', pred.toArray(), h.toArray(), 1e-5);
        params.forEach((q, j) => near(`param ${j} grad`, q.grad!.toArray(), wantGrads[j], 1e-4));
        mseGradients(onWasm[c], ...args, scale);
        params.forEach((q, j) =>
          near(
            `param ${j} grad, accumulated`,
            q.grad!.toArray(),
            wantGrads[j].map((v: number) => 2 * v),
            2e-4,
          ),
        );
      }
    });
  });

  it('posteriorMean: weights, control variates, means and diagnostics for each control variate kind', () => {
    const [B, K, D] = [9, 13, 3];
    const r = new E.Rng(8);
    const data = {
      x1: r.fillNormal(new Float32Array(B * K * D)),
      x0: r.fillNormal(new Float32Array(B * K * D)),
      logits: r.fillNormal(new Float32Array(B * K), 0, 3),
      grads: r.fillNormal(new Float32Array(B * K * D)),
      a: r.fillUniform(new Float32Array(B), 0.1, 0.9),
      t: r.fillUniform(new Float32Array(B), 0.01, 0.99),
    };
    const on = (be: Backend, cv: Parameters<typeof posteriorMean>[3]) =>
      E.tidy(() => {
        const T = (d: Float32Array, shape: number[]) => E.tensor(d, shape, be);
        const a = T(data.a, [B, 1]);
        const b = E.add(E.mul(a, -1), 1);
        const p = {
          x1: T(data.x1, [B, K, D]),
          x0: T(data.x0, [B, K, D]),
          mu: T(new Float32Array(B * D), [B, D]),
          sigma: E.div(b, a),
          aOverB: E.div(a, b),
        };
        const res = posteriorMean(
          p,
          T(data.logits, [B * K]),
          T(data.grads, [B * K, D]),
          cv,
          data.t,
        );
        return {
          m: res.mean.toArray(),
          c: res.c.toArray(),
          w: res.weights.toArray(),
          diag: Object.values(res.diagnostics),
        };
      });
    for (const cv of [
      CV,
      { kind: 'cv', ridge: 0.5, clip: 0.3 },
      NE,
      GE,
      { kind: 'fixed', value: 0.37 },
    ] as const) {
      const want = on(ts, cv);
      const got = counting('posteriorMean', () => on(w, cv));
      assert.equal(got.calls, 1, `${cv.kind}: the fused kernel ran`);
      near(`${cv.kind} m`, got.value.m, want.m, 2e-5);
      near(`${cv.kind} c`, got.value.c, want.c, 2e-5);
      near(`${cv.kind} w`, got.value.w, want.w, 2e-6);
      near(`${cv.kind} diagnostics`, got.value.diag, want.diag, 2e-5);
    }
    assert.throws(
      () =>
        w.posteriorMean!(
          w.alloc(3),
          w.alloc(3),
          w.alloc(3),
          w.alloc(3),
          w.alloc(1),
          null,
          w.alloc(3),
          w.alloc(3),
          w.alloc(3),
          1,
          3,
          2,
          0,
          1,
        ),
      /^Error: posteriorMean: arrays too short for the sizes$/,
    );
  });

  it('adamMulti: one call (norm, clipping, steps, zeroed gradients) equals the TypeScript backend; bad lengths throw and change nothing', () => {
    const r = new E.Rng(12);
    const sizes = [7, 300, 1, 4097];
    const hp = {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.01,
      biasCorrection1: 0.19,
      biasCorrection2: 0.003,
    };
    const host = sizes.map((n) => ({
      p: randomArray(r, n),
      g: randomArray(r, n, -2, 2),
      m: randomArray(r, n, -0.1, 0.1),
      v: randomArray(r, n, 0, 0.1),
    }));
    for (const maxNorm of [Infinity, 1]) {
      const run = (be: Backend) => {
        const S = host.map((h) => ({
          p: be.fromArray(h.p),
          g: be.fromArray(h.g),
          m: be.fromArray(h.m),
          v: be.fromArray(h.v),
        }));
        // the third parameter has no gradient: left as it is
        const norm = be.adamMulti(
          S.map((s) => s.p),
          S.map((s, i) => (i === 2 ? null : s.g)),
          S.map((s) => s.m),
          S.map((s) => s.v),
          hp,
          maxNorm,
        );
        return { norm, out: S.map((s) => [s.p, s.g, s.m, s.v].map((x) => be.read(x))) };
      };
      const want = run(ts);
      const got = run(w);
      near('norm', [got.norm], [want.norm], 1e-6);
      if (maxNorm === 1) assert.ok(want.norm > 1, 'the clipping case clips');
      got.out.forEach((arrays, i) =>
        arrays.forEach((a, j) =>
          near(`maxNorm ${maxNorm}, param ${i}, array ${j}`, a, want.out[i][j], 1e-5),
        ),
      );
      assert.deepEqual(
        [...got.out[2][1]],
        [...host[2].g],
        'no gradient given: its array untouched',
      );
      assert.ok(
        got.out[0][1].every((x) => x === 0),
        'gradients zeroed',
      );
    }
    const p = w.fromArray([1, 2, 3]);
    assert.throws(
      () => w.adamMulti([p], [w.alloc(2)], [w.alloc(3)], [w.alloc(3)], hp, Infinity),
      /^Error: adamMulti: the lists differ in length, or an array is too short$/,
    );
    assert.deepEqual([...w.read(p)], [1, 2, 3]);
  });
});
