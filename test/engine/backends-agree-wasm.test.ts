/**
 * The kernel-agreement tests of backends-agree.test.ts on the WebAssembly backend (its GEMM,
 * linear forward / backward, unary ops, mlpForward and mlpEuler from native/wasm/rfm_kernels.wasm;
 * the rest is the TypeScript backend's), and what is particular to it: arrays that alias stay
 * aliased, memory growth between calls, and the module always present (it is committed).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
// type-only: erased, so the engine loads after RFM_AGREE_BACKEND is set below
import type { Backend } from '../../src/engine/index.ts';

process.env.RFM_AGREE_BACKEND = 'wasm';
await import('./backends-agree.test.ts');
const E = await import('../../src/engine/index.ts');

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
