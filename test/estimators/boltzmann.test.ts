import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from '../../src/engine/index.ts';
import { ENERGIES, type Energy2D } from '../../src/estimators/energies.ts';
import { energyDistance, mmdGaussian } from '../../src/estimators/sample-distance.ts';
import { logTargetValueAndGrad } from '../../src/estimators/index.ts';
import { trainBoltzmann } from '../../src/estimators/boltzmann.ts';

/** Moments of exp(l) by the midpoint rule on a square grid of half-width extent. */
function integrate(en: Energy2D, n = 600): Record<string, number> {
  const L = en.extent;
  const h = (2 * L) / n;
  const acc = { z: 0, x: 0, y: 0, xx: 0, yy: 0, r: 0, left: 0 };
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const x = -L + (i + 0.5) * h;
      const y = -L + (j + 0.5) * h;
      const p = Math.exp(en.logDensityAt(x, y));
      acc.z += p;
      acc.x += p * x;
      acc.y += p * y;
      acc.xx += p * x * x;
      acc.yy += p * y * y;
      acc.r += p * Math.hypot(x, y);
      acc.left += x < 0 ? p : 0;
    }
  return {
    x: acc.x / acc.z,
    y: acc.y / acc.z,
    xx: acc.xx / acc.z,
    yy: acc.yy / acc.z,
    r: acc.r / acc.z,
    left: acc.left / acc.z,
  };
}

function sampleMoments(s: Float64Array): {
  mean: Record<string, number>;
  se: Record<string, number>;
} {
  const n = s.length / 2;
  const f: Record<string, (x: number, y: number) => number> = {
    x: (x) => x,
    y: (_, y) => y,
    xx: (x) => x * x,
    yy: (_, y) => y * y,
    r: (x, y) => Math.hypot(x, y),
    left: (x) => (x < 0 ? 1 : 0),
  };
  const mean: Record<string, number> = {};
  const se: Record<string, number> = {};
  for (const [k, g] of Object.entries(f)) {
    let a = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      const v = g(s[2 * i], s[2 * i + 1]);
      a += v;
      b += v * v;
    }
    mean[k] = a / n;
    se[k] = Math.sqrt(Math.max(b / n - (a / n) ** 2, 0) / n);
  }
  return { mean, se };
}

describe('energies', () => {
  for (const en of Object.values(ENERGIES)) {
    it(`${en.name}: exact samples match the density's moments (numerical integration)`, () => {
      const s = en.sample(20000, new E.Rng(11));
      const { mean, se } = sampleMoments(s);
      const exact = integrate(en);
      for (const k of Object.keys(exact)) {
        const tol = 5 * se[k] + 2e-3 * (1 + Math.abs(exact[k]));
        assert.ok(
          Math.abs(mean[k] - exact[k]) < tol,
          `${en.name} ${k}: samples ${mean[k].toFixed(4)} vs integral ${exact[k].toFixed(4)} (tol ${tol.toFixed(4)})`,
        );
      }
    });

    it(`${en.name}: engine log-density and its gradient match the host formula`, () => {
      const pts = [
        [0.3, -0.2],
        [1.5, 2.5],
        [-2.1, 0.4],
        [0, 0],
      ];
      E.tidy(() => {
        const r = logTargetValueAndGrad(en.logDensity(), E.tensor(pts.flat(), [pts.length, 2]));
        const v = r.value.toArray();
        const g = r.grad.toArray();
        pts.forEach(([a, b], i) => {
          const host = en.logDensityAt(a, b);
          assert.ok(
            Math.abs(v[i] - host) < 1e-4 * (1 + Math.abs(host)),
            `value at (${a}, ${b}): ${v[i]} vs ${host}`,
          );
          const h = 1e-5;
          const fd = [
            (en.logDensityAt(a + h, b) - en.logDensityAt(a - h, b)) / (2 * h),
            (en.logDensityAt(a, b + h) - en.logDensityAt(a, b - h)) / (2 * h),
          ];
          for (let d = 0; d < 2; d++)
            assert.ok(
              Math.abs(g[2 * i + d] - fd[d]) < 1e-3 * (1 + Math.abs(fd[d])),
              `grad at (${a}, ${b}): ${g[2 * i + d]} vs ${fd[d]}`,
            );
        });
      });
    });
  }
});

describe('sample distances', () => {
  it('energy distance: 0 for identical sets, the closed form for point masses, growing with a shift', () => {
    const rng = new E.Rng(5);
    const x = rng.fillNormal(new Float64Array(800));
    assert.equal(energyDistance(x, x, 2), 0);
    // one point each, |x - y| = 1: D^2 = 2 * 1 - 0 - 0
    assert.ok(Math.abs(energyDistance([0, 0], [0.6, 0.8], 2) - 2) < 1e-12);
    const shifted = (d: number) => x.map((v, i) => (i % 2 === 0 ? v + d : v));
    const y = rng.fillNormal(new Float64Array(800));
    const same = energyDistance(x, y, 2);
    const d05 = energyDistance(x, shifted(0.5), 2);
    const d2 = energyDistance(x, shifted(2), 2);
    assert.ok(same < 0.05, `two samples of N(0, I): ${same}`);
    assert.ok(d05 > 3 * same && d2 > d05, `shift 0: ${same}, 0.5: ${d05}, 2: ${d2}`);
  });

  it('Gaussian-kernel MMD: 0 for identical sets, closed form for two points', () => {
    const x = [0, 0, 1, 1];
    assert.equal(mmdGaussian(x, x, 2, 1), 0);
    const h = 0.7;
    const d = 1.3;
    assert.ok(
      Math.abs(mmdGaussian([0], [d], 1, h) - (2 - 2 * Math.exp(-(d * d) / (2 * h * h)))) < 1e-12,
    );
    assert.throws(() => energyDistance([1, 2, 3], [1, 2], 2), /rows of 2/);
  });
});

describe('Boltzmann flow sampler', () => {
  it('a short RFM run moves the flow towards the double well (energy distance falls by half)', () => {
    const r = trainBoltzmann({
      energy: ENERGIES['double-well'],
      estimator: 'cv',
      steps: 100,
      seed: 2,
      batch: 64,
      K: 32,
      evalSamples: 400,
      evalSteps: 8,
    });
    assert.equal(r.generated.length, 800);
    assert.ok(r.generated.every(Number.isFinite));
    assert.ok(
      r.energyDistance < 0.5 * r.initialEnergyDistance,
      `initial ${r.initialEnergyDistance}, after 100 steps ${r.energyDistance}`,
    );
  });
});
