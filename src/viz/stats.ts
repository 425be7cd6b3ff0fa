/**
 * Aggregate statistics for learning curves across seeds, in the manner of rliable (Agarwal et al.
 * 2021, "Deep RL at the edge of the statistical precipice"):
 *
 *  - interquartile mean (IQM): the mean of the middle half of the scores. As scipy's
 *    `trim_mean(x, 0.25)`: sort, drop floor(n/4) scores from each end, average the rest (with fewer
 *    than 4 scores nothing is dropped, so the IQM is the plain mean);
 *  - percentile bootstrap confidence band: resample whole runs with replacement (the same run
 *    indices at every step, so each resample is a set of complete curves), take the IQM of the
 *    resampled runs at each step, and report the (1-c)/2 and (1+c)/2 percentiles of those IQMs.
 *    Percentiles interpolate linearly between order statistics (NumPy's default 'linear' method).
 *
 * The resampling draws from a seeded `Rng` (src/engine/rng.ts), so a band is reproducible.
 */
import { Rng } from '../engine/rng.ts';

/** The interquartile mean of `xs` (NaN for an empty list). */
export function iqm(xs: readonly number[]): number {
  const n = xs.length;
  if (n === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const cut = Math.floor(n * 0.25);
  let sum = 0;
  for (let i = cut; i < n - cut; i++) sum += s[i];
  return sum / (n - 2 * cut);
}

/** The q-quantile (0 <= q <= 1) of `xs` with linear interpolation between order statistics. */
export function percentile(xs: readonly number[], q: number): number {
  const n = xs.length;
  if (n === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return s[lo] + (pos - lo) * (s[hi] - s[lo]);
}

export interface BootstrapOptions {
  /** Number of bootstrap resamples (default 2000). */
  resamples?: number;
  /** Confidence level of the band (default 0.95). */
  confidence?: number;
  /** Seed of the resampling generator (default 0). */
  seed?: number;
}

export interface AggregateCurve {
  /** The steps (x values), increasing. */
  steps: number[];
  /** IQM across runs at each step. */
  iqm: number[];
  /** Lower and upper ends of the bootstrap band at each step. */
  low: number[];
  high: number[];
  /** How many runs have a value at each step. */
  count: number[];
}

/**
 * IQM curve and percentile-bootstrap band of several runs' curves. `values[r][j]` is run r's
 * value at `steps[j]` (NaN where run r has no value there, e.g. a run still in progress); at each
 * step only runs with a value count. Resampling picks run indices, shared by all steps.
 */
export function aggregateCurves(
  steps: readonly number[],
  values: readonly (readonly number[])[],
  o: BootstrapOptions = {},
): AggregateCurve {
  const B = o.resamples ?? 2000;
  const conf = o.confidence ?? 0.95;
  const n = values.length;
  const T = steps.length;
  const out: AggregateCurve = { steps: [...steps], iqm: [], low: [], high: [], count: [] };
  for (let j = 0; j < T; j++) {
    const col: number[] = [];
    for (let r = 0; r < n; r++) if (Number.isFinite(values[r][j])) col.push(values[r][j]);
    out.iqm.push(iqm(col));
    out.count.push(col.length);
  }
  if (n === 0) return out;
  const rng = new Rng(o.seed ?? 0);
  // boot[j][b]: IQM at step j of resample b
  const boot: number[][] = Array.from({ length: T }, () => []);
  const idx = new Int32Array(n);
  const col: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < n; k++) idx[k] = rng.int(n);
    for (let j = 0; j < T; j++) {
      col.length = 0;
      for (let k = 0; k < n; k++) {
        const v = values[idx[k]][j];
        if (Number.isFinite(v)) col.push(v);
      }
      if (col.length) boot[j].push(iqm(col));
    }
  }
  const a = (1 - conf) / 2;
  for (let j = 0; j < T; j++) {
    out.low.push(percentile(boot[j], a));
    out.high.push(percentile(boot[j], 1 - a));
  }
  return out;
}

/**
 * Puts several runs' (step, value) lists on one grid: the sorted union of their steps. A run's value
 * at a grid step is its own value there, or the linear interpolation between its neighbouring
 * points when the step lies inside the run's range, else NaN (before its first or after its last point).
 */
export function alignRuns(runs: readonly (readonly (readonly [number, number])[])[]): {
  steps: number[];
  values: number[][];
} {
  const set = new Set<number>();
  const sorted = runs.map((pts) =>
    [...pts]
      .filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]))
      .sort((a, b) => a[0] - b[0]),
  );
  for (const pts of sorted) for (const p of pts) set.add(p[0]);
  const steps = [...set].sort((a, b) => a - b);
  const values = sorted.map((pts) => {
    const row: number[] = [];
    let k = 0;
    for (const s of steps) {
      if (pts.length === 0 || s < pts[0][0] || s > pts[pts.length - 1][0]) {
        row.push(NaN);
        continue;
      }
      while (k + 1 < pts.length && pts[k + 1][0] <= s) k++;
      const [x0, y0] = pts[k];
      if (x0 === s || k + 1 >= pts.length) row.push(y0);
      else {
        const [x1, y1] = pts[k + 1];
        row.push(y0 + ((s - x0) / (x1 - x0)) * (y1 - y0));
      }
    }
    return row;
  });
  return { steps, values };
}
