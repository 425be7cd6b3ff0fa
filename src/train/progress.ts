/**
 * A progress line on stderr: steps, steps/s, ETA and the last evaluation return. On a terminal it
 * redraws one line in place; elsewhere (pipes, CI) it prints a plain line every `plainEvery`
 * steps and at each evaluation, so logs stay readable.
 */
export interface ProgressOptions {
  total: number;
  /** Step the run starts from (resume). */
  start: number;
  label: string;
  /** Plain-mode cadence in steps. */
  plainEvery: number;
  stream?: NodeJS.WriteStream;
}

export function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;
  private readonly t0 = performance.now();
  private lastDraw = 0;
  private lastPlain: number;
  private lastEval: number | null = null;

  constructor(private readonly o: ProgressOptions) {
    this.stream = o.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY) && !process.env.CI;
    this.lastPlain = o.start;
  }

  private line(step: number): string {
    const { total, start } = this.o;
    const sec = (performance.now() - this.t0) / 1000;
    const sps = (step - start) / Math.max(sec, 1e-9);
    const eta = (total - step) / sps;
    const ev = this.lastEval === null ? '' : ` | eval ${this.lastEval.toFixed(1)}`;
    return `${this.o.label} ${step}/${total} (${((100 * step) / total).toFixed(1)}%) | ${sps.toFixed(0)} steps/s | ETA ${fmtTime(eta)}${ev}`;
  }

  step(step: number): void {
    if (this.tty) {
      const now = performance.now();
      if (now - this.lastDraw < 200 && step < this.o.total) return;
      this.lastDraw = now;
      const frac = step / this.o.total;
      const w = 20;
      const bar = '='.repeat(Math.floor(frac * w)).padEnd(w, ' ');
      this.stream.write(`\r[${bar}] ${this.line(step)}\x1b[K`);
    } else if (step - this.lastPlain >= this.o.plainEvery) {
      this.lastPlain = step;
      this.stream.write(this.line(step) + '\n');
    }
  }

  eval(step: number, ret: number): void {
    this.lastEval = ret;
    if (!this.tty) {
      this.lastPlain = step;
      this.stream.write(`${this.line(step)}\n`);
    }
  }

  done(): void {
    if (this.tty) this.stream.write('\n');
  }
}
