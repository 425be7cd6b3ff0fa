/**
 * The RFM agent learns Pendulum-v1 with the 'small' preset (5,000 steps, 500 random, P = 4
 * particles, M = 16 reverse samples, 5 Euler steps, [64, 64] networks). Measured on this 2-core
 * machine with the native backend: eval returns -1454, -1180, -1236, -826, -376 at 1k..5k steps,
 * 27 s. The TypeScript backend needs several minutes for this budget, so there the test runs only
 * with RFM_SLOW_TESTS=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../../src/engine/index.ts';
import { resolveConfig } from '../../src/config/index.ts';
import { train } from '../../src/train/index.ts';
import '../../src/agents/index.ts';

const slow = getBackend().name === 'ts' && !process.env.RFM_SLOW_TESTS;

test(
  'RFM (small preset) improves clearly on Pendulum-v1 within 5,000 steps',
  {
    skip: slow
      ? 'TypeScript backend: several minutes for this budget (RFM_SLOW_TESTS=1 runs it)'
      : false,
  },
  async (t) => {
    const config = resolveConfig({ algo: 'rfm', envId: 'Pendulum-v1', preset: 'small', sets: [] });
    const t0 = performance.now();
    const r = await train('Pendulum-v1', config, { algo: 'rfm', seed: 0 });
    const evals = r.rows.filter((x) => 'eval/return' in x).map((x) => x['eval/return']);
    const msg = `${getBackend().name} backend: eval returns ${evals.map((v) => v.toFixed(0)).join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    t.diagnostic(msg);
    assert.equal(evals.length, 5, msg);
    assert.ok(evals[4] > -800, msg);
    assert.ok(evals[4] - evals[0] > 400, msg);
  },
);
