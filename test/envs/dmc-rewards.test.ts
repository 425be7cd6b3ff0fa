import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { factsDataDir } from '../facts.ts';
import {
  SIGMOID_KINDS,
  sigmoid,
  tolerance,
  toleranceArray,
  type SigmoidKind,
} from '../../src/envs/dmc/rewards.ts';

const FACTS = factsDataDir() ?? '/work/shared/facts/data';
const VECTORS = join(FACTS, 'dmc-tolerance-vectors.jsonl');

// A few reference values restated here so the test means something without the facts directory.
const INLINE: Array<[number, [number, number], number, SigmoidKind, number, number]> = [
  [1.5, [0, 1], 1, 'gaussian', 0.1, 0.5623413251903491],
  [2.0, [0, 1], 1, 'gaussian', 0.1, 0.1],
  [1.5, [0, 1], 1, 'hyperbolic', 0.1, 0.42640143271122083],
  [1.5, [0, 1], 1, 'long_tail', 0.1, 0.3076923076923077],
  [1.5, [0, 1], 1, 'reciprocal', 0.1, 0.18181818181818182],
  [1.5, [0, 1], 1, 'cosine', 0.1, 0.658113883008419],
  [2.5, [0, 1], 1, 'cosine', 0.1, 0],
  [1.5, [0, 1], 1, 'linear', 0.1, 0.55],
  [1.5, [0, 1], 1, 'quadratic', 0.1, 0.775],
  [1.5, [0, 1], 1, 'tanh_squared', 0.1, 0.4805061467040844],
  [3.7, [10, Infinity], 10, 'linear', 0, 0.37],
];

test('tolerance: inline reference values', () => {
  for (const [x, bounds, margin, kind, v, want] of INLINE) {
    const got = tolerance(x, { bounds, margin, sigmoid: kind, valueAtMargin: v });
    assert.ok(Math.abs(got - want) <= 1e-12, `${kind} x=${x}: got ${got}, want ${want}`);
  }
});

test(
  'tolerance: reference vectors from the original implementation',
  { skip: !existsSync(VECTORS) && `no ${VECTORS}` },
  () => {
    const lines = readFileSync(VECTORS, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    assert.ok(lines.length >= 20);
    const num = (s: number | string): number =>
      s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
    const kinds = new Set<string>();
    for (const line of lines) {
      const r = JSON.parse(line) as {
        x: number;
        bounds: [number | string, number | string];
        margin: number;
        sigmoid: SigmoidKind;
        value_at_margin: number;
        value: string;
      };
      kinds.add(r.sigmoid);
      const got = tolerance(r.x, {
        bounds: [num(r.bounds[0]), num(r.bounds[1])],
        margin: r.margin,
        sigmoid: r.sigmoid,
        valueAtMargin: r.value_at_margin,
      });
      const want = Number(r.value);
      assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${line}: got ${got}`);
    }
    for (const k of SIGMOID_KINDS) assert.ok(kinds.has(k), `vectors cover ${k}`);
  },
);

test('tolerance: bounds are inclusive, margin 0 is an indicator', () => {
  assert.equal(tolerance(1, { bounds: [0, 1] }), 1);
  assert.equal(tolerance(0, { bounds: [0, 1] }), 1);
  assert.equal(tolerance(1.0000001, { bounds: [0, 1] }), 0);
  assert.equal(tolerance(0), 1);
  assert.equal(tolerance(-1e-9), 0);
});

test('sigmoids: S(0)=1, S(1)=v, monotone non-increasing, values in [0,1]', () => {
  for (const kind of SIGMOID_KINDS) {
    for (const v of [0.1, 0.5, 0.9]) {
      assert.ok(Math.abs(sigmoid(0, v, kind) - 1) < 1e-12, `${kind} S(0)`);
      assert.ok(
        Math.abs(sigmoid(1, v, kind) - v) < 1e-12,
        `${kind} S(1)=${sigmoid(1, v, kind)} v=${v}`,
      );
      let prev = 1;
      for (let d = 0; d <= 5; d += 0.05) {
        const s = sigmoid(d, v, kind);
        assert.ok(s >= 0 && s <= 1 && s <= prev + 1e-15, `${kind} d=${d}`);
        prev = s;
      }
    }
  }
});

test('tolerance: invalid arguments throw', () => {
  assert.throws(() => tolerance(0, { bounds: [1, 0] }), /lower bound/);
  assert.throws(() => tolerance(0, { margin: -1 }), /margin/);
  assert.throws(
    () => tolerance(2, { margin: 1, sigmoid: 'gaussian', valueAtMargin: 0 }),
    /value_at_margin/,
  );
  assert.throws(
    () => tolerance(2, { margin: 1, sigmoid: 'linear', valueAtMargin: 1 }),
    /value_at_margin/,
  );
  assert.equal(tolerance(2, { margin: 1, sigmoid: 'linear', valueAtMargin: 0 }), 0);
});

test('toleranceArray is elementwise', () => {
  const out = toleranceArray([0.5, 1.5, 2], { bounds: [0, 1], margin: 1 });
  assert.deepEqual(
    Array.from(out).map((x) => +x.toFixed(12)),
    [1, 0.56234132519, 0.1],
  );
});
