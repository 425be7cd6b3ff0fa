// Accuracy of the native vector math (native/src/vmath.h) in ulps against double references, on
// the instruction-set tier in use (RFM_ISA forces one; scripts/test.mjs runs this file on every
// tier the machine has).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, tryBackend } from '../../src/engine/index.ts';
import type { NativeBackend } from '../../src/engine/backend-native.ts';

const C = Math.sqrt(2 / Math.PI);
const A = 0.044715;
const sig = (x: number): number => 1 / (1 + Math.exp(-x));
const geluS = (x: number): number => sig(2 * C * (x + A * x * x * x));
/** How many ulps the rounding of u alone moves e^{-2u} (for x < 0): |2u|, at least 1. */
const condGelu = (x: number): number =>
  x < 0 ? Math.max(1, 2 * C * Math.abs(x + A * x * x * x)) : 1;

/** The spacing of floats (float: true) or doubles at |v|. */
function ulp(v: number, float: boolean): number {
  const a = Math.abs(v);
  const minExp = float ? -126 : -1022;
  const bits = float ? 23 : 52;
  if (a === 0 || !Number.isFinite(a)) return 2 ** (minExp - bits);
  return 2 ** (Math.max(Math.floor(Math.log2(a)), minExp) - bits);
}

interface Case {
  name: string;
  float: boolean;
  lo: number;
  hi: number;
  ref: (x: number) => number;
  /** the magnitude whose ulp is the unit (default |ref|): where the result crosses zero, the formula's terms */
  scale?: (x: number) => number;
  maxUlps: number;
}

// bounds: the worst error seen on the AVX-512, AVX2 and baseline tiers, with some room
const CASES: Case[] = [
  { name: 'exp', float: true, lo: -87, hi: 88, ref: Math.exp, maxUlps: 2 },
  { name: 'sigmoid', float: true, lo: -80, hi: 40, ref: sig, maxUlps: 3 },
  { name: 'tanh', float: true, lo: -12, hi: 12, ref: Math.tanh, maxUlps: 3 },
  {
    // below -9.9 gelu's sigmoid(2u) meets the clamp of e^-x at 87 (|gelu| < 1e-36 there; the engine's
    // double formula gives 0). For x < 0, u's own rounding moves e^{2u} by |2u| ulps: the unit grows with it
    name: 'gelu',
    float: true,
    lo: -9.5,
    hi: 12,
    ref: (x) => x * geluS(x),
    scale: (x) => Math.abs(x * geluS(x)) * condGelu(x),
    maxUlps: 4,
  },
  { name: 'silu', float: true, lo: -40, hi: 40, ref: (x) => x * sig(x), maxUlps: 3 },
  {
    name: 'gelu_grad',
    float: true,
    lo: -9.5,
    hi: 12,
    ref: (x) => {
      const s = geluS(x);
      return s + 2 * x * s * (1 - s) * C * (1 + 3 * A * x * x);
    },
    scale: (x) => Math.max(1, Math.abs(x)) * condGelu(x),
    maxUlps: 6,
  },
  {
    name: 'silu_grad',
    float: true,
    lo: -40,
    hi: 40,
    ref: (x) => {
      const s = sig(x);
      return s + x * s * (1 - s);
    },
    scale: (x) => Math.max(1, Math.abs(x) / 4),
    maxUlps: 6,
  },
  {
    name: 'log',
    float: false,
    lo: 1e-300,
    hi: 1e300,
    ref: Math.log,
    scale: (x) => Math.max(Math.abs(Math.log(x)), 1e-3),
    maxUlps: 2,
  },
  { name: 'exp_neg', float: false, lo: -100, hi: 0, ref: Math.exp, maxUlps: 2 },
  {
    name: 'sin',
    float: false,
    lo: 0,
    hi: 2 * Math.PI,
    ref: Math.sin,
    scale: (x) => Math.max(Math.abs(Math.sin(x)), 1e-3),
    maxUlps: 2,
  },
  {
    name: 'cos',
    float: false,
    lo: 0,
    hi: 2 * Math.PI,
    ref: Math.cos,
    scale: (x) => Math.max(Math.abs(Math.cos(x)), 1e-3),
    maxUlps: 2,
  },
  {
    // the formula of kernels-ts.ts (it cancels near 0: the unit is the ulp of the sum before - log 2)
    name: 'logcosh',
    float: false,
    lo: -60,
    hi: 60,
    ref: (x) => Math.abs(x) + Math.log1p(Math.exp(-2 * Math.abs(x))) - Math.LN2,
    scale: (x) => Math.abs(x) + Math.log1p(Math.exp(-2 * Math.abs(x))),
    maxUlps: 3,
  },
];

