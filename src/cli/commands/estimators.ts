/**
 * `rfm estimators [--json] [--out DIR] [--points N] [--seeds S] [--seed S] [--dims 1,2,6] [--ks ...] [--ts ...]`
 * (spec/BENCHMARKS.md section 4): the posterior-mean estimator benchmark of
 * src/estimators/benchmark.ts, printed as a table, drawn as MSE-vs-t charts (K = 100), and with
 * --json one object {"rows": [...]} on the last line.
 */
import { writeFileSync } from 'node:fs';
import { makeDirs } from '../../train/files.ts';
import { checkOutputDir } from '../errors.ts';
import { join } from 'node:path';
import type { Command } from '../main.ts';
import { UsageError, optFlag, optNumber, optString, parseArgs } from '../args.ts';
import {
  DEFAULT_BENCHMARK,
  runEstimatorBenchmark,
  type EstimatorBenchmarkRow,
} from '../../estimators/benchmark.ts';
import { lineChart, panels } from '../../viz/svg.ts';
import { getBackend } from '../../engine/index.ts';

const D = DEFAULT_BENCHMARK;
const USAGE = `usage: rfm estimators [--json] [--out DIR] [--points N] [--seeds S] [--seed S] [--dims LIST] [--ks LIST] [--ts LIST]

Mean squared error |m_hat - m|^2 of the posterior-mean estimators NE (c = 0), GE (c = sigma^2)
and CV (autotuned c*, ridge 1e-4, clip 2) against the exact posterior mean, for Gaussian-mixture
targets (src/estimators/benchmark.ts documents them) on the linear flow path.

Default: dims ${D.dims.join(',')}; K ${D.Ks.join(',')}; t ${D.ts.join(',')}; ${D.points} conditioning points per
(dim, t) (x1 from the target, x_t = t x1 + (1 - t) x0), ${D.seeds} estimator draws per point, the three
estimators on shared proposals: 60 cells; about 5 s with the native backend, 30-60 s with the
TypeScript one (RFM_BACKEND=ts) on this 2-core machine.

  --points N   conditioning points per (dim, t)           (default ${D.points})
  --seeds S    estimator draws per point                   (default ${D.seeds})
  --seed S     root seed                                   (default 0)
  --dims, --ks, --ts   comma-separated lists overriding the grid
  --out DIR    where the SVG charts go                     (default runs/estimators/)
  --json       print {"rows": [...]} as the last line`;

function list(s: string | undefined, fallback: readonly number[], key: string): number[] {
  if (s === undefined) return [...fallback];
  const v = s.split(',').map((x) => Number(x.trim()));
  if (v.length === 0 || v.some((x) => !Number.isFinite(x)))
    throw new UsageError(`--${key} must be a comma-separated list of numbers, got '${s}'`);
  return v;
}

function e(x: number): string {
  return x.toExponential(2).padStart(10);
}

/** The table printed for people: one block per dimension, rows (K, t). */
export function formatTable(rows: readonly EstimatorBenchmarkRow[]): string {
  const out: string[] = [];
  for (const dim of [...new Set(rows.map((r) => r.dim))]) {
    out.push(
      `\ngmm dim ${dim}: MSE |m_hat - m|^2 (mean over points x seeds); cv<=min: paired CV - best(NE,GE) with its standard error`,
    );
    out.push(
      `${'K'.padStart(4)} ${'t'.padStart(5)} ${'NE'.padStart(10)} ${'GE'.padStart(10)} ${'CV'.padStart(10)}  ${'cv<=min'.padEnd(8)} ${'CV-best (se)'.padEnd(24)} ${'ESS'.padStart(6)} ${'c* mean'.padStart(8)} ${'c* std'.padStart(8)} ${'clip%'.padStart(6)}`,
    );
    for (const r of rows.filter((x) => x.dim === dim)) {
      const ok = r.mse.cv <= Math.min(r.mse.ne, r.mse.ge);
      const diff = `${r.cvVsBest.diff.toExponential(2)} (${r.cvVsBest.se.toExponential(1)}) vs ${r.cvVsBest.best}`;
      out.push(
        `${String(r.K).padStart(4)} ${String(r.t).padStart(5)} ${e(r.mse.ne)} ${e(r.mse.ge)} ${e(r.mse.cv)}  ${(ok ? 'yes' : 'NO').padEnd(8)} ${diff.padEnd(24)} ${r.ess.toFixed(1).padStart(6)} ${r.cStar.mean.toFixed(3).padStart(8)} ${r.cStar.std.toFixed(3).padStart(8)} ${(100 * r.cStar.clipped).toFixed(1).padStart(6)}`,
      );
    }
  }
  return out.join('\n');
}

