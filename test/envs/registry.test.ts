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
import { TimeLimit, unwrap } from '../../src/envs/wrappers.ts';
import { PendulumEnv } from '../../src/envs/classic/index.ts';
import { Box, type Env } from '../../src/envs/core.ts';

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

test('every registered env builds, with consistent spaces, and obeys its contract', async () => {
  for (const spec of listEnvs()) {
    if (spec.family === 'gymnasium-mujoco' || spec.family === 'dmc') continue; // tested by their owners
    const env = await makeEnv(spec.id);
    const [obs, info] = env.reset({ seed: 1 });
    assert.equal(obs.length, env.observationSpace.size, spec.id);
    assert.ok(
      env.observationSpace.contains(obs),
      `${spec.id}: reset obs outside the observation space`,
    );
    assert.equal(typeof info, 'object');
    const a = new Float64Array(env.actionSpace.size);
    const [obs2, r, term, trunc] = env.step(a);
    assert.equal(obs2.length, env.observationSpace.size);
    assert.ok(Number.isFinite(r));
    assert.equal(typeof term, 'boolean');
    assert.equal(typeof trunc, 'boolean');
    env.close();
  }
});
