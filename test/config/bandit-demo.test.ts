// README's multimodal demo: `rfm train --algo rfm --env MultimodalBandit-v0 --preset small`.
// The preset must not undo what the bandit needs, and with what it needs the flow finds the modes.
// (The full demo command, with its time, runs in .ci/readme-examples.sh.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESET_NAMES, TASK_REQUIREMENTS, resolveConfig } from '../../src/config/index.ts';
import { banditReward, optimalActions } from '../../src/envs/toy/index.ts';
import { train } from '../../src/train/index.ts';

const ENV = 'MultimodalBandit-v0';

test('the bandit keeps its loop and sampler sizes under every preset; files and --set still win', () => {
  for (const preset of [undefined, ...PRESET_NAMES]) {
    const c = resolveConfig({ algo: 'rfm', envId: ENV, preset });
    assert.deepEqual(
      [
        c.train.steps,
        c.train.randomSteps,
        c.train.evalEpisodes,
        c.rfm.particles,
        c.rfm.reverseSamples,
      ],
      [2_000, 200, 20, 32, 100],
      `preset ${preset}`,
    );
  }
  // the preset still sets what the task does not require (the networks' width)
  assert.equal(resolveConfig({ algo: 'rfm', envId: ENV, preset: 'small' }).rfm.hidden, 64);
  const c = resolveConfig({
    algo: 'rfm',
    envId: ENV,
    preset: 'small',
    sets: ['train.steps=300', 'rfm.particles=8'],
  });
  assert.deepEqual([c.train.steps, c.rfm.particles], [300, 8]);
  // a task without requirements: the preset wins over its defaults, as before
  assert.equal(TASK_REQUIREMENTS['Pendulum-v1'], undefined);
  assert.equal(
    resolveConfig({ algo: 'sac', envId: 'Pendulum-v1', preset: 'paper' }).train.steps,
    250_000,
  );
});

test('rfm with the demo config puts its samples on the optima of the bandit, more than one of them (shortened run)', async () => {
  // The demo's config, 700 steps instead of 2000 (200 random, 500 updates): by then most samples sit
  // on optima, spread over two or more of them; the full demo (CI) reaches all four.
  const config = resolveConfig({
    algo: 'rfm',
    envId: ENV,
    preset: 'small',
    sets: ['train.steps=700', 'train.evalEvery=0', 'train.evalEpisodes=1'],
  });
  const run = await train(ENV, config, { algo: 'rfm', seed: 0 });
  const n = 200;
  const acts = run.agent.act(new Float32Array(n).fill(1), { deterministic: false });
  const modes = optimalActions();
  const perMode = modes.map(() => 0);
  let corners = 0;
  for (let i = 0; i < n; i++) {
    const a = [acts[2 * i], acts[2 * i + 1]];
    if (Math.abs(a[0]) > 0.9 || Math.abs(a[1]) > 0.9) corners++;
    if (banditReward(a) < 0.5) continue; // not within ~0.12 of a mode
    perMode[
      modes.findIndex(
        (m) => Math.sign(m[0]) === Math.sign(a[0]) && Math.sign(m[1]) === Math.sign(a[1]),
      )
    ]++;
  }
  const near = perMode.reduce((s, c) => s + c, 0);
  assert.ok(
    near >= 0.5 * n,
    `only ${near}/${n} samples earn reward >= 0.5 (per mode ${perMode}, ${corners} at the corners)`,
  );
  assert.ok(perMode.filter((c) => c >= 0.08 * n).length >= 2, `one mode only: ${perMode}`);
  assert.ok(corners <= 0.05 * n, `${corners}/${n} samples at the corners of the box`);
  assert.ok(
    run.lastEval !== null && run.lastEval.mean >= 0.5,
    `evaluation return ${run.lastEval?.mean}`,
  );
});
