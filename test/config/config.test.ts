import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ALGOS,
  ConfigError,
  DEFAULTS,
  FIELDS,
  PRESETS,
  applySet,
  defaultConfig,
  flattenConfig,
  resolveConfig,
} from '../../src/config/index.ts';

test('every field of DEFAULTS has a schema entry and the reverse; defaults pass their own validation', () => {
  const keys = Object.keys(flattenConfig(defaultConfig()));
  const defaultKeys = Object.entries(DEFAULTS).flatMap(([s, v]) =>
    Object.keys(v).map((k) => `${s}.${k}`),
  );
  assert.deepEqual([...defaultKeys].sort(), Object.keys(FIELDS).sort());
  for (const k of keys) {
    const v = flattenConfig(defaultConfig())[k];
    assert.equal(FIELDS[k].check(v), null, k);
  }
  for (const algo of ALGOS) resolveConfig({ algo }); // no throw
});

test('defaults are the spec section 6 values', () => {
  const c = defaultConfig();
  assert.equal(c.train.steps, 250_000);
  assert.equal(c.train.bufferSize, 250_000);
  assert.equal(c.train.randomSteps, 10_000);
  assert.equal(c.train.batchSize, 256);
  assert.equal(c.train.evalEvery, 10_000);
  assert.equal(c.train.utd, 1);
  assert.deepEqual(
    [
      c.rfm.temperature,
      c.rfm.particles,
      c.rfm.reverseSamples,
      c.rfm.eulerSteps,
      c.rfm.tMin,
      c.rfm.embedding,
      c.rfm.hidden,
      c.rfm.residualBlocks,
    ],
    [0.02, 32, 100, 10, 0.01, 128, 256, 2],
  );
  assert.deepEqual(
    [c.rfm.actorLr, c.rfm.criticLr, c.rfm.gamma, c.rfm.tau, c.rfm.maxGradNorm],
    [3e-4, 1e-3, 0.99, 0.005, 10],
  );
  assert.deepEqual(
    [c.rfm.estimator, c.rfm.cvRidge, c.rfm.cvClip, c.rfm.endpoint, c.rfm.solver, c.rfm.path],
    ['cv', 1e-4, 2, 'on-policy', 'euler', 'flow'],
  );
  assert.deepEqual(
    [c.td3.policyNoise, c.td3.noiseClip, c.td3.policyDelay, c.td3.explorationNoise],
    [0.2, 0.5, 2, 0.1],
  );
});

test("the baselines' defaults are the reference code's (../shared/facts/baselines.md sections 2-7)", () => {
  const c = defaultConfig();
  // SAC: actor 3e-4, critic 1e-3, alpha 3e-4, initial alpha 1, Polyak 0.005, no clipping
  assert.deepEqual(
    [
      c.sac.actorLr,
      c.sac.criticLr,
      c.sac.alphaLr,
      c.sac.initAlpha,
      c.sac.tau,
      c.sac.gamma,
      c.sac.maxGradNorm,
    ],
    [3e-4, 1e-3, 3e-4, 1, 0.005, 0.99, null],
  );
  for (const algo of ['dqs', 'qsm', 'qvpo', 'maxentdp'] as const) {
    const b = c[algo];
    assert.deepEqual(
      [
        b.hidden,
        b.residualBlocks,
        b.embedding,
        b.criticHidden,
        b.actorLr,
        b.criticLr,
        b.gamma,
        b.tau,
        b.maxGradNorm,
        b.rewardScale,
      ],
      [256, 2, 128, [256, 256], 3e-4, 1e-3, 0.99, 0.005, null, 1],
      algo,
    );
  }
  assert.deepEqual(
    [
      c.dqs.temperature,
      c.dqs.sigmaMin,
      c.dqs.sigmaMax,
      c.dqs.integrationSteps,
      c.dqs.mcSamples,
      c.dqs.diffusionScale,
    ],
    [0.05, 1e-5, 1, 20, 1000, 1],
  );
  assert.deepEqual(
    [
      c.qsm.diffusionSteps,
      c.qsm.ddpmTemperature,
      c.qsm.qGradScale,
      c.qsm.explorationNoise,
      c.qsm.targetActionNoise,
    ],
    [20, 1, 50, 0.1, 0.1],
  );
  assert.deepEqual(
    [
      c.qvpo.diffusionSteps,
      c.qvpo.trainSamples,
      c.qvpo.behaviorSamples,
      c.qvpo.targetSamples,
      c.qvpo.evalSamples,
      c.qvpo.entropySamples,
      c.qvpo.entropyAlpha,
      c.qvpo.noiseRatio,
    ],
    [20, 64, 4, 4, 32, 10, 0.02, 1],
  );
  assert.deepEqual(
    [
      c.maxentdp.temperature,
      c.maxentdp.diffusionSteps,
      c.maxentdp.tMin,
      c.maxentdp.scoreSamples,
      c.maxentdp.logProbSamples,
      c.maxentdp.backupEntropy,
      c.maxentdp.evalCandidates,
    ],
    [0.02, 20, 0.001, 500, 50, true, 32],
  );
  // the paper preset keeps them (and evaluates over 25 episodes, as the reference)
  for (const algo of ['sac', 'dqs', 'qsm', 'qvpo', 'maxentdp'] as const) {
    const p = resolveConfig({ algo, envId: 'cheetah-run', preset: 'paper' });
    assert.deepEqual(p[algo], c[algo], algo);
    assert.equal(p.train.evalEpisodes, 25);
  }
});

