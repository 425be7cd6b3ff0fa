/**
 * Sweeps across machines on BullMQ (Redis): `rfm sweep GRID --queue redis://HOST:PORT` enqueues one
 * job per run; `rfm worker --queue ... --out ROOT` takes jobs and trains each with ./runner.ts in
 * `ROOT/<sweep>/<run id>/` (ROOT: a folder every machine sees); `rfm sweep status --queue ...`
 * lists every run with its live progress.
 *
 *  - A job's data is a RunPayload (./grid.ts). The worker trusts nothing in it: checkPayload
 *    rebuilds and validates the run (known algorithm and task, a complete valid config, names that
 *    are single path segments, an id that is the hash of it all), and the only thing ever started
 *    is `rfm train` (./runner.ts). A refused payload fails at once (no retry) with a one-line reason.
 *  - Job id `<sweep>/<run id>`: enqueuing a sweep twice adds nothing twice; re-enqueuing retries the
 *    sweep's failed jobs.
 *  - Progress: the worker reads the run's metrics and sets the job's progress (step, total, latest
 *    evaluation, worker), which `status` reads.
 *  - A worker that dies mid-run stops renewing its job's lock; BullMQ's stalled-job check (every
 *    `lockMs`) returns the job to the queue and the next worker resumes the run from its last
 *    checkpoint. A job that stalls more than twice, or fails 3 times, is failed with its error.
 *  - The run folder's lock (./lock.ts) keeps two workers off one run even when Redis forgets who
 *    has a job (a restart, a lost lock): the second puts the job back (delayed) without using a try.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  DelayedError,
  Queue,
  UnrecoverableError,
  Worker,
  type ConnectionOptions,
  type Job,
} from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { checkPayload, SweepError, toPayload, type Grid, type RunPayload } from './grid.ts';
import { startRun, type RunHandle, type RunProgress } from './runner.ts';
import { checkCreatableDir } from '../train/files.ts';

export const QUEUE_NAME = 'rfm-sweep';

/** Tries of a job before it is failed. */
export const ATTEMPTS = 3;

/** Connection options of a redis:// (or rediss://) URL. */
export function parseRedisUrl(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SweepError(`--queue must be a URL like redis://HOST:PORT, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new SweepError(`--queue must be a redis:// or rediss:// URL, got '${url}'`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new SweepError(
      `--queue: the database in '${url}' must be a number (redis://HOST:PORT/DB)`,
    );
  const o: RedisOptions = { host: u.hostname || '127.0.0.1', port, db };
  if (u.username) o.username = decodeURIComponent(u.username);
  if (u.password) o.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') o.tls = {};
  return o;
}

/** The URL without its password, for messages. */
function shown(o: RedisOptions): string {
  return `redis://${o.host}:${o.port}${o.db ? `/${o.db}` : ''}`;
}

/** Connects once (no retries) and pings; an unreachable server is a one-line SweepError. */
export async function checkRedis(o: RedisOptions, timeoutMs = 3000): Promise<void> {
  // disconnectTimeout: after a refused connection ioredis otherwise keeps the process alive 2 s.
  const r = new Redis({
    ...o,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
    disconnectTimeout: 50,
  });
  let last: Error | null = null;
  r.on('error', (e: Error) => (last = e));
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    const err = (last ?? e) as NodeJS.ErrnoException;
    throw new SweepError(
      `cannot reach Redis at ${shown(o)}: ${err.code ?? err.message.split('\n')[0]}`,
    );
  } finally {
    r.disconnect();
  }
}

/** BullMQ's connection options: reconnect forever (workers ride out a Redis restart). */
function bullConnection(o: RedisOptions): ConnectionOptions {
  return {
    ...o,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  } as ConnectionOptions;
}

export const jobIdOf = (p: Pick<RunPayload, 'sweep' | 'id'>) => `${p.sweep}/${p.id}`;

export interface EnqueueResult {
  readonly added: number;
  readonly retried: number;
  /** Already queued, running or finished. */
  readonly present: number;
}

