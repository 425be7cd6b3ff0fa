import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type Algo } from '../../src/config/index.ts';
import { availableAgents } from '../../src/agents/index.ts';
import {
  CheckpointError,
  NonFiniteError,
  latestCheckpoint,
  loadAgent,
  loadAgentFile,
  loadCheckpoint,
  saveAgent,
  resumeTraining,
  train,
  type Row,
} from '../../src/train/index.ts';
import { countEnvFactory } from './helpers.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'rfm-train-'));
const noTime = (rows: Row[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('time/'))));

/** The diffusion baselines' sample counts and steps, cut to a few so a 300-step run takes a second or two. */
const BASELINE_SIZES: Record<string, string[]> = {
  dqs: ['dqs.integrationSteps=3', 'dqs.mcSamples=4'],
  qsm: ['qsm.diffusionSteps=3'],
  qvpo: [
    'qvpo.diffusionSteps=3',
    'qvpo.trainSamples=4',
    'qvpo.behaviorSamples=2',
    'qvpo.targetSamples=2',
    'qvpo.evalSamples=3',
    'qvpo.entropySamples=2',
  ],
  maxentdp: [
    'maxentdp.diffusionSteps=3',
    'maxentdp.scoreSamples=4',
    'maxentdp.logProbSamples=2',
    'maxentdp.evalCandidates=3',
  ],
};

function tinyConfig(algo: Algo, steps: number, extra: string[] = []) {
  return resolveConfig({
    algo,
    envId: 'Pendulum-v1',
    preset: 'small',
    sets: [
      `train.steps=${steps}`,
      'train.randomSteps=100',
      'train.evalEvery=150',
      'train.evalEpisodes=1',
      'train.logEvery=50',
      'train.checkpointEvery=0',
      'train.batchSize=16',
      'train.normalizeObs=true',
      'train.utd=1.5',
      ...(algo === 'sac' || algo === 'td3'
        ? [`${algo}.actorHidden=16,16`, `${algo}.criticHidden=16,16`]
        : algo === 'rfm' || algo === 'rfm-diffusion'
          ? [
              'rfm.hidden=16',
              'rfm.criticHidden=16,16',
              'rfm.embedding=8',
              'rfm.particles=2',
              'rfm.reverseSamples=4',
              'rfm.eulerSteps=2',
            ]
          : [
              `${algo}.hidden=16`,
              `${algo}.criticHidden=16,16`,
              `${algo}.embedding=8`,
              ...BASELINE_SIZES[algo],
            ]),
      ...extra,
    ],
  });
}

for (const algo of ['sac', 'td3', 'rfm', 'dqs', 'qsm', 'qvpo', 'maxentdp'] as const) {
  test(
    `${algo}: N steps straight equal N/2 + resume (metrics and final parameters identical)`,
    { skip: !availableAgents().includes(algo) && `${algo} is not registered` },
    async () => {
      const out = tmp();
      // 130 is mid-episode (Pendulum episodes are 200 steps): resume must rebuild the episode.
      const straight = await train('Pendulum-v1', tinyConfig(algo, 300), {
        algo,
        seed: 3,
        outDir: out,
        runName: 'straight',
      });
      await train('Pendulum-v1', tinyConfig(algo, 130), {
        algo,
        seed: 3,
        outDir: out,
        runName: 'split',
      });
      const resumed = await resumeTraining(join(out, 'split'), { steps: 300 });
      assert.deepEqual(noTime(resumed.rows), noTime(straight.rows));
      const a = straight.agent.state();
      const b = resumed.agent.state();
      assert.deepEqual(b.json, a.json);
      for (const [k, v] of a.tensors) assert.deepEqual(b.tensors.get(k)!.data, v.data, k);
      // the files agree with the in-memory rows
      const fileRows = readFileSync(join(out, 'split', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(noTime(fileRows), noTime(straight.rows));
    },
  );
}

test('run folder: config, metrics.jsonl / metrics.csv with namespaced keys, atomic checkpoints', async () => {
  const out = tmp();
  const cfg = tinyConfig('sac', 200, ['train.checkpointEvery=100']);
  const r = await train('Pendulum-v1', cfg, { algo: 'sac', seed: 0, outDir: out, runName: 'r' });
  const dir = join(out, 'r');
  for (const f of ['run.json', 'config.json', 'metrics.jsonl', 'metrics.csv'])
    assert.ok(existsSync(join(dir, f)), f);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), {
    algo: 'sac',
    envId: 'Pendulum-v1',
    seed: 0,
    ...cfg,
  });
  assert.deepEqual(
    resolveConfig({ algo: 'sac', files: [join(dir, 'config.json')] }),
    cfg,
    'a run config.json is a valid config file',
  );
  const header = readFileSync(join(dir, 'metrics.csv'), 'utf8').split('\n')[0].split(',');
  for (const k of [
    'step',
    'loss/critic',
    'loss/actor',
    'grad/critic',
    'grad/actor',
    'q/mean',
    'q/std',
    'temperature',
    'train/episode_return',
    'eval/return',
    'time/sps',
  ]) {
    assert.ok(header.includes(k), `csv column ${k}`);
  }
  assert.deepEqual(
    r.rows.filter((x) => 'eval/return' in x).map((x) => x.step),
    [150, 200],
  );
  const files = readdirSync(join(dir, 'checkpoints'));
  assert.deepEqual(files.sort(), [
    'ckpt-000000100.json',
    'ckpt-000000100.safetensors',
    'ckpt-000000200.json',
    'ckpt-000000200.safetensors',
  ]);
});

