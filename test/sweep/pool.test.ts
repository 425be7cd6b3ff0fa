/**
 * `rfm sweep GRID --workers 2` (the local pool), end to end through the CLI on a grid of 4 tiny SAC
 * runs: each run finishes once with strictly increasing metric steps; a re-run skips finished runs;
 * Ctrl-C and kill -9 of the sweep leave every run resumable, and the resumed runs equal the
 * uninterrupted ones; an invalid grid is one line of error and runs nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadGrid } from '../../src/sweep/grid.ts';
import { startRun } from '../../src/sweep/runner.ts';
import {
  finalTensorsHash,
  lockHoldersGone,
  metricRows,
  noTime,
  runCli,
  runDirs,
  startCli,
  stepsOk,
  FAILING_GRID,
  tempDir,
  tinyGrid,
  trainStarts,
  waitFor,
  writeFile,
} from './helpers.ts';

const STEPS = 400;

describe('rfm sweep (local pool)', () => {
  let dir: string;
  let grid: string;
  const straight = join('sweeps', 'straight');
  before(() => {
    dir = tempDir('sweep-pool');
    grid = writeFile(dir, 'tiny.yaml', tinyGrid('tiny', STEPS));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--workers 2: every run finishes once, metric steps strictly increasing; a re-run skips them', async () => {
    const r = await runCli(['sweep', grid, '--workers', '2', '--out', straight], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\[\d\/4 done, \d running, 0 failed, ETA [^\]]+\]/);
    const runs = runDirs(join(dir, straight));
    assert.equal(runs.length, 4);
    for (const run of runs) {
      assert.ok(existsSync(join(run, 'done.json')), run);
      assert.deepEqual(trainStarts(run), { fresh: 1, resumed: 0 });
      assert.ok(stepsOk(run, STEPS), `${run}: steps ${metricRows(run).map((x) => x.step)}`);
    }
    const again = await runCli(['sweep', grid, '--workers', '2', '--out', straight], dir);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /4 of 4 runs already finished/);
    for (const run of runs) assert.deepEqual(trainStarts(run), { fresh: 1, resumed: 0 });
  });

  test('Ctrl-C, then kill -9 of the sweep mid-run: every run resumes and equals the uninterrupted run', async () => {
    const out = join('sweeps', 'cut');
    const sweepDir = join(dir, out);
    const anyProgress = () => runDirs(sweepDir).some((d) => metricRows(d).length > 0);

    // Ctrl-C: the pool asks its children to checkpoint, and exits 130.
    const first = startCli(['sweep', grid, '--workers', '2', '--out', out], dir);
    await waitFor(anyProgress, 30_000, 'a run to log metrics');
    first.child.kill('SIGINT');
    const r1 = await first.done;
    assert.equal(r1.code, 130, r1.stdout + r1.stderr);
    assert.match(r1.stdout, /stopped \S+ at step \d+ \(resumable\)/);

    // kill -9 once the next session has resumed something: its orphaned children stop themselves.
    const second = startCli(['sweep', grid, '--workers', '2', '--out', out], dir);
    await waitFor(
      () =>
        /resume \S+ from step|start \S+/.test(second.output()) &&
        runDirs(sweepDir).some((d) => metricRows(d).length > 2),
      30_000,
      'the second session to train',
    );
    second.child.kill('SIGKILL');
    await second.done;
    await waitFor(
      () => runDirs(sweepDir).every(lockHoldersGone),
      30_000,
      'the orphaned rfm train children to stop',
    );

    const third = await runCli(['sweep', grid, '--workers', '2', '--out', out], dir);
    assert.equal(third.code, 0, third.stdout + third.stderr);
    assert.match(third.stdout, /resume \S+ from step \d+/);
    const runs = runDirs(sweepDir);
    assert.equal(runs.length, 4);
    let resumed = 0;
    for (const run of runs) {
      const ref = join(dir, straight, run.split('/').pop()!);
      assert.ok(stepsOk(run, STEPS), `${run}: steps ${metricRows(run).map((x) => x.step)}`);
      assert.deepEqual(noTime(metricRows(run)), noTime(metricRows(ref)), run);
      assert.equal(finalTensorsHash(run), finalTensorsHash(ref), run);
      resumed += trainStarts(run).resumed;
    }
    assert.ok(resumed >= 2, `expected resumed runs, got ${resumed}`);
  });

  test('the same run started twice at once trains once: the second finds it locked (busy)', async () => {
    const spec = loadGrid(grid).runs[0];
    const a = startRun(spec, join(dir, 'twice'));
    const b = startRun(spec, join(dir, 'twice'));
    const [ra, rb] = await Promise.all([a.promise, b.promise]);
    assert.deepEqual([ra.state, rb.state].sort(), ['busy', 'done']);
    assert.deepEqual(trainStarts(join(dir, 'twice', spec.id)), { fresh: 1, resumed: 0 });
    // once it is done, a third start skips it
    const c = await startRun(spec, join(dir, 'twice')).promise;
    assert.ok(c.state === 'done' && c.skipped);
  });

  test('an invalid grid is a one-line error and runs nothing (the cases: grid.test.ts)', async () => {
    const cases = [
      ['algos: [sca]\nenvs: [Pendulum-v1]\nseeds: 1\n', /unknown algorithm 'sca'/],
      ['algos: [sac\n', /not valid YAML/],
    ] as const;
    const results = await Promise.all(
      cases.map(([text], i) =>
        runCli(['sweep', writeFile(dir, `bad${i}.yaml`, text), '--out', 'sweeps/bad'], dir),
      ),
    );
    for (const [i, [text, re]] of cases.entries()) {
      const r = results[i];
      assert.equal(r.code, 2, text);
      assert.equal(r.stdout, '', text);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, re);
      assert.ok(!existsSync(join(dir, 'sweeps', 'bad')), 'nothing written');
    }
  });

  test('a run that fails 3 times is marked failed with its error; the rest of the sweep goes on', async () => {
    const g = writeFile(dir, 'failing.yaml', FAILING_GRID);
    const r = await runCli(['sweep', g, '--workers', '2', '--out', 'sweeps/failing'], dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /failed at step \d+ \(attempt 1 of 3\): rfm train: loss\/\w+ is (Infinity|NaN)/,
    );
    assert.match(
      r.stdout,
      /FAILED \S+ \(attempt 3 of 3\): rfm train: loss\/\w+ is (Infinity|NaN) at step \d+/,
    );
    assert.match(r.stdout, /1 of 2 done \(0 earlier\), 1 failed, 0 stopped/);
    const runs = runDirs(join(dir, 'sweeps', 'failing'));
    assert.deepEqual(runs.map((x) => existsSync(join(x, 'done.json'))).sort(), [false, true]);
    assert.equal(trainStarts(runs.find((x) => !existsSync(join(x, 'done.json')))!).fresh, 3);
  });

  test('--dry-run lists the runs with their state; report writes the table; rfm plot draws the sweep', async () => {
    const r = await runCli(['sweep', grid, '--out', straight, '--dry-run'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout.match(/\[done\]/g) ?? []).length, 4);
    const rep = await runCli(['sweep', 'report', straight], dir);
    assert.equal(rep.code, 0, rep.stderr);
    const json = JSON.parse(readFileSync(join(dir, straight, 'report.json'), 'utf8')) as {
      rows: { settings: string; runs: number; finalReturns: number[]; iqm: number }[];
    };
    assert.deepEqual(
      json.rows.map((x) => [x.settings, x.runs]),
      [
        ['sac.tau=0.005', 2],
        ['sac.tau=0.01', 2],
      ],
    );
    for (const row of json.rows) {
      // with two runs the IQM is their mean
      assert.ok(Math.abs(row.iqm - (row.finalReturns[0] + row.finalReturns[1]) / 2) < 1e-9);
    }
    assert.match(
      readFileSync(join(dir, straight, 'report.md'), 'utf8'),
      /\| Pendulum-v1 \| sac \| sac.tau=0.005 \| 2 \(2\) \| 400 \|/,
    );
    // rfm plot takes the sweep folder as it is: its runs grouped by task and algorithm
    const plot = await runCli(['plot', straight, '--out', 'curves.svg'], dir);
    assert.equal(plot.code, 0, plot.stderr);
    assert.match(plot.stdout, /Pendulum-v1 \/ sac: 4 run\(s\); last step 400: IQM/);
    assert.ok(existsSync(join(dir, 'curves.svg')));
  });
});
