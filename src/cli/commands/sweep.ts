/**
 * `rfm sweep`: runs a grid of training runs on this machine (a pool of `rfm train` processes) or
 * enqueues it on BullMQ for `rfm worker`s; `status` shows a queue's runs live; `report` writes a
 * sweep folder's table (src/sweep/).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from '../main.ts';
import { optFlag, optNumber, optString, parseArgs, UsageError } from '../args.ts';
import { listCheckpoints } from '../../train/checkpoint.ts';
import { makeDirs } from '../../train/files.ts';
import {
  defaultWorkers,
  LocalPool,
  loadGrid,
  readDone,
  reportJson,
  reportMarkdown,
  runDirOf,
  sweepReport,
  SweepError,
  writeSweepIndex,
  type Grid,
} from '../../sweep/index.ts';

const USAGE = `usage: rfm sweep GRID.yaml|json [--workers N] [--out DIR] [--dry-run]
       rfm sweep GRID.yaml|json --queue redis://HOST:PORT [--dry-run]
       rfm sweep status --queue redis://HOST:PORT [--sweep NAME] [--watch SECONDS]
       rfm sweep report SWEEP_DIR [--metric KEY] [--resamples N] [--seed S] [--out DIR]

A grid declares runs once: algos x envs x seeds x presets x the lists under 'set', plus explicit
'runs' (format: README, "Sweeps"). Each run has a stable id from its resolved config: running a
sweep again skips its finished runs and resumes the others from their last checkpoint.

  --workers N   runs at once on this machine (default: cores / RFM_THREADS)
  --out DIR     the sweep folder (default: the grid's 'out', else sweeps/<name>)
  --dry-run     list the runs (and, locally, which are done or resumable); run nothing
  --queue URL   enqueue the runs as BullMQ jobs for 'rfm worker --queue URL --out ROOT' (runs land
                in ROOT/<name>/); 'status' lists the queue's runs with their progress
  Ctrl-C stops a local sweep cleanly: every run writes a checkpoint and is resumed next time.`;

function grid(path: string): Grid {
  try {
    return loadGrid(path);
  } catch (e) {
    if (e instanceof SweepError) throw new UsageError(e.message);
    throw e;
  }
}

function settingsOf(r: Grid['runs'][number]): string {
  const parts = r.label.preset ? [`preset=${r.label.preset}`] : [];
  for (const [k, v] of Object.entries(r.label.set)) parts.push(`${k}=${JSON.stringify(v)}`);
  return parts.join(' ');
}

async function loadQueue() {
  return import('../../sweep/queue.ts');
}

async function status(args: string[]): Promise<number> {
  const p = parseArgs(args, ['queue', 'sweep', 'watch'], ['help']);
  if (optFlag(p, 'help')) {
    console.log(USAGE);
    return 0;
  }
  const url = optString(p, 'queue');
  if (!url) throw new UsageError('status needs --queue redis://HOST:PORT');
  const watch = optNumber(p, 'watch', 0);
  const q = await loadQueue();
  const redis = wrapSweep(() => q.parseRedisUrl(url));
  for (;;) {
    let jobs;
    try {
      jobs = await q.queueStatus(redis, optString(p, 'sweep'));
    } catch (e) {
      if (e instanceof SweepError) {
        console.error(`rfm sweep: ${e.message}`);
        return 1;
      }
      throw e;
    }
    const lines = q.formatStatus(jobs);
    console.log((watch > 0 ? `--- ${new Date().toISOString()}\n` : '') + lines.join('\n'));
    const open = jobs.some((j) => j.state !== 'completed' && j.state !== 'failed');
    if (watch <= 0 || !open) return 0;
    await new Promise((r) => setTimeout(r, watch * 1000));
  }
}

function wrapSweep<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SweepError) throw new UsageError(e.message);
    throw e;
  }
}

function report(args: string[]): number {
  const p = parseArgs(args, ['metric', 'resamples', 'seed', 'out'], ['help']);
  if (optFlag(p, 'help')) {
    console.log(USAGE);
    return 0;
  }
  if (p.positionals.length !== 1)
    throw new UsageError('report takes one sweep folder (rfm sweep report SWEEP_DIR)');
  const dir = p.positionals[0];
  if (!existsSync(dir)) throw new UsageError(`no such sweep folder: ${dir}`);
  const resamples = optNumber(p, 'resamples', 2000);
  if (!(Number.isInteger(resamples) && resamples >= 1))
    throw new UsageError('--resamples must be a positive integer');
  const r = sweepReport(dir, {
    metric: optString(p, 'metric'),
    resamples,
    seed: optNumber(p, 'seed', 0),
  });
  if (r.rows.length === 0) {
    console.error(`rfm sweep: ${dir} holds no run folders`);
    return 1;
  }
  const out = optString(p, 'out') ?? dir;
  makeDirs(out); // not mkdirSync's recursive mode: it retries forever under /proc
  const md = reportMarkdown(r);
  writeFileSync(join(out, 'report.md'), md);
  writeFileSync(join(out, 'report.json'), reportJson(r));
  console.log(md);
  console.log(`wrote ${join(out, 'report.md')} and ${join(out, 'report.json')}`);
  return 0;
}

async function run(args: string[]): Promise<number> {
  const p = parseArgs(args, ['workers', 'out', 'queue'], ['help', 'dry-run']);
  if (optFlag(p, 'help') || p.positionals.length === 0) {
    console.log(USAGE);
    return optFlag(p, 'help') ? 0 : 2;
  }
  if (p.positionals.length > 1)
    throw new UsageError(`one grid file, got ${p.positionals.length} arguments`);
  const g = grid(p.positionals[0]);
  const url = optString(p, 'queue');
  const dry = optFlag(p, 'dry-run');
  if (url !== undefined) {
    for (const k of ['workers', 'out'])
      if (p.options.has(k))
        throw new UsageError(
          `--${k} is for local sweeps; with --queue, the workers' --out and --concurrency decide`,
        );
    const q = await loadQueue();
    const redis = wrapSweep(() => q.parseRedisUrl(url));
    if (dry) {
      for (const r of g.runs)
        console.log(
          `${r.id}  ${r.algo} ${r.envId} seed ${r.seed}, ${r.config.train.steps} steps ${settingsOf(r)}`,
        );
      console.log(
        `${g.runs.length} runs of sweep '${g.name}' would be enqueued on ${url} (dry run)`,
      );
      return 0;
    }
    try {
      const res = await q.enqueueGrid(g, redis);
      console.log(
        `sweep '${g.name}': ${res.added} runs enqueued, ${res.retried} failed runs retried, ${res.present} already queued or done (of ${g.runs.length})`,
      );
      console.log(
        `workers: rfm worker --queue ${url} --out ROOT   (runs go to ROOT/${g.name}/); progress: rfm sweep status --queue ${url} --sweep ${g.name}`,
      );
      return 0;
    } catch (e) {
      if (e instanceof SweepError) {
        console.error(`rfm sweep: ${e.message}`);
        return 1;
      }
      throw e;
    }
  }
  const sweepDir = resolve(optString(p, 'out') ?? g.out);
  const workersOpt = optString(p, 'workers');
  const workers = workersOpt === undefined ? defaultWorkers() : Number(workersOpt);
  if (!(Number.isInteger(workers) && workers >= 1))
    throw new UsageError(`--workers must be a positive integer, got '${workersOpt}'`);
  if (dry) {
    for (const r of g.runs) {
      const dir = runDirOf(sweepDir, r.id);
      const ck = listCheckpoints(join(dir, 'checkpoints'));
      const state = readDone(dir)
        ? 'done'
        : ck.length > 0
          ? `resumable (${ck[ck.length - 1].replace(/.*ckpt-0*(\d+)\.json$/, 'step $1')})`
          : 'new';
      console.log(
        `${r.id}  ${r.algo} ${r.envId} seed ${r.seed}, ${r.config.train.steps} steps ${settingsOf(r)}  [${state}]`,
      );
    }
    console.log(
      `${g.runs.length} runs in ${sweepDir}${g.duplicates ? ` (${g.duplicates} duplicate declarations dropped)` : ''} (dry run)`,
    );
    return 0;
  }
  writeSweepIndex(g, sweepDir);
  console.log(`sweep '${g.name}': ${g.runs.length} runs in ${sweepDir}, ${workers} at a time`);
  const pool = new LocalPool(g.runs, sweepDir, { workers });
  let signalled = false;
  const onSignal = () => {
    if (!signalled)
      console.log(
        'stopping: every running run writes a checkpoint; run the same command again to continue',
      );
    signalled = true;
    pool.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let s;
  try {
    s = await pool.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  console.log(
    `sweep '${g.name}': ${s.done + s.skipped} of ${s.total} done (${s.skipped} earlier), ${s.failed.length} failed, ${s.stopped} stopped`,
  );
  for (const f of s.failed) console.log(`  failed ${f.id}: ${f.error}`);
  if (s.done + s.skipped === s.total)
    console.log(`report: rfm sweep report ${sweepDir}; curves: rfm plot ${sweepDir}`);
  return signalled ? 130 : s.failed.length > 0 ? 1 : 0;
}

export const command: Command = {
  summary:
    'run a grid of training runs (local pool, or BullMQ on Redis with --queue); status; report',
  async run(args) {
    if (args[0] === 'status') return status(args.slice(1));
    if (args[0] === 'report') return report(args.slice(1));
    return run(args);
  },
};
