// DMC task behaviour: control timesteps, dm_control's stepping, initial-state distributions, reward formulas
// at known states, the contract checker, and the 1000-step time limit through the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envSpecs, DmcEnv } from '../../src/envs/dmc/index.ts';
import { checkEnv } from '../../src/envs/check.ts';
import { makeEnv } from '../../src/envs/registry.ts';
import { Rng } from '../../src/engine/rng.ts';

async function make(id: string, options?: Record<string, unknown>): Promise<DmcEnv> {
  const s = envSpecs.find((e) => e.id === id);
  assert.ok(s, `no spec ${id}`);
  return (await s.make(options)) as DmcEnv;
}

async function withEnv(id: string, fn: (env: DmcEnv) => void | Promise<void>): Promise<void> {
  const env = await make(id);
  try {
    await fn(env);
  } finally {
    env.close();
  }
}

const zeros = (n: number): number[] => new Array(n).fill(0);

// Control timestep (s) per domain, facts sheet section 2.1.
const CONTROL_DT: Record<string, number> = {
  cheetah: 0.01,
  walker: 0.025,
  cartpole: 0.01,
  finger: 0.02,
  fish: 0.04,
  pendulum: 0.02,
  reacher: 0.02,
  hopper: 0.02,
  humanoid: 0.025,
  quadruped: 0.02,
  acrobot: 0.01,
  ball_in_cup: 0.02,
};

test('dmc: control timestep of every task, and 1000 steps per 10-40 s episode', async () => {
  for (const s of envSpecs) {
    const env = await make(s.id);
    try {
      const want = CONTROL_DT[s.id.split('-')[0]];
      assert.ok(want !== undefined, s.id);
      assert.ok(Math.abs(env.dt - want) < 1e-12, `${s.id}: dt ${env.dt} vs ${want}`);
    } finally {
      env.close();
    }
  }
});

test('dmc: a step is n x mj_step then mj_step1 (bit-identical replay on a second MjData)', async () => {
  await withEnv('walker-walk', (env) => {
    env.reset({ seed: 4 });
    const acts = new Rng(9);
    for (let k = 0; k < 5; k++) {
      const d2 = env.model.createData();
      try {
        for (const f of ['qpos', 'qvel', 'qacc_warmstart', 'act'] as const)
          d2.view(f).set(env.data.view(f));
        d2.raw.time = env.data.raw.time;
        const a = Array.from({ length: 6 }, () => 2 * acts.uniform() - 1);
        d2.setControl(a);
        const [obs] = env.step(a);
        d2.step(10);
        env.model.mj.mj_step1(env.model.raw, d2.raw);
        assert.deepEqual(d2.copy('qpos'), env.data.copy('qpos'));
        assert.deepEqual(d2.copy('xmat'), env.data.copy('xmat'));
        // The observation describes the state after the step.
        assert.equal(obs[14], d2.view('xpos')[3 * 1 + 2]);
      } finally {
        d2.free();
      }
    }
  });
});

