import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEnv } from '../../src/envs/registry.ts';
import {
  SyncVectorEnv,
  AsyncVectorEnv,
  makeVectorEnv,
  type VectorEnv,
} from '../../src/envs/vector.ts';
import { Rng } from '../../src/engine/rng.ts';
import type { Info } from '../../src/envs/core.ts';

interface Trace {
  obs: number[][];
  rewards: number[][];
  flags: string[];
  finals: number[][];
}

/**
 * The reference: n single envs stepped by hand with same-step autoreset, sub-env i seeded seed + i.
 * Actions come from `actionsAt(t)` ([n, actDim] flat).
 */
async function singleTrace(
  id: string,
  n: number,
  seed: number,
  steps: number,
  actionsAt: (t: number) => Float64Array,
  maxEpisodeSteps?: number,
): Promise<Trace> {
  const envs = [];
  for (let i = 0; i < n; i++) envs.push(await makeEnv(id, { maxEpisodeSteps }));
  const d = envs[0].actionSpace.size;
  const tr: Trace = { obs: [], rewards: [], flags: [], finals: [] };
  tr.obs.push(envs.flatMap((e, i) => [...e.reset({ seed: seed + i })[0]]));
  for (let t = 0; t < steps; t++) {
    const a = actionsAt(t);
    const row: number[] = [];
    const rw: number[] = [];
    for (let i = 0; i < n; i++) {
      const [stepObs, r, term, trunc] = envs[i].step(a.subarray(i * d, (i + 1) * d));
      let obs = stepObs;
      tr.flags.push(`${t}:${i}:${term}:${trunc}`);
      if (term || trunc) {
        tr.finals.push([t, i, ...obs]);
        obs = envs[i].reset()[0];
      }
      row.push(...obs);
      rw.push(r);
    }
    tr.obs.push(row);
    tr.rewards.push(rw);
  }
  return tr;
}

async function vectorTrace(
  v: VectorEnv,
  seed: number,
  steps: number,
  actionsAt: (t: number) => Float64Array,
): Promise<Trace> {
  const tr: Trace = { obs: [], rewards: [], flags: [], finals: [] };
  tr.obs.push([...(await v.reset({ seed }))[0]]);
  for (let t = 0; t < steps; t++) {
    const [obs, rewards, terminated, truncated, infos] = await v.step(actionsAt(t));
    tr.obs.push([...obs]);
    tr.rewards.push([...rewards]);
    for (let i = 0; i < v.numEnvs; i++) {
      tr.flags.push(`${t}:${i}:${terminated[i]}:${truncated[i]}`);
      const info: Info = infos[i];
      if (terminated[i] || truncated[i]) {
        assert.ok(info.finalObs instanceof Float64Array, 'finalObs in info');
        assert.equal(typeof info.finalInfo, 'object');
        tr.finals.push([t, i, ...(info.finalObs as Float64Array)]);
      } else {
        assert.equal('finalObs' in info, false);
      }
    }
  }
  return tr;
}

function randomActions(
  n: number,
  d: number,
  low: number,
  high: number,
  steps: number,
): (t: number) => Float64Array {
  const rng = new Rng(42);
  const all = Array.from({ length: steps }, () =>
    rng.fillUniform(new Float64Array(n * d), low, high),
  );
  return (t) => all[t];
}

test('SyncVectorEnv equals single envs (Pendulum with autoreset at a short limit)', async () => {
  const acts = randomActions(3, 1, -2, 2, 25);
  const ref = await singleTrace('Pendulum-v1', 3, 100, 25, acts, 7);
  const v = await SyncVectorEnv.make('Pendulum-v1', 3, { maxEpisodeSteps: 7 });
  assert.equal(v.numEnvs, 3);
  assert.equal(v.singleObservationSpace.size, 3);
  const got = await vectorTrace(v, 100, 25, acts);
  assert.deepEqual(got, ref);
  assert.equal(ref.finals.length, 3 * 3); // episodes end at steps 7, 14, 21
  await v.close();
});

test('SyncVectorEnv equals single envs (bandit: every step ends an episode)', async () => {
  const acts = randomActions(2, 2, -1, 1, 5);
  const ref = await singleTrace('MultimodalBandit-v0', 2, 0, 5, acts);
  const got = await vectorTrace(await makeVectorEnv('MultimodalBandit-v0', 2), 0, 5, acts);
  assert.deepEqual(got, ref);
});

test('vector envs check their input', async () => {
  const v = await SyncVectorEnv.make('Pendulum-v1', 2);
  await assert.rejects(v.step([0, 0]), /before reset/);
  await v.reset({ seed: 1 });
  await assert.rejects(
    v.step([0]),
    /Pendulum-v1 \(vector of 2\): actions must be a flat \[2, 1\] array/,
  );
  await assert.rejects(v.step([0, NaN]), /Pendulum-v1.*action\[0\] is NaN/);
  await assert.rejects(makeVectorEnv('Pendulum-v1', 0), /positive integer/);
});

test('AsyncVectorEnv (worker threads) equals single envs and reports worker errors', async () => {
  const acts = randomActions(2, 1, -2, 2, 20);
  const ref = await singleTrace('Pendulum-v1', 2, 7, 20, acts, 6);
  const v = await AsyncVectorEnv.create('Pendulum-v1', 2, { maxEpisodeSteps: 6 });
  try {
    assert.deepEqual(Array.from(v.singleActionSpace.high), [2]);
    const got = await vectorTrace(v, 7, 20, acts);
    assert.deepEqual(got, ref);
    // a second seeded reset starts the same episodes again
    const again = await vectorTrace(v, 7, 20, acts);
    assert.deepEqual(again, ref);
    await assert.rejects(v.step([0, NaN]), /Pendulum-v1: action\[0\] is NaN/);
  } finally {
    await v.close();
  }
  await assert.rejects(v.reset(), /after close/);
  await assert.rejects(
    AsyncVectorEnv.create('Pendulum-v9', 1),
    /unknown environment 'Pendulum-v9'; known ids, nearest first: Pendulum-v1/,
  );
});

test('wrappers as data reach the workers: episode statistics in finalInfo, sync equal to async', async () => {
  const opts = { maxEpisodeSteps: 4, wrappers: [{ type: 'RecordEpisodeStatistics' as const }] };
  const acts = randomActions(2, 1, -2, 2, 9);
  const episodes = async (v: VectorEnv): Promise<number[][]> => {
    const out: number[][] = [];
    await v.reset({ seed: 3 });
    for (let t = 0; t < 9; t++) {
      const [, , , truncated, infos] = await v.step(acts(t));
      truncated.forEach((done, i) => {
        if (!done) return;
        const e = (infos[i].finalInfo as Info).episode as { r: number; l: number };
        out.push([t, i, e.r, e.l]);
      });
    }
    await v.close();
    return out;
  };
  const sync = await episodes(await makeVectorEnv('Pendulum-v1', 2, opts));
  const asyncRun = await episodes(
    await makeVectorEnv('Pendulum-v1', 2, { ...opts, mode: 'async' }),
  );
  assert.equal(sync.length, 4);
  assert.deepEqual(asyncRun, sync);
  assert.deepEqual(
    sync.map((e) => e[3]),
    [4, 4, 4, 4],
  );
});
