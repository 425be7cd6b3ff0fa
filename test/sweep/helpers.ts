/** Helpers of the sweep tests: tiny grids, the `rfm` CLI as a child process, run folders, a private Redis. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RFM_BIN } from '../../src/sweep/runner.ts';
import { LOCK_FILE } from '../../src/sweep/lock.ts';

/**
 * A grid of 4 tiny SAC runs on Pendulum-v1 (2 seeds x 2 values of sac.tau), with a checkpoint every
 * 100 steps so that a run stopped anywhere resumes from a recent one.
 */
export function tinyGrid(name: string, steps = 400): string {
  return `name: ${name}
algos: [sac]
envs: [Pendulum-v1]
seeds: 2
presets: [small]
steps: ${steps}
set:
  train.randomSteps: 100
  train.evalEvery: 200
  train.evalEpisodes: 1
  train.logEvery: 50
  train.checkpointEvery: 100
  sac.tau: [0.005, 0.01]
`;
}

/**
 * Two short runs named 'failing': one whose absurd critic learning rate makes the losses infinite
 * (rfm train stops with an error every time it is tried), and a healthy one.
 */
export const FAILING_GRID = `name: failing
runs:
  - { algo: sac, env: Pendulum-v1, seed: 0, preset: small, steps: 150, set: { train.randomSteps: 50, sac.criticLr: 1.0e+30 } }
  - { algo: sac, env: Pendulum-v1, seed: 0, preset: small, steps: 150, set: { train.randomSteps: 50 } }
`;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `rfm-${prefix}-`));
}

export function writeFile(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `rfm ARGS` in `cwd`; `done` resolves with its exit and output. */
export function startCli(
  args: string[],
  cwd: string,
): { child: ChildProcess; done: Promise<CliResult>; output(): string } {
  const child = spawn(process.execPath, [RFM_BIN, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((res) =>
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child, done, output: () => stdout + stderr };
}

export function runCli(args: string[], cwd: string): Promise<CliResult> {
  return startCli(args, cwd).done;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` every 50 ms until it returns a truthy value; fails after `ms`. */
export async function waitFor<T>(
  f: () => T | Promise<T>,
  ms: number,
  what: string,
): Promise<NonNullable<T>> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The run folders of a sweep folder. */
export function runDirs(sweepDir: string): string[] {
  if (!existsSync(sweepDir)) return [];
  return readdirSync(sweepDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(sweepDir, e.name))
    .sort();
}

export function metricRows(runDir: string): Record<string, number>[] {
  const p = join(runDir, 'metrics.jsonl');
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, number>);
}

/** Rows without wall-clock entries (time/*): what must match between a resumed run and a straight one. */
export function noTime(rows: Record<string, number>[]): Record<string, number>[] {
  return rows.map((r) =>
    Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('time/'))),
  );
}

/** SHA-256 of the newest checkpoint's tensor file (agent, optimiser, replay buffer, episode). */
export function finalTensorsHash(runDir: string): string {
  const dir = join(runDir, 'checkpoints');
  const last = readdirSync(dir)
    .filter((f) => /^ckpt-\d+\.safetensors$/.test(f))
    .sort()
    .pop();
  if (!last) throw new Error(`no checkpoint in ${dir}`);
  return createHash('sha256')
    .update(readFileSync(join(dir, last)))
    .digest('hex');
}

/** Whether every process recorded in a run's lock file has exited (or there is no lock). */
export function lockHoldersGone(runDir: string): boolean {
  const p = join(runDir, LOCK_FILE);
  if (!existsSync(p)) return true;
  let pids: number[];
  try {
    pids = (JSON.parse(readFileSync(p, 'utf8')) as { pids: number[] }).pids;
  } catch {
    return false;
  }
  return pids.every((pid) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
}

/** How many times the run's `rfm train` was started from step 0 and resumed (from sweep.log). */
export function trainStarts(runDir: string): { fresh: number; resumed: number } {
  const p = join(runDir, 'sweep.log');
  const text = existsSync(p) ? readFileSync(p, 'utf8') : '';
  return {
    fresh: (text.match(/^--- .* rfm train --algo/gm) ?? []).length,
    resumed: (text.match(/^--- .* rfm train --resume/gm) ?? []).length,
  };
}

/** Metric steps strictly increase, and the run ends at `steps`. */
export function stepsOk(runDir: string, steps: number): boolean {
  const s = metricRows(runDir).map((r) => r.step);
  return s.length > 0 && s.every((x, i) => i === 0 || x > s[i - 1]) && s[s.length - 1] === steps;
}

export function hasRedis(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** A redis-server of our own on a free loopback port, its data (append-only file) in a temporary folder. */
export class TestRedis {
  private proc: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), tempDir('redis'));
    await r.up();
    return r;
  }

  private async up(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      resolve(this.dir),
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--protected-mode',
      'yes',
    ];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let log = '';
    proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    await waitFor(
      () => log.includes('Ready to accept connections') || proc.exitCode !== null,
      10_000,
      'redis-server to start',
    );
    if (proc.exitCode !== null) throw new Error(`redis-server exited: ${log.slice(-500)}`);
  }

  /** Stops the server (it writes its data first) and waits for it to exit. */
  async down(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.on('exit', r));
    p.kill('SIGTERM');
    await exited;
    this.proc = null;
  }

  async restart(): Promise<void> {
    await this.down();
    await this.up();
  }

  async stop(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
