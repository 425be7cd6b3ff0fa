import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PendulumEnv,
  MountainCarContinuousEnv,
  angleNormalize,
  PENDULUM,
  MOUNTAIN_CAR,
} from '../../src/envs/classic/index.ts';
import { makeEnv } from '../../src/envs/registry.ts';
import type { Env } from '../../src/envs/core.ts';

function close(a: number, b: number, tol = 1e-12): void {
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
}

test('Pendulum-v1: spaces and constants', () => {
  const env = new PendulumEnv();
  assert.deepEqual(Array.from(env.observationSpace.low), [-1, -1, -8]);
  assert.deepEqual(Array.from(env.observationSpace.high), [1, 1, 8]);
  assert.deepEqual(Array.from(env.actionSpace.low), [-2]);
  assert.deepEqual(Array.from(env.actionSpace.high), [2]);
  assert.deepEqual({ ...PENDULUM }, { maxSpeed: 8, maxTorque: 2, dt: 0.05, g: 10, m: 1, l: 1 });
});

test('Pendulum-v1: one step against a hand computation', () => {
  const env = new PendulumEnv();
  env.reset({ seed: 0 });
  env.setState([1, 0.5]);
  const [obs, reward, terminated, truncated, info] = env.step([1]);
  // thdot' = 0.5 + (3*10/2 * sin 1 + 3 * 1) * 0.05 ; th' = 1 + thdot' * 0.05
  const thdot = 0.5 + (15 * Math.sin(1) + 3) * 0.05;
  close(thdot, 1.281103238605922, 1e-14);
  const th = 1 + thdot * 0.05;
  close(obs[0], Math.cos(th));
  close(obs[1], Math.sin(th));
  close(obs[2], thdot);
  close(reward, -(1 + 0.1 * 0.25 + 0.001 * 1));
  assert.equal(terminated, false);
  assert.equal(truncated, false);
  close(
    (info.rewardAngle as number) + (info.rewardVelocity as number) + (info.rewardControl as number),
    reward,
  );
});

test('Pendulum-v1: torque and speed are clipped, the angle cost wraps', () => {
  const env = new PendulumEnv();
  env.reset({ seed: 0 });
  env.setState([1, 7.9]);
  let [obs, reward] = env.step([5]);
  // u clipped to 2; thdot' = 7.9 + (15 sin 1 + 6) * 0.05 = 8.83... -> clipped to 8
  close(obs[2], 8);
  close(env.state[0], 1 + 8 * 0.05);
  close(reward, -(1 + 0.1 * 7.9 ** 2 + 0.001 * 4));
  env.setState([4, 0]);
  [obs, reward] = env.step([0]);
  close(angleNormalize(4), 4 - 2 * Math.PI);
  close(reward, -((4 - 2 * Math.PI) ** 2));
  close(angleNormalize(-Math.PI), -Math.PI);
  close(angleNormalize(Math.PI), -Math.PI);
});

test('Pendulum-v1: reset distribution and seeding', () => {
  const env = new PendulumEnv();
  for (let s = 0; s < 50; s++) {
    env.reset({ seed: s });
    assert.ok(env.state[0] >= -Math.PI && env.state[0] < Math.PI);
    assert.ok(env.state[1] >= -1 && env.state[1] < 1);
  }
  assert.deepEqual(env.reset({ seed: 3 })[0], new PendulumEnv().reset({ seed: 3 })[0]);
  assert.notDeepEqual(env.reset({ seed: 3 })[0], env.reset({ seed: 4 })[0]);
  // unseeded resets continue the stream
  const a = new PendulumEnv();
  a.reset({ seed: 9 });
  const second = a.reset()[0];
  const b = new PendulumEnv();
  b.reset({ seed: 9 });
  assert.deepEqual(b.reset()[0], second);
});

test('Pendulum-v1: bad actions are errors naming the env', () => {
  const env = new PendulumEnv();
  env.reset({ seed: 0 });
  assert.throws(() => env.step([NaN]), /Pendulum-v1.*action\[0\] is NaN/);
  assert.throws(() => env.step([0, 1]), /Pendulum-v1: action has length 2, expected 1/);
  assert.throws(() => env.step([Infinity]), /Pendulum-v1/);
  assert.throws(() => new PendulumEnv().step([0]), /step\(\) called before reset\(\)/);
  assert.throws(() => env.reset({ seed: -1 }), /non-negative safe integer/);
  assert.throws(() => env.reset({ seed: 1.5 }), /non-negative safe integer/);
  assert.throws(() => new PendulumEnv({ gravity: 9.8 } as never), /unknown option 'gravity'/);
});

test('MountainCarContinuous-v0: spaces and hand-computed steps', () => {
  const env = new MountainCarContinuousEnv();
  assert.deepEqual(Array.from(env.observationSpace.low), [-1.2, -0.07]);
  assert.deepEqual(Array.from(env.observationSpace.high), [0.6, 0.07]);
  assert.deepEqual(Array.from(env.actionSpace.low), [-1]);
  assert.equal(MOUNTAIN_CAR.power, 0.0015);
  env.reset({ seed: 1 });
  env.setState([-0.5, 0]);
  let [obs, reward, terminated] = env.step([1]);
  const v = 0.0015 - 0.0025 * Math.cos(-1.5);
  close(obs[1], v);
  close(obs[0], -0.5 + v);
  close(reward, -0.1);
  assert.equal(terminated, false);
  // the action cost uses the unclipped action; the force is clipped
  env.setState([-0.5, 0]);
  [obs, reward] = env.step([3]);
  close(obs[1], v);
  close(reward, -0.9);
  // left wall stops the car
  env.setState([-1.19, -0.07]);
  [obs] = env.step([-1]);
  assert.deepEqual(Array.from(obs), [-1.2, 0]);
  // reaching the goal: +100
  env.setState([0.44, 0.07]);
  [obs, reward, terminated] = env.step([0]);
  assert.equal(terminated, true);
  close(obs[1], 0.07 - 0.0025 * Math.cos(1.32));
  close(reward, 100);
});

test('MountainCarContinuous-v0: reset distribution and seeding', () => {
  const env = new MountainCarContinuousEnv();
  for (let s = 0; s < 50; s++) {
    const [obs] = env.reset({ seed: s });
    assert.ok(obs[0] >= -0.6 && obs[0] < -0.4);
    assert.equal(obs[1], 0);
  }
});

async function rollout(env: Env, seed: number, steps: number): Promise<number[]> {
  const out: number[] = [...env.reset({ seed })[0]];
  for (let t = 0; t < steps; t++) {
    const [obs, r, term, trunc] = env.step([Math.sin(t) * 2]);
    out.push(...obs, r, Number(term), Number(trunc));
  }
  return out;
}

test('classic envs: same seed, same episode; registry time limits 200 / 999', async () => {
  for (const [id, limit] of [
    ['Pendulum-v1', 200],
    ['MountainCarContinuous-v0', 999],
  ] as const) {
    const a = await rollout(await makeEnv(id), 7, 30);
    const b = await rollout(await makeEnv(id), 7, 30);
    assert.deepEqual(a, b);
    const env = await makeEnv(id);
    env.reset({ seed: 0 });
    let t = 0;
    for (;;) {
      const [, , term, trunc] = env.step([0]);
      t++;
      if (term || trunc) break;
    }
    assert.equal(t, limit, id);
  }
});
