/**
 * Sweep benchmark (not a test):
 *
 *  1. throughput of the local pool: the same grid of 8 short SAC runs on Pendulum-v1 (small preset)
 *     with --workers 1 and with --workers 2, each into a fresh folder; wall time and runs/minute;
 *  2. the queue's overhead per job on a local Redis (a private redis-server): jobs enqueued one at a
 *     time on an idle worker; BullMQ's own timestamps give enqueue -> start of processing and
 *     enqueue -> completed for runs that are already finished (so no training is timed).
 *
 *   node --import tsx bench/sweep.ts [--steps 600] [--jobs 8]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { getBackend } from '../src/engine/index.ts';
import { expandGrid, LocalPool, toPayload } from '../src/sweep/index.ts';
import { parseRedisUrl, QUEUE_NAME, startWorker, jobIdOf } from '../src/sweep/queue.ts';

const argv = process.argv.slice(2);
const arg = (k: string, d: string) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const steps = Number(arg('steps', '600'));
const jobsN = Number(arg('jobs', '8'));

const grid = expandGrid(
  {
    name: 'bench',
    algos: ['sac'],
    envs: ['Pendulum-v1'],
    seeds: 8,
    presets: ['small'],
    steps,
    set: { 'train.randomSteps': 100, 'train.evalEvery': 300, 'train.evalEpisodes': 1 },
  },
  'bench',
);
const root = mkdtempSync(join(tmpdir(), 'rfm-bench-sweep-'));
let isa = 'scalar';
try {
  const f = readFileSync('/proc/cpuinfo', 'utf8');
  isa = /\bavx512f\b/.test(f) ? 'AVX-512' : /\bavx2\b/.test(f) ? 'AVX2' : isa;
} catch {
  isa = 'unknown instruction set';
}
console.log(
  `${grid.runs.length} runs of SAC on Pendulum-v1, small preset, ${steps} steps; ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}, ${isa}); backend ${getBackend().name}`,
);

async function pool(workers: number): Promise<number> {
  const t0 = performance.now();
  const s = await new LocalPool(grid.runs, join(root, `w${workers}`), {
    workers,
    log: () => {},
  }).run();
  const sec = (performance.now() - t0) / 1000;
  if (s.done !== grid.runs.length)
    throw new Error(
      `workers ${workers}: ${s.done} of ${grid.runs.length} runs done (${JSON.stringify(s.failed)})`,
    );
  console.log(
    `--workers ${workers}: ${sec.toFixed(1)} s for ${grid.runs.length} runs, ${((60 * grid.runs.length) / sec).toFixed(1)} runs/min`,
  );
  return sec;
}

const w1 = await pool(1);
const w2 = await pool(2);
console.log(`throughput ratio (workers 2 / workers 1): ${(w1 / w2).toFixed(2)}x`);

// ---- queue overhead ----
const port = await new Promise<number>((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => res(p));
  });
});
const redisDir = mkdtempSync(join(tmpdir(), 'rfm-bench-redis-'));
const server = spawn(
  'redis-server',
  [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    redisDir,
    '--save',
    '',
    '--appendonly',
    'no',
  ],
  { stdio: 'ignore' },
);
await new Promise((r) => setTimeout(r, 300));
try {
  const redis = parseRedisUrl(`redis://127.0.0.1:${port}`);
  // The worker's root holds the runs trained above: each job finds its run done (no training timed).
  const worker = await startWorker(redis, { root, concurrency: 1, log: () => {} });
  const connection = { ...redis, maxRetriesPerRequest: null } as never;
  const q = new Queue(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  await events.waitUntilReady();
  const toStart: number[] = [];
  const toDone: number[] = [];
  for (let i = 0; i < jobsN; i++) {
    const spec = { ...grid.runs[i % grid.runs.length], sweep: 'w1' };
    const payload = toPayload(spec);
    const job = await q.add('train', payload, {
      jobId: `${jobIdOf(payload)}`,
      removeOnComplete: false,
    });
    await job.waitUntilFinished(events, 30_000);
    const done = await q.getJob(job.id!);
    if (!done?.processedOn || !done.finishedOn) throw new Error(`job ${job.id} did not finish`);
    toStart.push(done.processedOn - done.timestamp);
    toDone.push(done.finishedOn - done.timestamp);
    await done.remove();
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(
    `queue, ${jobsN} jobs one at a time on an idle worker: enqueue -> processing starts ${med(toStart)} ms (median; max ${Math.max(...toStart)} ms), enqueue -> completed for a finished run ${med(toDone)} ms (median)`,
  );
  await events.close();
  await q.close();
  await worker.close();
} finally {
  server.kill('SIGTERM');
  rmSync(redisDir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
}
process.exit(0);
