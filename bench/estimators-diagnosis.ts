/**
 * Why is the autotuned control variate (CV) not always below min(NE, GE)? A diagnosis on the
 * targets of `rfm estimators` (src/estimators/benchmark.ts), at one K and a few t.
 *
 *   node --import tsx bench/estimators-diagnosis.ts [--points N] [--K K] [--ts 0.05,0.25,0.5] [--dims 1,2,6]
 *
 * For each (dim, t), on the same conditioning points and the same reverse proposals:
 *  - NE, GE, CV (ridge 1e-4, clip 2), CV with no clip and no ridge (1e-12);
 *  - a scan over FIXED c in {0.05, ..., 1}: the best any constant coefficient can do;
 *  - split CV: c* estimated from a second, independent set of K proposals and applied to the
 *    first: the same coefficient rule without the coupling between c* and the sums it multiplies;
 *  - CV with c* floored at 0 (the population coefficient is positive: Stein's identity gives
 *    Cov(x1, s) = -I under the posterior), and the share of negative c*;
 *  - errors binned by the effective sample size of each estimate;
 * and the paired differences to NE with standard errors. Writes runs/estimators/diagnosis.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Rng, add, clamp, mul, noGrad, reshape, sub, tensor, tidy } from '../src/engine/index.ts';
import { coefficientTensors, linearFlowPath } from '../src/paths/index.ts';
import { BENCHMARK_TARGETS, conditioningPoints } from '../src/estimators/benchmark.ts';
import {
  CV,
  GE,
  NE,
  gmmLogTarget,
  logTargetValueAndGrad,
  posteriorMean,
  reverseProposals,
  type ControlVariate,
} from '../src/estimators/index.ts';

const argv = process.argv.slice(2);
const arg = (k: string, d: string) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const points = Number(arg('points', '400'));
const K = Number(arg('K', '100'));
const ts = arg('ts', '0.05,0.25,0.5').split(',').map(Number);
const dims = arg('dims', '1,2,6').split(',').map(Number);
const FIXED = [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1];
const ESS_BINS = [1, 1.5, 3, 10, Infinity];

function meanSe(x: number[]): [number, number] {
  const n = x.length;
  const m = x.reduce((a, b) => a + b, 0) / n;
  const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(n - 1, 1);
  return [m, Math.sqrt(v / n)];
}

const report: unknown[] = [];
for (const dim of dims) {
  const g = BENCHMARK_TARGETS[dim];
  const l = gmmLogTarget(g);
  for (const t of ts) {
    const rng = new Rng(1000 + 10 * dim + Math.round(100 * t));
    const { xt, exact } = conditioningPoints(g, t, points, rng);
    const D = dim;
    const errs: Record<string, number[]> = {};
    const push = (k: string, v: number) => (errs[k] ??= []).push(v);
    const essPer: number[] = [];
    let cNeg = 0;
    let cTotal = 0;
    const chunk = 100;
    for (let r0 = 0; r0 < points; r0 += chunk) {
      const B = Math.min(chunk, points - r0);
      tidy(() => {
        const x = tensor(Float32Array.from(xt.subarray(r0 * D, (r0 + B) * D)), [B, D]);
        const c = coefficientTensors(linearFlowPath, new Float32Array(B).fill(t), x);
        const evalAt = () => {
          const p = reverseProposals(x, c.a, c.b, K, rng);
          const { value, grad } = logTargetValueAndGrad(l, reshape(p.x1, [B * K, D]));
          return { p, value, grad };
        };
        const a = evalAt();
        const b = evalAt(); // independent proposals for the split variant
        noGrad(() => {
          const run = (cv: ControlVariate, s = a) => posteriorMean(s.p, s.value, s.grad, cv);
          const ne = run(NE);
          const w = ne.weights.toArray();
          const ms = sub(run({ kind: 'fixed', value: 1 }).mean, ne.mean); // sum_k w_k s_k
          const cB = run(CV, b).c;
          const cvA = run(CV);
          for (const v of cvA.c.toArray()) {
            cTotal++;
            if (v < 0) cNeg++;
          }
          const variants: Record<string, Float32Array> = {
            ne: ne.mean.toArray(),
            ge: run(GE).mean.toArray(),
            cv: cvA.mean.toArray(),
            // Stein: Cov(x1, s) = -I under the posterior, so the population c* is positive; keep c* >= 0
            'cv-nonneg': add(ne.mean, mul(clamp(cvA.c, 0, 2), ms)).toArray(),
            'cv-noclip-noridge': run({ kind: 'cv', ridge: 1e-12, clip: 1e9 }).mean.toArray(),
            'cv-split': add(ne.mean, mul(cB, ms)).toArray(),
          };
          for (const f of FIXED)
            variants[`fixed-${f}`] = run({ kind: 'fixed', value: f }).mean.toArray();
          for (let i = 0; i < B; i++) {
            let s2 = 0;
            for (let k = 0; k < K; k++) s2 += w[i * K + k] ** 2;
            essPer.push(1 / s2);
            for (const [name, m] of Object.entries(variants)) {
              let e = 0;
              for (let d = 0; d < D; d++) e += (m[i * D + d] - exact[(r0 + i) * D + d]) ** 2;
              push(name, e);
            }
          }
        });
      });
    }
    const summary: Record<string, { mse: number; se: number; diffVsNe: number; diffSe: number }> =
      {};
    for (const [name, e] of Object.entries(errs)) {
      const [mse, se] = meanSe(e);
      const [diff, dse] = meanSe(e.map((v, i) => v - errs.ne[i]));
      summary[name] = { mse, se, diffVsNe: diff, diffSe: dse };
    }
    const bins = ESS_BINS.slice(0, -1).map((lo, j) => {
      const hi = ESS_BINS[j + 1];
      const idx = essPer.map((v, i) => (v >= lo && v < hi ? i : -1)).filter((i) => i >= 0);
      const m = (name: string) =>
        idx.length ? idx.reduce((a, i) => a + errs[name][i], 0) / idx.length : NaN;
      return {
        ess: `[${lo}, ${hi})`,
        share: idx.length / points,
        ne: m('ne'),
        cv: m('cv'),
        cvSplit: m('cv-split'),
        ge: m('ge'),
      };
    });
    report.push({ dim, t, K, points, summary, bins, negativeCStarShare: cNeg / cTotal });
    console.log(
      `\n=== dim ${dim}, t ${t}, K ${K}, ${points} points; mean ESS ${(essPer.reduce((a, b) => a + b, 0) / points).toFixed(2)}; c* < 0 in ${((100 * cNeg) / cTotal).toFixed(1)}% of coordinates`,
    );
    for (const [name, s] of Object.entries(summary)) {
      console.log(
        `${name.padEnd(18)} mse ${s.mse.toExponential(3)} ± ${s.se.toExponential(1)}   minus NE ${s.diffVsNe.toExponential(2)} ± ${s.diffSe.toExponential(1)}`,
      );
    }
    console.log('by ESS:');
    for (const b of bins)
      console.log(
        `  ESS ${b.ess.padEnd(10)} share ${(100 * b.share).toFixed(0).padStart(3)}%  NE ${b.ne.toExponential(2)}  CV ${b.cv.toExponential(2)}  CV-split ${b.cvSplit.toExponential(2)}  GE ${b.ge.toExponential(2)}`,
      );
  }
}
mkdirSync('runs/estimators', { recursive: true });
writeFileSync('runs/estimators/diagnosis.json', JSON.stringify(report, null, 1));
