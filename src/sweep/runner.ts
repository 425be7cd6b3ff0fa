/**
 * Running one run of a sweep, the same way for the local pool and for queue workers: an
 * `rfm train` child process (never anything else) in `<sweepDir>/<run id>/`.
 *
 * Run folder, besides what `rfm train` writes there:
 *   sweep-run.json     the run's spec (sweep, id, algorithm, task, seed, grid label, full config)
 *   sweep-config.json  the config given to `rfm train --config` (every field, so the run's config
 *                      is exactly the spec's whatever the machine's defaults)
 *   sweep.log          the child's stdout and stderr (it writes there itself), appended over attempts
 *   .sweep-lock        while a process trains it (./lock.ts)
 *   done.json          once `rfm train` finished it (steps, final evaluation return, wall time)
 *
 * A run with done.json is skipped; one with a committed checkpoint is continued with
 * `rfm train --resume` (exact); one with neither starts over.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listCheckpoints, writeFileAtomic } from '../train/checkpoint.ts';
import { makeDirs } from '../train/files.ts';
import { toPayload, type RunSpec } from './grid.ts';
import { RunLock } from './lock.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The `rfm` entry point the children run. */
export const RFM_BIN = resolve(here, '../../bin/rfm.mjs');
const PARENT_WATCH = resolve(here, 'parent-watch.mjs');

export const DONE_FILE = 'done.json';

export interface RunProgress {
  readonly id: string;
  readonly step: number;
  readonly total: number;
  /** The latest evaluation return and its step (null before the first). */
  readonly evalReturn: number | null;
  readonly evalStep: number | null;
}

export interface DoneInfo {
  readonly id: string;
  readonly steps: number;
  readonly finalReturn: number | null;
  readonly seconds: number;
  readonly finished: string;
}

export type RunOutcome =
  | { readonly state: 'done'; readonly skipped: boolean; readonly info: DoneInfo }
  /** Another live process holds the run's lock. */
  | { readonly state: 'busy' }
  /** Stopped on request (stop() or a signal); a checkpoint was written, the run is resumable. */
  | { readonly state: 'stopped'; readonly step: number }
  /** `permanent`: retrying cannot help (the child refused its arguments). */
  | {
      readonly state: 'failed';
      readonly error: string;
      readonly permanent: boolean;
      readonly step: number;
    };

export interface RunOptions {
  /** Called when the run's metrics advance (polled every `pollMs`). */
  onProgress?(p: RunProgress): void;
  /** Called once the child is started: from step 0, or resuming from a checkpoint's step. */
  onStart?(resumeStep: number): void;
  /** Extra environment for the child. */
  env?: Record<string, string>;
  pollMs?: number;
  /** After how long another host's untouched lock counts as abandoned. */
  lockStaleMs?: number;
}

export interface RunHandle {
  readonly promise: Promise<RunOutcome>;
  /** Asks the child to stop as on Ctrl-C (checkpoint, exit); the promise then gives 'stopped'. */
  stop(): void;
}

/** The folder of run `id` under `sweepDir`; refuses anything that would leave it. */
export function runDirOf(sweepDir: string, id: string): string {
  const root = resolve(sweepDir);
  const dir = resolve(root, id);
  const rel = relative(root, dir);
  if (
    rel === '' ||
    rel.startsWith('..') ||
    isAbsolute(rel) ||
    rel.includes('/') ||
    rel.includes('\\')
  ) {
    throw new Error(`run id '${id}' would leave the output folder ${root}`);
  }
  return dir;
}

export function readDone(runDir: string): DoneInfo | null {
  try {
    return JSON.parse(readFileSync(join(runDir, DONE_FILE), 'utf8')) as DoneInfo;
  } catch {
    return null;
  }
}

/** Reads complete lines appended to a file since the last call. */
class Tail {
  private offset = 0;
  private rest = '';
  constructor(private readonly path: string) {}
  lines(): string[] {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return [];
    }
    if (size < this.offset) {
      // rewritten shorter (a resume drops the rows after its checkpoint): read it again
      this.offset = 0;
      this.rest = '';
    }
    if (size === this.offset) return [];
    const fd = openSync(this.path, 'r');
    const buf = Buffer.alloc(size - this.offset);
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const text = this.rest + buf.toString('utf8');
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    return parts.filter((l) => l.trim() !== '');
  }
}

/** Up to the last `max` bytes of a file from byte `start` on. */
function readFrom(path: string, start: number, max: number): string {
  try {
    const size = statSync(path).size;
    const from = Math.max(start, size - max);
    const buf = Buffer.alloc(Math.max(0, size - from));
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, from);
    } finally {
      closeSync(fd);
    }
    return buf.toString('utf8');
  } catch {
    return '';
  }
}

/** The most telling line of a failed child's stderr: its error line, else its last line. */
function errorLine(stderr: string, code: number | null, signal: string | null): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const hit =
    lines.find((l) => /^rfm [\w-]+: /.test(l)) ??
    lines.find((l) => /^[A-Z]\w*(Error|Exception)\b.*:/.test(l));
  const why = signal ? `killed by ${signal}` : `exit code ${code}`;
  const line = hit ?? lines[lines.length - 1];
  return line ? `${line} (${why})` : why;
}

