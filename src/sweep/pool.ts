/**
 * The local pool of `rfm sweep GRID --workers N`: up to N `rfm train` children at once on this
 * machine (./runner.ts), a progress line per run event with the sweep's totals, up to `attempts`
 * tries per run (each resuming from the run's last checkpoint), and a clean stop: stop() (the CLI
 * calls it on Ctrl-C) asks every child to checkpoint and exit, so that every run is resumable.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../train/checkpoint.ts';
import { makeDirs } from '../train/files.ts';
import { readDone, runDirOf, startRun, type RunHandle, type RunProgress } from './runner.ts';
import type { Grid, RunSpec } from './grid.ts';
import { fmtTime as formatDuration } from '../train/progress.ts';

export interface PoolOptions {
  workers: number;
  /** Tries per run before it is marked failed (default 3). */
  attempts?: number;
  /** Where progress lines go (default: stdout). */
  log?(line: string): void;
  pollMs?: number;
  /** Wait before trying again a run whose lock another live process holds (default 2000 ms). */
  busyRetryMs?: number;
}

export interface PoolSummary {
  readonly total: number;
  /** Finished in this session. */
  readonly done: number;
  /** Already finished before this session. */
  readonly skipped: number;
  readonly failed: { id: string; error: string }[];
  /** Stopped by stop(): resumable. */
  readonly stopped: number;
}

/** Default number of children: the cores divided by the threads each run uses (RFM_THREADS, else 1). */
export function defaultWorkers(): number {
  const perRun = Math.max(1, Number(process.env.RFM_THREADS) || 1);
  return Math.max(1, Math.floor(availableParallelism() / perRun));
}

/** sweep.json: the grid's expansion, written next to the runs. */
export function writeSweepIndex(grid: Grid, sweepDir: string): void {
  makeDirs(sweepDir); // not mkdirSync's recursive mode: it retries forever under /proc
  const runs = grid.runs.map((r) => ({
    id: r.id,
    algo: r.algo,
    envId: r.envId,
    seed: r.seed,
    label: r.label,
    steps: r.config.train.steps,
  }));
  writeFileAtomic(
    join(sweepDir, 'sweep.json'),
    JSON.stringify({ name: grid.name, written: new Date().toISOString(), runs }, null, 1) + '\n',
  );
}

export class LocalPool {
  private readonly running = new Map<string, RunHandle>();
  private stopping = false;
  private readonly progress = new Map<string, number>();
  private stepsSeen = 0;
  private t0 = performance.now();

  constructor(
    private readonly runs: readonly RunSpec[],
    private readonly sweepDir: string,
    private readonly o: PoolOptions,
  ) {
    if (!(Number.isInteger(o.workers) && o.workers >= 1))
      throw new Error(`workers must be a positive integer, got ${o.workers}`);
  }

  /** Asks every running child to checkpoint and exit; starts nothing more. */
  stop(): void {
    this.stopping = true;
    for (const h of this.running.values()) h.stop();
  }

  async run(): Promise<PoolSummary> {
    const log = this.o.log ?? ((l: string) => console.log(l));
    const attempts = this.o.attempts ?? 3;
    const tries = new Map<string, number>();
    const failed: { id: string; error: string }[] = [];
    let done = 0;
    let skipped = 0;
    let stopped = 0;
    const pending: RunSpec[] = [];
    for (const r of this.runs) {
      if (readDone(runDirOf(this.sweepDir, r.id))) skipped++;
      else pending.push(r);
    }
    const total = this.runs.length;
    // Children share the cores: unless told otherwise, each native backend gets its share of threads.
    const env: Record<string, string> = {};
    if (!process.env.RFM_THREADS)
      env.RFM_THREADS = String(Math.max(1, Math.floor(availableParallelism() / this.o.workers)));
    const totals = () => {
      const remaining = pending
        .concat([...this.running.keys()].map((id) => this.runs.find((r) => r.id === id)!))
        .reduce((s, r) => s + r.config.train.steps - (this.progress.get(r.id) ?? 0), 0);
      const sec = (performance.now() - this.t0) / 1000;
      const eta = this.stepsSeen > 0 ? formatDuration((remaining * sec) / this.stepsSeen) : '?';
      return `[${done + skipped}/${total} done, ${this.running.size} running, ${failed.length} failed, ETA ${eta}]`;
    };
    if (skipped > 0)
      log(`${skipped} of ${total} runs already finished in ${this.sweepDir}; skipping them`);
    this.t0 = performance.now();

    let waiting = 0; // busy runs waiting to be tried again
    await new Promise<void>((finish) => {
      const launchNext = () => {
        while (!this.stopping && this.running.size < this.o.workers && pending.length > 0)
          launch(pending.shift()!);
        if (this.running.size === 0 && waiting === 0 && (pending.length === 0 || this.stopping))
          finish();
      };
      const launch = (r: RunSpec) => {
        const h = startRun(r, this.sweepDir, {
          pollMs: this.o.pollMs,
          env,
          onStart: (from) => {
            this.progress.set(r.id, from);
            log(`${totals()} ${from > 0 ? `resume ${r.id} from step ${from}` : `start ${r.id}`}`);
          },
          onProgress: (p: RunProgress) => {
            const before = this.progress.get(r.id) ?? 0;
            if (p.step > before) this.stepsSeen += p.step - before;
            this.progress.set(r.id, p.step);
            const ev =
              p.evalReturn === null
                ? ''
                : `, eval return ${p.evalReturn.toFixed(1)} at ${p.evalStep}`;
            log(`${totals()} ${r.id} step ${p.step}/${p.total}${ev}`);
          },
        });
        this.running.set(r.id, h);
        void h.promise.then(
          (out) => {
            this.running.delete(r.id);
            if (out.state === 'done') {
              if (out.skipped) skipped++;
              else done++;
              const ret = out.info.finalReturn === null ? 'n/a' : out.info.finalReturn.toFixed(2);
              log(
                `${totals()} done ${r.id}: final eval return ${ret}${out.skipped ? ' (finished elsewhere)' : ` in ${formatDuration(out.info.seconds)}`}`,
              );
            } else if (out.state === 'busy') {
              log(`${totals()} ${r.id} is being trained by another process; trying again later`);
              waiting++;
              setTimeout(() => {
                waiting--;
                if (!this.stopping) pending.push(r);
                launchNext();
              }, this.o.busyRetryMs ?? 2000);
            } else if (out.state === 'stopped') {
              stopped++;
              log(`${totals()} stopped ${r.id} at step ${out.step} (resumable)`);
            } else {
              const n = (tries.get(r.id) ?? 0) + 1;
              tries.set(r.id, n);
              if (out.permanent || n >= attempts || this.stopping) {
                failed.push({ id: r.id, error: out.error });
                log(`${totals()} FAILED ${r.id} (attempt ${n} of ${attempts}): ${out.error}`);
              } else {
                log(
                  `${totals()} ${r.id} failed at step ${out.step} (attempt ${n} of ${attempts}): ${out.error}; resuming it`,
                );
                pending.unshift(r);
              }
            }
            launchNext();
          },
          (e: unknown) => {
            this.running.delete(r.id);
            failed.push({ id: r.id, error: (e as Error).message.split('\n')[0] });
            log(`${totals()} FAILED ${r.id}: ${(e as Error).message.split('\n')[0]}`);
            launchNext();
          },
        );
      };
      launchNext();
    });
    return { total, done, skipped, failed, stopped };
  }
}
