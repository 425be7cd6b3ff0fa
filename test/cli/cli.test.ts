import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { COMMANDS } from '../../src/cli/table.ts';
import { DEFAULTS } from '../../src/config/index.ts';

/** Runs `rfm ...args` in-process; returns the exit code and what was printed. */
async function rfm(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await main(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('the command table names a module for every command and every module has a row', async () => {
  const modules = readdirSync('src/cli/commands')
    .filter((f) => f.endsWith('.ts') && !f.startsWith('bench-'))
    .map((f) => f.slice(0, -3));
  assert.deepEqual(
    Object.values(COMMANDS)
      .map((c) => c.module)
      .sort(),
    modules.sort(),
  );
  for (const c of Object.values(COMMANDS)) {
    const mod = (await import(`../../src/cli/commands/${c.module}.ts`)) as {
      command: { run: unknown };
    };
    assert.equal(typeof mod.command.run, 'function', c.module);
  }
});

test('rfm help lists every command from the table; COMMAND --help prints its usage', async () => {
  const h = await rfm('help');
  assert.equal(h.code, 0);
  for (const [name, c] of Object.entries(COMMANDS))
    assert.ok(h.out.includes(`${name.padEnd(15)} ${c.summary}`), name);
  const t = await rfm('train', '--help');
  assert.equal(t.code, 0);
  assert.match(t.out, /^usage: rfm train --algo A --env ID/);
  assert.match(t.out, /--seeds/);
  const bad = await rfm('nope');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown or unavailable command 'nope'/);
});

test('rfm --version prints the version of package.json', async () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await rfm(flag);
    assert.deepEqual([r.code, r.out], [0, version]);
  }
});

test('rfm config show: every key with its value and default, marked where they differ; errors are usage errors', async () => {
  const r = await rfm(
    'config',
    'show',
    '--algo',
    'rfm',
    '--env',
    'MultimodalBandit-v0',
    '--preset',
    'small',
    '--set',
    'rfm.temperature=0.05',
  );
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  const keys = Object.entries(DEFAULTS).flatMap(([s, v]) => Object.keys(v).map((k) => `${s}.${k}`));
  assert.equal(lines.length, 2 + keys.length);
  assert.match(r.out, /^\* train\.steps +2000 +250000$/m);
  assert.match(r.out, /^\* rfm\.temperature +0\.05 +0\.02$/m);
  assert.match(r.out, /^\* rfm\.particles +128 +32$/m); // the bandit's task requirement
  const j = await rfm('config', 'show', '--algo', 'sac', '--env', 'Pendulum-v1', '--json');
  const parsed = JSON.parse(j.out) as {
    config: Record<string, unknown>;
    defaults: Record<string, unknown>;
  };
  assert.equal(parsed.config['train.steps'], 20_000);
  assert.equal(parsed.defaults['train.steps'], 250_000);
  assert.equal((await rfm('config', 'show', '--algo', 'nope')).code, 2);
  const badEnv = await rfm('config', 'show', '--algo', 'sac', '--env', 'Pendulum-v0');
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.err, /Pendulum-v1/);
  assert.match(
    (await rfm('config', 'show', '--algo', 'sac', '--set', 'train.stepz=3')).err,
    /train\.stepz/,
  );
});

test('rfm train --seeds 0,1 runs the seeds one after another, one run folder each', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rfm-seeds-'));
  const r = await rfm(
    'train',
    '--algo',
    'td3',
    '--env',
    'MultimodalBandit-v0',
    '--steps',
    '30',
    '--set',
    'train.randomSteps=10',
    '--set',
    'train.batchSize=8',
    '--seeds',
    '0,1',
    '--out',
    out,
    '--name',
    'b',
    '--quiet',
  );
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readdirSync(out).sort(), ['b-s0', 'b-s1']);
  for (const s of [0, 1])
    assert.equal(JSON.parse(readFileSync(join(out, `b-s${s}`, 'run.json'), 'utf8')).seed, s);
  assert.equal((r.out.match(/final eval return/g) ?? []).length, 2);
  assert.match(
    (await rfm('train', '--algo', 'td3', '--env', 'MultimodalBandit-v0', '--seeds', '0,x')).err,
    /--seeds/,
  );
  assert.match(
    (await rfm('train', '--algo', 'td3', '--env', 'MultimodalBandit-v0', '--seeds', '1,1')).err,
    /repeats/,
  );
  assert.match(
    (
      await rfm(
        'train',
        '--algo',
        'td3',
        '--env',
        'MultimodalBandit-v0',
        '--seeds',
        '1',
        '--seed',
        '2',
      )
    ).err,
    /not both/,
  );
});

test('bin/rfm.mjs runs the compiled package: help and --version without the sources', () => {
  assert.ok(existsSync('dist/cli/main.js'), 'dist/ is built (npm test builds it first)');
  const h = spawnSync(process.execPath, ['bin/rfm.mjs', 'help'], { encoding: 'utf8' });
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stdout, /commands:/);
  const v = spawnSync(process.execPath, ['bin/rfm.mjs', '--version'], { encoding: 'utf8' });
  assert.equal(v.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
});
