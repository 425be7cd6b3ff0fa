/**
 * How good are the NE / GE / CV posterior means on a 2-D energy at the path times the sampler trains
 * on? The exact posterior mean E[x1 | x_t] is computed by numerical integration on a grid
 * (posterior ∝ exp(-E(x)) N(x; x_t / t, ((1 - t) / t)^2 I)), at conditioning points x_t from the
 * exact path marginal (x1 from the exact sampler). Reports, per coordinate, the mean error (bias)
 * and the mean squared error of each estimator, and the mean ESS.
 *
 *   node --import tsx bench/boltzmann-small-t.ts [--energy double-well] [--K 64] [--points 300] [--ts 0.02,0.05,0.1,0.25,0.5]
 */
import { Rng, reshape, tensor, tidy } from '../src/engine/index.ts';
import { coefficientTensors, linearFlowPath } from '../src/paths/index.ts';
import { getEnergy } from '../src/estimators/energies.ts';
import {
  CV,
  GE,
  NE,
  logTargetValueAndGrad,
  posteriorMean,
  reverseProposals,
} from '../src/estimators/index.ts';

const argv = process.argv.slice(2);
const arg = (k: string, d: string) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const en = getEnergy(arg('energy', 'double-well'));
const K = Number(arg('K', '64'));
const points = Number(arg('points', '300'));
const ts = arg('ts', '0.02,0.05,0.1,0.25,0.5').split(',').map(Number);

// the target on a grid (its mass lies inside [-extent, extent]^2)
const n = 241;
const L = en.extent + 1;
const h = (2 * L) / (n - 1);
const grid: [number, number, number][] = [];
for (let i = 0; i < n; i++)
  for (let j = 0; j < n; j++) {
    const x = -L + i * h;
    const y = -L + j * h;
    grid.push([x, y, en.logDensityAt(x, y)]);
  }

function exactMean(mu: [number, number], sigma: number): [number, number] {
  let m = -Infinity;
  const lw = grid.map(([x, y, l]) => {
    const v = l - ((x - mu[0]) ** 2 + (y - mu[1]) ** 2) / (2 * sigma * sigma);
    if (v > m) m = v;
    return v;
  });
  let z = 0;
  let a = 0;
  let b = 0;
  grid.forEach(([x, y], k) => {
    const w = Math.exp(lw[k] - m);
    z += w;
    a += w * x;
    b += w * y;
  });
  return [a / z, b / z];
}

const rng = new Rng(3);
const l = en.logDensity();
console.log(
  `${en.name}: K ${K}, ${points} points per t; error = m_hat - m (exact by grid integration)`,
);
console.log(
  `${'t'.padStart(5)} ${'est'.padEnd(3)} ${'bias x0'.padStart(10)} ${'bias x1'.padStart(10)} ${'mse x0'.padStart(10)} ${'mse x1'.padStart(10)} ${'ESS'.padStart(6)}`,
);
for (const t of ts) {
  const x1 = en.sample(points, rng);
  const xt = Float32Array.from(x1, (v) => t * v + (1 - t) * rng.normal());
  const exact = Array.from({ length: points }, (_, i) =>
    exactMean([xt[2 * i] / t, xt[2 * i + 1] / t], (1 - t) / t),
  );
  tidy(() => {
    const x = tensor(xt, [points, 2]);
    const c = coefficientTensors(linearFlowPath, new Float32Array(points).fill(t), x);
    const p = reverseProposals(x, c.a, c.b, K, rng);
    const { value, grad } = logTargetValueAndGrad(l, reshape(p.x1, [points * K, 2]));
    for (const [name, cv] of [
      ['ne', NE],
      ['ge', GE],
      ['cv', CV],
    ] as const) {
      const r = posteriorMean(p, value, grad, cv);
      const m = r.mean.toArray();
      const bias = [0, 0];
      const mse = [0, 0];
      for (let i = 0; i < points; i++)
        for (let d = 0; d < 2; d++) {
          const e = m[2 * i + d] - exact[i][d];
          bias[d] += e / points;
          mse[d] += (e * e) / points;
        }
      console.log(
        `${String(t).padStart(5)} ${name.padEnd(3)} ${bias.map((v) => v.toExponential(2).padStart(10)).join(' ')} ${mse.map((v) => v.toExponential(2).padStart(10)).join(' ')} ${r.diagnostics.ess.toFixed(1).padStart(6)}`,
      );
    }
  });
}
