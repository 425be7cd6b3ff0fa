/**
 * `rfm worker --queue redis://HOST:PORT --out ROOT [--concurrency N]`: takes sweep jobs from BullMQ
 * and trains each with `rfm train` in ROOT/<sweep>/<run id>/ (src/sweep/queue.ts). Runs until
 * Ctrl-C / SIGTERM, which checkpoints the running runs and puts their jobs back in the queue.
 */
import { resolve } from 'node:path';
import type { Command } from '../main.ts';
import { optFlag, optString, parseArgs, UsageError } from '../args.ts';
import { SweepError } from '../../sweep/grid.ts';

const USAGE = `usage: rfm worker --queue redis://HOST:PORT --out ROOT [--concurrency N] [--lock-ms MS]

Takes the jobs of 'rfm sweep GRID --queue URL' and trains them, N at a time, each in
ROOT/<sweep name>/<run id>/ (ROOT: a folder that every worker machine sees). A job only ever
runs 'rfm train' with a validated config, inside ROOT.

  --concurrency N  runs at once (default 1)
  --lock-ms MS     BullMQ job lock and stalled-check period (default 30000): a worker that dies
                   loses its jobs to the others after about this long
  Ctrl-C stops: running runs write a checkpoint and their jobs go back to the queue.`;

function positiveInt(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1))
    throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

export const command: Command = {
  summary: 'take sweep jobs from a BullMQ queue on Redis and train them (rfm sweep --queue)',
  async run(args) {
    const p = parseArgs(args, ['queue', 'out', 'concurrency', 'lock-ms'], ['help']);
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length > 0)
      throw new UsageError(`unexpected argument '${p.positionals[0]}'\n${USAGE}`);
    const url = optString(p, 'queue');
    const out = optString(p, 'out');
    if (!url || !out)
      throw new UsageError(
        '--queue redis://HOST:PORT and --out ROOT are required (rfm worker --help)',
      );
    const concurrency = positiveInt(optString(p, 'concurrency'), 'concurrency', 1);
    const lockMs = positiveInt(optString(p, 'lock-ms'), 'lock-ms', 30_000);
    const q = await import('../../sweep/queue.ts');
    let worker;
    try {
      worker = await q.startWorker(q.parseRedisUrl(url), {
        root: resolve(out),
        concurrency,
        lockMs,
      });
    } catch (e) {
      if (e instanceof SweepError) {
        console.error(`rfm worker: ${e.message}`);
        return e.message.startsWith('--queue') ? 2 : 1;
      }
      throw e;
    }
    console.log(
      `worker ${worker.name}: taking jobs from ${url}, ${concurrency} at a time, runs under ${resolve(out)}`,
    );
    await new Promise<void>((res) => {
      process.once('SIGINT', res);
      process.once('SIGTERM', res);
    });
    console.log('stopping: running runs write a checkpoint and go back to the queue');
    await worker.close();
    return 130;
  },
};
