import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  makeEnv,
  listEnvs,
  envSpec,
  registerEnv,
  editDistance,
  nearestIds,
} from '../../src/envs/registry.ts';
import {
  RecordEpisodeStatistics,
  TimeLimit,
  findWrapper,
  unwrap,
} from '../../src/envs/wrappers.ts';
import { PendulumEnv } from '../../src/envs/classic/index.ts';
import { Box, assertValidAction, type Env } from '../../src/envs/core.ts';
import { checkEnv } from '../../src/envs/check.ts';

test('listEnvs has the classic and toy tasks with their families and limits', () => {
  const byId = new Map(listEnvs().map((s) => [s.id, s]));
  assert.equal(byId.get('Pendulum-v1')?.family, 'classic');
  assert.equal(byId.get('Pendulum-v1')?.maxEpisodeSteps, 200);
  assert.equal(byId.get('MountainCarContinuous-v0')?.maxEpisodeSteps, 999);
  assert.equal(byId.get('MultimodalBandit-v0')?.family, 'toy');
  assert.equal(new Set(listEnvs().map((s) => s.id)).size, listEnvs().length);
});

test('an unknown id is an Error listing the known ids, nearest first', async () => {
  await assert.rejects(makeEnv('Pendulum-v2'), (e: Error) => {
    assert.match(
      e.message,
      /unknown environment 'Pendulum-v2'; known ids, nearest first: Pendulum-v1, /,
    );
    for (const s of listEnvs()) assert.ok(e.message.includes(s.id));
    return true;
  });
  assert.throws(
    () => envSpec('mountaincarcontinuous-v0'),
    /nearest first: MountainCarContinuous-v0,/,
  );
  assert.equal(nearestIds('MultimodalBandit')[0], 'MultimodalBandit-v0');
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('ABC', 'abc'), 0);
});

test('makeEnv applies TimeLimit from the spec, overridable and removable', async () => {
  const env = await makeEnv('Pendulum-v1');
  assert.ok(env instanceof TimeLimit);
  assert.equal((env as TimeLimit).maxEpisodeSteps, 200);
  assert.ok(unwrap(env) instanceof PendulumEnv);
  assert.equal(env.id, 'Pendulum-v1');
  const short = (await makeEnv('Pendulum-v1', { maxEpisodeSteps: 5 })) as TimeLimit;
  assert.equal(short.maxEpisodeSteps, 5);
  assert.ok((await makeEnv('Pendulum-v1', { maxEpisodeSteps: false })) instanceof PendulumEnv);
  // no spec limit: no wrapper, unless asked for
  assert.ok(!((await makeEnv('MultimodalBandit-v0')) instanceof TimeLimit));
  assert.ok((await makeEnv('MultimodalBandit-v0', { maxEpisodeSteps: 3 })) instanceof TimeLimit);
  await assert.rejects(makeEnv('Pendulum-v1', { maxEpisodeSteps: 0 }), /positive integer/);
  await assert.rejects(
    makeEnv('Pendulum-v1', { envOptions: { gravty: 3 } }),
    /unknown option 'gravty'/,
  );
  const stacked = await makeEnv('Pendulum-v1', {
    wrappers: [{ type: 'RescaleAction', min: -1, max: 1 }, { type: 'RecordEpisodeStatistics' }],
  });
  assert.ok(stacked instanceof RecordEpisodeStatistics);
  assert.equal(stacked.actionSpace.high[0], 1);
  assert.ok(findWrapper(stacked, TimeLimit));
  await assert.rejects(
    makeEnv('Pendulum-v1', { wrappers: [{ type: 'Nope' } as never] }),
    /unknown wrapper/,
  );
  const g = unwrap(await makeEnv('Pendulum-v1', { envOptions: { g: 9.81 } })) as PendulumEnv;
  assert.equal(g.g, 9.81);
});

test('registerEnv adds a task; ids must be unique', async () => {
  const fake: Env = {
    id: 'Fake-v0',
    observationSpace: new Box(0, 1, [2]),
    actionSpace: new Box(-1, 1, [1]),
    reset: () => [new Float64Array(2), {}],
    step: () => [new Float64Array(2), 0, false, false, {}],
    close: () => {},
  };
  registerEnv({
    id: 'Fake-v0',
    family: 'toy',
    maxEpisodeSteps: 4,
    summary: 'test',
    make: async () => fake,
  });
  const env = await makeEnv('Fake-v0');
  assert.equal(unwrap(env), fake);
  assert.throws(
    () =>
      registerEnv({ id: 'Pendulum-v1', family: 'classic', summary: '', make: async () => fake }),
    /registered twice/,
  );
});

test('every registered env passes checkEnv (spaces, types, fresh arrays, seeding, action errors)', async () => {
  for (const spec of listEnvs()) {
    if (spec.id === 'Fake-v0') continue;
    const env = await makeEnv(spec.id);
    checkEnv(env, { seed: 3, steps: 30 });
    env.close();
  }
});

test('checkEnv catches broken envs', () => {
  const buf = new Float64Array(1);
  const base = {
    id: 'Broken-v0',
    observationSpace: new Box(-1, 1, [1]),
    actionSpace: new Box(-1, 1, [1]),
    close: () => {},
  };
  const reusing: Env = {
    ...base,
    reset: () => [buf, {}],
    step: (a) => {
      assertValidAction('Broken-v0', base.actionSpace, a);
      return [buf, 0, false, false, {}];
    },
  };
  assert.throws(
    () => checkEnv(reusing),
    /checkEnv\(Broken-v0\): step 0: returned the same observation array/,
  );
  const lax: Env = {
    ...base,
    reset: () => [new Float64Array(1), {}],
    step: () => [new Float64Array(1), 0, false, false, {}],
  };
  assert.throws(() => checkEnv(lax), /a NaN action must throw an Error/);
  const outside: Env = { ...lax, reset: () => [Float64Array.of(2), {}] };
  assert.throws(
    () => checkEnv(outside),
    /reset: the observation lies outside the observation space/,
  );
  let k = 0;
  const unseeded: Env = { ...lax, reset: () => [Float64Array.of((k++ % 10) / 10), {}] };
  assert.throws(() => checkEnv(unseeded), /the same seed gave different episodes/);
});
