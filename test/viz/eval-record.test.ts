// `rfm eval RUN --record FILE --samples FILE` on a tiny real run, then `rfm plot` of that run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { readRollout } from '../../src/viz/rollout-record.ts';
import { readSamples } from '../../src/viz/samples.ts';
import { findRuns } from '../../src/viz/runs.ts';
import { pngSize } from '../../src/viz/plot.ts';

describe('rfm eval --record / --samples on a trained run', () => {
  it('writes a replayable rollout and an action scatter; the run folder reads back for plots', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rfm-evalrec-'));
    const log = console.log;
    console.log = () => {};
    try {
      const runs = join(dir, 'runs');
      const trained = await main([
        'train',
        '--algo',
        'sac',
        '--env',
        'Hopper-v5',
        '--steps',
        '300',
        '--preset',
        'small',
        '--set',
        'train.randomSteps=100',
        '--set',
        'train.evalEvery=150',
        '--set',
        'train.evalEpisodes=1',
        '--out',
        runs,
        '--name',
        't',
        '--quiet',
      ]);
      assert.equal(trained, 0);
      const run = join(runs, 't');
      const rec = join(run, 'eval.rollout.json');
      const smp = join(run, 'actions.samples.json');
      assert.equal(
        await main(['eval', run, '--episodes', '1', '--record', rec, '--samples', smp]),
        0,
      );
      const r = readRollout(rec);
      assert.equal(r.env, 'Hopper-v5');
      assert.equal(r.model, 'Hopper');
      assert.equal(r.nq, 6);
      assert.ok(r.steps >= 1);
      const s = readSamples(smp);
      assert.equal(s.sets.length, 1);
      assert.equal(s.sets[0].points.length, 2000);
      // config.json / run.json give the plot its grouping
      const [meta] = findRuns(runs);
      assert.deepEqual([meta.algo, meta.env, meta.seed], ['sac', 'Hopper-v5', 0]);
      const png = join(dir, 'c.png');
      assert.equal(await main(['plot', run, '--out', png, '--resamples', '50']), 0);
      assert.deepEqual(pngSize(readFileSync(png)), { width: 560, height: 380 });
    } finally {
      console.log = log;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
