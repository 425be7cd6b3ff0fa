/**
 * Run metrics: one row per logged step, flat namespaced keys ('eval/return', 'loss/critic', ...),
 * written to metrics.jsonl as they happen and to metrics.csv (the union of keys as columns,
 * rewritten at each checkpoint and at the end, since new keys can appear mid-run).
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Row = Record<string, number>;

/** Running sums of update metrics between two log rows (plain data: saved in checkpoints). */
export interface MetricAccumulator {
  sums: Record<string, number>;
  counts: Record<string, number>;
  episodeReturns: number[];
  episodeLengths: number[];
}

export function emptyAccumulator(): MetricAccumulator {
  return { sums: {}, counts: {}, episodeReturns: [], episodeLengths: [] };
}

export function accumulate(acc: MetricAccumulator, m: Record<string, number>): void {
  for (const [k, v] of Object.entries(m)) {
    acc.sums[k] = (acc.sums[k] ?? 0) + v;
    acc.counts[k] = (acc.counts[k] ?? 0) + 1;
  }
}

/** Means of everything accumulated, as row entries; episode statistics under 'train/'. */
export function summarize(acc: MetricAccumulator): Row {
  const row: Row = {};
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  if (acc.episodeReturns.length > 0) {
    row['train/episode_return'] = mean(acc.episodeReturns);
    row['train/episode_length'] = mean(acc.episodeLengths);
    row['train/episodes'] = acc.episodeReturns.length;
  }
  for (const k of Object.keys(acc.sums).sort()) row[k] = acc.sums[k] / acc.counts[k];
  return row;
}

export class MetricsWriter {
  readonly rows: Row[] = [];
  private readonly jsonl: string | null;
  private readonly csv: string | null;

  /** `dir` null: rows are kept in memory only. */
  constructor(dir: string | null) {
    this.jsonl = dir ? join(dir, 'metrics.jsonl') : null;
    this.csv = dir ? join(dir, 'metrics.csv') : null;
  }

  /** Resume: keeps the first `count` rows of an existing metrics.jsonl (those before the checkpoint) and drops the rest. */
  restore(count: number): void {
    if (!this.jsonl || !existsSync(this.jsonl)) return;
    const kept = readFileSync(this.jsonl, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(0, count)
      .map((l) => JSON.parse(l) as Row);
    this.rows.push(...kept);
    writeFileSync(this.jsonl, kept.map((r) => JSON.stringify(r) + '\n').join(''));
    this.writeCsv();
  }

  write(row: Row): void {
    this.rows.push(row);
    if (this.jsonl) appendFileSync(this.jsonl, JSON.stringify(row) + '\n');
  }

  writeCsv(): void {
    if (!this.csv) return;
    const keys = ['step', ...new Set(this.rows.flatMap((r) => Object.keys(r)).filter((k) => k !== 'step'))];
    const lines = [keys.join(','), ...this.rows.map((r) => keys.map((k) => (k in r ? String(r[k]) : '')).join(','))];
    writeFileSync(this.csv, lines.join('\n') + '\n');
  }
}

/** Reads a run's metrics.jsonl. */
export function readMetrics(runDir: string): Row[] {
  const p = join(runDir, 'metrics.jsonl');
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);
}
