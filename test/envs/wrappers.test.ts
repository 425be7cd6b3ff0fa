import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Box, type Env, type Info, type StepResult } from '../../src/envs/core.ts';
import {
  TimeLimit,
  RescaleAction,
  ClipAction,
  RecordEpisodeStatistics,
  NormalizeObservation,
  RunningMeanStd,
  unwrap,
  findWrapper,
  type EpisodeStatistics,
} from '../../src/envs/wrappers.ts';
import { PendulumEnv } from '../../src/envs/classic/index.ts';
import { MultimodalBanditEnv } from '../../src/envs/toy/index.ts';
import { Rng } from '../../src/engine/rng.ts';

/** Records the actions it receives; obs = a counter and a draw; ends after `len` steps. */
class SpyEnv implements Env {
  readonly id = 'Spy-v0';
  readonly observationSpace = new Box(-Infinity, Infinity, [2]);
  readonly actionSpace: Box;
  readonly actions: number[][] = [];
  t = 0;
  constructor(
    low: number[] = [-2, 0],
    high: number[] = [2, 10],
    readonly len = Infinity,
  ) {
    this.actionSpace = new Box(low, high);
  }
  reset(): [Float64Array, Info] {
    this.t = 0;
    return [Float64Array.of(0, 1), { fromReset: true }];
  }
  step(a: ArrayLike<number>): StepResult {
    this.actions.push(Array.from(a));
    this.t++;
    return [
      Float64Array.of(this.t, this.t * this.t),
      this.t,
      this.t >= this.len,
      false,
      { t: this.t },
    ];
  }
  close(): void {}
}

test('TimeLimit truncates exactly at the limit and restarts at reset', () => {
  const env = new TimeLimit(new PendulumEnv(), 3);
  env.reset({ seed: 0 });
  assert.equal(env.step([0])[3], false);
  assert.equal(env.step([0])[3], false);
  const [, , terminated, truncated] = env.step([0]);
  assert.equal(truncated, true);
  assert.equal(terminated, false);
  assert.equal(env.elapsedSteps, 3);
  env.reset();
  assert.equal(env.elapsedSteps, 0);
  assert.equal(env.step([0])[3], false);
  // termination and truncation on the same step are both reported
  const bandit = new TimeLimit(new MultimodalBanditEnv(), 1);
  bandit.reset({ seed: 0 });
  const r = bandit.step([0.5, 0.5]);
  assert.equal(r[2], true);
  assert.equal(r[3], true);
  assert.throws(() => new TimeLimit(new PendulumEnv(), 0), /positive integer/);
  assert.throws(() => new TimeLimit(new PendulumEnv(), 2.5), /positive integer/);
});

test('RescaleAction maps [min, max] affinely onto the env bounds', () => {
  const spy = new SpyEnv();
  const env = new RescaleAction(spy, -1, 1);
  assert.deepEqual(Array.from(env.actionSpace.low), [-1, -1]);
  assert.deepEqual(Array.from(env.actionSpace.high), [1, 1]);
  env.reset();
  env.step([-1, -1]);
  env.step([1, 1]);
  env.step([0, 0.5]);
  assert.deepEqual(spy.actions, [
    [-2, 0],
    [2, 10],
    [0, 7.5],
  ]);
  const env2 = new RescaleAction(new SpyEnv(), [0, 0], [1, 2]);
  assert.deepEqual(Array.from(env2.action([0.5, 1])), [0, 5]);
  assert.throws(() => env.step([0, NaN]), /Spy-v0.*action\[1\] is NaN/);
  assert.throws(() => env.step([0]), /Spy-v0: action has length 1, expected 2/);
  assert.throws(() => new RescaleAction(new SpyEnv([-Infinity, 0], [1, 1])), /infinite/);
  assert.throws(() => new RescaleAction(new SpyEnv(), 1, -1), /must be </);
  // Pendulum: an action of 1 is the maximum torque
  const p = new RescaleAction(new PendulumEnv(), -1, 1);
  p.reset({ seed: 0 });
  const q = new PendulumEnv();
  q.reset({ seed: 0 });
  assert.deepEqual(p.step([1]), q.step([2]));
});

test('ClipAction clips into the env bounds; its own space is unbounded', () => {
  const spy = new SpyEnv();
  const env = new ClipAction(spy);
  assert.equal(env.actionSpace.low[0], -Infinity);
  assert.equal(env.actionSpace.high[1], Infinity);
  env.reset();
  env.step([-5, 3]);
  env.step([5, 11]);
  assert.deepEqual(spy.actions, [
    [-2, 3],
    [2, 10],
  ]);
  assert.throws(() => env.step([NaN, 0]), /Spy-v0/);
  assert.throws(() => env.step([0, 0, 0]), /length 3, expected 2/);
});

