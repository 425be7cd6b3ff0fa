/**
 * Reward shaping for the DeepMind Control Suite ports: the `tolerance` bump function and its sigmoids.
 *
 * tolerance(x) is 1 while `x` lies inside [lower, upper] (inclusive) and falls off outside it with a chosen
 * sigmoid of the normalised distance d = distance-to-nearest-bound / margin, such that S(0) = 1 and
 * S(1) = valueAtMargin. With margin 0 it is a plain 0/1 indicator of the bounds.
 */

export type SigmoidKind =
  | 'gaussian'
  | 'hyperbolic'
  | 'long_tail'
  | 'reciprocal'
  | 'cosine'
  | 'linear'
  | 'quadratic'
  | 'tanh_squared';

export const SIGMOID_KINDS: readonly SigmoidKind[] = [
  'gaussian',
  'hyperbolic',
  'long_tail',
  'reciprocal',
  'cosine',
  'linear',
  'quadratic',
  'tanh_squared',
];

/** Kinds that accept valueAtMargin = 0 (they reach exactly zero at a finite distance). */
const ZERO_OK: ReadonlySet<SigmoidKind> = new Set<SigmoidKind>(['cosine', 'linear', 'quadratic']);

/**
 * The sigmoid S(d) for d >= 0 with S(0) = 1 and S(1) = v.
 * Throws for a value of v outside the range the kind allows.
 */
export function sigmoid(d: number, v: number, kind: SigmoidKind): number {
  const low = ZERO_OK.has(kind) ? v >= 0 : v > 0;
  if (!(low && v < 1)) {
    throw new Error(`tolerance: value_at_margin=${v} is not allowed for sigmoid '${kind}'`);
  }
  switch (kind) {
    case 'gaussian': {
      const s = Math.sqrt(-2 * Math.log(v));
      return Math.exp(-0.5 * (d * s) ** 2);
    }
    case 'hyperbolic': {
      const s = Math.acosh(1 / v);
      return 1 / Math.cosh(d * s);
    }
    case 'long_tail': {
      const s = Math.sqrt(1 / v - 1);
      return 1 / ((d * s) ** 2 + 1);
    }
    case 'reciprocal': {
      const s = 1 / v - 1;
      return 1 / (Math.abs(d) * s + 1);
    }
    case 'cosine': {
      const s = Math.acos(2 * v - 1) / Math.PI;
      const ds = d * s;
      return Math.abs(ds) < 1 ? (1 + Math.cos(Math.PI * ds)) / 2 : 0;
    }
    case 'linear': {
      const ds = d * (1 - v);
      return Math.abs(ds) < 1 ? 1 - ds : 0;
    }
    case 'quadratic': {
      const ds = d * Math.sqrt(1 - v);
      return Math.abs(ds) < 1 ? 1 - ds * ds : 0;
    }
    case 'tanh_squared': {
      const s = Math.atanh(Math.sqrt(1 - v));
      return 1 - Math.tanh(d * s) ** 2;
    }
    default: {
      const never: never = kind;
      throw new Error(`tolerance: unknown sigmoid '${String(never)}'`);
    }
  }
}

export interface ToleranceOptions {
  /** [lower, upper], inclusive; either may be infinite. Default [0, 0]. */
  bounds?: readonly [number, number];
  /** Width of the fall-off outside the bounds; 0 makes the result a 0/1 indicator. Default 0. */
  margin?: number;
  /** Default 'gaussian'. */
  sigmoid?: SigmoidKind;
  /** Value of the sigmoid at distance `margin` from the bounds. Default 0.1. */
  valueAtMargin?: number;
}

/** Scalar tolerance (see the module comment). Result is in [0, 1]. */
export function tolerance(x: number, options: ToleranceOptions = {}): number {
  const [lower, upper] = options.bounds ?? [0, 0];
  const margin = options.margin ?? 0;
  const kind = options.sigmoid ?? 'gaussian';
  const v = options.valueAtMargin ?? 0.1;
  if (!(lower <= upper))
    throw new Error(`tolerance: lower bound ${lower} exceeds upper bound ${upper}`);
  if (!(margin >= 0)) throw new Error(`tolerance: margin must be non-negative, got ${margin}`);
  const inBounds = lower <= x && x <= upper;
  if (inBounds) return 1;
  if (margin === 0) return 0;
  const d = x < lower ? (lower - x) / margin : (x - upper) / margin;
  return sigmoid(d, v, kind);
}

/** Elementwise tolerance over an array. */
export function toleranceArray(
  xs: ArrayLike<number>,
  options: ToleranceOptions = {},
): Float64Array {
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = tolerance(xs[i], options);
  return out;
}
