import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Box } from '../../src/envs/index.ts';

test('Box.sample: seeded, inside finite bounds, the same sequence for the same seed', () => {
  const box = new Box([-2, 0, 5], [2, 1, 5]);
  assert.equal(box.dtype, 'float64');
  const a = box.seed(7);
  assert.equal(a, box);
  const first = [box.sample(), box.sample()];
  box.seed(7);
  assert.deepEqual([box.sample(), box.sample()], first);
  assert.notDeepEqual(first[0], first[1]);
  for (let i = 0; i < 200; i++) {
    const x = box.sample();
    assert.ok(x instanceof Float64Array && box.contains(x), String(x));
    assert.equal(x[2], 5); // a degenerate interval
  }
  assert.notDeepEqual(new Box(-1, 1, [3]).seed(1).sample(), new Box(-1, 1, [3]).seed(2).sample());
});

test('Box.sample on unbounded and half-bounded elements: normal, low + Exp(1), high - Exp(1)', () => {
  const box = new Box([-Infinity, 3, -Infinity], [Infinity, Infinity, -1]).seed(0);
  const n = 4000;
  const m = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const x = box.sample();
    assert.ok(x[1] >= 3 && x[2] <= -1 && Number.isFinite(x[0]));
    for (let j = 0; j < 3; j++) m[j] += x[j] / n;
  }
  assert.ok(Math.abs(m[0]) < 0.1, `mean of N(0, 1) draws ${m[0]}`);
  assert.ok(Math.abs(m[1] - 4) < 0.1, `mean of 3 + Exp(1) draws ${m[1]}`);
  assert.ok(Math.abs(m[2] + 2) < 0.1, `mean of -1 - Exp(1) draws ${m[2]}`);
  assert.throws(() => new Box(-1, 1).seed(-3), /seed must be a non-negative safe integer/);
});
