/** Grid files, run ids, job payload checks, the run lock and the report's statistics (in-process, fast). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import {
  checkPayload,
  expandGrid,
  loadGrid,
  runId,
  SweepError,
  toPayload,
  type RunPayload,
} from '../../src/sweep/grid.ts';
import { runDirOf, startRun } from '../../src/sweep/runner.ts';
import { writeSweepIndex } from '../../src/sweep/pool.ts';
import { RunLock, LOCK_FILE } from '../../src/sweep/lock.ts';
import { sweepReport } from '../../src/sweep/report.ts';
import { iqm } from '../../src/viz/stats.ts';
import { resolveConfig } from '../../src/config/index.ts';
import { tempDir, tinyGrid } from './helpers.ts';

const grid = (yaml: string) => expandGrid(parseYaml(yaml), 'g');

test('a grid expands to the product plus its extra runs, each config resolved as rfm train would', () => {
  const g = expandGrid(
    {
      name: 'demo',
      algos: ['sac', 'td3'],
      envs: ['Pendulum-v1'],
      seeds: 3,
      presets: ['small'],
      steps: 300,
      set: { 'sac.tau': [0.005, 0.01], 'train.evalEvery': 100 },
      runs: [{ algo: 'sac', env: 'MountainCarContinuous-v0', seed: 7, set: { 'train.utd': 2 } }],
    },
    'fallback',
  );
  assert.equal(g.name, 'demo');
  assert.equal(g.out, 'sweeps/demo');
  assert.equal(
    g.runs.length,
    3 * 2 + 3 + 1,
    'sac: 3 seeds x 2 taus; td3: 3 seeds (sac.tau is not its); one extra',
  );
  const r = g.runs.find((x) => x.algo === 'sac' && x.seed === 2 && x.config.sac.tau === 0.01)!;
  assert.deepEqual(
    r.config,
    resolveConfig({
      algo: 'sac',
      envId: 'Pendulum-v1',
      preset: 'small',
      sets: ['sac.tau=0.01', 'train.evalEvery=100', 'train.steps=300'],
    }),
  );
  const extra = g.runs[g.runs.length - 1];
  assert.equal(extra.envId, 'MountainCarContinuous-v0');
  assert.equal(extra.config.train.utd, 2);
  assert.equal(extra.config.train.steps, 300, "the grid's steps apply to extra runs too");
  assert.equal(new Set(g.runs.map((x) => x.id)).size, g.runs.length);
});

test("a run's id hashes the fields it reads: another algorithm's section does not move it, its own does", () => {
  const config = resolveConfig({ algo: 'dqs', envId: 'Pendulum-v1', preset: 'small' });
  const id = runId('dqs', 'Pendulum-v1', 0, config);
  const changed = (section: 'sac' | 'rfm' | 'dqs' | 'train', key: string, v: unknown) =>
    runId('dqs', 'Pendulum-v1', 0, { ...config, [section]: { ...config[section], [key]: v } });
  assert.equal(changed('sac', 'alphaLr', 0.123), id);
  assert.equal(changed('rfm', 'temperature', 0.5), id);
  assert.notEqual(changed('dqs', 'temperature', 0.5), id);
  assert.notEqual(changed('train', 'batchSize', 7), id);
  assert.notEqual(runId('dqs', 'Pendulum-v1', 1, config), id);
  // a job payload is checked against the same hash
  const spec = expandGrid(
    { algos: ['dqs'], envs: ['Pendulum-v1'], seeds: 1, presets: ['small'] },
    'g',
  ).runs[0];
  assert.equal(spec.id, id);
  const p = JSON.parse(JSON.stringify(toPayload(spec))) as RunPayload;
  p.config['dqs.temperature'] = 0.5;
  assert.throws(() => checkPayload(p), /was altered/);
});

test('set: a section as a mapping is its dotted keys; a renamed key (rfm.controlVariate) still reads', () => {
  const g = expandGrid(
    {
      algos: ['rfm'],
      envs: ['Pendulum-v1'],
      seeds: 1,
      set: { train: { evalEvery: [100, 200] }, 'rfm.controlVariate': 'ne' },
    },
    'g',
  );
  assert.equal(g.runs.length, 2);
  for (const r of g.runs) {
    assert.deepEqual(
      r.config,
      resolveConfig({
        algo: 'rfm',
        envId: 'Pendulum-v1',
        sets: [`train.evalEvery=${r.config.train.evalEvery}`, 'rfm.estimator=ne'],
      }),
    );
  }
  assert.deepEqual(
    g.runs.map((r) => r.config.train.evalEvery),
    [100, 200],
  );
  // the job payload of such a run passes the worker's checks
  const p = toPayload(g.runs[0]);
  assert.equal(checkPayload(JSON.parse(JSON.stringify(p))).id, g.runs[0].id);
});

test("a key of one algorithm's section multiplies and labels that algorithm's runs only", () => {
  const g = expandGrid(
    {
      algos: ['sac', 'td3', 'qsm'],
      envs: ['Pendulum-v1'],
      seeds: 2,
      set: { 'sac.tau': [0.005, 0.01], 'qsm.qGradScale': [10, 50], 'train.evalEvery': [100, 200] },
    },
    'g',
  );
  const count = (algo: string) => g.runs.filter((r) => r.algo === algo).length;
  // sac: 2 taus x 2 evalEvery x 2 seeds; td3: 2 evalEvery x 2 seeds (no copy per sac.tau); qsm: 2 x 2 x 2
  assert.deepEqual([count('sac'), count('td3'), count('qsm')], [8, 4, 8]);
  assert.equal(g.duplicates, 0);
  for (const r of g.runs.filter((x) => x.algo === 'td3')) {
    assert.deepEqual(Object.keys(r.label.set).sort(), ['train.evalEvery']);
    assert.deepEqual(
      r.config,
      resolveConfig({
        algo: 'td3',
        envId: 'Pendulum-v1',
        sets: [`train.evalEvery=${r.config.train.evalEvery}`],
      }),
    );
  }
  assert.ok(
    g.runs
      .filter((x) => x.algo === 'qsm')
      .every((r) => !('sac.tau' in r.label.set) && r.config.sac.tau === 0.005),
  );
});

test('run ids are stable, follow the resolved config, and duplicates are dropped', () => {
  const a = grid(tinyGrid('t')).runs.map((r) => r.id);
  const b = grid(tinyGrid('t')).runs.map((r) => r.id);
  assert.deepEqual(a, b);
  assert.match(a[0], /^sac-Pendulum-v1-s0-[0-9a-f]{10}$/);
  const longer = grid(tinyGrid('t', 500)).runs.map((r) => r.id);
  assert.equal(longer.filter((id) => a.includes(id)).length, 0);
  // The same run declared in the product and again explicitly (spelled differently) is one run.
  const d = expandGrid(
    {
      algos: ['sac'],
      envs: ['Pendulum-v1'],
      seeds: [0],
      set: { 'sac.tau': 0.01 },
      runs: [{ algo: 'sac', env: 'Pendulum-v1', seed: 0, set: { 'sac.tau': 0.01 } }],
    },
    'g',
  );
  assert.equal(d.runs.length, 1);
  assert.equal(d.duplicates, 1);
  // The grid's name does not enter the id: the same run in two sweeps has the same id.
  assert.equal(
    expandGrid(
      {
        name: 'other',
        algos: ['sac'],
        envs: ['Pendulum-v1'],
        seeds: [0],
        set: { 'sac.tau': 0.01 },
      },
      'g',
    ).runs[0].id,
    d.runs[0].id,
  );
});

test('invalid grids are one-line SweepErrors', () => {
  const cases: [unknown, RegExp][] = [
    [{ algos: ['sca'], envs: ['Pendulum-v1'], seeds: 1 }, /unknown algorithm 'sca'/],
    [{ algos: ['sac'], envs: ['Pendulum-v9'], seeds: 1 }, /unknown environment 'Pendulum-v9'/],
    [{ algos: ['sac'], envs: ['Pendulum-v1'], seeds: [0, -1] }, /seed must be an integer >= 0/],
    [{ algos: ['sac'], envs: ['Pendulum-v1'], seeds: 0 }, /'seeds' as a count/],
    [
      { algos: ['sac'], envs: ['Pendulum-v1'], seeds: 1, set: { 'sac.tua': [0.1] } },
      /unknown config key 'sac.tua'/,
    ],
    [
      { algos: ['sac'], envs: ['Pendulum-v1'], seeds: 1, set: { 'train.batchSize': [0] } },
      /train\.batchSize/,
    ],
    [{ algos: ['sac'], envs: ['Pendulum-v1'], seeds: 1, set: { 'sac.tau': [] } }, /empty list/],
    [{ algos: ['sac'], envs: ['Pendulum-v1'], seed: 1 }, /unknown key 'seed'/],
    [{ algos: ['sac'], seeds: 1 }, /'envs' is missing/],
    [
      { algos: ['sac'], envs: ['Pendulum-v1'], seeds: 1, presets: ['huge'] },
      /unknown preset 'huge'/,
    ],
    [
      { algos: ['sac'], envs: ['Pendulum-v1'], seeds: 1, steps: 0 },
      /'steps' must be a positive integer/,
    ],
    [{ name: '../x', algos: ['sac'], envs: ['Pendulum-v1'], seeds: 1 }, /'name' must be/],
    [{ runs: [{ algo: 'sac', env: 'Pendulum-v1' }] }, /runs\[0\]: 'seed' is missing/],
    [
      { runs: [{ algo: 'sac', env: 'Pendulum-v1', seed: 0, set: { 'sac.tau': [0.1, 0.2] } }] },
      /sac\.tau/,
    ],
    [{}, /no runs/],
    [[1, 2], /expected a mapping/],
    // names an object has without being config keys
    [
      { algos: ['sac'], envs: ['Pendulum-v1'], seeds: 1, set: { toString: 1 } },
      /unknown config key 'toString'/,
    ],
    [
      { algos: ['sac'], envs: ['Pendulum-v1'], seeds: 1, set: { train: { nope: 1 } } },
      /unknown config key 'train\.nope'/,
    ],
  ];
  for (const [raw, re] of cases) {
    assert.throws(
      () => expandGrid(raw, 'g'),
      (e: Error) => e instanceof SweepError && re.test(e.message) && !e.message.includes('\n'),
      JSON.stringify(raw),
    );
  }
  const dir = tempDir('grid');
  try {
    writeFileSync(join(dir, 'bad.yaml'), 'algos: [sac\n');
    assert.throws(
      () => loadGrid(join(dir, 'bad.yaml')),
      (e: Error) =>
        e instanceof SweepError && /not valid YAML/.test(e.message) && !e.message.includes('\n'),
    );
    assert.throws(() => loadGrid(join(dir, 'missing.yaml')), /cannot read grid file .*ENOENT/);
    writeFileSync(
      join(dir, 'My Grid.json'),
      JSON.stringify({ algos: ['sac'], envs: ['Pendulum-v1'], seeds: 1 }),
    );
    assert.equal(loadGrid(join(dir, 'My Grid.json')).name, 'My-Grid');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a job payload is rebuilt and checked; any alteration is refused in one line', () => {
  const spec = grid(tinyGrid('t')).runs[1];
  const good = toPayload(spec);
  const back = checkPayload(JSON.parse(JSON.stringify(good)));
  assert.deepEqual(back, spec);
  const tamper = (f: (p: RunPayload & Record<string, unknown>) => void): unknown => {
    const p = JSON.parse(JSON.stringify(good)) as RunPayload & Record<string, unknown>;
    f(p);
    return p;
  };
  const cases: [unknown, RegExp][] = [
    [tamper((p) => (p.config['train.steps'] = 1_000_000)), /does not match its config.*altered/],
    [tamper((p) => (p.seed = 9)), /does not match its config/],
    [tamper((p) => (p.id = '../../etc')), /run id .* is not a plain folder name/],
    [tamper((p) => (p.sweep = '/tmp/x')), /sweep name .* is not a plain folder name/],
    [tamper((p) => (p.algo = 'sh')), /unknown algorithm 'sh'/],
    [tamper((p) => (p.envId = 'node:child_process')), /unknown environment/],
    [tamper((p) => (p.command = 'rm -rf /')), /unexpected key 'command'/],
    [
      tamper((p) => delete (p.config as Record<string, unknown>)['sac.tau']),
      /config lacks sac\.tau/,
    ],
    [tamper((p) => (p.config['sac.tau'] = 'x')), /sac\.tau/],
    [tamper((p) => (p.config['rm.rf'] = 1)), /unknown config key 'rm\.rf'/],
    [
      tamper((p) => (p.label = { preset: 'small', set: {}, module: 'x' } as never)),
      /label must be/,
    ],
    ['train', /not an object/],
  ];
  for (const [data, re] of cases) {
    assert.throws(
      () => checkPayload(data),
      (e: Error) =>
        e instanceof SweepError &&
        re.test(e.message) &&
        !e.message.includes('\n') &&
        e.message.startsWith('refused job payload'),
      String(re),
    );
  }
});

test('run folders stay inside the sweep folder', () => {
  assert.equal(runDirOf('/a/b', 'run-1'), '/a/b/run-1');
  for (const bad of ['..', '../x', 'x/../../y', '/etc', '.', 'a/b'])
    assert.throws(() => runDirOf('/a/b', bad), /would leave the output folder/);
});

test('the run lock: one holder at a time; a dead holder is taken over; release removes only our own lock', () => {
  const dir = tempDir('lock');
  try {
    const a = RunLock.acquire(dir)!;
    assert.ok(a);
    assert.equal(RunLock.acquire(dir), null, 'held by a live process (this one)');
    a.release();
    assert.ok(!existsSync(join(dir, LOCK_FILE)));
    // A lock left by processes that are gone (pid 2^22+ is beyond Linux's default pid_max) is stale.
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ host: hostname(), pids: [4_194_304 + 17], token: 'old', since: '' }),
    );
    const b = RunLock.acquire(dir)!;
    assert.ok(b, 'stale lock taken over');
    b.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report: groups by task, algorithm and varying settings; final value, IQM and its bootstrap interval', () => {
  const dir = tempDir('report');
  try {
    // sac runs vary sac.tau; the td3 runs all have td3.tau 0.01 (a grid gives td3.* to td3 runs only)
    const finals: Record<string, number[]> = { a: [1, 2, 3, 10, 4], b: [5, 6], c: [7, 8] };
    for (const [tag, values] of Object.entries(finals)) {
      values.forEach((v, seed) => {
        const run = join(dir, `${tag}-${seed}`);
        mkdirSync(run, { recursive: true });
        writeFileSync(
          join(run, 'config.json'),
          JSON.stringify({ algo: tag === 'c' ? 'td3' : 'sac', envId: 'Pendulum-v1', seed }),
        );
        const set = tag === 'c' ? { 'td3.tau': 0.01 } : { 'sac.tau': tag === 'a' ? 0.005 : 0.01 };
        writeFileSync(
          join(run, 'sweep-run.json'),
          JSON.stringify({ label: { preset: 'small', set } }),
        );
        writeFileSync(
          join(run, 'metrics.jsonl'),
          `${JSON.stringify({ step: 100, 'eval/return': -50 })}\n${JSON.stringify({ step: 200, 'eval/return': v })}\n`,
        );
      });
    }
    const r = sweepReport(dir, { resamples: 500 });
    assert.deepEqual(r.common, { preset: 'small', 'td3.tau': '0.01' });
    assert.deepEqual(
      r.rows.map((x) => [x.algo, x.settings, x.runs, x.minStep]),
      [
        ['sac', 'sac.tau=0.005', 5, 200],
        ['sac', 'sac.tau=0.01', 2, 200],
        ['td3', '', 2, 200],
      ],
    );
    const a = r.rows[0];
    assert.deepEqual(
      [...a.finalReturns].sort((x, y) => x - y),
      [1, 2, 3, 4, 10],
    );
    assert.equal(a.iqm, iqm([1, 2, 3, 10, 4]));
    assert.equal(a.mean, 4);
    assert.ok(
      a.low <= a.iqm && a.iqm <= a.high && a.low >= 1 && a.high <= 10,
      `${a.low} ${a.iqm} ${a.high}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'a sweep or run folder that cannot be made (under /proc) is a one-line error, not an endless mkdir',
  { skip: !existsSync('/proc/self') && 'no /proc' },
  async () => {
    const g = grid(tinyGrid('t'));
    const oneLine = (e: Error) =>
      /cannot create folder \/proc\/rfm-sweep-test/.test(e.message) && !e.message.includes('\n');
    assert.throws(() => writeSweepIndex(g, '/proc/rfm-sweep-test/x'), oneLine);
    await assert.rejects(startRun(g.runs[0], '/proc/rfm-sweep-test').promise, oneLine);
  },
);

test(
  'a worker whose output root cannot be written refuses to start (before Redis), instead of failing every job it takes',
  { skip: !existsSync('/proc/self') && 'no /proc' },
  async () => {
    const { startWorker } = await import('../../src/sweep/queue.ts');
    await assert.rejects(
      startWorker(
        { host: '127.0.0.1', port: 1 },
        { root: '/proc/rfm-worker-test', concurrency: 1 },
      ),
      (e: Error) => /cannot write in \/proc/.test(e.message) && !e.message.includes('\n'),
    );
  },
);