/** Adds the grid's runs as jobs (and retries those of its jobs that had failed). */
export async function enqueueGrid(grid: Grid, redis: RedisOptions): Promise<EnqueueResult> {
  await checkRedis(redis);
  const q = new Queue(QUEUE_NAME, { connection: bullConnection(redis) });
  let added = 0;
  let retried = 0;
  let present = 0;
  try {
    for (const spec of grid.runs) {
      const payload = toPayload(spec);
      const jobId = jobIdOf(payload);
      const old = await q.getJob(jobId);
      if (old) {
        if ((await old.getState()) === 'failed') {
          await old.retry('failed');
          retried++;
        } else present++;
        continue;
      }
      await q.add('train', payload, {
        jobId,
        attempts: ATTEMPTS,
        backoff: { type: 'fixed', delay: 1000 },
        removeOnComplete: false,
        removeOnFail: false,
      });
      added++;
    }
  } finally {
    await q.close();
  }
  return { added, retried, present };
}

/** What a job's progress holds (set by the worker). */
export interface JobProgress extends RunProgress {
  readonly worker: string;
}

export interface WorkerOptions {
  /** The output root: runs go to `<root>/<sweep>/<run id>/`. */
  root: string;
  concurrency: number;
  /** BullMQ's job lock and stalled-check period (default 30 s): how soon a dead worker's job is requeued. */
  lockMs?: number;
  /** Wait before retrying a job whose run another live process trains (default: lockMs, at most 5 s). */
  busyRetryMs?: number;
  log?(line: string): void;
  env?: Record<string, string>;
  pollMs?: number;
}

export interface SweepWorker {
  readonly name: string;
  /** Stops taking jobs, asks running children to checkpoint and exit, and puts their jobs back. */
  close(): Promise<void>;
}

/** Starts a worker on the queue (after checking that Redis answers). */
export async function startWorker(redis: RedisOptions, o: WorkerOptions): Promise<SweepWorker> {
  // an output root this worker cannot write would fail (and use up) the tries of every job it took
  checkCreatableDir(o.root);
  await checkRedis(redis);
  const log = o.log ?? ((l: string) => console.log(l));
  const name = `${hostname()}:${process.pid}`;
  const active = new Map<string, RunHandle>();
  let closing = false;
  const lockMs = o.lockMs ?? 30_000;
  const processor = async (job: Job, token?: string): Promise<unknown> => {
    let spec;
    try {
      spec = checkPayload(job.data);
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      log(`job ${job.id}: ${msg}`);
      throw new UnrecoverableError(msg);
    }
    if (job.id !== jobIdOf(spec)) {
      const msg = `refused job payload: job id ${job.id} does not name run ${jobIdOf(spec)}`;
      log(`job ${job.id}: ${msg}`);
      throw new UnrecoverableError(msg);
    }
    let lastSent = 0;
    let sent: Promise<void> = Promise.resolve();
    const h = startRun(spec, join(o.root, spec.sweep), {
      env: o.env,
      pollMs: o.pollMs,
      onStart: (from) =>
        log(
          `${from > 0 ? 'resume' : 'start'} ${job.id}${from > 0 ? ` from step ${from}` : ''} (try ${job.attemptsMade + 1} of ${ATTEMPTS})`,
        ),
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastSent < 500 && p.step < p.total) return;
        lastSent = now;
        const progress: JobProgress = { ...p, worker: name };
        // Redis away for a moment: the next update carries the news
        sent = job.updateProgress(progress as unknown as object).catch(() => {});
      },
    });
    active.set(String(job.id), h);
    let out;
    try {
      out = await h.promise;
    } finally {
      active.delete(String(job.id));
    }
    await sent; // the job's last progress lands before its new state
    switch (out.state) {
      case 'done':
        log(
          `done ${job.id}: ${out.info.steps} steps, final eval return ${out.info.finalReturn === null ? 'n/a' : out.info.finalReturn.toFixed(2)}`,
        );
        return { steps: out.info.steps, finalReturn: out.info.finalReturn, skipped: out.skipped };
      case 'busy':
      case 'stopped':
        // Not a failed try: back to the queue (at once when this worker is stopping).
        log(
          out.state === 'busy'
            ? `${job.id}: another live process trains this run; putting the job back`
            : `stopped ${job.id} at step ${out.step} (resumable); putting the job back`,
        );
        await job.moveToDelayed(
          Date.now() + (out.state === 'busy' ? (o.busyRetryMs ?? Math.min(5000, lockMs)) : 0),
          token,
        );
        throw new DelayedError();
      case 'failed':
        log(`${job.id} failed (try ${job.attemptsMade + 1} of ${ATTEMPTS}): ${out.error}`);
        if (out.permanent) throw new UnrecoverableError(out.error);
        throw new Error(out.error);
    }
  };
  const worker = new Worker(QUEUE_NAME, processor, {
    connection: bullConnection(redis),
    concurrency: o.concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: 2,
    name,
  });
  let lastError = 0;
  worker.on('error', (e: Error) => {
    if (closing || Date.now() - lastError < 5000) return;
    lastError = Date.now();
    log(`worker: ${e.message.split('\n')[0]} (retrying)`);
  });
  worker.on('stalled', (id: string) =>
    log(`job ${id} stalled (its worker stopped answering); it goes back to the queue`),
  );
  return {
    name,
    async close() {
      closing = true;
      const closed = worker.close();
      for (const h of active.values()) h.stop();
      await closed;
    },
  };
}

