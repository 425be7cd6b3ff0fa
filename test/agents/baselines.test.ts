import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createAgent,
  ReplayBuffer,
  registerAgent,
  TwinCritic,
  type Agent,
  type Batch,
} from '../../src/agents/index.ts';
import { resolveConfig } from '../../src/config/index.ts';
import { Rng, tensor } from '../../src/engine/index.ts';
import { optimalReturn } from '../../src/envs/toy/index.ts';
import { train } from '../../src/train/index.ts';

/** SB3-style identity test: a one-step task with a known optimum (reward 1 at each of 4 modes). */
async function banditEval(algo: 'sac' | 'td3', sets: string[], seed: number): Promise<number[]> {
  const config = resolveConfig({
    algo,
    envId: 'MultimodalBandit-v0',
    preset: 'small',
    sets: [
      'train.steps=600',
      'train.randomSteps=200',
      'train.evalEvery=200',
      'train.evalEpisodes=1',
      ...sets,
    ],
  });
  let updates = 0;
  const r = await train('MultimodalBandit-v0', config, {
    algo,
    seed,
    callbacks: { onUpdate: () => updates++ },
  });
  assert.equal(updates, 401, 'the update branch ran once per step after the warm-up');
  return r.rows.filter((x) => 'eval/return' in x).map((x) => x['eval/return']);
}

test('TD3 reaches near-optimal reward on MultimodalBandit-v0', async () => {
  const evals = await banditEval(
    'td3',
    ['td3.actorHidden=32,32', 'td3.criticHidden=32,32', 'td3.actorLr=1e-3', 'td3.criticLr=1e-3'],
    1,
  );
  assert.ok(evals[evals.length - 1] >= 0.9 * optimalReturn(), `eval returns ${evals}`);
});

test('SAC reaches near-optimal reward on MultimodalBandit-v0', async () => {
  // A small alpha and a capped std let the Gaussian leave the symmetric point between the modes.
  const evals = await banditEval(
    'sac',
    [
      'sac.initAlpha=0.01',
      'sac.alphaLr=3e-3',
      'sac.actorLr=1e-3',
      'sac.logStdMax=0',
      'train.batchSize=32',
    ],
    0,
  );
  assert.ok(evals[evals.length - 1] >= 0.9 * optimalReturn(), `eval returns ${evals}`);
});

function randomBatch(rng: Rng, B: number, O: number, A: number): Batch {
  const f = (n: number, g: () => number) => Float32Array.from({ length: n }, g);
  return {
    size: B,
    obs: f(B * O, () => rng.normal()),
    action: f(B * A, () => 2 * rng.uniform() - 1),
    reward: f(B, () => rng.normal()),
    nextObs: f(B * O, () => rng.normal()),
    terminated: f(B, () => (rng.uniform() < 0.2 ? 1 : 0)),
  };
}

for (const algo of ['sac', 'td3'] as const) {
  test(`${algo}: state()/loadState() restores everything (same actions and updates afterwards)`, () => {
    const config = resolveConfig({
      algo,
      preset: 'small',
      sets: [`${algo}.actorHidden=16,16`, `${algo}.criticHidden=16,16`],
    });
    const rng = new Rng(5);
    const a = createAgent(algo, 3, 2, config, 1);
    for (let i = 0; i < 5; i++) a.update(randomBatch(rng, 8, 3, 2));
    a.act(new Float32Array([0.1, 0.2, 0.3]), { deterministic: false }); // leave the RNG mid-block
    const saved = a.state();
    const b: Agent = createAgent(algo, 3, 2, config, 99);
    b.loadState({ tensors: saved.tensors, json: JSON.parse(JSON.stringify(saved.json)) });
    const obs = new Float32Array([0.5, -0.5, 1]);
    assert.deepEqual(b.act(obs, { deterministic: false }), a.act(obs, { deterministic: false }));
    const batch = randomBatch(rng, 8, 3, 2);
    for (let i = 0; i < 3; i++) assert.deepEqual(b.update(batch), a.update(batch));
    assert.deepEqual(b.act(obs, { deterministic: true }), a.act(obs, { deterministic: true }));
    for (const [k, v] of a.state().tensors)
      assert.deepEqual(b.state().tensors.get(k)!.data, v.data, k);
    assert.throws(
      () => createAgent(algo === 'sac' ? 'td3' : 'sac', 3, 2, config, 0).loadState(saved),
      /belongs to/,
    );
  });

  test(`${algo}: actions in [-1, 1] and update metrics are finite and namespaced`, () => {
    const config = resolveConfig({ algo, preset: 'small' });
    const agent = createAgent(algo, 4, 3, config, 0);
    const acts = agent.act(new Float32Array(4 * 10).fill(3), { deterministic: false });
    assert.equal(acts.length, 30);
    assert.ok(acts.every((x) => x >= -1 && x <= 1));
    const rng = new Rng(0);
    const m = {
      ...agent.update(randomBatch(rng, 16, 4, 3)),
      ...agent.update(randomBatch(rng, 16, 4, 3)),
    };
    for (const k of ['loss/critic', 'loss/actor', 'grad/critic', 'grad/actor', 'q/mean', 'q/std'])
      assert.ok(Number.isFinite(m[k]), k);
  });
}

test('createAgent: unknown and duplicate algorithms are clear errors', () => {
  const config = resolveConfig({ algo: 'sac' });
  assert.throws(() => createAgent('ppo', 3, 1, config, 0), /unknown algorithm 'ppo'/);
  assert.throws(() => registerAgent('sac', () => ({}) as Agent), /registered twice/);
  assert.throws(() => createAgent('sac', 0, 1, config, 0), /positive integers/);
});

test('TD target: terminated stops bootstrapping, truncated (terminated = 0) bootstraps', () => {
  const r = tensor([1, 1, 2], [3]);
  const term = tensor([1, 0, 0], [3]);
  const nextQ = tensor([10, 10, -5], [3]);
  const y = Array.from(TwinCritic.tdTarget(r, term, nextQ, 0.9, 2).toArray());
  assert.deepEqual(
    y.map((v) => Math.round(v * 1e5) / 1e5),
    [2, 2 + 9, 4 - 4.5],
  );
});

test('replay buffer: seeded sampling is deterministic; ring overwrites the oldest', () => {
  const buf = new ReplayBuffer(5, 2, 1);
  for (let i = 0; i < 7; i++) buf.add([i, -i], [i / 10], i, [i + 1, -i - 1], i % 2 === 0);
  assert.equal(buf.size, 5);
  const draw = (seed: number) => {
    const b = buf.sample(16, new Rng(seed));
    return {
      obs: Array.from(b.obs),
      reward: Array.from(b.reward),
      terminated: Array.from(b.terminated),
    };
  };
  assert.deepEqual(draw(3), draw(3));
  assert.notDeepEqual(draw(3).reward, draw(4).reward);
  const seen = new Set(draw(7).reward);
  assert.ok(!seen.has(0) && !seen.has(1), 'transitions 0 and 1 were overwritten');
  const b = buf.sample(16, new Rng(3));
  for (let k = 0; k < 16; k++) {
    const i = b.reward[k];
    assert.deepEqual(
      [b.obs[2 * k], b.nextObs[2 * k], b.terminated[k]],
      [i, i + 1, i % 2 === 0 ? 1 : 0],
      'rows stay aligned',
    );
  }
});