test('checkpoint round trip: the loaded agent equals the trained one; corruption is detected', async () => {
  const out = tmp();
  const r = await train('Pendulum-v1', tinyConfig('td3', 120), {
    algo: 'td3',
    seed: 1,
    outDir: out,
    runName: 'r',
  });
  const loaded = loadAgent(join(out, 'r'));
  assert.equal(loaded.meta.step, 120);
  const obs = new Float32Array([0.3, -0.2, 0.5]);
  assert.deepEqual(
    loaded.agent.act(obs, { deterministic: true }),
    r.agent.act(obs, { deterministic: true }),
  );
  for (const [k, v] of r.agent.state().tensors)
    assert.deepEqual(loaded.agent.state().tensors.get(k)!.data, v.data, k);

  const file = join(out, 'td3.safetensors');
  saveAgent(r.agent, file, r.config, 1);
  const fromFile = loadAgentFile(file);
  assert.deepEqual(
    fromFile.agent.act(obs, { deterministic: false }),
    r.agent.act(obs, { deterministic: false }),
  );
  assert.deepEqual(fromFile.config, r.config);

  const json = latestCheckpoint(join(out, 'r'));
  const tensors = json.replace(/\.json$/, '.safetensors');
  const good = readFileSync(tensors);
  const flipped = Buffer.from(good);
  flipped[flipped.length - 3] ^= 0x10;
  writeFileSync(tensors, flipped);
  assert.throws(
    () => loadCheckpoint(json),
    (e: Error) =>
      e instanceof CheckpointError && /is corrupted/.test(e.message) && e.message.includes(tensors),
  );
  await assert.rejects(resumeTraining(join(out, 'r'), { steps: 200 }), /is corrupted/);
  writeFileSync(tensors, good.subarray(0, good.length - 100));
  assert.throws(() => loadCheckpoint(json), /is corrupted/);
  writeFileSync(tensors, good);
  writeFileSync(json, '{"format": "rfm-rl/checkpoint", ');
  assert.throws(() => loadCheckpoint(json), /not valid JSON/);
});

test('terminated vs truncated: only terminal transitions are stored as terminated; truncation keeps the true next state', async () => {
  const out = tmp();
  const cfg = resolveConfig({
    algo: 'td3',
    preset: 'small',
    sets: [
      'train.steps=60',
      'train.randomSteps=60',
      'train.evalEvery=0',
      'train.evalEpisodes=1',
      'train.checkpointEvery=0',
    ],
  });
  const flags: { terminated: boolean; truncated: boolean }[] = [];
  await train('Count-v0', cfg, {
    algo: 'td3',
    outDir: out,
    runName: 'r',
    envFactory: countEnvFactory(),
    callbacks: { onStep: (s) => flags.push(s) },
  });
  const ck = loadCheckpoint(latestCheckpoint(join(out, 'r')));
  const term = ck.tensors.get('replay.terminated')!.data;
  const next = ck.tensors.get('replay.next_obs')!.data;
  assert.ok(
    flags.some((f) => f.terminated) && flags.some((f) => f.truncated),
    'both kinds of episode end occurred',
  );
  flags.forEach((f, i) => {
    assert.equal(term[i], f.terminated ? 1 : 0, `step ${i + 1}`);
    if (f.truncated)
      assert.equal(
        next[2 * i],
        5,
        'the next state of a truncated step is the last state, not the reset one',
      );
  });
});

