/**
 * The divergence guard (src/train/guard.ts): a forced divergence (huge learning rates) stops every
 * agent with one line naming the quantity, the step and the newest good checkpoint; that
 * checkpoint holds a finite agent whose actions are finite; resuming from it with a smaller
 * learning rate continues the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type Algo } from '../../src/config/index.ts';
import { availableAgents } from '../../src/agents/index.ts';
import {
  NonFiniteError,
  listCheckpoints,
  loadAgent,
  loadCheckpoint,
  resumeTraining,
  train,
  withPrefix,
} from '../../src/train/index.ts';
import { checkAgentTensors } from '../../src/train/guard.ts';
import { Box, TimeLimit, type Env, type Info, type StepResult } from '../../src/envs/index.ts';

/** obs = [t/10, 0, 0], NaN from step `nanFrom` on; reward 0. */
class NanObsEnv implements Env {
  readonly id = 'NanObs-v0';
  readonly observationSpace = new Box(-Infinity, Infinity, [3]);
  readonly actionSpace = new Box(-1, 1, [1]);
  private t = 0;
  constructor(private readonly nanFrom: number) {}
  reset(): [Float64Array, Info] {
    this.t = 0;
    return [new Float64Array(3), {}];
  }
  step(): StepResult {
    this.t++;
    const v = this.t >= this.nanFrom ? NaN : this.t / 10;
    return [Float64Array.of(v, 0, 0), 0, false, false, {}];
  }
  close(): void {}
}

const tmp = () => mkdtempSync(join(tmpdir(), 'rfm-diverge-'));
const isRfm = (algo: string) => algo === 'rfm' || algo === 'rfm-diffusion';
const isGaussian = (algo: string) => algo === 'sac' || algo === 'td3';
/** Tiny networks for each kind of agent (the diffusion baselines share their config's shape). */
function tinyNetworks(algo: string, p: string): string[] {
  if (isRfm(algo))
    return [
      'rfm.hidden=8',
      'rfm.criticHidden=8,8',
      'rfm.embedding=4',
      'rfm.particles=2',
      'rfm.reverseSamples=2',
      'rfm.eulerSteps=2',
    ];
  if (isGaussian(algo)) return [`${p}.actorHidden=8,8`, `${p}.criticHidden=8,8`];
  return [`${p}.hidden=8`, `${p}.criticHidden=8,8`, `${p}.embedding=4`];
}

/** Tiny Pendulum config: a checkpoint at step 10 (before any update), updates from step 20. */
function divergingConfig(algo: Algo, extra: string[] = []) {
  const p = isRfm(algo) ? 'rfm' : algo;
  return resolveConfig({
    algo,
    envId: 'Pendulum-v1',
    preset: 'small',
    sets: [
      'train.steps=60',
      'train.randomSteps=20',
      'train.evalEvery=0',
      'train.evalEpisodes=1',
      'train.logEvery=10',
      'train.checkpointEvery=10',
      'train.batchSize=8',
      ...tinyNetworks(algo, p),
      `${p}.actorLr=1e9`,
      `${p}.criticLr=1e9`,
      ...extra,
    ],
  });
}

