/**
 * Fault injection: a child process trains or resumes a tiny run and is killed with SIGKILL
 * (RFM_FAULT, src/train/files.ts) between a write and its rename, or just after the rename, at
 * each file the loop writes; then the run is resumed and must equal a straight run exactly:
 * nothing lost, no temporary file left. Also: a corrupted newest checkpoint falls back to the
 * previous one, and damaged metrics are recovered from metrics.csv or refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listCheckpoints, resumeTraining, train, type Row } from '../../src/train/index.ts';
import { faultConfig } from './fault-config.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'rfm-fault-'));
const noTime = (rows: Row[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('time/'))));
const fileRows = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row);
const steps = (dir: string) =>
  listCheckpoints(join(dir, 'checkpoints')).map((p) => Number(/ckpt-(\d+)/.exec(p)![1]));
const temps = (dir: string) =>
  [dir, join(dir, 'checkpoints')]
    .flatMap((d) => (existsSync(d) ? readdirSync(d) : []))
    .filter((f) => f.includes('.tmp-'));

/** Runs the child; with `fault`, it must die by SIGKILL at that point. */
function child(args: string[], fault?: string): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/train/fault-child.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, RFM_FAULT: fault ?? '' },
  });
  if (fault)
    assert.equal(
      r.signal,
      'SIGKILL',
      `killed at ${fault} (status ${r.status}, stderr ${r.stderr})`,
    );
  else assert.equal(r.status, 0, r.stderr);
}

const straight = train('Pendulum-v1', faultConfig(60), { algo: 'sac', seed: 4 });

/** Resumes to 60 steps in this process; the run must equal the straight one, on disk too, with no temp files left. */
async function finishAndCompare(dir: string): Promise<void> {
  const r = await resumeTraining(dir, { steps: 60, warn: () => {} });
  const want = noTime((await straight).rows);
  assert.deepEqual(noTime(r.rows), want);
  assert.deepEqual(noTime(fileRows(dir)), want, 'metrics.jsonl');
  const csv = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, want.length + 1, 'metrics.csv rows');
  assert.deepEqual(temps(dir), [], 'temporary files were removed');
}

for (const [fault, newest] of [
  ['before-rename:ckpt-000000040.safetensors', 20],
  ['before-rename:ckpt-000000040.json', 20],
  ['after-rename:ckpt-000000040.json', 40],
  ['before-rename:metrics.csv', 20],
] as const) {
  test(`kill -9 while training at ${fault}: the newest checkpoint is step ${newest}; resuming loses nothing`, async () => {
    const out = tmp();
    const dir = join(out, 'r');
    child(['train', out, 'r', '60'], fault);
    assert.equal(Math.max(...steps(dir)), newest);
    if (fault.startsWith('before-rename'))
      assert.equal(temps(dir).length, 1, 'the kill left a temporary file');
    await finishAndCompare(dir);
  });
}

test('kill -9 at run.json of a new run: nothing half-made is left to resume, and the name can be used again', async () => {
  const out = tmp();
  child(['train', out, 'r', '60'], 'before-rename:run.json');
  await assert.rejects(resumeTraining(join(out, 'r')), /is not a run folder \(no run\.json\)/);
  const r = await train('Pendulum-v1', faultConfig(60), {
    algo: 'sac',
    seed: 4,
    outDir: out,
    runName: 'r',
  });
  assert.deepEqual(noTime(r.rows), noTime((await straight).rows));
  assert.deepEqual(temps(join(out, 'r')), []);
});

for (const fault of [
  'before-rename:metrics.jsonl',
  'after-rename:metrics.jsonl',
  'before-rename:config.json',
  'after-rename:config.json',
]) {
  test(`kill -9 while resuming at ${fault}: the next resume loses nothing`, async () => {
    const out = tmp();
    const dir = join(out, 'r');
    await train('Pendulum-v1', faultConfig(40), {
      algo: 'sac',
      seed: 4,
      outDir: out,
      runName: 'r',
    });
    const rowsBefore = fileRows(dir).length;
    child(['resume', dir, '60'], fault);
    assert.ok(fileRows(dir).length >= rowsBefore - 1, 'metrics.jsonl was not emptied');
    JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')); // config.json is whole
    await finishAndCompare(dir);
  });
}

test('a corrupted newest checkpoint: resume falls back to the previous one, saying which it skipped and why', async () => {
  const out = tmp();
  const dir = join(out, 'r');
  await train('Pendulum-v1', faultConfig(60), { algo: 'sac', seed: 4, outDir: out, runName: 'r' });
  assert.deepEqual(steps(dir), [40, 60]);
  const t = join(dir, 'checkpoints', 'ckpt-000000060.safetensors');
  const bytes = readFileSync(t);
  bytes[bytes.length - 5] ^= 0x40;
  writeFileSync(t, bytes);
  const notes: string[] = [];
  const r = await resumeTraining(dir, { warn: (l) => notes.push(l) });
  assert.match(
    notes[0],
    /^skipping checkpoint ckpt-000000060\.json: checkpoint .*ckpt-000000060\.safetensors is corrupted/,
  );
  assert.equal(r.steps, 60);
  assert.deepEqual(
    noTime(r.rows),
    noTime((await straight).rows),
    'continued from step 40 to the same result',
  );
});

test('metrics.jsonl emptied behind the loop: resume restores the rows from metrics.csv; both gone: an error, nothing written', async () => {
  const out = tmp();
  const dir = join(out, 'r');
  await train('Pendulum-v1', faultConfig(40), { algo: 'sac', seed: 4, outDir: out, runName: 'r' });
  writeFileSync(join(dir, 'metrics.jsonl'), '');
  await finishAndCompare(dir);

  const out2 = tmp();
  const dir2 = join(out2, 'r');
  await train('Pendulum-v1', faultConfig(40), { algo: 'sac', seed: 4, outDir: out2, runName: 'r' });
  writeFileSync(join(dir2, 'metrics.jsonl'), '');
  writeFileSync(join(dir2, 'metrics.csv'), '');
  const config = readFileSync(join(dir2, 'config.json'), 'utf8');
  await assert.rejects(
    resumeTraining(dir2, { steps: 60 }),
    /metrics\.jsonl holds 0 rows and metrics\.csv 0, but the checkpoint at step 40 was written after \d+; refusing/,
  );
  assert.equal(
    readFileSync(join(dir2, 'config.json'), 'utf8'),
    config,
    'config.json untouched by the failed resume',
  );
  assert.equal(readFileSync(join(dir2, 'metrics.jsonl'), 'utf8'), '');
});