test('a NaN in a loss stops the run with a message naming it; the last good checkpoint stays intact', async () => {
  const out = tmp();
  const cfg = resolveConfig({
    algo: 'sac',
    preset: 'small',
    sets: [
      'train.steps=200',
      'train.randomSteps=10',
      'train.evalEvery=0',
      'train.evalEpisodes=1',
      'train.checkpointEvery=20',
      'train.batchSize=16',
    ],
  });
  const dir = join(out, 'r');
  let before = '';
  await assert.rejects(
    train('Count-v0', cfg, {
      algo: 'sac',
      outDir: out,
      runName: 'r',
      envFactory: countEnvFactory(35),
      callbacks: {
        onStep: (s) => {
          if (s.step === 34) before = readFileSync(latestCheckpoint(dir), 'utf8');
        },
      },
    }),
    (e: Error) =>
      e instanceof NonFiniteError &&
      /^loss\/critic is NaN at step (3[5-9]|[4-9]\d)/.test(e.message),
  );
  const latest = latestCheckpoint(dir);
  assert.match(latest, /ckpt-000000020\.json$/);
  assert.equal(readFileSync(latest, 'utf8'), before);
  assert.equal(loadCheckpoint(latest).meta.step, 20);
  assert.ok(
    !readdirSync(join(dir, 'checkpoints')).some((f) => f.includes('.tmp-')),
    'no temp files left',
  );
});

test('cli: rfm train and rfm eval; a bad --set is a one-line error with exit code 2', () => {
  const out = tmp();
  const rfm = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/rfm.mjs', ...args], { encoding: 'utf8' });
  const t = rfm(
    'train',
    '--algo',
    'td3',
    '--env',
    'MultimodalBandit-v0',
    '--steps',
    '40',
    '--preset',
    'small',
    '--set',
    'train.randomSteps=20',
    '--set',
    'train.evalEvery=20',
    '--out',
    out,
    '--name',
    'cli',
    '--quiet',
  );
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /final eval return/);
  const e = rfm('eval', join(out, 'cli'), '--episodes', '2', '--json');
  assert.equal(e.status, 0, e.stderr);
  const res = JSON.parse(e.stdout.trim().split('\n').pop()!);
  assert.equal(res.episodes, 2);
  assert.equal(res.step, 40);
  const bad = rfm('train', '--algo', 'sac', '--env', 'Pendulum-v1', '--set', 'rfm.temprature=0.1');
  assert.equal(bad.status, 2);
  assert.equal(
    bad.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('[rfm]')).length,
    1,
  );
  assert.match(bad.stderr, /did you mean 'rfm.temperature'/);
});

test('SIGINT stops after the current step with a checkpoint there; resuming from it is still exact', async () => {
  const out = tmp();
  const straight = await train('Pendulum-v1', tinyConfig('td3', 260), {
    algo: 'td3',
    seed: 4,
    outDir: out,
    runName: 'straight',
  });
  const cut = await train('Pendulum-v1', tinyConfig('td3', 260), {
    algo: 'td3',
    seed: 4,
    outDir: out,
    runName: 'cut',
    handleSignals: true,
    callbacks: {
      onStep: (s) => {
        if (s.step === 137) process.emit('SIGINT');
      },
    },
  });
  assert.equal(cut.interrupted, true);
  assert.equal(cut.steps, 137);
  assert.equal(loadCheckpoint(latestCheckpoint(join(out, 'cut'))).meta.step, 137);
  const resumed = await resumeTraining(join(out, 'cut'));
  assert.equal(resumed.interrupted, false);
  assert.deepEqual(noTime(resumed.rows), noTime(straight.rows));
  for (const [k, v] of straight.agent.state().tensors)
    assert.deepEqual(resumed.agent.state().tensors.get(k)!.data, v.data, k);
});
