/**
 * SAC learns Pendulum-v1 with the 'small' preset in a CI-sized budget: 5,000 environment steps
 * (500 random), ~4,500 updates of a [64, 64] actor and critics at batch 64. Measured on the
 * native backend: 15-20 s on a loaded 2-core machine, evaluation return -1600 at 1k steps to
 * -160..-500 at 5k (seeds 0-2). The TypeScript backend runs the same budget ~10x slower
 * (about 4 minutes), so there the test is skipped with that note; set RFM_SLOW_TESTS=1 to force it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../../src/engine/index.ts';
import { resolveConfig } from '../../src/config/index.ts';
import { train } from '../../src/train/index.ts';

const slow = getBackend().name === 'ts' && !process.env.RFM_SLOW_TESTS;

test('SAC (small preset) improves clearly on Pendulum-v1 within 5,000 steps', { skip: slow ? 'TypeScript backend: ~4 min for this budget (RFM_SLOW_TESTS=1 runs it)' : false }, async (t) => {
  const config = resolveConfig({ algo: 'sac', envId: 'Pendulum-v1', preset: 'small' });
  assert.equal(config.train.steps, 5_000);
  const t0 = performance.now();
  const r = await train('Pendulum-v1', config, { algo: 'sac', seed: 0 });
  const evals = r.rows.filter((x) => 'eval/return' in x).map((x) => x['eval/return']);
  const seconds = (performance.now() - t0) / 1000;
  const msg = `eval returns ${evals.map((v) => v.toFixed(0)).join(', ')} in ${seconds.toFixed(1)} s`;
  t.diagnostic(msg);
  assert.equal(evals.length, 5, msg);
  assert.ok(evals[4] > -1000, msg);
  assert.ok(evals[4] - evals[0] > 400, msg);
});
