import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from '../../src/engine/index.ts';
import {
  ENDPOINT_CLIP,
  RfmAgent,
  nextActionValue,
  offPolicyEndpoints,
  type RfmAlgo,
} from '../../src/agents/rfm.ts';
import { TwinCritic } from '../../src/agents/critic.ts';
import type { RfmConfig } from '../../src/config/index.ts';
import { benchUpdate, syntheticBatch } from '../../src/cli/commands/bench-update.ts';

const tiny = {
  hidden: 16,
  criticHidden: [16, 16],
  particles: 4,
  reverseSamples: 8,
  eulerSteps: 3,
  embedding: 8,
};

function batchFor(obsDim: number, actDim: number, n: number, seed: number) {
  const r = new E.Rng(seed);
  const f = (k: number, lo = -1, hi = 1) => r.fillUniform(new Float32Array(k), lo, hi);
  return {
    size: n,
    obs: f(n * obsDim),
    action: f(n * actDim, -0.9, 0.9),
    reward: f(n, 0, 1),
    nextObs: f(n * obsDim),
    terminated: Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0)),
  };
}

describe('RFM agents', () => {
  const variants: [RfmAlgo, Partial<RfmConfig>][] = [
    ['rfm', {}],
    ['rfm-diffusion', {}],
    ['rfm', { estimator: 'ne' }],
    ['rfm-diffusion', { estimator: 'ge' }],
    ['rfm', { solver: 'heun' }],
    ['rfm', { endpoint: 'off-policy' }],
  ];
  for (const [algo, extra] of variants) {
    it(`${algo} ${JSON.stringify(extra)}: updates give finite metrics; actions lie in [-1, 1]; same seed, same run`, () => {
      const run = () => {
        const agent = new RfmAgent(algo, 3, 2, { ...tiny, ...extra }, 7);
        const b = batchFor(3, 2, 8, 1);
        const metrics = [agent.update(b), agent.update(b)];
        const acts = agent.act(b.obs.slice(0, 6), { deterministic: false });
        return { metrics, acts };
      };
      const a = run();
      const b = run();
      assert.deepEqual(a, b);
      for (const m of a.metrics)
        for (const [k, v] of Object.entries(m)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
      assert.equal(a.acts.length, 4);
      for (const x of a.acts) assert.ok(x >= -1 && x <= 1);
      const ess = a.metrics[1]['rfm/ess'];
      assert.ok(ess >= 1 && ess <= tiny.reverseSamples);
      if (extra.estimator === 'ne') assert.equal(a.metrics[1]['rfm/mean_c'], 0);
    });
  }

  it('evaluation actions depend only on the state (state-seeded noise), not on the call history', () => {
    const agent = new RfmAgent('rfm', 3, 2, tiny, 1);
    const obs = Float32Array.from([0.1, -0.2, 0.3, 0.5, 0.5, 0.5]);
    const first = agent.act(obs, { deterministic: true });
    agent.act(obs, { deterministic: false });
    const again = agent.act(obs, { deterministic: true });
    assert.deepEqual([...first], [...again]);
    const single = agent.act(obs.slice(3), { deterministic: true });
    assert.deepEqual([...single], [...first.slice(2)]);
  });

  it('a state loads only into the same algo, path and estimator', () => {
    const saved = new RfmAgent('rfm', 3, 2, tiny, 1).state();
    assert.throws(
      () => new RfmAgent('rfm-diffusion', 3, 2, tiny, 1).loadState(saved),
      /belongs to 'rfm'/,
    );
    assert.throws(
      () => new RfmAgent('rfm', 3, 2, { ...tiny, estimator: 'ne' }, 1).loadState(saved),
      /estimator 'cv'.*'ne'/,
    );
    new RfmAgent('rfm', 3, 2, tiny, 2).loadState({
      tensors: saved.tensors,
      json: JSON.parse(JSON.stringify(saved.json)),
    });
  });

  it("TD target: the online critics' minimum picks the next action among the particles, the target critics' minimum values it", () => {
    E.tidy(() => {
      // Q(s, a) = k (a + 2) for a in [-1, 1] (one ReLU path): online k = 1 prefers the largest
      // action, target k = -1 the smallest
      const critic = new TwinCritic(
        1,
        1,
        { hidden: [4, 4], lr: 1e-3, maxGradNorm: Infinity },
        new E.Rng(0),
      );
      const setNet = (m: (typeof critic.q)[0], k: number) => {
        const [l1, l2, l3] = m.layers;
        const w1 = new Float32Array(8);
        w1[1] = 1; // unit 0 reads the action (input 1)
        const b1 = Float32Array.from([2, 0, 0, 0]);
        const w2 = new Float32Array(16);
        w2[0] = 1;
        const w3 = Float32Array.from([k, 0, 0, 0]);
        for (const [p, v] of [
          [l1.weight, w1],
          [l1.bias!, b1],
          [l2.weight, w2],
          [l2.bias!, new Float32Array(4)],
          [l3.weight, w3],
          [l3.bias!, new Float32Array(1)],
        ] as const)
          p.backend.write(p.storage, v);
      };
      setNet(critic.q[0], 1);
      setNet(critic.q[1], 2);
      setNet(critic.target[0], -1);
      setNet(critic.target[1], -1.5);
      const acts = [-0.5, 0.8, 0.1];
      const nextObs = E.tensor([0.3], [1, 1]);
      const ys = E.tensor(acts.map(Math.atanh), [3, 1]);
      const argmaxPick = (q: E.Tensor) => [q.toArray().indexOf(Math.max(...q.toArray()))];
      const v = nextActionValue(critic, nextObs, ys, argmaxPick).toArray();
      // online picks a = 0.8; the target minimum there is -1.5 (0.8 + 2) = -4.2 (the target
      // critics' own choice would be a = -0.5, value -1.5 * 1.5 = -2.25)
      assert.ok(Math.abs(v[0] - -4.2) < 1e-5, `value ${v[0]}`);
    });
  });

  it('every sampling path draws the same noise in the same order (fused Euler, composed Heun, the diffusion path)', () => {
    const rngAfter = (algo: RfmAlgo, extra: Partial<RfmConfig>) => {
      const agent = new RfmAgent(algo, 3, 2, { ...tiny, ...extra }, 7);
      agent.update(batchFor(3, 2, 8, 1));
      return JSON.stringify(agent.state().json.rng);
    };
    const fused = rngAfter('rfm', {});
    assert.equal(rngAfter('rfm', { solver: 'heun' }), fused);
    assert.equal(rngAfter('rfm-diffusion', {}), fused);
  });

  it('off-policy endpoints: replay actions clipped 1e-4 inside [-1, 1] before atanh', () => {
    assert.equal(ENDPOINT_CLIP, 1e-4);
    const y = offPolicyEndpoints(Float32Array.from([1, -1, 0.5]));
    assert.ok(
      Math.abs(y[0] - Math.atanh(1 - 1e-4)) < 1e-3 && Math.abs(y[1] + Math.atanh(1 - 1e-4)) < 1e-3,
    );
    assert.ok(Math.abs(y[2] - Math.atanh(0.5)) < 1e-6);
  });

  it('state round trip: a restored agent continues exactly', () => {
    const a = new RfmAgent('rfm', 17, 6, tiny, 3);
    const batch = syntheticBatch(8, new E.Rng(2));
    a.update(batch);
    const saved = a.state();
    const b = new RfmAgent('rfm', 17, 6, tiny, 99);
    b.loadState(saved);
    assert.deepEqual(a.update(batch), b.update(batch));
    assert.deepEqual(
      [...a.act(batch.obs.slice(0, 17), { deterministic: false })],
      [...b.act(batch.obs.slice(0, 17), { deterministic: false })],
    );
  });
});

describe('rfm bench update', () => {
  it('--repeat gives one rate per round and reports the median round; bad values are errors', () => {
    const r = benchUpdate('small', 0, 'rfm', 0, 3);
    assert.equal(r.rounds.length, 3);
    assert.equal(r.updates, 9); // at least 3 timed updates a round
    assert.equal(r.updatesPerSec, [...r.rounds].sort((a, b) => a - b)[1]);
    assert.ok(r.rounds.every((x) => x > 0) && r.medianUpdateSeconds > 0);
    assert.throws(
      () => benchUpdate('small', 0, 'rfm', 0, 0),
      /--repeat must be a positive integer/,
    );
    assert.throws(() => benchUpdate('huge', 0), /unknown preset 'huge'/);
  });
});

describe('RFM learns a multimodal bandit', () => {
  it('rfm puts most samples near the optimal actions and covers both modes (1-D bandit, 2 modes)', async () => {
    const { ReplayBuffer } = await import('../../src/agents/replay.ts');
    const { banditReward, optimalActions } = await import('../../src/envs/toy/index.ts');
    const opts = { dim: 1 };
    const agent = new RfmAgent(
      'rfm',
      1,
      1,
      {
        hidden: 32,
        criticHidden: [32, 32],
        particles: 8,
        reverseSamples: 16,
        eulerSteps: 4,
        embedding: 8,
        temperature: 0.05,
      },
      0,
    );
    const buffer = new ReplayBuffer(1000, 1, 1);
    const rng = new E.Rng(1);
    const obs = Float32Array.from([1]);
    for (let i = 0; i < 400; i++) {
      // 100 uniform warm-up actions, then the agent's own (one-step episodes: every transition terminates)
      const a =
        i < 100
          ? rng.fillUniform(new Float32Array(1), -1, 1)
          : agent.act(obs, { deterministic: false });
      buffer.add(obs, a, banditReward(a, opts), obs, true);
      if (i >= 100) agent.update(buffer.sample(32, rng));
    }
    const acts = agent.act(new Float32Array(200).fill(1), { deterministic: false });
    const modes = optimalActions(opts).map((m) => m[0]);
    const counts = modes.map((m) => acts.filter((a) => Math.abs(a - m) < 0.2).length);
    const near = counts.reduce((s, c) => s + c, 0);
    assert.ok(
      near >= 140,
      `only ${near}/200 samples within 0.2 of an optimal action (per mode: ${counts})`,
    );
    for (const c of counts) assert.ok(c >= 20, `a mode is nearly missed: ${counts}`);
  });
});
