/**
 * Isotropic Gaussian-mixture targets with a closed-form endpoint posterior: the test bed for the
 * estimator family (spec/RFM.md section 4).
 *
 *   l(x) = log sum_j pi_j N(x; c_j, s_j^2 I)
 *   p(x1 | mu, sigma) ∝ exp(l(x1)) N(x1; mu, sigma^2 I)
 *     = sum_j r_j N(x1; (s_j^2 mu + sigma^2 c_j) / (s_j^2 + sigma^2), ...),
 *   r_j ∝ pi_j N(mu; c_j, (s_j^2 + sigma^2) I).
 */
import {
  type Backend,
  type Tensor,
  add,
  logsumexp,
  mul,
  reshape,
  square,
  sub,
  sum,
  tensor,
} from '../engine/index.ts';
import type { LogTarget } from './posterior-mean.ts';

export interface GaussianMixture {
  readonly dim: number;
  readonly weights: readonly number[];
  /** Component means, [J][dim]. */
  readonly means: readonly (readonly number[])[];
  /** Component standard deviations (isotropic). */
  readonly stds: readonly number[];
}

/** l(x) for rows x [N, D] -> [N], from engine ops (so autodiff gives its gradient). */
export function gmmLogTarget(g: GaussianMixture, backend?: Backend): LogTarget {
  const J = g.weights.length;
  const D = g.dim;
  const c = tensor(g.means.flat(), [1, J, D], backend);
  const inv2s2 = tensor(
    g.stds.map((s) => -1 / (2 * s * s)),
    [1, J],
    backend,
  );
  const logNorm = tensor(
    g.weights.map(
      (w, j) => Math.log(w) - D * Math.log(g.stds[j]) - (D / 2) * Math.log(2 * Math.PI),
    ),
    [1, J],
    backend,
  );
  return (x: Tensor) => {
    const n = x.shape[0];
    const d2 = sum(square(sub(reshape(x, [n, 1, D]), c)), 2); // [N, J]
    return logsumexp(add(mul(d2, inv2s2), logNorm), 1);
  };
}

/** Exact E[x1 | proposal mean mu, std sigma] (host arithmetic, float64). */
export function gmmPosteriorMean(
  g: GaussianMixture,
  mu: ArrayLike<number>,
  sigma: number,
): Float64Array {
  const D = g.dim;
  const J = g.weights.length;
  const logr = new Float64Array(J);
  for (let j = 0; j < J; j++) {
    const v = g.stds[j] ** 2 + sigma ** 2;
    let d2 = 0;
    for (let i = 0; i < D; i++) d2 += (mu[i] - g.means[j][i]) ** 2;
    logr[j] = Math.log(g.weights[j]) - (D / 2) * Math.log(v) - d2 / (2 * v);
  }
  const m = Math.max(...logr);
  let z = 0;
  for (let j = 0; j < J; j++) z += Math.exp(logr[j] - m);
  const out = new Float64Array(D);
  for (let j = 0; j < J; j++) {
    const r = Math.exp(logr[j] - m) / z;
    const s2 = g.stds[j] ** 2;
    for (let i = 0; i < D; i++)
      out[i] += (r * (s2 * mu[i] + sigma ** 2 * g.means[j][i])) / (s2 + sigma ** 2);
  }
  return out;
}

/** Exact samples: pick a component by weight, then a Gaussian draw. */
export function gmmSample(
  g: GaussianMixture,
  n: number,
  rng: { uniform(): number; normal(): number },
): Float64Array {
  const out = new Float64Array(n * g.dim);
  for (let k = 0; k < n; k++) {
    let u = rng.uniform();
    let j = 0;
    while (j < g.weights.length - 1 && (u -= g.weights[j]) >= 0) j++;
    for (let i = 0; i < g.dim; i++) out[k * g.dim + i] = g.means[j][i] + g.stds[j] * rng.normal();
  }
  return out;
}
