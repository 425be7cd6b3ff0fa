import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/engine/index.ts';
import {
  BENCHMARK_TARGETS,
  conditioningPoints,
  runEstimatorBenchmark,
} from '../../src/estimators/benchmark.ts';
import { gmmPosteriorMean } from '../../src/estimators/index.ts';
import { command } from '../../src/cli/commands/estimators.ts';

describe('estimator benchmark', () => {
  it('returns one row per (dim, K, t) with finite, non-negative MSEs and diagnostics', () => {
    const rows = runEstimatorBenchmark({
      dims: [1, 2],
      Ks: [8, 32],
      ts: [0.25, 0.75],
      points: 12,
      seeds: 2,
      seed: 3,
    });
    assert.equal(rows.length, 2 * 2 * 2);
    const keys = rows.map((r) => `${r.dim}/${r.K}/${r.t}`);
    assert.deepEqual(keys, [
      '1/8/0.25',
      '1/8/0.75',
      '1/32/0.25',
      '1/32/0.75',
      '2/8/0.25',
      '2/8/0.75',
      '2/32/0.25',
      '2/32/0.75',
    ]);
    for (const r of rows) {
      assert.equal(r.target, 'gmm');
      for (const n of ['ne', 'ge', 'cv'] as const) {
        assert.ok(Number.isFinite(r.mse[n]) && r.mse[n] >= 0, `${n} mse ${r.mse[n]}`);
        assert.ok(Number.isFinite(r.se[n]) && r.se[n] >= 0);
      }
      assert.ok(r.ess >= 1 && r.ess <= r.K + 1e-6, `ess ${r.ess}`);
      assert.ok(r.cStar.clipped >= 0 && r.cStar.clipped <= 1);
      assert.ok(Math.abs(r.sigma2 - ((1 - r.t) / r.t) ** 2) < 1e-12);
    }
    // deterministic for a seed
    const again = runEstimatorBenchmark({
      dims: [1],
      Ks: [8],
      ts: [0.25],
      points: 12,
      seeds: 2,
      seed: 3,
    });
    assert.equal(again[0].mse.cv, rows[0].mse.cv);
  });

  it('conditioning points follow the path marginal and carry the exact posterior mean', () => {
    const g = BENCHMARK_TARGETS[2];
    const { xt, exact } = conditioningPoints(g, 0.5, 4, new Rng(1));
    assert.equal(xt.length, 8);
    for (let i = 0; i < 4; i++) {
      const m = gmmPosteriorMean(g, [xt[2 * i] / 0.5, xt[2 * i + 1] / 0.5], 1);
      assert.ok(Math.abs(m[0] - exact[2 * i]) < 1e-12 && Math.abs(m[1] - exact[2 * i + 1]) < 1e-12);
    }
  });

  it('NE, GE and CV errors fall with K', () => {
    const rows = runEstimatorBenchmark({
      dims: [1],
      Ks: [4, 256],
      ts: [0.6],
      points: 40,
      seeds: 2,
      seed: 7,
    });
    const [small, large] = rows;
    for (const n of ['ne', 'ge', 'cv'] as const) {
      assert.ok(
        large.mse[n] < small.mse[n] / 4,
        `${n}: K=4 ${small.mse[n]} vs K=256 ${large.mse[n]}`,
      );
    }
  });

  it('rfm estimators --json prints {"rows": [...]} on the last line and writes the charts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rfm-est-'));
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    try {
      const code = await command.run([
        '--json',
        '--points',
        '4',
        '--seeds',
        '1',
        '--dims',
        '1,2',
        '--ks',
        '8,100',
        '--ts',
        '0.3,0.8',
        '--out',
        dir,
      ]);
      assert.equal(code, 0);
    } finally {
      console.log = log;
    }
    const obj = JSON.parse(lines[lines.length - 1]);
    assert.equal(obj.rows.length, 8);
    const r = obj.rows.find(
      (x: { dim: number; K: number; t: number }) => x.dim === 2 && x.K === 100 && x.t === 0.3,
    );
    assert.ok(
      r && r.target === 'gmm' && ['ne', 'ge', 'cv'].every((k) => typeof r.mse[k] === 'number'),
    );
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, [
      'mse-vs-t-K100.svg',
      'mse-vs-t-dim1-K100.svg',
      'mse-vs-t-dim2-K100.svg',
    ]);
    rmSync(dir, { recursive: true, force: true });
  });
});
