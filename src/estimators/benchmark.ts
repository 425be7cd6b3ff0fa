/**
 * The estimator benchmark (spec/BENCHMARKS.md section 4): mean squared error of the posterior-mean
 * estimators NE (c = 0), GE (c = sigma^2) and CV (autotuned c*) against the exact posterior mean,
 * on Gaussian-mixture targets where that mean has a closed form (gmmPosteriorMean).
 *
 * Protocol, for each target, path time t and number of reverse samples K:
 *  - `points` conditioning points: x1 ~ target (gmmSample), x0 ~ N(0, I), x_t = t x1 + (1 - t) x0
 *    (the linear flow path), so x_t follows the path's own marginal at t;
 *  - for each point, `seeds` independent estimator draws (different reverse proposals);
 *  - NE, GE and CV are evaluated on the SAME reverse proposals and log-target values/gradients
 *    (a paired comparison: the differences between estimators are not blurred by sampling noise
 *    in the proposals), through reverseProposals + logTargetValueAndGrad + posteriorMean, the
 *    three pieces of estimatePosteriorMean;
 *  - error of one estimate: the squared Euclidean distance |m_hat - m|^2 (summed over the D
 *    coordinates); MSE: its mean over points and seeds. `se`: the standard error of that mean,
 *    from the spread of the per-point means (seeds averaged first).
 *
 * Each row also carries CV diagnostics (effective sample size, the autotuned c*, how often it hit
 * the clip) and the paired difference CV - best(NE, GE) with its standard error, which is what a
 * verdict "CV <= min(NE, GE)" should be read against.
 */
import { Rng, noGrad, reshape, tensor, tidy, type Tensor } from '../engine/index.ts';
import { coefficientTensors, linearFlowPath } from '../paths/index.ts';
import { gmmLogTarget, gmmPosteriorMean, gmmSample, type GaussianMixture } from './gmm.ts';
import {
  CV,
  GE,
  NE,
  logTargetValueAndGrad,
  posteriorMean,
  reverseProposals,
  type ControlVariate,
} from './posterior-mean.ts';

/**
 * The benchmark's targets, one per dimension. Components differ in weight, spread and position so
 * that the posterior is multimodal at intermediate t and the weights are uneven:
 *  - 1-D: three components, weights 0.5 / 0.3 / 0.2 at -2, 0.5, 2.5 with stds 0.4, 0.8, 0.25;
 *  - 2-D: four components, weights 0.4 / 0.3 / 0.2 / 0.1 at (-2, -1), (1.5, 1.5), (2, -2), (-1, 2.5)
 *    with stds 0.5, 0.3, 0.7, 0.2;
 *  - 6-D: three components, weights 0.5 / 0.3 / 0.2, means of norm about 3 to 3.5 in different
 *    directions, stds 0.6, 0.4, 0.9.
 */
export const BENCHMARK_TARGETS: Readonly<Record<number, GaussianMixture>> = {
  1: { dim: 1, weights: [0.5, 0.3, 0.2], means: [[-2], [0.5], [2.5]], stds: [0.4, 0.8, 0.25] },
  2: {
    dim: 2,
    weights: [0.4, 0.3, 0.2, 0.1],
    means: [
      [-2, -1],
      [1.5, 1.5],
      [2, -2],
      [-1, 2.5],
    ],
    stds: [0.5, 0.3, 0.7, 0.2],
  },
  6: {
    dim: 6,
    weights: [0.5, 0.3, 0.2],
    means: [
      [1.5, -1, 0.5, 2, -1, 0.5],
      [-1, 2, -1.5, 0, 1, -1.5],
      [0.5, 0.5, 2, -1.5, -1.5, 1],
    ],
    stds: [0.6, 0.4, 0.9],
  },
};

export const ESTIMATORS = { ne: NE, ge: GE, cv: CV } as const satisfies Record<
  string,
  ControlVariate
>;
export type EstimatorName = keyof typeof ESTIMATORS;
const NAMES: EstimatorName[] = ['ne', 'ge', 'cv'];

