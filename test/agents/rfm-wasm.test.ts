/**
 * The RFM agent's update on the WebAssembly backend (a smoke test of RFM_BACKEND=wasm's kernels
 * inside a whole update): the small preset's first updates give the TypeScript backend's metrics
 * (the same seed; float rounding apart), and repeated updates on one batch lower the critic loss.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from '../../src/engine/index.ts';
import { RfmAgent } from '../../src/agents/rfm.ts';
import { PRESETS } from '../../src/config/index.ts';
import { benchUpdate, syntheticBatch } from '../../src/cli/commands/bench-update.ts';
import { describeBackend } from '../../src/engine/backend-native.ts';

const wasm = E.tryBackend('wasm');
const ts = E.tryBackend('ts')!;

describe(
  'RFM update on the wasm backend',
  { skip: wasm ? false : `wasm backend unavailable: ${String(E.wasmLoadError())}` },
  () => {
    const cfg = PRESETS.small.rfm ?? {};
    const batch = syntheticBatch(64, new E.Rng(3));

    it("the first updates match the TypeScript backend's metrics", () => {
      const a = new RfmAgent('rfm', 17, 6, cfg, 5, wasm!);
      const b = new RfmAgent('rfm', 17, 6, cfg, 5, ts);
      for (let u = 0; u < 3; u++) {
        const mw = a.update(batch);
        const mt = b.update(batch);
        assert.deepEqual(Object.keys(mw).sort(), Object.keys(mt).sort());
        for (const k of Object.keys(mt)) {
          const tol = 1e-3 * (1 + Math.abs(mt[k]));
          assert.ok(
            Math.abs(mw[k] - mt[k]) <= tol,
            `update ${u}, ${k}: wasm ${mw[k]} vs ts ${mt[k]}`,
          );
        }
      }
    });

    it('repeated updates on one batch lower the critic loss', () => {
      const a = new RfmAgent('rfm', 17, 6, cfg, 9, wasm!);
      const key = 'loss/critic';
      const first = a.update(batch)[key];
      let last = first;
      for (let u = 0; u < 40; u++) last = a.update(batch)[key];
      assert.ok(last < 0.5 * first, `${key}: ${first} -> ${last}`);
    });

    it('rfm bench update names the backend and its instruction set (wasm-simd128, one thread)', () => {
      const before = E.getBackend();
      E.setBackend('wasm');
      try {
        const r = benchUpdate('small', 0);
        assert.equal(r.backend, 'wasm');
        assert.equal(r.isa, 'wasm-simd128');
        assert.ok(r.updates >= 3 && r.updatesPerSec > 0);
        assert.equal(describeBackend(E.getBackend()), 'wasm (wasm-simd128, 1 threads)');
      } finally {
        E.setBackend(before);
      }
    });
  },
);
