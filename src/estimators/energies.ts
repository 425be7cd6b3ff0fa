/**
 * Two-dimensional unnormalised densities exp(-E(x)) with exact samplers: targets for training a
 * flow sampler with no data (spec/RFM.md section 8; src/estimators/boltzmann.ts).
 *
 *  - ring8: eight equal-weight isotropic Gaussians (std 0.5) centred on the circle of radius 4, at
 *    angles 2 pi j / 8. Neighbouring centres are 2 * 4 sin(pi/8) = 3.06 apart (about 6 stds), so the
 *    modes are well separated. E = -log of the normalised mixture density.
 *    Exact sampler: the mixture's own (pick a component, draw a Gaussian; gmmSample).
 *  - rings: two concentric rings of radii 2 and 4 with a Gaussian radial profile of std 0.3,
 *    E(x) = -log( exp(-(r - 2)^2 / (2 * 0.3^2)) + exp(-(r - 4)^2 / (2 * 0.3^2)) ),  r = |x|.
 *    (The engine version uses r = sqrt(|x|^2 + 1e-12) so its gradient is finite at the origin,
 *    where the density is below e^-22 anyway.) The outer ring carries about twice the mass.
 *    Exact sampler: the angle is uniform; the radius has density ∝ r exp(-E) on r > 0 (the polar
 *    Jacobian), drawn by rejection sampling from a two-Gaussian envelope (see rejection1d).
 *  - double-well: E(x) = (x0^2 - 4)^2 / 4 + x0 / 4 + x1^2 / 2: two wells at x0 ≈ ±2 separated by a
 *    barrier of height about 4 at x0 = 0; the tilt x0/4 makes the left well carry about e ≈ 2.7 times
 *    the mass of the right one, so mode weights matter. x1 is standard normal, independent of x0.
 *    Exact sampler: the density factorises: x1 ~ N(0, 1) directly, x0 by rejection from a
 *    two-Gaussian envelope.
 */
import {
  type Backend,
  type Tensor,
  add,
  mul,
  neg,
  slice,
  sqrt,
  square,
  sub,
  sum,
  logsumexp,
  reshape,
  tensor,
} from '../engine/index.ts';
import { gmmLogTarget, gmmSample, type GaussianMixture } from './gmm.ts';
import type { LogTarget } from './posterior-mean.ts';

export type EnergyName = 'ring8' | 'rings' | 'double-well';
export const ENERGY_NAMES: readonly EnergyName[] = ['ring8', 'rings', 'double-well'];

interface SamplerRng {
  uniform(): number;
  normal(): number;
}

export interface Energy2D {
  readonly name: EnergyName;
  readonly description: string;
  /** -E(x) for rows x [N, 2] -> [N], from engine ops (autodiff gives grad l = -grad E). */
  logDensity(backend?: Backend): LogTarget;
  /** -E at one point, on the host (float64), for tests and numerical integration. */
  logDensityAt(x0: number, x1: number): number;
  /** n exact samples, rows of 2, flattened. */
  sample(n: number, rng: SamplerRng): Float64Array;
  /** Half-width of a square that holds essentially all the mass (for plots and integration). */
  readonly extent: number;
}

// ---------------------------------------------------------------------------------------------
// exact 1-D rejection sampling

export interface GaussianEnvelope {
  weights: readonly number[];
  means: readonly number[];
  stds: readonly number[];
}

function envelopeLogDensity(e: GaussianEnvelope, x: number): number {
  let s = 0;
  for (let j = 0; j < e.weights.length; j++)
    s +=
      (e.weights[j] / (e.stds[j] * Math.sqrt(2 * Math.PI))) *
      Math.exp(-((x - e.means[j]) ** 2) / (2 * e.stds[j] ** 2));
  return Math.log(s);
}

/**
 * A rejection sampler for a 1-D density ∝ exp(logp(x)) (logp = -Infinity outside its support),
 * with a Gaussian-mixture envelope q. The bound M >= sup p/q is found on a fine grid over [lo, hi]
 * with a 5% margin; the caller picks an envelope whose tails are heavier than p's (so p/q falls
 * outside the grid) — then the accepted draws are exact samples of p.
 */
