/**
 * The CLI's one error handler (src/cli/errors.ts): every failure is one line on stderr with exit
 * code 2 for a bad request and 1 for a runtime failure, the stack only with RFM_DEBUG=1; paths are
 * checked before any work, and a failed command writes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { reportError, UsageError } from '../../src/cli/errors.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'rfm-cli-err-'));

/** Runs `rfm ...` in this process; returns its exit code and what it wrote to stderr. */
async function rfm(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, err };
  } finally {
    process.stderr.write = write;
  }
}

const oneLine = (err: string) => {
  const lines = err.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${err}`);
  assert.ok(!/\n\s+at /.test(err), 'no stack trace');
  return lines[0];
};

const TINY = [
  '--preset',
  'small',
  '--steps',
  '30',
  '--set',
  'train.randomSteps=10',
  '--set',
  'train.checkpointEvery=10',
  '--set',
  'train.evalEvery=0',
  '--set',
  'train.evalEpisodes=1',
  '--set',
  'sac.actorHidden=8',
  '--set',
  'sac.criticHidden=8',
  '--quiet',
];

test('reportError: usage errors exit 2 with their message, others 1 with the first line only', () => {
  const out: string[] = [];
  assert.equal(
    reportError(new UsageError('bad flag\nusage: ...'), 'train', (t) => out.push(t)),
    2,
  );
  assert.equal(
    reportError(new Error('disk full\n    at somewhere'), 'train', (t) => out.push(t)),
    1,
  );
  const named = new Error('steps below the checkpoint');
  named.name = 'RunRequestError';
  assert.equal(
    reportError(named, 'train', (t) => out.push(t)),
    2,
  );
  assert.equal(
    reportError('a string', undefined, (t) => out.push(t)),
    1,
  );
  assert.deepEqual(out, [
    'rfm train: bad flag\nusage: ...\n',
    'rfm train: disk full\n',
    'rfm train: steps below the checkpoint\n',
    'rfm: a string\n',
  ]);
});

test('train: bad requests are one line with exit code 2 and write nothing', async () => {
  const out = tmp();
  const notRun = join(out, 'not-a-run');
  mkdirSync(notRun);
  let r = await rfm('train', '--resume', notRun, '--quiet');
  assert.equal(r.code, 2);
  assert.match(oneLine(r.err), /^rfm train: .*not-a-run is not a run folder \(no run\.json\)$/);
  r = await rfm('train', '--resume', join(out, 'missing'), '--quiet');
  assert.equal(r.code, 2);
  assert.match(oneLine(r.err), /no such run folder/);

  r = await rfm(
    'train',
    '--algo',
    'sac',
    '--env',
    'Pendulum-v1',
    ...TINY,
    '--out',
    out,
    '--name',
    'r',
  );
  assert.equal(r.code, 0, r.err);
  const dir = join(out, 'r');
  const before = Object.fromEntries(
    ['config.json', 'run.json', 'metrics.jsonl', 'metrics.csv'].map((f) => [
      f,
      readFileSync(join(dir, f), 'utf8'),
    ]),
  );
  const ckpts = readdirSync(join(dir, 'checkpoints')).sort();

  for (const [args, want] of [
    [['--resume', dir, '--steps', '0'], /steps must be a positive integer, got 0/],
    [
      ['--resume', dir, '--steps', '5'],
      /--steps 5 is below the step of the checkpoint to continue from \(30, ckpt-000000030\.json\)/,
    ],
    [['--resume', dir, '--steps', '60', '--from', '7'], /no checkpoint at step 7/],
    [['--resume', dir, '--steps', '60', '--set', 'sac.nope=1'], /sac\.nope/],
    [['--resume', dir, '--algo', 'td3'], /only --steps, --from and --set may be given/],
    [
      ['--algo', 'sac', '--env', 'Pendulum-v1', ...TINY, '--out', out, '--name', 'r'],
      /run folder .*r already exists/,
    ],
  ] as const) {
    r = await rfm('train', ...args, '--quiet');
    const line = oneLine(r.err);
    assert.ok(want.test(line), `${args.join(' ')}: ${line}`);
    assert.ok(
      r.code === 2 || (r.code === 1 && /no checkpoint at step/.test(line)),
      `${args.join(' ')}: exit ${r.code}`,
    );
  }
  for (const [f, text] of Object.entries(before))
    assert.equal(readFileSync(join(dir, f), 'utf8'), text, `${f} untouched`);
  assert.deepEqual(readdirSync(join(dir, 'checkpoints')).sort(), ckpts, 'checkpoints untouched');
});

test('train: runtime failures are one line with exit code 1; no half-made run folder is left', async () => {
  const out = tmp();
  const file = join(out, 'a-file');
  writeFileSync(file, 'x');
  let r = await rfm(
    'train',
    '--algo',
    'sac',
    '--env',
    'Pendulum-v1',
    ...TINY,
    '--out',
    join(file, 'runs'),
  );
  assert.equal(r.code, 1);
  assert.match(oneLine(r.err), /^rfm train: cannot create folder .*a-file is not a folder$/);

  const t0 = performance.now();
  r = await rfm('train', '--algo', 'sac', '--env', 'Pendulum-v1', ...TINY, '--out', '/proc/x');
  assert.equal(r.code, 1);
  assert.match(oneLine(r.err), /^rfm train: cannot write in \/proc/);
  assert.ok(performance.now() - t0 < 5000, '--out /proc/x answers at once');
  assert.ok(!existsSync('/proc/x'));

  r = await rfm(
    'train',
    '--algo',
    'sac',
    '--env',
    'Pendulum-v1',
    ...TINY,
    '--set',
    'train.bufferSize=1000000000000',
    '--out',
    out,
    '--name',
    'big',
  );
  assert.equal(r.code, 1);
  assert.match(
    oneLine(r.err),
    /^rfm train: train\.bufferSize 1000000000000: cannot allocate the replay buffer/,
  );
  assert.ok(!existsSync(join(out, 'big')), 'no run folder made');
});

test('eval: a run with a bad config.json or no run at all is one line', async () => {
  const out = tmp();
  let r = await rfm(
    'train',
    '--algo',
    'sac',
    '--env',
    'Pendulum-v1',
    ...TINY,
    '--out',
    out,
    '--name',
    'r',
  );
  assert.equal(r.code, 0, r.err);
  writeFileSync(join(out, 'r', 'config.json'), '{"train": {"steps": "many"}}');
  r = await rfm('eval', join(out, 'r'), '--episodes', '1');
  assert.notEqual(r.code, 0);
  assert.match(oneLine(r.err), /^rfm eval: .*train\.steps/);
  r = await rfm('eval', join(out, 'nothing'));
  assert.equal(r.code, 1);
  assert.match(oneLine(r.err), /^rfm eval: .*nothing does not exist$/);
});

test('output paths are checked before any work: eval --record/--samples, plot --out, estimators/sample-energy --out', async () => {
  const out = tmp();
  const file = join(out, 'a-file');
  writeFileSync(file, 'x');
  for (const [args, want] of [
    [
      ['eval', join(out, 'whatever'), '--record', join(file, 'sub', 'x.rollout.json')],
      /^rfm eval: --record .*: cannot create folder .*a-file is not a folder$/,
    ],
    [
      ['eval', join(out, 'whatever'), '--samples', out],
      /^rfm eval: --samples .* is a folder, not a file$/,
    ],
    [
      ['plot', join(out, 'whatever'), '--out', '/proc/x/p.svg'],
      /^rfm plot: --out \/proc\/x\/p\.svg: cannot write in \/proc/,
    ],
    [
      ['sample-energy', '--energy', 'ring8', '--estimator', 'cv', '--out', '/proc/x'],
      /^rfm sample-energy: --out \/proc\/x: cannot write in \/proc/,
    ],
    [
      ['estimators', '--out', join(file, 'charts')],
      /^rfm estimators: --out .*: cannot create folder .*a-file is not a folder$/,
    ],
  ] as const) {
    const t0 = performance.now();
    const r = await rfm(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(oneLine(r.err), want);
    assert.ok(performance.now() - t0 < 3000, `${args[0]} answered before doing any work`);
  }
});

test('the stack is printed only with RFM_DEBUG=1 (a separate process)', () => {
  const dir = tmp();
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['bin/rfm.mjs', 'train', '--resume', dir, '--quiet'], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
  const plain = run({ RFM_DEBUG: '' });
  assert.equal(plain.status, 2);
  assert.equal(plain.stderr.trim().split('\n').length, 1, plain.stderr);
  const debug = run({ RFM_DEBUG: '1' });
  assert.equal(debug.status, 2);
  assert.match(debug.stderr, /^rfm train: .*is not a run folder.*\n.*RunRequestError.*\n\s+at /);
});

test(
  'sweep report --out a folder that cannot be made (under /proc): one line, no endless mkdir',
  { skip: !existsSync('/proc/self') && 'no /proc' },
  async () => {
    const sweep = tmp();
    const run = join(sweep, 'r0');
    mkdirSync(run);
    writeFileSync(
      join(run, 'config.json'),
      JSON.stringify({ algo: 'sac', envId: 'Pendulum-v1', seed: 0 }),
    );
    writeFileSync(
      join(run, 'metrics.jsonl'),
      `${JSON.stringify({ step: 100, 'eval/return': -5 })}\n`,
    );
    const r = await rfm('sweep', 'report', sweep, '--out', '/proc/rfm-report-test/x');
    assert.equal(r.code, 1);
    assert.match(oneLine(r.err), /^rfm sweep: cannot create folder \/proc\/rfm-report-test/);
  },
);
