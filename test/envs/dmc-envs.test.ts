// DMC task environments: spaces, seeding, action validation, reward range, observation layout, setState.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envSpecs, DmcEnv } from '../../src/envs/dmc/index.ts';
import { Rng } from '../../src/engine/rng.ts';

// [observation size, action size] per task (facts sheet, "Observation dims" / "Action dims").
const DIMS: Record<string, [number, number]> = {
  'cheetah-run': [17, 6],
  'walker-stand': [24, 6],
  'walker-walk': [24, 6],
  'walker-run': [24, 6],
  'cartpole-swingup': [5, 1],
  'finger-spin': [9, 2],
  'finger-turn_easy': [12, 2],
  'finger-turn_hard': [12, 2],
  'fish-upright': [21, 5],
  'fish-swim': [24, 5],
  'pendulum-swingup': [3, 1],
  'reacher-easy': [6, 2],
  'reacher-hard': [6, 2],
  'hopper-hop': [15, 4],
  'hopper-stand': [15, 4],
  'acrobot-swingup': [6, 1],
  'ball_in_cup-catch': [8, 2],
  'humanoid-walk': [67, 21],
  'humanoid-stand': [67, 21],
  'humanoid-run': [67, 21],
  'quadruped-run': [70, 12],
};

const PRIMARY = [
  'cheetah-run',
  'cartpole-swingup',
  'fish-swim',
  'fish-upright',
  'walker-walk',
  'walker-run',
  'finger-spin',
  'finger-turn_hard',
];

function spec(id: string) {
  const s = envSpecs.find((e) => e.id === id);
  assert.ok(s, `no spec ${id}`);
  return s;
}

function randomActions(seed: number, n: number, size: number, low = -1, high = 1): number[][] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: size }, () => low + (high - low) * r.uniform()),
  );
}

test('dmc: the RFM paper tasks are registered with 1000-step episodes', () => {
  for (const id of PRIMARY) {
    const s = spec(id);
    assert.equal(s.family, 'dmc');
    assert.equal(s.maxEpisodeSteps, 1000);
    assert.ok(s.summary.length > 0);
  }
  assert.equal(new Set(envSpecs.map((s) => s.id)).size, envSpecs.length, 'ids are unique');
});

for (const s of envSpecs) {
  test(`${s.id}: spaces, seeding, rewards in [0,1], action checks`, async () => {
    const env = (await s.make()) as DmcEnv;
    const env2 = (await s.make()) as DmcEnv;
    try {
      assert.equal(env.id, s.id);
      const dims = DIMS[s.id];
      assert.ok(dims, `dims of ${s.id}`);
      assert.equal(env.observationSpace.size, dims[0]);
      assert.equal(env.actionSpace.size, dims[1]);
      for (let i = 0; i < env.actionSpace.size; i++) {
        assert.ok(env.actionSpace.low[i] < 0 && env.actionSpace.high[i] > 0);
      }
      // Layout covers the vector exactly.
      let off = 0;
      for (const b of env.observationLayout) {
        assert.equal(b.offset, off);
        off += b.size;
      }
      assert.equal(off, dims[0]);

      // Same seed, same episode (in another env of the same task too); a different seed differs.
      const [o1] = env.reset({ seed: 7 });
      const [o2] = env2.reset({ seed: 7 });
      assert.deepEqual(o1, o2);
      assert.equal(o1.length, dims[0]);
      const [o3] = env2.reset({ seed: 8 });
      assert.notDeepEqual(o1, o3);
      env2.reset({ seed: 7 });
      const acts = randomActions(3, 30, dims[1], -1, 1);
      for (const a of acts) {
        const r1 = env.step(a);
        const r2 = env2.step(a);
        assert.deepEqual(r1[0], r2[0]);
        assert.equal(r1[1], r2[1]);
        const [obs, reward, terminated, truncated] = r1;
        assert.ok(obs instanceof Float64Array && obs.length === dims[0]);
        assert.ok(obs.every(Number.isFinite), 'finite observation');
        assert.ok(reward >= 0 && reward <= 1, `reward ${reward} in [0, 1]`);
        assert.equal(terminated, false);
        assert.equal(truncated, false);
      }
      // Observations are copies: changing one does not change the env or the next observation.
      const [before] = env.reset({ seed: 11 });
      const keep = Float64Array.from(before);
      before.fill(123);
      const [again] = env2.reset({ seed: 11 });
      assert.deepEqual(again, keep);
      // Unseeded resets continue the stream rather than repeating it.
      const [n1] = env.reset();
      const [n2] = env.reset();
      assert.notDeepEqual(n1, n2);

      // Action validation: clear errors naming the env.
      const good = new Array(dims[1]).fill(0);
      assert.throws(() => env.step(good.slice(1)), new RegExp(`${s.id}.*length`));
      assert.throws(() => env.step([...good, 0]), new RegExp(`${s.id}.*length`));
      const bad = [...good];
      bad[0] = Number.NaN;
      assert.throws(() => env.step(bad), new RegExp(`${s.id}.*action\\[0\\]`));
      bad[0] = Infinity;
      assert.throws(() => env.step(bad), new RegExp(s.id));
    } finally {
      env.close();
      env2.close();
    }
    assert.throws(() => env.reset(), /closed/);
  });
}

