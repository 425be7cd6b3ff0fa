import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MultimodalBanditEnv,
  optimalActions,
  optimalReturn,
  banditReward,
} from '../../src/envs/toy/index.ts';
import { makeEnv } from '../../src/envs/registry.ts';

test('MultimodalBandit-v0: four modes at (±0.5, ±0.5) with reward 1', () => {
  const modes = optimalActions();
  assert.equal(modes.length, 4);
  const keys = modes.map((m) => Array.from(m).join(',')).sort();
  assert.deepEqual(keys, ['-0.5,-0.5', '-0.5,0.5', '0.5,-0.5', '0.5,0.5']);
  assert.equal(optimalReturn(), 1);
  const env = new MultimodalBanditEnv();
  for (const m of modes) {
    const [obs0] = env.reset({ seed: 0 });
    assert.deepEqual(Array.from(obs0), [1]);
    const [obs, r, terminated, truncated] = env.step(m);
    assert.equal(r, optimalReturn());
    assert.equal(terminated, true);
    assert.equal(truncated, false);
    assert.deepEqual(Array.from(obs), [1]);
  }
});

test('MultimodalBandit-v0: the modes are the maxima; the average of the modes is bad', () => {
  assert.ok(banditReward([0, 0]) < 1e-10);
  // a dense grid never beats the optimum, and its best points are near the modes
  let best = -Infinity;
  for (let i = -20; i <= 20; i++) {
    for (let j = -20; j <= 20; j++) {
      const r = banditReward([i / 20, j / 20]);
      assert.ok(r <= 1);
      best = Math.max(best, r);
    }
  }
  assert.equal(best, 1);
  assert.ok(Math.abs(banditReward([0.5, 0.6]) - Math.exp(-0.5)) < 1e-12);
});

test('MultimodalBandit-v0: other dimensions, options, noise seeding, errors', async () => {
  assert.equal(optimalActions({ dim: 3 }).length, 8);
  const env = await makeEnv('MultimodalBandit-v0', {
    envOptions: { dim: 3, obsDim: 2, noiseStd: 0.1 },
  });
  assert.equal(env.actionSpace.size, 3);
  assert.equal(env.observationSpace.size, 2);
  env.reset({ seed: 5 });
  const r1 = env.step([0.5, 0.5, -0.5])[1];
  env.reset({ seed: 5 });
  const r2 = env.step([0.5, 0.5, -0.5])[1];
  assert.equal(r1, r2);
  assert.notEqual(r1, 1);
  assert.throws(() => env.step([0.5, NaN, 0]), /MultimodalBandit-v0/);
  assert.throws(() => env.step([0.5, 0.5]), /MultimodalBandit-v0: action has length 2, expected 3/);
  assert.throws(() => new MultimodalBanditEnv({ dims: 2 } as never), /unknown option 'dims'/);
  assert.throws(() => new MultimodalBanditEnv({ dim: 0 }), /dim must be/);
});