test('dmc: initial states follow the task distributions', async () => {
  await withEnv('cheetah-run', (env) => {
    for (let s = 0; s < 3; s++) {
      env.reset({ seed: s });
      assert.equal(env.data.time, 0, 'clock reset after settling');
      const q = env.getState().qpos;
      const range = env.model.view('jnt_range');
      for (let j = 3; j < 9; j++)
        assert.ok(q[j] >= range[2 * j] - 0.05 && q[j] <= range[2 * j + 1] + 0.05, `joint ${j}`);
    }
  });
  await withEnv('walker-walk', (env) => {
    const range = env.model.view('jnt_range');
    let sawUpsideDown = false;
    for (let s = 0; s < 8; s++) {
      env.reset({ seed: s });
      const q = env.getState().qpos;
      assert.equal(q[0], 0);
      assert.equal(q[1], 0);
      assert.ok(Math.abs(q[2]) <= Math.PI);
      if (Math.abs(q[2]) > Math.PI / 2) sawUpsideDown = true;
      for (let j = 3; j < 9; j++) assert.ok(q[j] >= range[2 * j] && q[j] <= range[2 * j + 1]);
      assert.deepEqual(Array.from(env.getState().qvel), zeros(9));
    }
    assert.ok(sawUpsideDown, 'rooty covers (-pi, pi)');
  });
  await withEnv('cartpole-swingup', (env) => {
    for (let s = 0; s < 5; s++) {
      const [obs] = env.reset({ seed: s });
      assert.ok(obs[1] < -0.99, 'pole starts hanging down');
      assert.ok(Math.abs(obs[0]) < 0.05);
    }
  });
  await withEnv('fish-swim', (env) => {
    for (let s = 0; s < 5; s++) {
      env.reset({ seed: s });
      const q = env.getState().qpos;
      assert.ok(Math.abs(Math.hypot(q[3], q[4], q[5], q[6]) - 1) < 1e-12);
      for (let i = 7; i < 14; i++) assert.ok(Math.abs(q[i]) <= 0.2);
      const [, , , , info] = env.step(zeros(5));
      const t = info.target as number[];
      assert.ok(Math.abs(t[0]) <= 0.4 && Math.abs(t[1]) <= 0.4 && t[2] >= 0.1 && t[2] <= 0.3);
    }
  });
  for (const id of [
    'finger-spin',
    'finger-turn_hard',
    'ball_in_cup-catch',
    'humanoid-walk',
    'quadruped-run',
  ]) {
    await withEnv(id, (env) => {
      for (let s = 0; s < 3; s++) {
        env.reset({ seed: s });
        assert.equal(env.physics.ncon, 0, `${id}: contact-free start`);
      }
    });
  }
});

test('dmc: rewards at known states', async () => {
  await withEnv('fish-upright', (env) => {
    env.reset({ seed: 0 });
    env.setState(env.initQpos, new Float64Array(13));
    assert.ok(env.step(zeros(5))[1] > 0.999);
    const q = Float64Array.from(env.initQpos);
    q.set([0, 1, 0, 0], 3); // rolled over: belly up
    env.setState(q, new Float64Array(13));
    assert.ok(Math.abs(env.step(zeros(5))[1] - 1e-4) < 1e-5);
  });
  await withEnv('pendulum-swingup', (env) => {
    env.reset({ seed: 0 });
    env.setState([0], [0]);
    assert.equal(env.step([0])[1], 1);
    env.setState([Math.PI / 2], [0]);
    assert.equal(env.step([0])[1], 0);
  });
  await withEnv('acrobot-swingup', (env) => {
    env.reset({ seed: 0 });
    env.setState([0, 0], [0, 0]);
    assert.ok(env.step([0])[1] > 0.999);
    env.setState([Math.PI, 0], [0, 0]);
    assert.ok(env.step([0])[1] < 1e-6);
  });
  await withEnv('ball_in_cup-catch', (env) => {
    env.reset({ seed: 0 });
    env.setState([0, 0, 0, 0.35], [0, 0, 0, 0]);
    assert.equal(env.step([0, 0])[1], 1);
    env.setState([0, 0, 0.2, 0.35], [0, 0, 0, 0]);
    assert.equal(env.step([0, 0])[1], 0);
  });
  await withEnv('hopper-stand', (env) => {
    env.reset({ seed: 0 });
    env.setState(new Float64Array(7), new Float64Array(7));
    assert.ok(Math.abs(env.step(zeros(4))[1] - 1) < 1e-9, 'standing, no control');
    env.setState(new Float64Array(7), new Float64Array(7));
    assert.ok(Math.abs(env.step([1, 0, 0, 0])[1] - 0.95) < 1e-9, 'one saturated control');
  });
  await withEnv('hopper-hop', (env) => {
    env.reset({ seed: 0 });
    const v = new Float64Array(7);
    v[0] = 1;
    env.setState(new Float64Array(7), v);
    assert.ok(Math.abs(env.step(zeros(4))[1] - 0.5) < 0.02, 'standing, 1 m/s forward');
  });
  await withEnv('finger-spin', (env) => {
    env.reset({ seed: 0 });
    const q = env.getState().qpos;
    env.setState(q, [0, 0, -20]);
    assert.equal(env.step([0, 0])[1], 1);
    env.setState(q, [0, 0, 20]);
    assert.equal(env.step([0, 0])[1], 0);
  });
  await withEnv('humanoid-walk', (env) => {
    env.reset({ seed: 0 });
    env.setState(env.initQpos, new Float64Array(27));
    const [obs, r] = env.step(zeros(21));
    assert.ok(Math.abs(r - 1 / 6) < 0.01, `upright, still: ${r}`);
    assert.ok(Math.abs(obs[21] - 1.69) < 0.02, 'head height');
  });
  await withEnv('quadruped-run', (env) => {
    env.reset({ seed: 0 });
    env.setState(env.initQpos, new Float64Array(22));
    const r = env.step(zeros(12))[1];
    assert.ok(Math.abs(r - 0.5) < 0.02, `upright, still: ${r}`);
  });
});