/** Points: uniform over [lo, hi] (log-uniform for log), the ends, and a few special ones. */
function points(c: Case, n: number): Float64Array {
  const r = new Rng(11);
  const x = new Float64Array(n + 4);
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    x[i] =
      c.name === 'log'
        ? Math.exp(Math.log(c.lo) + u * (Math.log(c.hi) - Math.log(c.lo)))
        : c.lo + u * (c.hi - c.lo);
  }
  x.set(
    [
      c.lo,
      c.hi,
      c.name === 'log' ? 1 : (c.lo + c.hi) / 2,
      c.name === 'log' ? 0.5 : c.lo / 2 + c.hi / 4,
    ],
    n,
  );
  if (c.float) for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i]);
  return x;
}

/** Worst error in ulps of c over its points (and the point where it occurs). */
export function worstUlps(be: NativeBackend, c: Case, n = 20000): { ulps: number; at: number } {
  const x = points(c, n);
  const out = new Float64Array(x.length);
  be.addon.vmathEval(c.name, x, out);
  let worst = 0,
    at = NaN;
  for (let i = 0; i < x.length; i++) {
    const ref = c.ref(x[i]);
    const e = Math.abs(out[i] - ref) / ulp(c.scale ? c.scale(x[i]) : ref, c.float);
    if (!(e <= worst)) {
      worst = e;
      at = x[i];
    }
  }
  return { ulps: worst, at };
}

describe('native vector math', () => {
  const be = tryBackend('native') as NativeBackend | null;
  it('every function within its ulp bound of a double reference, on the tier in use', (t) => {
    if (!be) {
      t.skip('the native addon is not built');
      return;
    }
    for (const c of CASES) {
      const { ulps, at } = worstUlps(be, c);
      if (process.env.RFM_VMATH_REPORT)
        console.log(`${be.isa} ${c.name}: ${ulps.toFixed(3)} ulps at ${at}`);
      assert.ok(
        ulps <= c.maxUlps,
        `${be.isa} ${c.name}: ${ulps} ulps at x = ${at} (bound ${c.maxUlps})`,
      );
    }
  });
  it('special values: NaN stays NaN, the activations saturate', (t) => {
    if (!be) {
      t.skip('the native addon is not built');
      return;
    }
    const ev = (name: string, xs: number[]): number[] => {
      const out = new Float64Array(xs.length);
      be.addon.vmathEval(name, Float64Array.from(xs), out);
      return [...out];
    };
    for (const name of ['exp', 'sigmoid', 'tanh', 'gelu', 'silu', 'gelu_grad', 'silu_grad'])
      assert.ok(Number.isNaN(ev(name, [NaN])[0]), name);
    assert.deepEqual(ev('sigmoid', [-Infinity, -200, 200, Infinity]), [0, 0, 1, 1]);
    assert.deepEqual(ev('tanh', [-Infinity, -30, 30, Infinity]), [-1, -1, 1, 1]);
    assert.deepEqual(ev('gelu', [30, Infinity]), [30, Infinity]);
    assert.equal(ev('exp', [100])[0], Infinity);
    assert.deepEqual(ev('logcosh', [0]), [0]);
    assert.throws(
      () => be.addon.vmathEval('nope', new Float64Array(1), new Float64Array(1)),
      /unknown function/,
    );
    assert.throws(
      () => be.addon.vmathEval('exp', new Float64Array(2), new Float64Array(1)),
      /shorter/,
    );
  });
});