export function rejection1d(
  logp: (x: number) => number,
  env: GaussianEnvelope,
  lo: number,
  hi: number,
  gridPoints = 20001,
): (rng: SamplerRng) => number {
  let logM = -Infinity;
  for (let i = 0; i < gridPoints; i++) {
    const x = lo + ((hi - lo) * i) / (gridPoints - 1);
    const r = logp(x) - envelopeLogDensity(env, x);
    if (r > logM) logM = r;
  }
  logM += Math.log(1.05);
  const total = env.weights.reduce((a, b) => a + b, 0);
  return (rng) => {
    for (;;) {
      let u = rng.uniform() * total;
      let j = 0;
      while (j < env.weights.length - 1 && (u -= env.weights[j]) >= 0) j++;
      const x = env.means[j] + env.stds[j] * rng.normal();
      const lp = logp(x);
      if (lp === -Infinity) continue;
      if (Math.log(rng.uniform()) < lp - envelopeLogDensity(env, x) - logM) return x;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// the energies

const RING8_RADIUS = 4;
const RING8_STD = 0.5;

export const RING8_MIXTURE: GaussianMixture = {
  dim: 2,
  weights: Array.from({ length: 8 }, () => 1 / 8),
  means: Array.from({ length: 8 }, (_, j) => [
    RING8_RADIUS * Math.cos((2 * Math.PI * j) / 8),
    RING8_RADIUS * Math.sin((2 * Math.PI * j) / 8),
  ]),
  stds: Array.from({ length: 8 }, () => RING8_STD),
};

function hostGmmLog(g: GaussianMixture, x: readonly number[]): number {
  const terms = g.weights.map((w, j) => {
    let d2 = 0;
    for (let i = 0; i < g.dim; i++) d2 += (x[i] - g.means[j][i]) ** 2;
    return (
      Math.log(w) -
      g.dim * Math.log(g.stds[j]) -
      (g.dim / 2) * Math.log(2 * Math.PI) -
      d2 / (2 * g.stds[j] ** 2)
    );
  });
  const m = Math.max(...terms);
  return m + Math.log(terms.reduce((a, t) => a + Math.exp(t - m), 0));
}

export const ring8: Energy2D = {
  name: 'ring8',
  description: `8 Gaussians (std ${RING8_STD}) on a circle of radius ${RING8_RADIUS}`,
  logDensity: (backend) => gmmLogTarget(RING8_MIXTURE, backend),
  logDensityAt: (a, b) => hostGmmLog(RING8_MIXTURE, [a, b]),
  sample: (n, rng) => gmmSample(RING8_MIXTURE, n, rng),
  extent: 6.5,
};

export const RINGS_RADII = [2, 4] as const;
export const RINGS_STD = 0.3;

function ringsLogRadial(r: number): number {
  const a = -((r - RINGS_RADII[0]) ** 2) / (2 * RINGS_STD ** 2);
  const b = -((r - RINGS_RADII[1]) ** 2) / (2 * RINGS_STD ** 2);
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

const ringsRadius = rejection1d(
  (r) => (r > 0 ? Math.log(r) + ringsLogRadial(r) : -Infinity),
  // the outer ring has about twice the mass (the polar Jacobian r); envelope stds 1.3x the profile's
  { weights: [1, 2], means: [...RINGS_RADII], stds: [1.3 * RINGS_STD, 1.3 * RINGS_STD] },
  0,
  RINGS_RADII[1] + 12 * RINGS_STD,
);

export const rings: Energy2D = {
  name: 'rings',
  description: `two rings of radii ${RINGS_RADII.join(' and ')}, Gaussian radial profile std ${RINGS_STD}`,
  logDensity: (backend) => {
    const radii = tensor([...RINGS_RADII], [1, 2], backend);
    return (x: Tensor) => {
      const r = sqrt(add(sum(square(x), 1, true), 1e-12)); // [N, 1]
      const z = mul(square(sub(r, radii)), -1 / (2 * RINGS_STD ** 2)); // [N, 2]
      return logsumexp(z, 1);
    };
  },
  logDensityAt: (a, b) => ringsLogRadial(Math.hypot(a, b)),
  sample: (n, rng) => {
    const out = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const r = ringsRadius(rng);
      const th = 2 * Math.PI * rng.uniform();
      out[2 * i] = r * Math.cos(th);
      out[2 * i + 1] = r * Math.sin(th);
    }
    return out;
  },
  extent: 5.5,
};

export const DOUBLE_WELL_TILT = 0.25;

function doubleWellLogX0(x: number): number {
  return -((x * x - 4) ** 2) / 4 - DOUBLE_WELL_TILT * x;
}

const doubleWellX0 = rejection1d(
  doubleWellLogX0,
  // wells at about ±2 with curvature 8 (std ~0.35); the left one is heavier
  { weights: [0.73, 0.27], means: [-2, 2], stds: [0.7, 0.7] },
  -8,
  8,
);

export const doubleWell: Energy2D = {
  name: 'double-well',
  description: `E = (x0^2 - 4)^2 / 4 + ${DOUBLE_WELL_TILT} x0 + x1^2 / 2`,
  logDensity: () => (x: Tensor) => {
    const a = slice(x, 1, 0, 1);
    const b = slice(x, 1, 1, 2);
    const e = add(
      add(mul(square(sub(square(a), 4)), 0.25), mul(a, DOUBLE_WELL_TILT)),
      mul(square(b), 0.5),
    );
    return reshape(neg(e), [x.shape[0]]);
  },
  logDensityAt: (a, b) => doubleWellLogX0(a) - (b * b) / 2,
  sample: (n, rng) => {
    const out = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      out[2 * i] = doubleWellX0(rng);
      out[2 * i + 1] = rng.normal();
    }
    return out;
  },
  extent: 4,
};

export const ENERGIES: Readonly<Record<EnergyName, Energy2D>> = {
  ring8,
  rings,
  'double-well': doubleWell,
};

export function getEnergy(name: string): Energy2D {
  const e = (ENERGIES as Record<string, Energy2D>)[name];
  if (!e) throw new Error(`unknown energy '${name}' (known: ${ENERGY_NAMES.join(', ')})`);
  return e;
}
