/** src/train/files.ts: atomic writes, stale temp removal, loop-free folder creation, the guard's scan. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkCreatableDir,
  makeDirs,
  removeStaleTemps,
  writeFileAtomic,
} from '../../src/train/files.ts';
import { checkAgentTensors, isOptimiserMoment } from '../../src/train/guard.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'rfm-files-'));

test('writeFileAtomic replaces the file whole and leaves no temp file', () => {
  const d = tmp();
  const f = join(d, 'config.json');
  writeFileSync(f, 'old');
  writeFileAtomic(f, 'new contents');
  assert.equal(readFileSync(f, 'utf8'), 'new contents');
  assert.deepEqual(readdirSync(d), ['config.json']);
});

test('removeStaleTemps deletes temp files of dead processes only', () => {
  const d = tmp();
  // a process id that has exited: a finished child's
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  }).stdout;
  writeFileSync(join(d, `ckpt-000000010.json.tmp-${dead}`), 'partial');
  writeFileSync(join(d, `metrics.csv.tmp-${process.ppid}`), 'a live writer'); // our parent is alive
  writeFileSync(join(d, 'ckpt-000000010.json'), '{}');
  assert.deepEqual(removeStaleTemps(d), [`ckpt-000000010.json.tmp-${dead}`]);
  assert.deepEqual(readdirSync(d).sort(), [
    'ckpt-000000010.json',
    `metrics.csv.tmp-${process.ppid}`,
  ]);
  assert.deepEqual(removeStaleTemps(join(d, 'missing')), []);
});

test('makeDirs creates missing levels and names the one that refuses; checkCreatableDir writes nothing', () => {
  const d = tmp();
  makeDirs(join(d, 'a', 'b', 'c'));
  assert.ok(existsSync(join(d, 'a', 'b', 'c')));
  makeDirs(join(d, 'a')); // existing: fine
  writeFileSync(join(d, 'file'), 'x');
  assert.throws(
    () => makeDirs(join(d, 'file', 'sub')),
    /cannot create folder .*file\/sub: .*file is not a folder/,
  );
  assert.throws(() => makeDirs('/proc/rfm-x/y'), /cannot create folder \/proc\/rfm-x \(ENOENT\)/);
  assert.throws(() => checkCreatableDir('/proc/rfm-x/y'), /cannot write in \/proc \(ENOENT\)/);
  checkCreatableDir(join(d, 'new', 'deeper'));
  assert.deepEqual(readdirSync(d).sort(), ['a', 'file'], 'the check made nothing');
});

test('the guard: non-finite parameters and moments, parameters above the threshold; moments only for finiteness', () => {
  const t = (...v: number[]) => ({ data: Float32Array.from(v), shape: [v.length] });
  assert.ok(
    isOptimiserMoment('optim.critic.nu.3') &&
      isOptimiserMoment('optim.actor.mu.0') &&
      !isOptimiserMoment('critic.q1.0.weight'),
  );
  assert.equal(
    checkAgentTensors(
      new Map([
        ['actor.w', t(1, -2)],
        ['optim.actor.nu.0', t(1e30)],
      ]),
      10,
    ),
    null,
  );
  assert.deepEqual(checkAgentTensors(new Map([['actor.w', t(1, -20)]]), 10), {
    quantity: 'parameter actor.w',
    value: 20,
    reason: 'reached |x| = 2.00e+1 > train.divergenceThreshold (1e+1)',
  });
  assert.equal(checkAgentTensors(new Map([['optim.actor.mu.0', t(0, NaN)]]), 10)!.reason, 'is NaN');
  assert.equal(
    checkAgentTensors(
      new Map([
        ['b', t(1)],
        ['a', t(-Infinity)],
      ]),
      Infinity,
    )!.quantity,
    'parameter a',
  );
});
