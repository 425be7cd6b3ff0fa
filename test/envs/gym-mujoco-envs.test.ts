/**
 * Contract tests of the Gymnasium MuJoCo v5 environments: spaces, reset/step shapes and copies, the reward-terms
 * invariant, seeding, action validation, options, reset-noise distributions, close(), and flat memory over resets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  envSpecs,
  HalfCheetahEnv,
  InvertedPendulumEnv,
  ReacherEnv,
  HopperEnv,
  AntEnv,
  HumanoidEnv,
  SwimmerEnv,
} from '../../src/envs/gym-mujoco/index.ts';
import type { Env } from '../../src/envs/core.ts';
import type { MujocoEnv } from '../../src/envs/mujoco/mujoco-env.ts';
import { wasmHeapBytes } from '../../src/envs/mujoco/runtime.ts';
import { Rng } from '../../src/engine/rng.ts';

const EXPECTED: Record<
  string,
  { obs: number; act: number; low: number; high: number; max: number; resetInfo: string[] }
> = {
  'InvertedPendulum-v5': { obs: 4, act: 1, low: -3, high: 3, max: 1000, resetInfo: [] },
  'InvertedDoublePendulum-v5': { obs: 9, act: 1, low: -1, high: 1, max: 1000, resetInfo: [] },
  'Reacher-v5': { obs: 10, act: 2, low: -1, high: 1, max: 50, resetInfo: [] },
  'Swimmer-v5': {
    obs: 8,
    act: 2,
    low: -1,
    high: 1,
    max: 1000,
    resetInfo: ['x_position', 'y_position', 'distance_from_origin'],
  },
  'HalfCheetah-v5': { obs: 17, act: 6, low: -1, high: 1, max: 1000, resetInfo: ['x_position'] },
  'Hopper-v5': {
    obs: 11,
    act: 3,
    low: -1,
    high: 1,
    max: 1000,
    resetInfo: ['x_position', 'z_distance_from_origin'],
  },
  'Walker2d-v5': {
    obs: 17,
    act: 6,
    low: -1,
    high: 1,
    max: 1000,
    resetInfo: ['x_position', 'z_distance_from_origin'],
  },
  'Ant-v5': {
    obs: 105,
    act: 8,
    low: -1,
    high: 1,
    max: 1000,
    resetInfo: ['x_position', 'y_position', 'distance_from_origin'],
  },
  'Humanoid-v5': {
    obs: 348,
    act: 17,
    low: Math.fround(-0.4),
    high: Math.fround(0.4),
    max: 1000,
    resetInfo: [
      'x_position',
      'y_position',
      'tendon_length',
      'tendon_velocity',
      'distance_from_origin',
    ],
  },
};

const RENDER_FPS: Record<string, number> = {
  'InvertedPendulum-v5': 25,
  'InvertedDoublePendulum-v5': 20,
  'Reacher-v5': 50,
  'Swimmer-v5': 25,
  'HalfCheetah-v5': 20,
  'Hopper-v5': 125,
  'Walker2d-v5': 125,
  'Ant-v5': 20,
  'Humanoid-v5': 67,
};

function randomAction(env: Env, rng: Rng): Float64Array {
  const a = new Float64Array(env.actionSpace.size);
  for (let i = 0; i < a.length; i++)
    a[i] =
      env.actionSpace.low[i] + (env.actionSpace.high[i] - env.actionSpace.low[i]) * rng.uniform();
  return a;
}

function rollout(env: Env, seed: number, steps: number): { obs: number[][]; rewards: number[] } {
  const rng = new Rng(1234);
  const [o0] = env.reset({ seed });
  const obs = [Array.from(o0)];
  const rewards: number[] = [];
  for (let s = 0; s < steps; s++) {
    const [o, r, term] = env.step(randomAction(env, rng));
    obs.push(Array.from(o));
    rewards.push(r);
    if (term) break;
  }
  return { obs, rewards };
}

test('nine envs are listed with family, limits and summaries', () => {
  assert.deepEqual(
    envSpecs.map((s) => s.id),
    Object.keys(EXPECTED),
  );
  for (const s of envSpecs) {
    assert.equal(s.family, 'gymnasium-mujoco');
    assert.equal(s.maxEpisodeSteps, EXPECTED[s.id].max);
    assert.ok(s.summary.length > 10);
  }
});

for (const spec of envSpecs) {
  test(`${spec.id}: spaces, reset/step shapes, reward terms, seeding, action checks`, async () => {
    const e = EXPECTED[spec.id];
    const env = (await spec.make()) as MujocoEnv;
    try {
      assert.equal(env.id, spec.id);
      assert.equal(env.renderFps, RENDER_FPS[spec.id]);
      assert.equal(env.observationSpace.size, e.obs);
      assert.equal(env.actionSpace.size, e.act);
      assert.ok(env.actionSpace.low.every((v) => v === e.low));
      assert.ok(env.actionSpace.high.every((v) => v === e.high));
      assert.ok(env.observationSpace.low.every((v) => v === -Infinity));

      const [obs, info] = env.reset({ seed: 3 });
      assert.ok(obs instanceof Float64Array);
      assert.equal(obs.length, e.obs);
      assert.deepEqual(Object.keys(info), e.resetInfo);

      // observations are copies: writing into one changes nothing else
      const before = Array.from(obs);
      obs.fill(123);
      const rng = new Rng(9);
      const [obs1, reward, terminated, truncated, stepInfo] = env.step(randomAction(env, rng));
      assert.ok(obs1 instanceof Float64Array);
      assert.equal(obs1.length, e.obs);
      assert.equal(typeof reward, 'number');
      assert.ok(Number.isFinite(reward));
      assert.equal(typeof terminated, 'boolean');
      assert.equal(truncated, false);
      assert.notDeepEqual(Array.from(obs1), before);
      // the reward is the sum of the reward terms in info (Gymnasium's invariant)
      const terms = Object.entries(stepInfo)
        .filter(([k]) => k.startsWith('reward_') || k.endsWith('_penalty'))
        .map(([, v]) => v as number);
      assert.ok(terms.length >= 1);
      assert.ok(
        Math.abs(terms.reduce((a, b) => a + b, 0) - reward) < 1e-12,
        `${spec.id}: reward ${reward} vs terms ${terms}`,
      );

      // same seed, same episode; another seed, another start
      const a = rollout(env, 42, 25);
      const b = rollout(env, 42, 25);
      assert.deepEqual(a, b);
      const c = rollout(env, 43, 1);
      assert.notDeepEqual(c.obs[0], a.obs[0]);
      // a reset without a seed continues the generator's stream
      env.reset({ seed: 42 });
      const [r2] = env.reset();
      assert.notDeepEqual(Array.from(r2), a.obs[0]);

      // wrong actions are errors naming the env and the problem
      const n = e.act;
      assert.throws(
        () => env.step(new Float64Array(n + 1)),
        new RegExp(`${spec.id}: action has length ${n + 1}, expected ${n}`),
      );
      assert.throws(() => env.step([]), /action has length 0/);
      const nan = new Float64Array(n);
      nan[n - 1] = NaN;
      assert.throws(() => env.step(nan), new RegExp(`${spec.id}: action\\[${n - 1}\\] is NaN`));
      const inf = new Float64Array(n).fill(Infinity);
      assert.throws(() => env.step(inf), /action\[0\] is Infinity/);
      assert.throws(() => env.step(null as unknown as number[]), /action must be an array/);
      // out-of-range values are passed to MuJoCo unclipped (it clamps the force itself)
      env.reset({ seed: 1 });
      const big = new Float64Array(n).fill(e.high * 1.5);
      env.step(big);
      assert.equal(env.data.view('ctrl')[0], e.high * 1.5);
    } finally {
      env.close();
    }
    assert.throws(() => env.reset(), new RegExp(`${spec.id}: the environment was closed`));
    env.close(); // twice is harmless
  });
}

test('options: Gymnasium keyword names and camelCase; unknown options are errors', async () => {
  const a = await HalfCheetahEnv.create({ exclude_current_positions_from_observation: false });
  assert.equal(a.observationSpace.size, 18);
  a.close();
  const b = await HalfCheetahEnv.create({ ctrlCostWeight: 0 });
  b.reset({ seed: 0 });
  const [, , , , info] = b.step([1, 1, 1, 1, 1, 1]);
  assert.equal(info.reward_ctrl, -0);
  b.close();
  await assert.rejects(
    HalfCheetahEnv.create({ bogus: 1 }),
    /HalfCheetah-v5: unknown option 'bogus'/,
  );
  await assert.rejects(
    HopperEnv.create({ healthy_z_range: [1] }),
    /healthy_z_range' must be a \[low, high\] pair/,
  );
  await assert.rejects(
    HopperEnv.create({ frame_skip: 0 }),
    /frame_skip' must be a positive integer/,
  );
  const ant = await AntEnv.create({
    include_cfrc_ext_in_observation: false,
    exclude_current_positions_from_observation: false,
  });
  assert.equal(ant.observationSpace.size, 29);
  ant.close();
  const hum = await HumanoidEnv.create({
    include_cinert_in_observation: false,
    include_cvel_in_observation: false,
  });
  assert.equal(hum.observationSpace.size, 348 - 130 - 78);
  const [o] = hum.reset({ seed: 0 });
  assert.equal(o.length, 348 - 130 - 78);
  hum.close();
  const sw = await SwimmerEnv.create({ exclude_current_positions_from_observation: false });
  assert.equal(sw.reset({ seed: 0 })[0].length, 10);
  sw.close();
  const fast = await HopperEnv.create({ frame_skip: 2 });
  assert.ok(Math.abs(fast.dt - 0.004) < 1e-15);
  fast.close();
});

test('reset noise follows the stated distributions', async () => {
  const hc = await HalfCheetahEnv.create();
  const n = 1500;
  let qvSum2 = 0;
  let qpMax = 0;
  let qpSum2 = 0;
  for (let i = 0; i < n; i++) {
    hc.reset(i === 0 ? { seed: 5 } : undefined);
    const { qpos, qvel } = hc.getState();
    for (const v of qvel) qvSum2 += v * v;
    for (const v of qpos) {
      qpMax = Math.max(qpMax, Math.abs(v));
      qpSum2 += v * v;
    }
  }
  hc.close();
  const qvStd = Math.sqrt(qvSum2 / (9 * n));
  const qpStd = Math.sqrt(qpSum2 / (9 * n));
  assert.ok(Math.abs(qvStd - 0.1) < 0.005, `qvel std ${qvStd}`); // 0.1 N(0,1)
  assert.ok(qpMax <= 0.1, `qpos max ${qpMax}`); // U(±0.1)
  assert.ok(Math.abs(qpStd - 0.1 / Math.sqrt(3)) < 0.003, `qpos std ${qpStd}`);

  const re = await ReacherEnv.create();
  re.reset({ seed: 11 });
  let far = 0;
  for (let i = 0; i < 500; i++) {
    re.reset();
    const { qpos, qvel } = re.getState();
    const r = Math.hypot(qpos[2], qpos[3]);
    far = Math.max(far, r);
    assert.ok(r < 0.2);
    assert.equal(qvel[2], 0);
    assert.equal(qvel[3], 0);
    assert.ok(Math.abs(qvel[0]) <= 0.005 && Math.abs(qpos[0]) <= 0.1);
  }
  assert.ok(far > 0.18, 'targets cover the disc');
  re.close();
});

test('memory stays flat over 100k resets and over repeated make/close', async () => {
  const env = await InvertedPendulumEnv.create();
  env.reset({ seed: 0 });
  env.step([0.5]);
  const heap = wasmHeapBytes(env.model);
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < 100_000; i++) env.reset();
  assert.equal(wasmHeapBytes(env.model), heap);
  assert.ok(process.memoryUsage().rss - rss0 < 64 * 1024 * 1024);
  env.close();
  for (let i = 0; i < 300; i++) (await InvertedPendulumEnv.create()).close();
  assert.equal(wasmHeapBytes(env.model), heap);
});
