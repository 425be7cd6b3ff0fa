import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Rng,
  philox4x32,
  randn,
  tidy,
  tensor,
  TsBackend,
  setPhiloxBulk,
  setNormalBulk,
  availableBackends,
  nativePhiloxBulk,
  nativeNormalBulk,
} from '../../src/engine/index.ts';

describe('Philox random numbers', () => {
  it('matches the Random123 known-answer vectors for Philox4x32-10', () => {
    const o = new Uint32Array(4);
    philox4x32([0, 0, 0, 0], 0, 0, o);
    assert.deepEqual([...o], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], 0xffffffff, 0xffffffff, o);
    assert.deepEqual([...o], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], 0xa4093822, 0x299f31d0, o);
    assert.deepEqual([...o], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  });
  it('same seed, same draws; different seeds differ', () => {
    const a = new Rng(42).fillNormal(new Float64Array(100));
    const b = new Rng(42).fillNormal(new Float64Array(100));
    const c = new Rng(43).fillNormal(new Float64Array(100));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });
  it('draws do not depend on how they are batched', () => {
    const whole = new Rng(7).fillUniform(new Float64Array(64));
    const r = new Rng(7);
    const parts = [...r.fillUniform(new Float64Array(10)), ...r.fillUniform(new Float64Array(54))];
    assert.deepEqual([...whole], parts);
  });
  it('split children are independent of the parent stream and reproducible', () => {
    const p1 = new Rng(3);
    const c1 = p1.split();
    const after1 = p1.uniform();
    const p2 = new Rng(3);
    const after2 = p2.uniform(); // no split first: the parent's numbers are the same
    assert.equal(after1, after2);
    assert.equal(c1.uniform(), new Rng(3).split(0).uniform());
    assert.notEqual(new Rng(3).split(0).uniform(), new Rng(3).split(1).uniform());
  });
  it('state round trip continues the stream exactly', () => {
    const r = new Rng(9);
    r.uniform();
    const s = r.state();
    const x = r.fillUniform(new Float64Array(5));
    const y = Rng.fromState(JSON.parse(JSON.stringify(s))).fillUniform(new Float64Array(5));
    assert.deepEqual(x, y);
  });
  it('uniform and normal moments; categorical frequencies', () => {
    const r = new Rng(1);
    const n = 200000;
    const u = r.fillUniform(new Float64Array(n));
    const z = r.fillNormal(new Float64Array(n));
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean(u) - 0.5) < 0.005);
    assert.ok(Math.abs(mean(z)) < 0.01);
    assert.ok(Math.abs(mean(z.map((v) => v * v)) - 1) < 0.02);
    const counts = [0, 0, 0];
    const logits = [Math.log(0.2), Math.log(0.3), Math.log(0.5)];
    for (let i = 0; i < 20000; i++) counts[r.categorical(logits)]++;
    [0.2, 0.3, 0.5].forEach((p, i) => assert.ok(Math.abs(counts[i] / 20000 - p) < 0.015));
  });
  it('tensors drawn from the same seed are equal on every backend (numbers are made on the host)', () => {
    const a = randn([3, 4], new Rng(5), new TsBackend()).toArray();
    const b = tidy(() => randn([3, 4], new Rng(5)).toArray());
    assert.deepEqual([...a], [...b]);
    assert.equal(tensor([1, 2]).size, 2);
  });
  it('bulk normals equal one-block-at-a-time draws, with the native block generator and without', () => {
    // a generator near the end of the 32-bit counter range: the bulk path must carry into the high word
    const near = {
      key: [7, 9] as [number, number],
      counter: [0xffffffff - 3, 5] as [number, number],
      splits: 0,
    };
    const draw = (r: Rng, sizes: number[]) =>
      sizes.map((n) => [...r.fillNormal(new Float64Array(n))]);
    const slow = (s: typeof near, sizes: number[]) => {
      // the reference: pairs from uniform() only (never the bulk path)
      const r = Rng.fromState(s);
      return sizes.map((n) => {
        const out: number[] = [];
        for (let i = 0; i < n; i += 2) {
          const u1 = 1 - r.uniform();
          const u2 = r.uniform();
          const rad = Math.sqrt(-2 * Math.log(u1));
          out.push(rad * Math.cos(2 * Math.PI * u2));
          if (i + 1 < n) out.push(rad * Math.sin(2 * Math.PI * u2));
        }
        return out;
      });
    };
    // 70 and 41 values take 16-block groups of the native generator (one across the carry) and a tail
    const sizes = [3, 1, 9, 2, 17, 70, 41];
    const withUnaligned = (s: typeof near) => {
      const r = Rng.fromState(s);
      r.nextUint32(); // start inside a block
      return r.state();
    };
    availableBackends(); // loads the native backend (and its block generator) when built
    const generators = [null, nativePhiloxBulk()].filter((g, i) => i === 0 || g !== null);
    try {
      for (const start of [
        near,
        withUnaligned(near),
        { key: [1, 2] as [number, number], counter: [0, 0] as [number, number], splits: 0 },
      ]) {
        const want = slow(start, sizes);
        for (const g of generators) {
          setPhiloxBulk(g);
          assert.deepEqual(draw(Rng.fromState(start), sizes), want);
        }
      }
    } finally {
      setPhiloxBulk(nativePhiloxBulk());
    }
  });
  it('float32 normals from the native Box-Muller equal the JavaScript ones (unaligned starts, counter carry, mean and std)', (t) => {
    availableBackends();
    const native = nativeNormalBulk();
    if (!native) {
      t.skip('the native addon is not built');
      return;
    }
    const draw = (
      fn: typeof native | null,
      start: ReturnType<Rng['state']>,
      sizes: number[],
      mean: number,
      std: number,
    ) => {
      setNormalBulk(fn);
      const r = Rng.fromState(start);
      const out = sizes.map((n) => [...r.fillNormal(new Float32Array(n), mean, std)]);
      return { out, next: r.state() };
    };
    try {
      const near = {
        key: [7, 9] as [number, number],
        counter: [0xffffffff - 3, 5] as [number, number],
        splits: 0,
      };
      const unaligned = Rng.fromState(near);
      unaligned.nextUint32();
      for (const start of [near, unaligned.state(), new Rng(11).state()]) {
        for (const [mean, std] of [
          [0, 1],
          [0.5, 2.5],
          [-3, 1e-3],
        ]) {
          const sizes = [3, 1, 9, 2, 17, 600];
          const js = draw(null, start, sizes, mean, std);
          const nat = draw(native, start, sizes, mean, std);
          assert.deepEqual(nat.out, js.out);
          assert.deepEqual(nat.next, js.next);
        }
      }
      // many draws: not a single float differs
      const many = (fn: typeof native | null) => {
        setNormalBulk(fn);
        return new Rng(2024).fillNormal(new Float32Array(1_000_000));
      };
      const a = many(null);
      const b = many(native);
      let differ = 0;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
      assert.equal(differ, 0);
    } finally {
      setNormalBulk(native);
    }
  });
});
