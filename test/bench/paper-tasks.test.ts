/** The paper-tasks benchmark's grid (valid for `rfm sweep`, the coverage, cheap runs first) and its table. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandGrid } from '../../src/sweep/grid.ts';
import type { ReportRow } from '../../src/sweep/report.ts';
import {
  BASELINE_ALGOS,
  BASELINE_TASKS,
  PAPER_TASKS,
  paperTasksGrid,
  summaryTable,
} from '../../bench/learning/paper-tasks.ts';

test('the grid: RFM and SAC on all 8 tasks, the baselines on 4, same budget for every run, qvpo last', () => {
  const raw = paperTasksGrid({
    name: 'dmc-t',
    steps: 25_000,
    preset: 'small',
    seeds: 3,
    evalEvery: 2_500,
    evalEpisodes: 5,
  });
  const g = expandGrid(raw, 'x');
  assert.equal(g.name, 'dmc-t');
  assert.equal(g.duplicates, 0);
  assert.equal(g.runs.length, 2 * 8 * 3 + BASELINE_ALGOS.length * 4 * 3);
  for (const algo of ['rfm', 'sac'])
    for (const env of PAPER_TASKS)
      assert.equal(g.runs.filter((r) => r.algo === algo && r.envId === env).length, 3);
  for (const algo of BASELINE_ALGOS)
    for (const env of BASELINE_TASKS)
      assert.deepEqual(
        g.runs.filter((r) => r.algo === algo && r.envId === env).map((r) => r.seed),
        [0, 1, 2],
      );
  for (const r of g.runs) {
    assert.equal(r.config.train.steps, 25_000);
    assert.equal(r.config.train.evalEvery, 2_500);
    assert.equal(r.config.train.evalEpisodes, 5);
    assert.equal(r.label.preset, 'small');
  }
  const firstQvpo = g.runs.findIndex((r) => r.algo === 'qvpo');
  assert.ok(g.runs.slice(firstQvpo).every((r) => r.algo === 'qvpo'));
  // seed-major: every task's seed-0 RFM and SAC runs come before any seed-1 run
  const firstSeed1 = g.runs.findIndex((r) => r.seed === 1);
  assert.equal(firstSeed1, 16);
});

test('the table lists tasks in the paper order, IQM [interval] (n), partial groups said as such', () => {
  const row = (env: string, algo: string, finals: number[], finished: number): ReportRow => ({
    env,
    algo,
    settings: '',
    runs: 3,
    finished,
    finalReturns: finals,
    mean: 0,
    iqm: 12.34,
    low: 10,
    high: 15,
    minStep: 100,
  });
  const t = summaryTable(
    [row('walker-walk', 'sac', [1, 2, 3], 3), row('cheetah-run', 'rfm', [5, 6], 2)],
    ['rfm', 'sac'],
  ).split('\n');
  assert.equal(t[0], '| task | rfm | sac |');
  assert.equal(t.length, 2 + 8);
  assert.equal(t[2], '| cheetah-run | 12.3 [10.0, 15.0] (n=2, 2 of 3 finished) | - |');
  assert.equal(
    t[2 + PAPER_TASKS.indexOf('walker-walk')],
    '| walker-walk | - | 12.3 [10.0, 15.0] (n=3) |',
  );
});
