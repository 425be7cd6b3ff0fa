/** The metrics files of a run folder (Node): metrics.jsonl appended row by row, metrics.csv rewritten. */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './files.ts';
import type { MetricsLog, Row } from './metrics.ts';

export class MetricsWriter implements MetricsLog {
  readonly rows: Row[] = [];
  private readonly jsonl: string | null;
  private readonly csv: string | null;

  /** `dir` null: rows are kept in memory only. */
  constructor(dir: string | null) {
    this.jsonl = dir ? join(dir, 'metrics.jsonl') : null;
    this.csv = dir ? join(dir, 'metrics.csv') : null;
  }

  /**
   * Resume from a checkpoint written at `step` after `count` rows, in two halves so that a caller
   * can check everything before writing anything:
   *
   *   const kept = writer.rowsForResume(count, step); // reads and checks, writes nothing
   *   writer.restore(kept);                           // rewrites metrics.jsonl/csv atomically
   *
   * The kept rows are the first `count` of metrics.jsonl (those before the checkpoint). When
   * metrics.jsonl holds fewer (damaged or emptied outside the loop), metrics.csv, rewritten with
   * every checkpoint, supplies them; when neither does, it is an error.
   */
  rowsForResume(count: number, step: number): Row[] {
    if (!this.jsonl || !this.csv) return [];
    let kept = readRows(this.jsonl).slice(0, count);
    if (kept.length < count) {
      const fromCsv = readCsvRows(this.csv).slice(0, count);
      if (fromCsv.length < count) {
        throw new Error(
          `metrics.jsonl holds ${kept.length} rows and metrics.csv ${fromCsv.length}, but the checkpoint at step ${step} was written after ${count}; refusing to resume and lose rows`,
        );
      }
      kept = fromCsv;
    }
    const late = kept.find((r) => r.step > step);
    if (late)
      throw new Error(
        `metrics row ${kept.indexOf(late) + 1} is at step ${late.step}, after the checkpoint's step ${step}; metrics.jsonl does not belong to this checkpoint`,
      );
    return kept;
  }

  /** Takes `kept` (from rowsForResume) as the rows so far and rewrites both files with them, atomically. */
  restore(kept: Row[]): void {
    this.rows.push(...kept);
    if (!this.jsonl) return;
    writeFileAtomic(this.jsonl, kept.map((r) => JSON.stringify(r) + '\n').join(''));
    this.writeCsv();
  }

  write(row: Row): void {
    this.rows.push(row);
    if (this.jsonl) appendFileSync(this.jsonl, JSON.stringify(row) + '\n');
  }

  writeCsv(): void {
    if (!this.csv) return;
    const keys = [
      'step',
      ...new Set(this.rows.flatMap((r) => Object.keys(r)).filter((k) => k !== 'step')),
    ];
    const lines = [
      keys.join(','),
      ...this.rows.map((r) => keys.map((k) => (k in r ? String(r[k]) : '')).join(',')),
    ];
    writeFileAtomic(this.csv, lines.join('\n') + '\n');
  }
}

/** Rows of a metrics.jsonl file (none when it is missing); a partly written last line is ignored. */
function readRows(path: string): Row[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (!text.endsWith('\n')) lines.pop(); // cut short by a kill mid-append
  return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Row);
}

/** Rows of a metrics.csv written by MetricsWriter.writeCsv (empty cells are absent keys). */
function readCsvRows(path: string): Row[] {
  if (!existsSync(path)) return [];
  const [header, ...lines] = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  if (!header) return [];
  const keys = header.split(',');
  return lines.map((l) => {
    const row: Row = {};
    l.split(',').forEach((v, i) => {
      if (v !== '') row[keys[i]] = Number(v);
    });
    return row;
  });
}

/** Reads a run's metrics.jsonl. */
export function readMetrics(runDir: string): Row[] {
  return readRows(join(runDir, 'metrics.jsonl'));
}