export interface EstimatorBenchmarkConfig {
  dims: readonly number[];
  Ks: readonly number[];
  ts: readonly number[];
  /** Conditioning points per (dim, t); the same points serve every K. */
  points: number;
  /** Independent estimator draws per point. */
  seeds: number;
  seed: number;
  /** The CV variant measured (default: CV, ridge 1e-4, clip 2). */
  cv?: ControlVariate;
  /** Called after each row (progress). */
  onRow?: (row: EstimatorBenchmarkRow) => void;
}

export const DEFAULT_BENCHMARK: Omit<EstimatorBenchmarkConfig, 'seed'> = {
  dims: [1, 2, 6],
  Ks: [8, 32, 100, 256],
  ts: [0.05, 0.25, 0.5, 0.75, 0.95],
  points: 250,
  seeds: 2,
};

type PerEstimator = Record<EstimatorName, number>;

export interface EstimatorBenchmarkRow {
  target: 'gmm';
  dim: number;
  K: number;
  t: number;
  /** Mean of |m_hat - m|^2 over points and seeds. */
  mse: PerEstimator;
  /** Standard error of each MSE (over points). */
  se: PerEstimator;
  /** Paired comparison: mean of (err_cv - err_best) over points, best = the lower of NE and GE here. */
  cvVsBest: { best: 'ne' | 'ge'; diff: number; se: number };
  /** Mean effective sample size 1 / sum w^2 (the same for every estimator: shared proposals). */
  ess: number;
  /** CV's coefficient c*: mean, standard deviation over points and coordinates, and the share clipped. */
  cStar: { mean: number; std: number; clipped: number };
  /** The GE coefficient sigma^2 = ((1 - t) / t)^2, for comparison with c*. */
  sigma2: number;
  points: number;
  seeds: number;
}

function meanSe(xs: Float64Array): [number, number] {
  const n = xs.length;
  let s = 0;
  for (const x of xs) s += x;
  const m = s / n;
  let v = 0;
  for (const x of xs) v += (x - m) ** 2;
  return [m, n > 1 ? Math.sqrt(v / (n - 1) / n) : 0];
}

/** Conditioning points at time t: x_t rows [n * dim] and the exact posterior means [n * dim]. */
export function conditioningPoints(
  g: GaussianMixture,
  t: number,
  n: number,
  rng: Rng,
): { xt: Float64Array; exact: Float64Array } {
  const D = g.dim;
  const x1 = gmmSample(g, n, rng);
  const xt = new Float64Array(n * D);
  const exact = new Float64Array(n * D);
  const sigma = (1 - t) / t;
  for (let i = 0; i < n; i++) {
    const mu = new Float64Array(D);
    for (let d = 0; d < D; d++) {
      xt[i * D + d] = t * x1[i * D + d] + (1 - t) * rng.normal();
      mu[d] = xt[i * D + d] / t;
    }
    exact.set(gmmPosteriorMean(g, mu, sigma), i * D);
  }
  return { xt, exact };
}

