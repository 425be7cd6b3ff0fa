import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.ts';

/** Runs `rfm ...args` in-process; returns the exit code and what was printed. */
async function rfm(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await main(args), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('rfm bench envs --json: one JSON object on the last line with steps/s per env', async () => {
  const r = await rfm(
    'bench',
    'envs',
    '--json',
    '--seconds',
    '0.06',
    '--env',
    'Pendulum-v1',
    '--env',
    'MultimodalBandit-v0',
  );
  assert.equal(r.code, 0, r.err.join('\n'));
  const last = JSON.parse(r.out[r.out.length - 1]);
  assert.deepEqual(Object.keys(last.envs), ['Pendulum-v1', 'MultimodalBandit-v0']);
  assert.ok(last.envs['Pendulum-v1'].stepsPerSec > 0);
  assert.equal(last.envs['Pendulum-v1'].family, 'classic');
});

test('rfm bench: unknown env and unknown benchmark are usage errors', async () => {
  const bad = await rfm('bench', 'envs', '--env', 'Pendulum-v0');
  assert.equal(bad.code, 2);
  assert.match(
    bad.err.join('\n'),
    /unknown environment 'Pendulum-v0'; known ids, nearest first: Pendulum-v1/,
  );
  const unknown = await rfm('bench', 'nope');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err.join('\n'), /unknown benchmark 'nope'/);
});

test('rfm envs list --json lists every registered env with its sizes', async () => {
  const r = await rfm('envs', 'list', '--json');
  const { envs } = JSON.parse(r.out[r.out.length - 1]);
  const p = envs.find((e: { id: string }) => e.id === 'Pendulum-v1');
  assert.deepEqual(p, {
    id: 'Pendulum-v1',
    family: 'classic',
    obsDim: 3,
    actionDim: 1,
    maxEpisodeSteps: 200,
    summary: p.summary,
  });
  const b = envs.find((e: { id: string }) => e.id === 'MultimodalBandit-v0');
  assert.equal(b.maxEpisodeSteps, null);
  assert.equal(b.actionDim, 2);
  assert.equal(r.code, envs.some((e: { error?: string }) => e.error) ? 1 : 0);
});