for (const algo of availableAgents()) {
  test(`${algo}: a forced divergence stops with one line naming quantity, step and the newest good checkpoint, which evaluates to finite actions`, async () => {
    const out = tmp();
    const dir = join(out, 'r');
    let err: Error | undefined;
    await train('Pendulum-v1', divergingConfig(algo), {
      algo,
      seed: 1,
      outDir: out,
      runName: 'r',
    }).catch((e: Error) => (err = e));
    assert.ok(err instanceof NonFiniteError, `expected a NonFiniteError, got ${err}`);
    const msg = err.message;
    assert.ok(!msg.includes('\n'), 'one line');
    assert.match(
      msg,
      /^(parameter |optimiser moment |loss\/|grad\/|q\/|the agent's action|acting|the update).* at step (\d+) \(update \d+\); stopping\. newest good checkpoint: .*ckpt-0+(\d+)\.json \(step \d+\); continue from it with: rfm train --resume /,
    );
    const [, stopStep, ckStep] = /at step (\d+).*ckpt-0+(\d+)\.json/.exec(msg)!;
    assert.ok(
      Number(ckStep) < Number(stopStep) || Number(ckStep) === 10,
      `checkpoint ${ckStep} precedes the stop at ${stopStep}`,
    );
    // every checkpoint left holds a finite agent; none was written from the poisoned state
    for (const p of listCheckpoints(join(dir, 'checkpoints'))) {
      assert.equal(checkAgentTensors(withPrefix(loadCheckpoint(p).tensors, 'agent'), 1e6), null, p);
    }
    assert.ok(
      !readdirSync(join(dir, 'checkpoints')).some((f) => f.includes('.tmp-')),
      'no temp files left',
    );
    const run = loadAgent(dir);
    assert.equal(run.meta.step, Number(ckStep));
    const obs = new Float32Array(3).fill(0.5);
    for (const deterministic of [true, false]) {
      const a = run.agent.act(obs, { deterministic });
      assert.ok(
        a.every(Number.isFinite),
        `finite ${deterministic ? 'deterministic' : 'stochastic'} action`,
      );
    }
  });
}

test('the guard checks the state itself: an exploding parameter stops the run though every loss is finite', async () => {
  // a threshold below the initial weights' size stands for an explosion: the losses stay finite
  const cfg = divergingConfig('sac', [
    'sac.actorLr=3e-4',
    'sac.criticLr=3e-4',
    'train.divergenceThreshold=0.01',
    'train.guardEvery=1',
    'train.checkpointEvery=0',
  ]);
  await assert.rejects(
    train('Pendulum-v1', cfg, { algo: 'sac', seed: 0, outDir: tmp(), runName: 'r' }),
    (e: Error) =>
      e instanceof NonFiniteError &&
      /^parameter \S+ reached \|x\| = \S+ > train\.divergenceThreshold \(1e-2\) at step 20 \(update 1\); stopping\. no checkpoint was written before it/.test(
        e.message,
      ),
  );
  // and a checkpoint of such a state is refused (here at step 10, before any update): nothing poisoned is written
  const out = tmp();
  cfg.train.checkpointEvery = 10;
  await assert.rejects(
    train('Pendulum-v1', cfg, { algo: 'sac', seed: 0, outDir: out, runName: 'r' }),
    /at step 10 \(update 0\); stopping\. no checkpoint was written/,
  );
  assert.deepEqual(listCheckpoints(join(out, 'r', 'checkpoints')), []);
});

test('rfm: every NaN path ends in the one-line stop (rewardScale 1e38: "logits have no finite maximum" inside the update; a NaN action with finite weights)', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['rfm.rewardScale=1e38', 'rfm.actorLr=3e-4', 'rfm.criticLr=3e-4'],
      /^((parameter|optimiser moment) \S+ is NaN|loss\/\S+ is (NaN|Infinity)) at step 20 \(update 1\); stopping\. newest good checkpoint: .*ckpt-000000010\.json/,
    ],
    [
      ['rfm.criticLr=1e9', 'train.divergenceThreshold=1e38'],
      /^the agent's action\[0\] is NaN at step 20 \(update 1\); stopping\. newest good checkpoint: .*ckpt-0000000[12]0\.json/,
    ],
  ];
  for (const [sets, want] of cases) {
    const cfg = divergingConfig('rfm', [
      'train.guardEvery=1000',
      'train.checkpointEvery=10',
      ...sets,
    ]);
    await assert.rejects(
      train('Pendulum-v1', cfg, { algo: 'rfm', seed: 1, outDir: tmp(), runName: 'r' }),
      (e: Error) => e instanceof NonFiniteError && want.test(e.message),
    );
  }
});

test('rfm: acting on a NaN observation while the weights are fine is the one-line stop too', async () => {
  // an environment whose observations turn NaN at step 15; utd 0.001 keeps the agent from updating first
  const nanObsEnv = async () => new TimeLimit(new NanObsEnv(15), 50);
  const cfg = divergingConfig('rfm', [
    'rfm.actorLr=3e-4',
    'rfm.criticLr=3e-4',
    'train.randomSteps=10',
    'train.utd=0.001',
    'train.checkpointEvery=5',
  ]);
  await assert.rejects(
    train('NanObs-v0', cfg, {
      algo: 'rfm',
      seed: 0,
      outDir: tmp(),
      runName: 'r',
      envFactory: nanObsEnv,
    }),
    (e: Error) =>
      e instanceof NonFiniteError &&
      /^(acting failed on non-finite numbers \(.*\)|the agent's action\[0\] is NaN) at step 15 \(update 0\); stopping\. newest good checkpoint: .*ckpt-000000015\.json/.test(
        e.message,
      ),
  );
});