test('dmc: sorted observation order permutes the blocks', async () => {
  const a = (await spec('walker-walk').make()) as DmcEnv;
  const b = (await spec('walker-walk').make({ observationOrder: 'sorted' })) as DmcEnv;
  try {
    assert.deepEqual(
      a.observationLayout.map((x) => x.key),
      ['orientations', 'height', 'velocity'],
    );
    assert.deepEqual(
      b.observationLayout.map((x) => x.key),
      ['height', 'orientations', 'velocity'],
    );
    const [oa] = a.reset({ seed: 3 });
    const [ob] = b.reset({ seed: 3 });
    for (const blk of a.observationLayout) {
      const other = b.observationLayout.find((x) => x.key === blk.key)!;
      assert.deepEqual(
        oa.subarray(blk.offset, blk.offset + blk.size),
        ob.subarray(other.offset, other.offset + other.size),
      );
    }
  } finally {
    a.close();
    b.close();
  }
  await assert.rejects(
    spec('walker-walk').make({ observationOrder: 'random' }),
    /observationOrder/,
  );
});

test('dmc: setState writes the state and the next observation reflects it', async () => {
  const env = (await spec('cartpole-swingup').make()) as DmcEnv;
  try {
    env.reset({ seed: 1 });
    env.setState([0.3, 0], [0, 0]);
    assert.deepEqual(Array.from(env.getState().qpos), [0.3, 0]);
    assert.deepEqual(Array.from(env.observe()), [0.3, 1, 0, 0, 0]);
    // Upright, still, centred, no control: reward close to its maximum.
    const [, r] = env.step([0]);
    assert.ok(r > 0.97 && r <= 1, `upright reward ${r}`);
    assert.throws(() => env.setState([0], [0, 0]), /qpos/);
  } finally {
    env.close();
  }
});

test('dmc: walker standing still at its drawn height earns the stand term only', async () => {
  const env = (await spec('walker-walk').make()) as DmcEnv;
  try {
    env.reset({ seed: 1 });
    // qpos0: torso at 1.3 m, upright, legs straight; zero velocity -> stand = 1, move = 0 -> reward 1/6.
    env.setState(new Float64Array(9), new Float64Array(9));
    const [obs, r] = env.step(new Array(6).fill(0));
    assert.ok(Math.abs(r - 1 / 6) < 0.01, `reward ${r}`);
    assert.ok(Math.abs(obs[14] - 1.3) < 0.01, 'height');
  } finally {
    env.close();
  }
});

test('dmc: cheetah reward is forward speed / 10', async () => {
  const env = (await spec('cheetah-run').make()) as DmcEnv;
  try {
    env.reset({ seed: 2 });
    const q = new Float64Array(9);
    q[1] = 0.3; // lift it so nothing touches the ground during the step
    const v = new Float64Array(9);
    v[0] = 4; // 4 m/s forward
    env.setState(q, v);
    const [, r] = env.step(new Array(6).fill(0));
    assert.ok(Math.abs(r - 0.4) < 0.01, `reward ${r}`);
  } finally {
    env.close();
  }
});