/** MSE-vs-t charts at one K: one SVG per dimension and one with all of them as panels. */
export function writeCharts(
  rows: readonly EstimatorBenchmarkRow[],
  dir: string,
  K = 100,
): string[] {
  makeDirs(dir);
  const files: string[] = [];
  const charts: string[] = [];
  const at = rows.filter((r) => r.K === K);
  for (const dim of [...new Set(at.map((r) => r.dim))]) {
    const rs = at.filter((r) => r.dim === dim).sort((a, b) => a.t - b.t);
    const series = (['ne', 'ge', 'cv'] as const).map((n, i) => ({
      name: n.toUpperCase(),
      points: rs.map((r) => [r.t, r.mse[n]] as [number, number]),
      dash: ['', '5 3', ''][i] || undefined,
    }));
    const svg = lineChart(series, {
      title: `GMM, ${dim}-D, K = ${K}`,
      xLabel: 't (flow path time; 0 = noise, 1 = data)',
      yLabel: 'MSE |m_hat - m|^2 (squared data units)',
      logY: true,
    });
    const f = join(dir, `mse-vs-t-dim${dim}-K${K}.svg`);
    writeFileSync(f, svg);
    files.push(f);
    charts.push(svg);
  }
  if (charts.length) {
    const f = join(dir, `mse-vs-t-K${K}.svg`);
    writeFileSync(
      f,
      panels(charts, charts.length, `Posterior-mean estimators: MSE against t at K = ${K}`),
    );
    files.push(f);
  }
  return files;
}

export const command: Command = {
  async run(args) {
    const p = parseArgs(
      args,
      ['out', 'points', 'seeds', 'seed', 'dims', 'ks', 'ts'],
      ['json', 'help'],
    );
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length)
      throw new UsageError(`unexpected arguments '${p.positionals.join(' ')}'`);
    const points = optNumber(p, 'points', D.points);
    const seeds = optNumber(p, 'seeds', D.seeds);
    const seed = optNumber(p, 'seed', 0);
    for (const [k, v] of [
      ['points', points],
      ['seeds', seeds],
    ] as const)
      if (!(Number.isInteger(v) && v >= 1))
        throw new UsageError(`--${k} must be a positive integer`);
    if (!(Number.isSafeInteger(seed) && seed >= 0))
      throw new UsageError('--seed must be a non-negative integer');
    const dims = list(optString(p, 'dims'), D.dims, 'dims');
    const Ks = list(optString(p, 'ks'), D.Ks, 'ks');
    const ts = list(optString(p, 'ts'), D.ts, 'ts');
    if (Ks.some((k) => !(Number.isInteger(k) && k >= 2)))
      throw new UsageError('--ks must be integers >= 2');
    if (ts.some((t) => !(t > 0 && t < 1))) throw new UsageError('--ts must lie in (0, 1)');
    if (dims.some((d) => ![1, 2, 6].includes(d)))
      throw new UsageError('--dims: targets exist for 1, 2 and 6');
    const out = optString(p, 'out') ?? 'runs/estimators';
    checkOutputDir(out, 'out');
    const json = optFlag(p, 'json');
    const t0 = performance.now();
    if (!json)
      console.log(
        `rfm estimators: backend ${getBackend().name}; ${points} points x ${seeds} draws per cell; ${dims.length * Ks.length * ts.length} cells`,
      );
    const rows = runEstimatorBenchmark({ dims, Ks, ts, points, seeds, seed });
    const seconds = (performance.now() - t0) / 1000;
    const files = writeCharts(rows, out, Ks.includes(100) ? 100 : Ks[Math.floor(Ks.length / 2)]);
    console.log(formatTable(rows));
    const k100 = rows.filter((r) => r.K === 100);
    if (k100.length) {
      const bad = k100.filter((r) => r.mse.cv > Math.min(r.mse.ne, r.mse.ge));
      console.log(
        `\nK = 100: CV <= min(NE, GE) in ${k100.length - bad.length} of ${k100.length} cells${bad.length ? `; not at ${bad.map((r) => `dim ${r.dim} t ${r.t}`).join(', ')}` : ''}`,
      );
    }
    console.log(`\n${seconds.toFixed(1)} s; charts: ${files.join(', ')}`);
    if (json)
      console.log(
        JSON.stringify({
          rows,
          config: { dims, Ks, ts, points, seeds, seed },
          backend: getBackend().name,
          seconds,
        }),
      );
    return 0;
  },
};