export interface JobStatus {
  readonly id: string;
  readonly state: string;
  readonly progress: Partial<JobProgress> | null;
  readonly attempts: number;
  readonly error: string | null;
  readonly finalReturn: number | null;
}

/** Every job of the queue (of one sweep when `sweep` is given), with its state and progress. */
export async function queueStatus(redis: RedisOptions, sweep?: string): Promise<JobStatus[]> {
  await checkRedis(redis);
  const q = new Queue(QUEUE_NAME, { connection: bullConnection(redis) });
  try {
    const out: JobStatus[] = [];
    const states = ['active', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'] as const;
    for (const state of states) {
      for (const job of await q.getJobs([state])) {
        if (!job || (sweep && !String(job.id).startsWith(`${sweep}/`))) continue;
        const progress =
          job.progress && typeof job.progress === 'object'
            ? (job.progress as Partial<JobProgress>)
            : null;
        const rv = job.returnvalue as { finalReturn?: number | null } | null;
        out.push({
          id: String(job.id),
          state,
          progress,
          attempts: job.attemptsMade,
          error: job.failedReason ? job.failedReason.split('\n')[0] : null,
          finalReturn: rv && typeof rv.finalReturn === 'number' ? rv.finalReturn : null,
        });
      }
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  } finally {
    await q.close();
  }
}

/** Lines for `rfm sweep status`: one per run, then the totals. */
export function formatStatus(jobs: readonly JobStatus[]): string[] {
  const lines = jobs.map((j) => {
    const p = j.progress;
    const step = p && typeof p.step === 'number' ? ` step ${p.step}/${p.total}` : '';
    const ev =
      j.finalReturn !== null
        ? ` final return ${j.finalReturn.toFixed(2)}`
        : p && typeof p.evalReturn === 'number'
          ? ` eval return ${p.evalReturn.toFixed(1)}`
          : '';
    const who = j.state === 'active' && p?.worker ? ` on ${p.worker}` : '';
    const err = j.error && j.state !== 'completed' ? ` error: ${j.error}` : '';
    const failedTries = j.state === 'completed' ? j.attempts - 1 : j.attempts; // a completed job's count includes its last try
    return `${j.state.padEnd(9)} ${j.id}${step}${ev}${who}${failedTries > 0 ? ` (failed tries ${failedTries})` : ''}${err}`;
  });
  const count = (s: string) => jobs.filter((j) => j.state === s).length;
  const waiting = count('waiting') + count('prioritized') + count('delayed');
  lines.push(
    `${jobs.length} runs: ${count('completed')} done, ${count('active')} running, ${waiting} waiting, ${count('failed')} failed`,
  );
  return lines;
}
