import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateCurves, alignRuns, iqm, percentile } from '../../src/viz/stats.ts';

describe('IQM', () => {
  it('is the mean of the middle half (floor(n/4) dropped at each end)', () => {
    assert.equal(iqm([5]), 5);
    assert.equal(iqm([1, 3]), 2);
    assert.equal(iqm([4, 1, 3, 2]), 2.5); // drops 1 and 4
    assert.equal(iqm([10, 1, 100, 2, 3]), 5); // sorted 1 2 3 10 100, drops 1 and 100: (2+3+10)/3
    assert.equal(iqm([8, 7, 6, 5, 4, 3, 2, 1]), 4.5); // (3+4+5+6)/4
    assert.ok(Number.isNaN(iqm([])));
  });

  it('percentiles interpolate linearly between order statistics (NumPy default)', () => {
    assert.equal(percentile([4, 1, 3, 2], 0.25), 1.75);
    assert.equal(percentile([4, 1, 3, 2], 0.5), 2.5);
    assert.equal(percentile([4, 1, 3, 2], 1), 4);
    assert.equal(percentile([7], 0.975), 7);
  });
});

describe('bootstrap band', () => {
  it('matches hand-computed ends on a tiny case', () => {
    // Three runs with values 0, 0, 3 at one step. A resample holds k copies of the 3 with
    // k ~ Binomial(3, 1/3); with n = 3 nothing is trimmed, so its IQM is k:
    // P(0) = 8/27 > 2.5%, P(3) = 1/27 = 3.7% > 2.5%, so the 95% band is exactly [0, 3].
    const c = aggregateCurves([10], [[0], [0], [3]], { resamples: 2000, seed: 1 });
    assert.deepEqual(c.iqm, [1]);
    assert.deepEqual(c.low, [0]);
    assert.deepEqual(c.high, [3]);
    // Two runs 0 and 1: resample IQMs are 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4.
    const d = aggregateCurves(
      [0, 1],
      [
        [0, 2],
        [1, 2],
      ],
      { resamples: 2000, seed: 2 },
    );
    assert.deepEqual(d.iqm, [0.5, 2]);
    assert.deepEqual([d.low[0], d.high[0]], [0, 1]);
    assert.deepEqual([d.low[1], d.high[1]], [2, 2]); // identical values: a band of zero width
    // with a narrower confidence level the band sits inside
    const e = aggregateCurves([0], [[0], [1]], { resamples: 4000, seed: 3, confidence: 0.4 });
    assert.equal(e.low[0], 0.5);
    assert.equal(e.high[0], 0.5);
  });

  it('is reproducible for a seed and contains the IQM', () => {
    const vals = [
      [0, 1, 2, 3],
      [0, 2, 4, 8],
      [1, 1, 1, 1],
      [0, 3, 3, 5],
      [2, 2, 6, 9],
    ];
    const a = aggregateCurves([0, 1, 2, 3], vals, { resamples: 500, seed: 7 });
    const b = aggregateCurves([0, 1, 2, 3], vals, { resamples: 500, seed: 7 });
    assert.deepEqual(a, b);
    for (let j = 0; j < 4; j++) {
      assert.ok(
        a.low[j] <= a.iqm[j] && a.iqm[j] <= a.high[j],
        `step ${j}: ${a.low[j]} <= ${a.iqm[j]} <= ${a.high[j]}`,
      );
      assert.equal(a.count[j], 5);
    }
    // IQM at the last step: sorted 1 3 5 8 9, drop one each end: (3+5+8)/3
    assert.equal(a.iqm[3], 16 / 3);
  });

  it('counts only runs that reach a step', () => {
    const c = aggregateCurves(
      [0, 1],
      [
        [1, 2],
        [3, NaN],
      ],
      { resamples: 100 },
    );
    assert.deepEqual(c.count, [2, 1]);
    assert.equal(c.iqm[1], 2);
  });
});

describe('alignRuns', () => {
  it('puts runs on the union of their steps, interpolating inside each run and NaN outside', () => {
    const { steps, values } = alignRuns([
      [
        [0, 0],
        [10, 10],
      ],
      [
        [0, 1],
        [5, 2],
        [20, 4],
      ],
    ]);
    assert.deepEqual(steps, [0, 5, 10, 20]);
    assert.deepEqual(values[0].slice(0, 3), [0, 5, 10]);
    assert.ok(Number.isNaN(values[0][3]));
    assert.deepEqual(values[1], [1, 2, 2 + (5 / 15) * 2, 4]);
  });
});