test('presets follow the BENCHMARKS.md table', () => {
  const table = {
    paper: [256, 256, 32, 100, 10, 128],
    lite: [256, 256, 8, 32, 10, 128],
    small: [64, 64, 4, 16, 5, 16],
  } as const;
  for (const [name, row] of Object.entries(table)) {
    const c = resolveConfig({ algo: 'rfm', preset: name });
    assert.deepEqual(
      [
        c.rfm.hidden,
        c.train.batchSize,
        c.rfm.particles,
        c.rfm.reverseSamples,
        c.rfm.eulerSteps,
        c.rfm.embedding,
      ],
      [...row],
      name,
    );
    assert.deepEqual(c.sac.actorHidden, [row[0], row[0]]);
    assert.deepEqual(c.rfm.criticHidden, [row[0], row[0]]);
  }
  assert.equal(
    resolveConfig({ algo: 'sac', envId: 'Pendulum-v1', preset: 'paper' }).train.steps,
    250_000,
  );
  // the reference evaluates on 25 episodes
  assert.equal(resolveConfig({ algo: 'rfm', preset: 'paper' }).train.evalEpisodes, 25);
  assert.ok(PRESETS.small.train?.steps !== undefined && PRESETS.small.train.steps <= 10_000);
});

test('layers: algorithm, then task, then preset, then files, then --set', () => {
  assert.equal(resolveConfig({ algo: 'rfm-diffusion' }).rfm.path, 'vp-cosine');
  assert.equal(resolveConfig({ algo: 'rfm', sets: ['rfm.estimator=ne'] }).rfm.estimator, 'ne');
  assert.equal(resolveConfig({ algo: 'sac', envId: 'Pendulum-v1' }).train.steps, 20_000);
  assert.equal(
    resolveConfig({ algo: 'sac', envId: 'Pendulum-v1', preset: 'small' }).train.steps,
    5_000,
  );
  const dir = mkdtempSync(join(tmpdir(), 'rfm-config-'));
  const yaml = join(dir, 'a.yaml');
  writeFileSync(
    yaml,
    'train:\n  steps: 1234\n  normalizeObs: true\nrfm:\n  criticHidden: [32, 32]\n  temperatureEnd: null\n',
  );
  const json = join(dir, 'b.json');
  writeFileSync(json, JSON.stringify({ 'train.steps': 777, sac: { autotune: false } }));
  const c = resolveConfig({
    algo: 'rfm',
    preset: 'small',
    files: [yaml, json],
    sets: ['rfm.temperature=0.1'],
  });
  assert.equal(c.train.steps, 777);
  assert.equal(c.train.normalizeObs, true);
  assert.deepEqual(c.rfm.criticHidden, [32, 32]);
  assert.equal(c.sac.autotune, false);
  assert.equal(c.rfm.temperature, 0.1);
  assert.equal(c.rfm.particles, 4);
});

test('--set parses by the field type', () => {
  const c = defaultConfig();
  applySet(c, 'train.steps=100');
  applySet(c, 'sac.actorHidden=[32, 16]');
  applySet(c, 'td3.criticHidden=8,8,8');
  applySet(c, 'rfm.maxGradNorm=null');
  applySet(c, 'rfm.temperatureEnd=0.005');
  applySet(c, 'train.normalizeObs=true');
  applySet(c, 'rfm.solver=heun');
  assert.equal(c.train.steps, 100);
  assert.deepEqual(c.sac.actorHidden, [32, 16]);
  assert.deepEqual(c.td3.criticHidden, [8, 8, 8]);
  assert.equal(c.rfm.maxGradNorm, null);
  assert.equal(c.rfm.temperatureEnd, 0.005);
  assert.equal(c.train.normalizeObs, true);
  assert.equal(c.rfm.solver, 'heun');
});

