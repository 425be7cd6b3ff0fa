/**
 * Misuse of the environment contract is an error naming the env, on every family alike: step
 * before reset, step after a terminated step without reset, unknown reset options, bad seeds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEnv, type Env } from '../../src/envs/index.ts';

const BAD_SEEDS = [-1, 1.5, NaN, Infinity, 2 ** 53, '3'];

function checkResetOptions(env: Env): void {
  assert.throws(
    () => env.reset({ sed: 3 } as never),
    new RegExp(`^Error: ${env.id}: unknown option 'sed' \\(known: seed\\)`),
  );
  for (const seed of BAD_SEEDS) {
    assert.throws(
      () => env.reset({ seed } as never),
      new RegExp(`${env.id}: seed must be a non-negative safe integer`),
      String(seed),
    );
  }
  env.reset({ seed: 0 }); // a good seed still works after the refusals
}

for (const id of [
  'Hopper-v5',
  'InvertedPendulum-v5',
  'cartpole-swingup',
  'walker-walk',
  'Pendulum-v1',
  'MountainCarContinuous-v0',
]) {
  test(`${id}: step before reset, unknown reset options and bad seeds are errors naming the env`, async () => {
    const env = await makeEnv(id, { maxEpisodeSteps: false });
    try {
      const zero = new Float64Array(env.actionSpace.size);
      assert.throws(
        () => env.step(zero),
        new RegExp(`^Error: ${id}: step\\(\\) called before reset\\(\\)$`),
      );
      checkResetOptions(env);
      const [, , terminated] = env.step(zero);
      assert.equal(typeof terminated, 'boolean');
    } finally {
      env.close();
    }
  });
}

for (const [id, push] of [
  ['InvertedPendulum-v5', 3],
  ['Hopper-v5', -1],
] as const) {
  test(`${id}: a step after the episode terminated throws until reset`, async () => {
    const env = await makeEnv(id, { maxEpisodeSteps: false });
    try {
      env.reset({ seed: 1 });
      const a = new Float64Array(env.actionSpace.size).fill(push);
      let n = 0;
      while (!env.step(a)[2])
        assert.ok(++n < 1000, 'the episode should terminate under a constant push');
      assert.throws(
        () => env.step(a),
        new RegExp(
          `^Error: ${id}: step\\(\\) called after the episode ended \\(terminated\\); call reset\\(\\) first$`,
        ),
      );
      env.reset();
      env.step(a); // a new episode steps again
    } finally {
      env.close();
    }
  });
}

test('MountainCarContinuous-v0: a step after reaching the goal throws until reset', async () => {
  const env = await makeEnv('MountainCarContinuous-v0', { maxEpisodeSteps: false });
  const car = env as unknown as { setState(s: number[]): void };
  env.reset({ seed: 0 });
  car.setState([0.449, 0.05]); // one step short of the goal, moving towards it
  assert.equal(env.step([1])[2], true);
  assert.throws(
    () => env.step([0]),
    /^Error: MountainCarContinuous-v0: step\(\) called after the episode ended/,
  );
  env.reset();
  assert.equal(env.step([0])[2], false);
});