test('RecordEpisodeStatistics reports return, length and time at the end of each episode', () => {
  const env = new RecordEpisodeStatistics(
    new TimeLimit(new SpyEnv(undefined, undefined, Infinity), 4),
    2,
  );
  for (let ep = 0; ep < 3; ep++) {
    env.reset();
    for (let t = 1; t <= 4; t++) {
      const [, , , truncated, info] = env.step([0, 0]);
      if (t < 4) {
        assert.equal('episode' in info, false);
      } else {
        assert.equal(truncated, true);
        const e = info.episode as EpisodeStatistics;
        assert.equal(e.r, 1 + 2 + 3 + 4);
        assert.equal(e.l, 4);
        assert.ok(e.t >= 0);
        assert.equal(info.t, 4); // the inner info is kept
      }
    }
  }
  assert.equal(env.episodeCount, 3);
  assert.deepEqual(env.returnQueue, [10, 10]); // bufferLength 2
  assert.deepEqual(env.lengthQueue, [4, 4]);
  // termination also ends an episode
  const b = new RecordEpisodeStatistics(new MultimodalBanditEnv());
  b.reset({ seed: 0 });
  const info = b.step([0.5, -0.5])[4];
  assert.deepEqual({ ...(info.episode as EpisodeStatistics), t: 0 }, { r: 1, l: 1, t: 0 });
});

function directStats(rows: Float64Array[]): { mean: number[]; var: number[] } {
  const d = rows[0].length;
  const mean = new Array(d).fill(0);
  const v = new Array(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) v[j] += (r[j] - mean[j]) ** 2 / rows.length;
  return { mean, var: v };
}

test('NormalizeObservation: statistics equal a direct computation; output uses them', () => {
  const raw = new PendulumEnv();
  const env = new NormalizeObservation(raw, { epsilon: 1e-8 });
  const seen: Float64Array[] = [];
  const rng = new Rng(3);
  let [obs] = env.reset({ seed: 11 });
  seen.push(Float64Array.of(Math.cos(raw.state[0]), Math.sin(raw.state[0]), raw.state[1]));
  for (let t = 0; t < 300; t++) {
    [obs] = env.step([4 * rng.uniform() - 2]);
    const o = Float64Array.of(Math.cos(raw.state[0]), Math.sin(raw.state[0]), raw.state[1]);
    seen.push(o);
    const { mean, var: v } = directStats(seen);
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs(env.rms.mean[j] - mean[j]) < 1e-12, `mean[${j}] at step ${t}`);
      assert.ok(
        Math.abs(env.rms.var[j] - v[j]) < 1e-10 * Math.max(1, v[j]),
        `var[${j}] at step ${t}`,
      );
      assert.ok(Math.abs(obs[j] - (o[j] - mean[j]) / Math.sqrt(v[j] + 1e-8)) < 1e-8);
    }
  }
  assert.equal(env.rms.count, 301);
  assert.equal(env.observationSpace.low[0], -Infinity);
});

test('RunningMeanStd: batched (parallel) updates equal one-at-a-time updates', () => {
  const rng = new Rng(1);
  const xs = new Float64Array(40 * 3).map(() => 5 + 3 * rng.normal());
  const a = new RunningMeanStd(3);
  for (let i = 0; i < 40; i++) a.update(xs.subarray(i * 3, i * 3 + 3));
  const b = new RunningMeanStd(3);
  b.updateBatch(xs.subarray(0, 7 * 3), 7);
  b.updateBatch(xs.subarray(7 * 3), 33);
  for (let j = 0; j < 3; j++) {
    assert.ok(Math.abs(a.mean[j] - b.mean[j]) < 1e-12);
    assert.ok(Math.abs(a.var[j] - b.var[j]) < 1e-10);
  }
  assert.equal(b.count, 40);
});

test('NormalizeObservation: JSON save/load round-trip, freezing, clipping', () => {
  const env = new NormalizeObservation(new PendulumEnv());
  env.reset({ seed: 2 });
  for (let t = 0; t < 50; t++) env.step([1]);
  const saved = JSON.parse(JSON.stringify(env.state()));
  const env2 = new NormalizeObservation(new PendulumEnv(), { update: false });
  env2.loadState(saved);
  assert.deepEqual(env2.state(), env.state());
  env.update = false;
  const [o1] = env.reset({ seed: 5 });
  const [o2] = env2.reset({ seed: 5 });
  assert.deepEqual(o1, o2);
  // frozen: the statistics do not move
  const before = JSON.stringify(env2.state());
  for (let t = 0; t < 10; t++) env2.step([0]);
  assert.equal(JSON.stringify(env2.state()), before);
  assert.throws(() => env2.loadState({ count: 1, mean: [0], var: [1] }), /length 3/);
  // clip
  const c = new NormalizeObservation(new PendulumEnv(), { clip: 0.5 });
  c.loadState({ count: 10, mean: [0, 0, 0], var: [1e-4, 1e-4, 1e-4] });
  c.update = false;
  const [oc] = c.reset({ seed: 0 });
  for (const v of oc) assert.ok(Math.abs(v) <= 0.5);
  assert.equal(c.observationSpace.high[0], 0.5);
});

test('wrappers forward spaces, setState, id and unwrapped', () => {
  const inner = new PendulumEnv();
  const env = new NormalizeObservation(new ClipAction(new TimeLimit(inner, 10)));
  assert.equal(env.id, 'Pendulum-v1');
  assert.equal(env.unwrapped, inner);
  assert.equal(unwrap(env), inner);
  assert.equal(findWrapper(env, TimeLimit)?.maxEpisodeSteps, 10);
  assert.equal(findWrapper(env, RescaleAction), undefined);
  assert.equal(new TimeLimit(inner, 3).observationSpace, inner.observationSpace);
  assert.equal(typeof env.setState, 'function');
  env.reset({ seed: 0 });
  env.setState!([0.25, -1]);
  assert.deepEqual(Array.from(inner.state), [0.25, -1]);
  assert.equal(new TimeLimit(new MultimodalBanditEnv(), 1).setState, undefined);
});
