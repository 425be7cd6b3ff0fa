/**
 * Run metrics: one row per logged step, flat namespaced keys ('eval/return', 'loss/critic', ...),
 * written to metrics.jsonl as they happen and to metrics.csv (the union of keys as columns,
 * rewritten at each checkpoint and at the end, since new keys can appear mid-run).
 *
 * This file is the host-free part (rows, accumulators, the MetricsLog interface and its in-memory
 * form); the files are written by MetricsWriter (./metrics-files.ts, Node).
 */

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

/** Where the loop's rows go: kept in `rows`, and (MetricsWriter) also in metrics.jsonl / metrics.csv. */
export interface MetricsLog {
  readonly rows: Row[];
  /** The rows from before a checkpoint written at `step` after `count` rows (checked; writes nothing). */
  rowsForResume(count: number, step: number): Row[];
  /** Takes `kept` as the rows so far (and rewrites the files with them). */
  restore(kept: Row[]): void;
  write(row: Row): void;
  /** Rewrites the table of all rows (metrics.csv); nothing in memory. */
  writeCsv(): void;
}

/** Rows kept in memory only (a run without a folder, or a page). */
export class MemoryMetrics implements MetricsLog {
  readonly rows: Row[] = [];
  rowsForResume(): Row[] {
    return [];
  }
  restore(kept: Row[]): void {
    this.rows.push(...kept);
  }
  write(row: Row): void {
    this.rows.push(row);
  }
  writeCsv(): void {}
}
