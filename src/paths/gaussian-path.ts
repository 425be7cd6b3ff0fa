/**
 * Gaussian paths (spec/RFM.md section 2): x_t = a(t) x1 + b(t) x0, x0 ~ N(0, I).
 * One time convention everywhere: t = 0 is noise, t = 1 is data.
 *
 *  - linear flow (rectified): a = t, b = 1 - t
 *  - VP diffusion: a = sqrt(alphabar), b = sqrt(1 - alphabar), with alphabar a function of the
 *    diffusion time s = 1 - t (cosine schedule of Nichol & Dhariwal, or linear beta schedule).
 *
 * Every regression target is a function of the posterior mean m = E[x1 | x_t]; the conversions
 * below go from m to each target and back (they are exact inverses of each other).
 */
import { type Tensor, add, div, mul, sub, tensor } from '../engine/index.ts';

export interface PathCoefficients {
  a: number;
  b: number;
  /** da/dt and db/dt. */
  da: number;
  db: number;
}

export interface GaussianPath {
  readonly name: string;
  coefficients(t: number): PathCoefficients;
}

export const linearFlowPath: GaussianPath = {
  name: 'flow',
  coefficients: (t) => ({ a: t, b: 1 - t, da: 1, db: -1 }),
};

export type VpSchedule = 'cosine' | 'linear';

/** VP path. Cosine: alphabar(s) = cos^2(pi/2 (s + e)/(1 + e)) / cos^2(pi/2 e/(1 + e)), e = 0.008.
 *  Linear: alphabar(s) = exp(-(bmin s + (bmax - bmin) s^2 / 2)), bmin = 0.1, bmax = 20. */
export function vpPath(
  schedule: VpSchedule = 'cosine',
  opts: { offset?: number; betaMin?: number; betaMax?: number } = {},
): GaussianPath {
  const e = opts.offset ?? 0.008;
  const bmin = opts.betaMin ?? 0.1;
  const bmax = opts.betaMax ?? 20;
  const f0 = Math.cos(((Math.PI / 2) * e) / (1 + e)) ** 2;
  // alphabar and d alphabar / ds at diffusion time s
  const alphabar = (s: number): [number, number] => {
    if (schedule === 'cosine') {
      const u = ((Math.PI / 2) * (s + e)) / (1 + e);
      return [
        Math.cos(u) ** 2 / f0,
        (-2 * Math.cos(u) * Math.sin(u) * (Math.PI / 2)) / (1 + e) / f0,
      ];
    }
    const ab = Math.exp(-(bmin * s + 0.5 * (bmax - bmin) * s * s));
    return [ab, -ab * (bmin + (bmax - bmin) * s)];
  };
  return {
    name: `vp-${schedule}`,
    coefficients(t: number): PathCoefficients {
      const [ab, dabds] = alphabar(1 - t);
      const a = Math.sqrt(ab);
      const b = Math.sqrt(Math.max(1 - ab, 0));
      const dab = -dabds; // d/dt = -d/ds
      return { a, b, da: dab / (2 * a), db: b > 0 ? -dab / (2 * b) : 0 };
    },
  };
}

/** Per-row coefficients as [B, 1] tensors for per-row times t. */
export function coefficientTensors(
  path: GaussianPath,
  t: ArrayLike<number>,
  like: Tensor,
): { a: Tensor; b: Tensor; da: Tensor; db: Tensor } {
  const n = t.length;
  const arrs = {
    a: new Float32Array(n),
    b: new Float32Array(n),
    da: new Float32Array(n),
    db: new Float32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const c = path.coefficients(t[i]);
    arrs.a[i] = c.a;
    arrs.b[i] = c.b;
    arrs.da[i] = c.da;
    arrs.db[i] = c.db;
  }
  const mk = (d: Float32Array) => tensor(d, [n, 1], like.backend);
  return { a: mk(arrs.a), b: mk(arrs.b), da: mk(arrs.da), db: mk(arrs.db) };
}

type Coef = { a: Tensor; b: Tensor; da: Tensor; db: Tensor };

/** x_t = a x1 + b x0. */
export function interpolate(c: Coef, x1: Tensor, x0: Tensor): Tensor {
  return add(mul(c.a, x1), mul(c.b, x0));
}

/** Flow velocity v* = a' m + b' (x_t - a m) / b  (linear path: (m - x_t) / (1 - t)). */
export function velocityFromPosteriorMean(c: Coef, m: Tensor, xt: Tensor): Tensor {
  return add(mul(c.da, m), mul(c.db, div(sub(xt, mul(c.a, m)), c.b)));
}
/** Inverse of velocityFromPosteriorMean: m = (b v - b' x_t) / (a' b - a b'). */
export function posteriorMeanFromVelocity(c: Coef, v: Tensor, xt: Tensor): Tensor {
  return div(sub(mul(c.b, v), mul(c.db, xt)), sub(mul(c.da, c.b), mul(c.a, c.db)));
}
/** Noise prediction eps* = (x_t - a m) / b. */
export function noiseFromPosteriorMean(c: Coef, m: Tensor, xt: Tensor): Tensor {
  return div(sub(xt, mul(c.a, m)), c.b);
}
export function posteriorMeanFromNoise(c: Coef, eps: Tensor, xt: Tensor): Tensor {
  return div(sub(xt, mul(c.b, eps)), c.a);
}
/** Score of the marginal at x_t: (a m - x_t) / b^2. */
export function scoreFromPosteriorMean(c: Coef, m: Tensor, xt: Tensor): Tensor {
  return div(sub(mul(c.a, m), xt), mul(c.b, c.b));
}
export function posteriorMeanFromScore(c: Coef, score: Tensor, xt: Tensor): Tensor {
  return div(add(xt, mul(mul(c.b, c.b), score)), c.a);
}
