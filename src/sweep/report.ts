/**
 * `rfm sweep report SWEEP_DIR`: the sweep's table. Runs are grouped by task, algorithm and the
 * grid settings that tell them apart (preset, `set` values; not the seed); for each group: the
 * number of runs, their final returns (each run's last value of the metric), the mean, the
 * interquartile mean and its 95% percentile-bootstrap interval over runs (../viz/stats.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aggregateCurves } from '../viz/stats.ts';
import { findRuns, metricSeries, readMetrics } from '../viz/runs.ts';
import { readDone } from './runner.ts';
import type { RunLabel } from './grid.ts';

export interface ReportRow {
  readonly env: string;
  readonly algo: string;
  /** The grid settings of the group ('' when none), e.g. "preset=small sac.tau=0.01". */
  readonly settings: string;
  readonly runs: number;
  /** Runs with done.json. */
  readonly finished: number;
  readonly finalReturns: number[];
  readonly mean: number;
  readonly iqm: number;
  readonly low: number;
  readonly high: number;
  /** The last step with a value, over the group's runs (the smallest). */
  readonly minStep: number;
}

export interface SweepReport {
  readonly sweepDir: string;
  readonly metric: string;
  readonly resamples: number;
  readonly seed: number;
  /** Grid settings with one value in every run that has them (key -> JSON value). */
  readonly common: Record<string, string>;
  readonly rows: ReportRow[];
}

/** A run's grid settings as `key=value` entries (from its sweep-run.json; none for other folders). */
function labelOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  try {
    const l = (
      JSON.parse(readFileSync(join(dir, 'sweep-run.json'), 'utf8')) as { label?: RunLabel }
    ).label;
    if (l?.preset) out.set('preset', l.preset);
    for (const k of Object.keys(l?.set ?? {}).sort()) out.set(k, JSON.stringify(l!.set[k]));
  } catch {
    // not a sweep run: no settings
  }
  return out;
}

export function sweepReport(
  sweepDir: string,
  o: { metric?: string; resamples?: number; seed?: number } = {},
): SweepReport {
  const metric = o.metric ?? 'eval/return';
  const resamples = o.resamples ?? 2000;
  const seed = o.seed ?? 0;
  const groups = new Map<
    string,
    {
      env: string;
      algo: string;
      settings: string;
      finals: number[];
      steps: number[];
      runs: number;
      finished: number;
    }
  >();
  const runs = findRuns(sweepDir, 1).filter((r) => r.id !== '.');
  const labels = runs.map((r) => labelOf(r.dir));
  // A setting with one value in every run that has it (every run, or every run of the algorithm
  // whose section it is: the grid gives it to those only) says nothing about a group: only the
  // others are shown.
  const keys = [...new Set(labels.flatMap((l) => [...l.keys()]))];
  const common = new Map<string, string>();
  for (const k of keys) {
    const values = new Set(labels.filter((l) => l.has(k)).map((l) => l.get(k)!));
    if (values.size === 1) common.set(k, [...values][0]);
  }
  for (const [i, r] of runs.entries()) {
    const settings = [...labels[i]]
      .filter(([k]) => !common.has(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const key = [r.env, r.algo, settings].join('\u0000');
    let g = groups.get(key);
    if (!g)
      groups.set(
        key,
        (g = { env: r.env, algo: r.algo, settings, finals: [], steps: [], runs: 0, finished: 0 }),
      );
    g.runs++;
    if (readDone(r.dir)) g.finished++;
    const pts = metricSeries(readMetrics(r.dir), metric);
    if (pts.length > 0) {
      g.finals.push(pts[pts.length - 1][1]);
      g.steps.push(pts[pts.length - 1][0]);
    }
  }
  const rows: ReportRow[] = [];
  for (const g of groups.values()) {
    const agg = aggregateCurves(
      [0],
      g.finals.map((v) => [v]),
      { resamples, seed },
    );
    rows.push({
      env: g.env,
      algo: g.algo,
      settings: g.settings,
      runs: g.runs,
      finished: g.finished,
      finalReturns: g.finals,
      mean: g.finals.length ? g.finals.reduce((s, x) => s + x, 0) / g.finals.length : NaN,
      iqm: agg.iqm[0],
      low: agg.low[0] ?? NaN,
      high: agg.high[0] ?? NaN,
      minStep: g.steps.length ? Math.min(...g.steps) : NaN,
    });
  }
  rows.sort((a, b) => (a.env + a.algo + a.settings < b.env + b.algo + b.settings ? -1 : 1));
  return { sweepDir, metric, resamples, seed, common: Object.fromEntries(common), rows };
}

const num = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

export function reportMarkdown(r: SweepReport): string {
  const lines = [
    `# Sweep report: ${r.sweepDir}`,
    '',
    `Final value of \`${r.metric}\` per run; IQM across runs with a 95% percentile-bootstrap interval (${r.resamples} resamples, seed ${r.seed}).`,
    ...(Object.keys(r.common).length
      ? [
          '',
          `Every run (that has the setting): ${Object.entries(r.common)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}.`,
        ]
      : []),
    '',
    '| task | algorithm | settings | runs (finished) | last step | mean | IQM | 95% interval | final values |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const x of r.rows) {
    lines.push(
      `| ${x.env} | ${x.algo} | ${x.settings || '-'} | ${x.runs} (${x.finished}) | ${Number.isFinite(x.minStep) ? x.minStep : 'n/a'} | ${num(x.mean)} | ${num(x.iqm)} | [${num(x.low)}, ${num(x.high)}] | ${x.finalReturns.map(num).join(', ')} |`,
    );
  }
  return lines.join('\n') + '\n';
}

/** JSON with NaN as null. */
export function reportJson(r: SweepReport): string {
  return (
    JSON.stringify(
      r,
      (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
      1,
    ) + '\n'
  );
}