/** One (target, t, K) cell: per-point errors for each estimator plus CV diagnostics. */
function cell(
  g: GaussianMixture,
  xt: Float64Array,
  exact: Float64Array,
  t: number,
  K: number,
  seeds: number,
  rng: Rng,
  cvSpec: ControlVariate,
) {
  const D = g.dim;
  const n = xt.length / D;
  const err: Record<EstimatorName, Float64Array> = {
    ne: new Float64Array(n),
    ge: new Float64Array(n),
    cv: new Float64Array(n),
  };
  let essSum = 0;
  const cs: number[] = [];
  const clip = cvSpec.kind === 'cv' ? (cvSpec.clip ?? 2) : Infinity;
  const l = gmmLogTarget(g);
  const specs: Record<EstimatorName, ControlVariate> = { ...ESTIMATORS, cv: cvSpec };
  // rows: every point repeated `seeds` times, processed in chunks to bound memory
  const rows = n * seeds;
  const chunk = Math.max(1, Math.floor(200_000 / (K * D)));
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const r1 = Math.min(rows, r0 + chunk);
    const B = r1 - r0;
    const host = new Float32Array(B * D);
    for (let r = r0; r < r1; r++)
      for (let d = 0; d < D; d++) host[(r - r0) * D + d] = xt[Math.floor(r / seeds) * D + d];
    tidy(() => {
      const x = tensor(host, [B, D]);
      const c = coefficientTensors(linearFlowPath, new Float32Array(B).fill(t), x);
      const p = reverseProposals(x, c.a, c.b, K, rng);
      const { value, grad } = logTargetValueAndGrad(l, reshape(p.x1, [B * K, D]));
      noGrad(() => {
        for (const name of NAMES) {
          const res = posteriorMean(p, value, grad, specs[name]);
          const m = res.mean.toArray();
          for (let r = r0; r < r1; r++) {
            const i = Math.floor(r / seeds);
            let e = 0;
            for (let d = 0; d < D; d++) e += (m[(r - r0) * D + d] - exact[i * D + d]) ** 2;
            err[name][i] += e / seeds;
          }
          if (name === 'cv') {
            essSum += res.diagnostics.ess * B;
            for (const v of (res.c as Tensor).toArray()) cs.push(v);
          }
        }
      });
    });
  }
  let cm = 0;
  for (const v of cs) cm += v;
  cm /= cs.length;
  let cv2 = 0;
  let clipped = 0;
  for (const v of cs) {
    cv2 += (v - cm) ** 2;
    if (Math.abs(v) >= clip * (1 - 1e-6)) clipped++;
  }
  return {
    err,
    ess: essSum / rows,
    cStar: { mean: cm, std: Math.sqrt(cv2 / cs.length), clipped: clipped / cs.length },
  };
}

/** Runs the benchmark; one row per (dim, K, t), ordered by dim, then K, then t. */
export function runEstimatorBenchmark(cfg: EstimatorBenchmarkConfig): EstimatorBenchmarkRow[] {
  const rows: EstimatorBenchmarkRow[] = [];
  const root = new Rng(cfg.seed);
  cfg.dims.forEach((dim, di) => {
    const g = BENCHMARK_TARGETS[dim];
    if (!g)
      throw new Error(
        `runEstimatorBenchmark: no target of dimension ${dim} (have ${Object.keys(BENCHMARK_TARGETS).join(', ')})`,
      );
    const byKt = new Map<string, EstimatorBenchmarkRow>();
    cfg.ts.forEach((t, ti) => {
      if (!(t > 0 && t < 1))
        throw new Error(`runEstimatorBenchmark: t must lie in (0, 1), got ${t}`);
      // one stream for the points, one per K for the estimator draws: changing K never moves the points
      const ptRng = root.split(1000 * di + ti);
      const { xt, exact } = conditioningPoints(g, t, cfg.points, ptRng);
      cfg.Ks.forEach((K, ki) => {
        const estRng = ptRng.split(1 + ki);
        const { err, ess, cStar } = cell(g, xt, exact, t, K, cfg.seeds, estRng, cfg.cv ?? CV);
        const mse = {} as PerEstimator;
        const se = {} as PerEstimator;
        for (const name of NAMES) [mse[name], se[name]] = meanSe(err[name]);
        const best = mse.ne <= mse.ge ? 'ne' : 'ge';
        const diffs = err.cv.map((e, i) => e - err[best][i]);
        const [diff, diffSe] = meanSe(diffs);
        const row: EstimatorBenchmarkRow = {
          target: 'gmm',
          dim,
          K,
          t,
          mse,
          se,
          cvVsBest: { best, diff, se: diffSe },
          ess,
          cStar,
          sigma2: ((1 - t) / t) ** 2,
          points: cfg.points,
          seeds: cfg.seeds,
        };
        byKt.set(`${K}/${t}`, row);
        cfg.onRow?.(row);
      });
    });
    for (const K of cfg.Ks) for (const t of cfg.ts) rows.push(byKt.get(`${K}/${t}`)!);
  });
  return rows;
}
