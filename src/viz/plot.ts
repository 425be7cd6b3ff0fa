/**
 * Learning curves of many runs: runs are grouped by (task, algorithm) from their config.json; each
 * group is drawn as its IQM across seeds with a percentile-bootstrap confidence band (./stats.ts),
 * one panel per task, one colour per algorithm. Output is SVG (./svg.ts) or PNG (the SVG
 * rasterised by @resvg/resvg-js, a prebuilt binary shipped as an npm optional dependency).
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname } from 'node:path';
import { makeDirs } from '../train/files.ts';
import { lineChart, panels } from './svg.ts';
import type { Series } from './svg.ts';
import { aggregateCurves, alignRuns } from './stats.ts';
import type { AggregateCurve, BootstrapOptions } from './stats.ts';
import { metricSeries, readMetrics, resolveRunArgs } from './runs.ts';
import type { MetricRow, RunMeta } from './runs.ts';

/** The runs of one (task, algorithm) pair and their aggregate learning curve (IQM with a bootstrap band). */
export interface CurveGroup {
  env: string;
  algo: string;
  /** Run ids in the group. */
  runs: string[];
  curve: AggregateCurve;
}

/** Axis title of a metric, with its unit where known. */
export function metricLabel(metric: string): string {
  const known: Record<string, string> = {
    'eval/return': 'return',
    'train/return': 'return (training episodes)',
    'train/episode_return': 'return (training episodes)',
    'episode/return': 'return',
    'rfm/ess': 'effective sample size (particles)',
    'rfm/mean_c': 'mean c',
    'q/mean': 'Q mean (return units)',
    'q/std': 'Q std (return units)',
    temperature: 'temperature',
  };
  return known[metric] ?? metric;
}

/** Groups runs by (env, algo) and aggregates `metric` across each group's runs. */
export function curveGroups(
  runs: readonly (RunMeta & { rows?: MetricRow[] })[],
  metric: string,
  o: BootstrapOptions & { stepKey?: string } = {},
): CurveGroup[] {
  const groups = new Map<
    string,
    { env: string; algo: string; runs: string[]; pts: [number, number][][] }
  >();
  for (const r of runs) {
    const pts = metricSeries(r.rows ?? readMetrics(r.dir), metric, o.stepKey);
    if (pts.length === 0) continue;
    const key = `${r.env}\u0000${r.algo}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { env: r.env, algo: r.algo, runs: [], pts: [] }));
    g.runs.push(r.id);
    g.pts.push(pts);
  }
  const out: CurveGroup[] = [];
  for (const g of groups.values()) {
    const { steps, values } = alignRuns(g.pts);
    out.push({ env: g.env, algo: g.algo, runs: g.runs, curve: aggregateCurves(steps, values, o) });
  }
  return out.sort((a, b) => (a.env + a.algo < b.env + b.algo ? -1 : 1));
}

export interface PlotOptions {
  metric?: string;
  /** Panels per row (default: up to 3). */
  cols?: number;
  width?: number;
  height?: number;
}

/** One SVG document with a panel per task. Throws when no run has the metric. */
export function learningCurvesSvg(groups: readonly CurveGroup[], o: PlotOptions = {}): string {
  const metric = o.metric ?? 'eval/return';
  if (groups.length === 0) throw new Error(`no run has values of '${metric}'`);
  const envs = [...new Set(groups.map((g) => g.env))];
  const algos = [...new Set(groups.map((g) => g.algo))].sort();
  const palette = [
    '#1f77b4',
    '#d62728',
    '#2ca02c',
    '#ff7f0e',
    '#9467bd',
    '#8c564b',
    '#e377c2',
    '#7f7f7f',
  ];
  const charts = envs.map((env) => {
    const series: Series[] = groups
      .filter((g) => g.env === env)
      .map((g) => {
        const c = g.curve;
        const pts: [number, number][] = [];
        const band: [number, number, number][] = [];
        c.steps.forEach((s, j) => {
          if (Number.isFinite(c.iqm[j])) pts.push([s, c.iqm[j]]);
          if (Number.isFinite(c.low[j]) && Number.isFinite(c.high[j]))
            band.push([s, c.low[j], c.high[j]]);
        });
        const n = g.runs.length;
        return {
          name: `${g.algo} (${n} run${n === 1 ? '' : 's'})`,
          points: pts,
          band,
          markers: pts.length <= 30,
          color: palette[algos.indexOf(g.algo) % palette.length],
        };
      });
    return lineChart(series, {
      title: env,
      xLabel: 'environment steps',
      yLabel: `${metricLabel(metric)} (IQM, 95% CI)`,
      width: o.width ?? 560,
      height: o.height ?? 380,
    });
  });
  if (charts.length === 1) return charts[0];
  return panels(charts, o.cols ?? Math.min(3, charts.length));
}

interface ResvgModule {
  Resvg: new (
    svg: string,
    opts?: Record<string, unknown>,
  ) => { render(): { width: number; height: number; asPng(): Uint8Array } };
}

/** Rasterises an SVG document to PNG at its own pixel size (times `scale`), on white, with the system fonts. */
export function svgToPng(svg: string, scale = 1): Buffer {
  const require = createRequire(import.meta.url);
  const { Resvg } = require('@resvg/resvg-js') as ResvgModule;
  const r = new Resvg(svg, {
    background: 'white',
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    font: {
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  });
  return Buffer.from(r.render().asPng());
}

/** Width and height of a PNG, from its IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) throw new Error('not a PNG file');
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/** Options of plotRuns: the metric, the output file (.png or .svg) and the bootstrap's resamples and seed. */
export interface PlotRunsOptions extends BootstrapOptions {
  /** The metrics.jsonl key on the y axis (default 'eval/return'). */
  metric?: string;
  /** The file to write, .png or .svg (its folder is created). */
  out: string;
}

/**
 * Learning curves of run folders (`rfm plot`): `paths` are run folders, folders holding run
 * folders, or globs of either; runs are grouped by task and algorithm and each group is drawn as
 * its IQM across runs with a 95% percentile-bootstrap band, written to `out` (PNG or SVG). Returns
 * the groups; throws when `out` has another extension or no run has values of the metric.
 */
export function plotRuns(paths: readonly string[], o: PlotRunsOptions): CurveGroup[] {
  const metric = o.metric ?? 'eval/return';
  const ext = extname(o.out).toLowerCase();
  if (ext !== '.png' && ext !== '.svg')
    throw new Error(`plot: the output must end in .png or .svg, got '${o.out}'`);
  const runs = resolveRunArgs(paths);
  const groups = curveGroups(runs, metric, o);
  if (groups.length === 0)
    throw new Error(
      `plot: none of the ${runs.length} run(s) has values of '${metric}' in metrics.jsonl / metrics.csv`,
    );
  const svg = learningCurvesSvg(groups, { metric });
  makeDirs(dirname(o.out) || '.');
  writeFileSync(o.out, ext === '.svg' ? svg : svgToPng(svg));
  return groups;
}