test('dmc: sparse rewards agree with the reported distances', async () => {
  for (const [id, radius] of [
    ['reacher-easy', 0.06],
    ['finger-turn_easy', 0],
  ] as const) {
    await withEnv(id, (env) => {
      const rng = new Rng(1);
      env.reset({ seed: 1 });
      for (let t = 0; t < 200; t++) {
        const a = Array.from({ length: env.actionSpace.size }, () => 2 * rng.uniform() - 1);
        const [, r, , , info] = env.step(a);
        const d = (info.distance ?? info.distToTarget) as number;
        assert.equal(r, d <= radius ? 1 : 0);
      }
    });
  }
});

test('dmc: every task passes the env contract checker', async () => {
  for (const s of envSpecs) {
    const env = await make(s.id);
    try {
      checkEnv(env, { seed: 3, steps: 20 });
    } finally {
      env.close();
    }
  }
});

test('dmc: the registry truncates at 1000 steps and never terminates', async () => {
  const env = await makeEnv('cartpole-swingup');
  try {
    env.reset({ seed: 0 });
    for (let t = 1; t <= 1000; t++) {
      const [, , terminated, truncated] = env.step([0.3]);
      assert.equal(terminated, false);
      assert.equal(truncated, t === 1000);
    }
  } finally {
    env.close();
  }
});

test('dmc: a diverged simulation is an error, not a silent reset', async () => {
  await withEnv('cartpole-swingup', (env) => {
    env.reset({ seed: 0 });
    for (let t = 0; t < 3; t++) env.step([0.5]);
    env.setState([0, 0], [Number.NaN, 0]);
    assert.throws(
      () => env.step([0]),
      (e: Error) => e.name === 'DmcPhysicsError' && /cartpole-swingup/.test(e.message),
    );
    env.reset({ seed: 0 });
    assert.doesNotThrow(() => env.step([0]));
  });
});

test('dmc: finger touch sensors respond when the fingertip presses the spinner', async () => {
  await withEnv('finger-spin', (env) => {
    env.reset({ seed: 0 });
    const [before] = env.step([0, 0]);
    assert.deepEqual(Array.from(before.subarray(7, 9)), [0, 0], 'no touch in a contact-free start');
    env.setState([0, 0, 0], [0, 0, 0]); // finger straight toward the spinner, overlapping it
    const [obs] = env.step([0, 1]);
    assert.ok(obs[7] > 0 && obs[8] > 0, `touch ${obs[7]}, ${obs[8]}`);
    assert.ok(Math.abs(obs[6]) > 1, 'the push sets the spinner turning');
  });
});

test('dmc: the reset-time forward runs without actuation and restores the model flags', async () => {
  await withEnv('walker-walk', (env) => {
    env.reset({ seed: 0 });
    env.data.setControl([1, 1, 1, 1, 1, 1]);
    env.physics.forwardWithoutActuation();
    assert.deepEqual(Array.from(env.data.view('actuator_force')), zeros(6));
    env.physics.forward();
    assert.deepEqual(Array.from(env.data.view('actuator_force')), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(
      Array.from(env.data.view('qfrc_actuator').subarray(3)),
      [100, 50, 20, 100, 50, 20],
    );
  });
});