test('renamed: rfm.controlVariate still reads (old run folders) as rfm.estimator; sdac names its new spelling', () => {
  assert.equal(applySet(defaultConfig(), 'rfm.controlVariate=ge').rfm.estimator, 'ge');
  assert.equal(
    resolveConfig({ algo: 'rfm', patches: [{ rfm: { controlVariate: 'ne' } }] }).rfm.estimator,
    'ne',
  );
  assert.throws(
    () => resolveConfig({ algo: 'sdac' }),
    (e: Error) =>
      e instanceof ConfigError &&
      /'sdac' is now --algo rfm-diffusion --set rfm.estimator=ne/.test(e.message),
  );
});

test('a wrong key or value is a one-line ConfigError naming it, with the nearest key', () => {
  const err = (fn: () => unknown, re: RegExp) =>
    assert.throws(
      fn,
      (e: Error) => e instanceof ConfigError && re.test(e.message) && !e.message.includes('\n'),
    );
  err(
    () => applySet(defaultConfig(), 'rfm.temprature=0.1'),
    /unknown config key 'rfm.temprature' \(did you mean 'rfm.temperature'\?\)/,
  );
  err(() => applySet(defaultConfig(), 'particles=3'), /did you mean 'rfm.particles'/);
  err(
    () => applySet(defaultConfig(), 'train.steps=1.5'),
    /train.steps=1.5: expected an integer >= 1/,
  );
  err(() => applySet(defaultConfig(), 'train.steps=abc'), /train.steps/);
  err(
    () => resolveConfig({ algo: 'dqs', sets: ['dqs.sigmaMin=2'] }),
    /dqs.sigmaMin \(2\) must be < dqs.sigmaMax \(1\)/,
  );
  err(
    () => applySet(defaultConfig(), 'qvpo.trainSamples=0'),
    /qvpo.trainSamples=0: expected an integer >= 1/,
  );
  for (const k of ['toString', '__proto__', 'constructor', 'hasOwnProperty'])
    err(() => applySet(defaultConfig(), `${k}=1`), new RegExp(`unknown config key '${k}'`));
  err(
    () => applySet(defaultConfig(), 'rfm.estimator=xx'),
    /rfm.estimator=xx: expected one of 'cv', 'ne', 'ge'/,
  );
  err(() => applySet(defaultConfig(), 'sac.autotune=yes'), /true or false/);
  err(() => applySet(defaultConfig(), 'rfm.tau=0'), /rfm.tau/);
  err(() => applySet(defaultConfig(), 'nonsense'), /expected key=value/);
  err(
    () => resolveConfig({ algo: 'rfm', patches: [{ rfm: { partciles: 3 } }] }),
    /'rfm.partciles' \(did you mean 'rfm.particles'\?\)/,
  );
  err(
    () => resolveConfig({ algo: 'rfm', patches: [{ train: { steps: '100' } }] }),
    /train.steps = "100": expected an integer/,
  );
  err(() => resolveConfig({ algo: 'rfm', patches: [{ trian: 3 }] }), /unknown config key 'trian'/);
  err(() => resolveConfig({ algo: 'ppo' }), /unknown algorithm 'ppo'/);
  err(() => resolveConfig({ algo: 'sac', preset: 'huge' }), /unknown preset 'huge'/);
  err(
    () => resolveConfig({ algo: 'sac', sets: ['sac.logStdMin=3', 'sac.logStdMax=1'] }),
    /logStdMin/,
  );
  err(() => resolveConfig({ algo: 'sac', sets: ['train.bufferSize=10'] }), /batchSize/);
  const dir = mkdtempSync(join(tmpdir(), 'rfm-config-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'train:\n  steps: [1,\n');
  err(() => resolveConfig({ algo: 'sac', files: [bad] }), /bad.yaml: not valid YAML/);
  err(
    () => resolveConfig({ algo: 'sac', files: [join(dir, 'missing.json')] }),
    /cannot read config file/,
  );
  const wrong = join(dir, 'wrong.yaml');
  writeFileSync(wrong, 'td3:\n  policyDelay: 0\n');
  err(
    () => resolveConfig({ algo: 'td3', files: [wrong] }),
    /wrong.yaml: td3.policyDelay = 0: expected an integer >= 1/,
  );
});