test('resume from the newest good checkpoint with --set a smaller learning rate; --from picks an older one', async () => {
  const out = tmp();
  const dir = join(out, 'r');
  await assert.rejects(
    train('Pendulum-v1', divergingConfig('sac'), {
      algo: 'sac',
      seed: 2,
      outDir: out,
      runName: 'r',
    }),
    NonFiniteError,
  );
  const notes: string[] = [];
  const r = await resumeTraining(dir, {
    sets: ['sac.actorLr=3e-4', 'sac.criticLr=3e-4'],
    warn: (l) => notes.push(l),
  });
  assert.equal(r.steps, 60);
  assert.equal(r.config.sac.criticLr, 3e-4);
  assert.equal(
    JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).sac.criticLr,
    3e-4,
    'the change is recorded in config.json',
  );
  // --from an older checkpoint sets the newer ones aside (kept, no longer picked up)
  const r2 = await resumeTraining(dir, { from: 50, steps: 60, warn: (l) => notes.push(l) });
  assert.equal(r2.steps, 60);
  assert.ok(
    notes.some((l) => /^moved 1 checkpoint\(s\) after step 50 to .*abandoned-/.test(l)),
    notes.join('\n'),
  );
  // the rows of the branches left behind are kept: the diverged one's, and the one after step 50
  assert.ok(
    notes.some((l) =>
      /^kept the \d+ metrics row\(s\) after step 10 in .*metrics\.before-resume-\d{8}-\d{6}\.jsonl$/.test(
        l,
      ),
    ),
    notes.join('\n'),
  );
  const kept = notes
    .map(
      (l) =>
        /^kept the \d+ metrics row\(s\) after step 50 in (.*abandoned-.*metrics\.jsonl)$/.exec(
          l,
        )?.[1],
    )
    .find(Boolean);
  assert.ok(kept, notes.join('\n'));
  assert.equal(
    readFileSync(kept, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step)
      .pop(),
    60,
  );
  await assert.rejects(
    resumeTraining(dir, { from: 7 }),
    /no checkpoint at step 7 .*there are: 50, 60/,
  );
  await assert.rejects(
    resumeTraining(dir, { from: join(tmp(), 'ckpt-000000050.json') }),
    /is not one of this run's checkpoints/,
  );
  const r3 = await resumeTraining(dir, {
    from: join(dir, 'checkpoints', 'ckpt-000000050.json'),
    warn: () => {},
  });
  assert.equal(r3.steps, 60, 'a checkpoint JSON of the run works as --from too');
});

test('cli: a divergence is one line on stderr with exit code 1; eval of the run works', () => {
  const out = tmp();
  const rfm = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/rfm.mjs', ...args], { encoding: 'utf8' });
  const sets = [
    'train.steps=40',
    'train.randomSteps=20',
    'train.evalEvery=0',
    'train.evalEpisodes=1',
    'train.checkpointEvery=10',
    'train.batchSize=8',
    'rfm.hidden=8',
    'rfm.criticHidden=8,8',
    'rfm.embedding=4',
    'rfm.particles=2',
    'rfm.reverseSamples=2',
    'rfm.eulerSteps=2',
    'rfm.actorLr=1e9',
    'rfm.criticLr=1e9',
  ];
  const t = rfm(
    'train',
    '--algo',
    'rfm',
    '--env',
    'Pendulum-v1',
    '--preset',
    'small',
    ...sets.flatMap((s) => ['--set', s]),
    '--out',
    out,
    '--name',
    'd',
    '--quiet',
  );
  assert.equal(t.status, 1, t.stderr);
  const lines = t.stderr.trim().split('\n');
  assert.equal(lines.length, 1, t.stderr);
  assert.match(
    lines[0],
    /^rfm train: .* at step \d+ \(update \d+\); stopping\. newest good checkpoint: .*ckpt-\d+\.json/,
  );
  const e = rfm('eval', join(out, 'd'), '--episodes', '1', '--json');
  assert.equal(e.status, 0, e.stderr);
  assert.ok(Number.isFinite(JSON.parse(e.stdout).mean));
});
