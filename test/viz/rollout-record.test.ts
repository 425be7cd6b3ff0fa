import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEnv } from '../../src/envs/index.ts';
import {
  modelXml,
  parseRollout,
  readRollout,
  recordRollout,
  serializeRollout,
  writeRollout,
} from '../../src/viz/rollout-record.ts';
import { parseSamples, policySamples, serializeSamples } from '../../src/viz/samples.ts';
import type { Agent } from '../../src/agents/types.ts';
import { Wrapper } from '../../src/envs/wrappers.ts';

describe('rollout recording', () => {
  it('records qpos per frame and rewards of a Gymnasium MuJoCo episode, and round-trips the file', async () => {
    const env = await makeEnv('InvertedPendulum-v5');
    const r = recordRollout(env, () => [0.1], { seed: 3, maxSteps: 25 });
    env.close();
    assert.equal(r.env, 'InvertedPendulum-v5');
    assert.equal(r.model, 'InvertedPendulum');
    assert.equal(r.xml, modelXml('InvertedPendulum'));
    assert.equal(r.nq, 2);
    assert.ok(r.steps >= 1 && r.steps <= 25);
    assert.equal(r.qpos.length, (r.steps + 1) * r.nq);
    assert.equal(r.rewards.length, r.steps);
    assert.ok(r.dt > 0);
    // the cart moves under a constant push
    assert.notEqual(r.qpos[r.steps * r.nq], r.qpos[0]);
    const back = parseRollout(serializeRollout(r));
    assert.deepEqual(back, r);
    const dir = mkdtempSync(join(tmpdir(), 'rfm-rec-'));
    try {
      const f = join(dir, 'sub', 'eval.rollout.json');
      writeRollout(f, r);
      const head = JSON.parse(readFileSync(f, 'utf8'));
      assert.equal(head.format, 'rfm-rollout');
      assert.equal(head.frames, r.steps + 1);
      assert.deepEqual(readRollout(f), r);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rescales an agent's [-1, 1] actions to the env's bounds, through wrappers, and records DMC tasks", async () => {
    const agentOf = (obsDim: number, a: number) =>
      ({
        algo: 'fixed',
        obsDim,
        actDim: 1,
        act: () => Float32Array.of(a),
        update: () => ({}),
        state: () => ({ tensors: new Map(), json: {} }),
        loadState: () => {},
      }) as Agent;
    const seen: number[] = [];
    class Spy extends Wrapper {
      override step(a: ArrayLike<number>) {
        seen.push(a[0]);
        return super.step(a);
      }
    }
    const inner = await makeEnv('InvertedPendulum-v5');
    const env = new Spy(inner);
    const r = recordRollout(env, agentOf(4, 0.5), { maxSteps: 3 });
    assert.equal(r.model, 'InvertedPendulum');
    // ctrlrange [-3, 3]: 0.5 -> 1.5
    assert.ok(seen.length >= 1 && seen.every((a) => Math.abs(a - 1.5) < 1e-6), String(seen));
    env.close();
    const dmc = await makeEnv('cartpole-swingup');
    const d = recordRollout(dmc, agentOf(dmc.observationSpace.size, 1), { maxSteps: 10 });
    assert.equal(d.model, 'dmc-cartpole');
    assert.equal(d.steps, 10);
    assert.equal(d.xml, modelXml('dmc-cartpole'));
    dmc.close();
  });

  it('refuses non-MuJoCo environments and bad files', async () => {
    const env = await makeEnv('Pendulum-v1');
    assert.throws(() => recordRollout(env, () => [0]), /MuJoCo/);
    assert.throws(() => parseRollout('{"format": "other"}'), /not an rfm-rollout/);
  });

  it('samples files round-trip', () => {
    const s = parseSamples(
      serializeSamples({
        title: 't',
        sets: [{ name: 'a', points: Float64Array.of(1, 2, 3.123456789, 4) }],
      }),
    );
    assert.deepEqual(s.sets[0].points, [1, 2, 3.1235, 4]);
    assert.throws(() => serializeSamples({ sets: [{ name: 'odd', points: [1, 2, 3] }] }), /pairs/);
  });

  it("samples a policy's actions on the bandit, with the optimal actions as reference", async () => {
    const env = await makeEnv('MultimodalBandit-v0');
    let calls = 0;
    const agent = {
      algo: 'toy',
      obsDim: env.observationSpace.size,
      actDim: 2,
      act: (obs: Float32Array, o: { deterministic: boolean }) => {
        calls++;
        assert.equal(o.deterministic, false);
        const n = obs.length;
        return Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 0.5 : -0.5));
      },
      update: () => ({}),
      state: () => ({ tensors: new Map(), json: {} }),
      loadState: () => {},
    } as Agent;
    const s = policySamples(agent, env, { n: 7 });
    assert.equal(calls, 1); // one batch of n observations
    assert.deepEqual(
      s.sets.map((x) => x.name),
      ['optimal actions', 'toy actions'],
    );
    assert.equal(s.sets[0].points.length, 8);
    assert.deepEqual(Array.from(s.sets[1].points).slice(0, 4), [-0.5, 0.5, -0.5, 0.5]);
    assert.equal(s.sets[1].points.length, 14);
    env.close();
  });
});
