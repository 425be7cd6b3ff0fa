import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgent } from '../../src/agents/index.ts';
import { resolveConfig } from '../../src/config/index.ts';
import { makeEnv } from '../../src/envs/index.ts';
import { buildEnv, predictor, train } from '../../src/train/index.ts';

test('agents take Float64Array observations and act as on the same values in Float32Array', () => {
  for (const algo of ['rfm', 'sac', 'td3']) {
    const config = resolveConfig({ algo, preset: 'small' });
    const agent = createAgent(algo, 3, 2, config, 0);
    const obs64 = Float64Array.from([0.1, -0.7, 1.3, 0.2, 0.2, -2]);
    const a = agent.act(obs64, { deterministic: true });
    const b = agent.act(Float32Array.from(obs64), { deterministic: true });
    assert.deepEqual(a, b, algo);
    assert.equal(a.length, 4);
  }
});

test('predict: raw observations in, actions in the environment units out (Pendulum-v1: torque in [-2, 2])', async () => {
  const config = resolveConfig({
    algo: 'sac',
    envId: 'Pendulum-v1',
    preset: 'small',
    sets: ['train.steps=20', 'train.randomSteps=10', 'train.batchSize=8', 'train.evalEpisodes=1'],
  });
  const run = await train('Pendulum-v1', config, { algo: 'sac', seed: 0 });
  const env = await makeEnv('Pendulum-v1');
  const [obs] = env.reset({ seed: 3 });
  const a = run.predict(obs); // deterministic by default
  assert.ok(a instanceof Float64Array && a.length === 1);
  assert.ok(Math.abs(a[0] - 2 * run.agent.act(obs, { deterministic: true })[0]) < 1e-6);
  assert.ok(env.actionSpace.contains(a));
  env.step(a);
  const two = run.predict([...obs, ...obs]);
  assert.deepEqual(Array.from(two), [a[0], a[0]]);
  assert.throws(() => run.predict([1, 2]), /predict: observations of 2 values are not rows of 3/);
  assert.equal(run.predict(obs, { deterministic: false }).length, 1);
});

test('predict normalises observations as training did (train.normalizeObs), with frozen statistics', async () => {
  const config = resolveConfig({
    algo: 'sac',
    envId: 'Pendulum-v1',
    preset: 'small',
    sets: ['train.normalizeObs=true'],
  });
  const agent = createAgent('sac', 3, 1, config, 0);
  const stack = await buildEnv('Pendulum-v1', config.train);
  for (let i = 0; i < 5; i++) stack.env.reset({ seed: i }); // statistics from a few observations
  const predict = predictor(agent, stack);
  const raw = Float64Array.from([0.5, -0.5, 3]);
  const before = stack.normalizer!.state();
  const a = predict(raw);
  assert.deepEqual(stack.normalizer!.state(), before, 'predict does not update the statistics');
  const expected = 2 * agent.act(stack.normalizer!.normalize(raw), { deterministic: true })[0];
  assert.ok(Math.abs(a[0] - expected) < 1e-6);
});