/** Files `rfm train` writes into a run folder: removed before a run with no checkpoint starts over. */
const TRAIN_FILES = ['run.json', 'config.json', 'metrics.jsonl', 'metrics.csv', 'checkpoints'];

/** Starts (or continues, or skips) one run. */
export function startRun(spec: RunSpec, sweepDir: string, o: RunOptions = {}): RunHandle {
  let child: ReturnType<typeof spawn> | null = null;
  let stopRequested = false;
  const stop = () => {
    stopRequested = true;
    if (child && child.exitCode === null) child.kill('SIGINT');
  };
  const promise = (async (): Promise<RunOutcome> => {
    const dir = runDirOf(sweepDir, spec.id);
    const done = readDone(dir);
    if (done) return { state: 'done', skipped: true, info: done };
    makeDirs(dir);
    const lock = RunLock.acquire(dir, o.lockStaleMs);
    if (!lock) return { state: 'busy' };
    try {
      return await runLocked(dir, lock);
    } finally {
      lock.release();
    }

    async function runLocked(runDir: string, lock: RunLock): Promise<RunOutcome> {
      const again = readDone(runDir); // finished by the previous holder just before we locked
      if (again) return { state: 'done', skipped: true, info: again };
      const payload = toPayload(spec);
      writeFileAtomic(join(runDir, 'sweep-run.json'), JSON.stringify(payload, null, 1) + '\n');
      const configPath = join(runDir, 'sweep-config.json');
      writeFileAtomic(configPath, JSON.stringify(payload.config, null, 1) + '\n');
      const ckpts = listCheckpoints(join(runDir, 'checkpoints'));
      let resumeStep = 0;
      let args: string[];
      if (existsSync(join(runDir, 'run.json')) && ckpts.length > 0) {
        resumeStep = Number(/ckpt-(\d+)\.json$/.exec(ckpts[ckpts.length - 1])?.[1] ?? 0);
        args = ['train', '--resume', runDir, '--quiet'];
      } else {
        for (const f of TRAIN_FILES) rmSync(join(runDir, f), { recursive: true, force: true });
        args = [
          'train',
          '--algo',
          spec.algo,
          '--env',
          spec.envId,
          '--seed',
          String(spec.seed),
          '--config',
          configPath,
          '--out',
          dirname(runDir),
          '--name',
          spec.id,
          '--quiet',
        ];
      }
      if (stopRequested) return { state: 'stopped', step: resumeStep };
      const t0 = performance.now();
      const total = spec.config.train.steps;
      const log = join(runDir, 'sweep.log');
      appendFileSync(log, `--- ${new Date().toISOString()} rfm ${args.join(' ')}\n`);
      const logStart = statSync(log).size;
      // The child writes straight into the log file (not through a pipe of ours), so that what it
      // says after this process is gone (an orphan stopping itself) is kept too.
      const logFd = openSync(log, 'a');
      try {
        child = spawn(process.execPath, ['--import', PARENT_WATCH, RFM_BIN, ...args], {
          stdio: ['ignore', logFd, logFd],
          env: { ...process.env, ...o.env },
        });
      } finally {
        closeSync(logFd);
      }
      // the lock now lives as long as either this process or its child does
      if (child.pid !== undefined) lock.addPid(child.pid);
      let spawnError = '';
      o.onStart?.(resumeStep);
      let step = resumeStep;
      let evalReturn: number | null = null;
      let evalStep: number | null = null;
      const tail = new Tail(join(runDir, 'metrics.jsonl'));
      const poll = () => {
        let changed = false;
        for (const line of tail.lines()) {
          let row: Record<string, unknown>;
          try {
            row = JSON.parse(line) as Record<string, unknown>;
          } catch {
            continue;
          }
          if (typeof row.step === 'number') {
            step = row.step;
            changed = true;
          }
          if (typeof row['eval/return'] === 'number') {
            evalReturn = row['eval/return'];
            evalStep = step;
          }
        }
        if (changed) o.onProgress?.({ id: spec.id, step, total, evalReturn, evalStep });
      };
      const timer = setInterval(poll, o.pollMs ?? 500);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => {
        child!.on('error', (e) => {
          spawnError = `Error: cannot start rfm train: ${e.message}`;
        });
        child!.on('close', (c, s) => res([c, s]));
      });
      clearInterval(timer);
      poll();
      if (code === 0) {
        const info: DoneInfo = {
          id: spec.id,
          steps: step,
          finalReturn: evalReturn,
          seconds: (performance.now() - t0) / 1000,
          finished: new Date().toISOString(),
        };
        writeFileAtomic(join(runDir, DONE_FILE), JSON.stringify(info, null, 1) + '\n');
        return { state: 'done', skipped: false, info };
      }
      if (code === 130 || (stopRequested && (signal === 'SIGINT' || signal === 'SIGTERM')))
        return { state: 'stopped', step };
      const said = spawnError || readFrom(log, logStart, 8000);
      return { state: 'failed', error: errorLine(said, code, signal), permanent: code === 2, step };
    }
  })();
  return { promise, stop };
}
