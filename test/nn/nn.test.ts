import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from '../../src/engine/index.ts';
import {
  Adam,
  LayerNorm,
  Linear,
  MLP,
  ResidualBlock,
  decodeSafetensors,
  encodeSafetensors,
  fixedSinusoidalEmbedding,
  mseGradients,
  orthogonal,
  polyakUpdate,
  sinusoidalEmbedding,
} from '../../src/nn/index.ts';
import { checkGradients, randomArray, testBackends } from '../engine/helpers.ts';

for (const be of testBackends()) {
  describe(`nn on ${be.name}`, () => {
    const rng = new E.Rng(5);
    it('Linear, MLP, residual block, LayerNorm: input gradients match finite differences', () => {
      const lin = new Linear(3, 4, new E.Rng(1), { backend: be });
      checkGradients(be, 'Linear', [{ data: randomArray(rng, 6), shape: [2, 3] }], (x) =>
        lin.forward(x, 'gelu'),
      );
      const mlp = new MLP([3, 8, 8, 2], new E.Rng(2), { backend: be, activation: 'relu' });
      checkGradients(
        be,
        'MLP',
        [{ data: randomArray(rng, 6), shape: [2, 3] }],
        (x) => mlp.forward(x),
        { eps: 3e-3 },
      );
      const res = new ResidualBlock(4, new E.Rng(3), 'gelu', { backend: be });
      checkGradients(be, 'ResidualBlock', [{ data: randomArray(rng, 8), shape: [2, 4] }], (x) =>
        res.forward(x),
      );
      const ln = new LayerNorm(5, 1e-5, be);
      checkGradients(be, 'LayerNorm', [{ data: randomArray(rng, 10), shape: [2, 5] }], (x) =>
        ln.forward(x),
      );
    });
    it('parameter gradients of an MLP match finite differences', () => {
      const mlp = new MLP([2, 5, 1], new E.Rng(9), { backend: be, activation: 'tanh' });
      const x = E.tensor(randomArray(rng, 8), [4, 2], be);
      const [w0, b0, w1] = mlp.parameters();
      const lossOf = () => E.sum(E.square(mlp.forward(x)));
      const grads = E.grad(lossOf(), [w0, b0, w1]).map((g) => g.toArray());
      [w0, b0, w1].forEach((p, k) => {
        const base = p.toArray();
        for (let i = 0; i < base.length; i++) {
          const d = base.slice();
          d[i] += 1e-2;
          be.write(p.storage, d);
          const lp = lossOf().item();
          d[i] -= 2e-2;
          be.write(p.storage, d);
          const lm = lossOf().item();
          be.write(p.storage, base);
          const fd = (lp - lm) / 2e-2;
          assert.ok(
            Math.abs(fd - grads[k][i]) < 3e-3 + 3e-2 * Math.abs(fd),
            `param ${k}[${i}]: ${grads[k][i]} vs ${fd}`,
          );
        }
      });
    });
    it('MLP.forwardRepeated equals the MLP on repeated conditions, values and all gradients', () => {
      const mlp = new MLP([5, 16, 16, 1], new E.Rng(4), { backend: be, activation: 'relu' });
      const B = 3;
      const R = 4;
      const condData = randomArray(rng, B * 3);
      const xData = randomArray(rng, B * R * 2);
      const run = (fast: boolean) =>
        E.tidy(() => {
          const cond = E.variable(E.tensor(condData, [B, 3], be));
          const x = E.variable(E.tensor(xData, [B * R, 2], be));
          const q = fast
            ? mlp.forwardRepeated(cond, x)
            : mlp.forward(E.concat([E.repeatInterleave(cond, R, 0), x], 1));
          const grads = E.grad(E.sum(E.square(q)), [cond, x, ...mlp.parameters()]);
          return [q, ...grads].map((t) => t.toArray());
        });
      const slow = run(false);
      const fast = run(true);
      slow.forEach((a, k) =>
        a.forEach((v, i) =>
          assert.ok(
            Math.abs(v - fast[k][i]) < 1e-5 + 1e-5 * Math.abs(v),
            `output ${k}[${i}]: ${fast[k][i]} vs ${v}`,
          ),
        ),
      );
      assert.throws(
        () =>
          mlp.forwardRepeated(
            E.tensor(condData, [B, 3], be),
            E.tensor(randomArray(rng, 10), [5, 2], be),
          ),
        /forwardRepeated: condition \[3, 3\] and rows \[5, 2\]/,
      );
    });
    it('sinusoidal embedding: values and shape', () => {
      const e = sinusoidalEmbedding(E.tensor([0, 0.5], [2], be), 4).toNested() as number[][];
      // f = [1, 1000^-1 = 0.001] (the last frequency is 1 / maxPeriod)
      assert.deepEqual(e[0], [0, 0, 1, 1]);
      const want = [Math.sin(0.5), Math.sin(0.0005), Math.cos(0.5), Math.cos(0.0005)];
      e[1].forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6));
    });
    it('fixed-value embeddings: made once, equal to the embedding, kept through tidy, the oldest dropped past 16', () => {
      const grid = [0.05, 0.23, 0.41];
      const want = sinusoidalEmbedding(E.tensor(grid, [3], be), 8).toArray();
      const first = E.tidy(() => fixedSinusoidalEmbedding(grid, 8, be));
      assert.ok(!first.disposed, 'kept through the tidy');
      assert.deepEqual([...first.toArray()], [...want]);
      assert.equal(
        E.tidy(() => fixedSinusoidalEmbedding([...grid], 8, be)),
        first,
        'the same values again: the same tensor',
      );
      assert.notEqual(fixedSinusoidalEmbedding(grid, 6, be), first, 'another size: another');
      for (let i = 0; i < 16; i++) fixedSinusoidalEmbedding([i + 100], 8, be);
      assert.ok(first.disposed, 'dropped (and released) once 16 newer ones were made');
      assert.deepEqual([...fixedSinusoidalEmbedding(grid, 8, be).toArray()], [...want]);
    });
    it("sinusoidal embedding: the RFM reference's (128 wide, f_k = exp(-k ln(1000) / 63), sin then cos)", () => {
      const u = 0.37;
      const e = sinusoidalEmbedding(E.tensor([u], [1], be), 128).toArray();
      assert.equal(e.length, 128);
      for (let k = 0; k < 64; k++) {
        const f = Math.exp((-k * Math.log(1000)) / 63);
        assert.ok(Math.abs(e[k] - Math.sin(u * f)) < 1e-6, `sin ${k}`);
        assert.ok(Math.abs(e[64 + k] - Math.cos(u * f)) < 1e-6, `cos ${k}`);
      }
    });
    it('Adam matches a hand-computed step (with clipping and weight decay)', () => {
      const p = E.variable(E.tensor([1, -2], [2], be)).keep();
      const opt = new Adam([p], {
        lr: 0.1,
        beta1: 0.9,
        beta2: 0.99,
        eps: 1e-8,
        weightDecay: 0.01,
        maxGradNorm: 1,
      });
      E.backward(E.sum(E.mul(p, E.tensor([3, 4], [2], be)))); // grad [3, 4], norm 5 -> clipped to [0.6, 0.8]
      const norm = opt.step();
      assert.ok(Math.abs(norm - 5) < 1e-5);
      const g = [0.6, 0.8];
      const want = [1, -2].map((x, i) => {
        const m = 0.1 * g[i];
        const v = 0.01 * g[i] * g[i];
        const mh = m / (1 - 0.9);
        const vh = v / (1 - 0.99);
        return x - 0.1 * (mh / (Math.sqrt(vh) + 1e-8) + 0.01 * x);
      });
      const got = p.toArray();
      want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-5, `${got[i]} vs ${w}`));
      assert.deepEqual([...p.grad!.toArray()], [0, 0]);
    });
    it('a small MLP fits a 2-D regression', () => {
      const r = new E.Rng(11);
      const n = 256;
      const xs = r.fillUniform(new Float32Array(2 * n), -1, 1);
      const ys = Float32Array.from(
        { length: n },
        (_, i) => Math.sin(2 * xs[2 * i]) * Math.cos(1.5 * xs[2 * i + 1]),
      );
      const x = E.tensor(xs, [n, 2], be).keep();
      const y = E.tensor(ys, [n, 1], be).keep();
      const mlp = new MLP([2, 32, 32, 1], new E.Rng(3), { backend: be, activation: 'gelu' });
      const opt = new Adam(mlp.parameters(), { lr: 3e-3 });
      const lossAt = () => E.tidy(() => E.mean(E.square(E.sub(mlp.forward(x), y))).item());
      const first = lossAt();
      for (let i = 0; i < 400; i++) {
        E.tidy(() => {
          E.backward(E.mean(E.square(E.sub(mlp.forward(x), y))));
        });
        opt.step();
      }
      const last = lossAt();
      assert.ok(last < 0.01 && last < first / 10, `loss ${first} -> ${last}`);
    });
    it('adamMulti and polyakMulti: one call gives the numbers of parameter-by-parameter steps', () => {
      const r = new E.Rng(21);
      const sizes = [7, 1, 130, 33];
      for (const maxGradNorm of [Infinity, 0.5]) {
        const params = sizes.map((n) => be.fromArray(randomArray(r, n)));
        const grads = sizes.map((n, i) =>
          i === 1 ? null : be.fromArray(randomArray(r, n, -2, 2)),
        );
        const ms = sizes.map((n) => be.fromArray(randomArray(r, n, -0.1, 0.1)));
        const vs = sizes.map((n) => be.fromArray(randomArray(r, n, 0, 0.1)));
        const copy = (xs: (E.Storage | null)[]) =>
          xs.map((x) => (x ? be.fromArray(be.read(x)) : null));
        const [p2, g2, m2, v2] = [copy(params), copy(grads), copy(ms), copy(vs)] as E.Storage[][];
        const hp = {
          lr: 0.01,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          weightDecay: 0.001,
          biasCorrection1: 1 - 0.9 ** 3,
          biasCorrection2: 1 - 0.999 ** 3,
        };
        const norm = be.adamMulti(params, grads, ms, vs, hp, maxGradNorm);
        // reference: norm, clip factor and one adam per parameter
        let s = 0;
        for (const g of g2) if (g) s += be.sumSquares(g);
        const want = Math.sqrt(s);
        assert.equal(norm, want);
        const gradScale =
          Number.isFinite(maxGradNorm) && want > maxGradNorm ? maxGradNorm / (want + 1e-6) : 1;
        sizes.forEach((_, i) => {
          if (g2[i]) be.adam(p2[i], g2[i], m2[i], v2[i], { ...hp, gradScale });
          assert.deepEqual([...be.read(params[i])], [...be.read(p2[i])]);
          assert.deepEqual([...be.read(ms[i])], [...be.read(m2[i])]);
          assert.deepEqual([...be.read(vs[i])], [...be.read(v2[i])]);
          if (grads[i])
            assert.ok(
              be.read(grads[i]!).every((x) => x === 0),
              'gradients are zeroed',
            );
        });
        const targets = copy(params) as E.Storage[];
        const t2 = copy(params) as E.Storage[];
        be.polyakMulti(targets, ms, 0.005);
        t2.forEach((t, i) => {
          be.scale(t, 1 - 0.005, t);
          be.axpy(0.005, ms[i], t);
          assert.deepEqual([...be.read(targets[i])], [...be.read(t)]);
        });
      }
      assert.throws(() => be.polyakMulti([be.alloc(3)], [], 0.1), /differ in length/);
      const elsewhere = E.tryBackend(be.name === 'ts' ? 'native' : 'ts');
      if (elsewhere)
        assert.throws(
          () =>
            new Adam([E.variable(E.zeros([2], be)), E.variable(E.zeros([2], elsewhere))], {
              lr: 0.1,
            }),
          /two backends/,
        );
      if (be.name === 'native') {
        assert.throws(
          () =>
            be.adamMulti(
              [be.alloc(3)],
              [be.alloc(2)],
              [be.alloc(3)],
              [be.alloc(3)],
              {
                lr: 0.1,
                beta1: 0.9,
                beta2: 0.9,
                eps: 1e-8,
                weightDecay: 0,
                biasCorrection1: 0.1,
                biasCorrection2: 0.1,
              },
              Infinity,
            ),
          /too short/,
        );
      }
    });
    it('mseGradients: the fused regression gradients equal backward() of the composed loss', (t) => {
      if (!be.mlpMseGrads) {
        assert.equal(
          mseGradients(
            new MLP([3, 4, 1], new E.Rng(1), { backend: be }).chain(),
            E.zeros([2, 3], be),
            E.zeros([2], be),
          ),
          null,
        );
        t.skip('this backend composes the loss');
        return;
      }
      const r = new E.Rng(31);
      // a ReLU critic-like MLP, and a chain with GELU residual blocks and a 3-wide output
      const mlp = new MLP([7, 24, 24, 1], new E.Rng(4), { backend: be, activation: 'relu' });
      const first = new Linear(5, 16, new E.Rng(5), { backend: be });
      const blocks = [
        new ResidualBlock(16, new E.Rng(6), 'gelu', { backend: be }),
        new ResidualBlock(16, new E.Rng(7), 'silu', { backend: be }),
      ];
      const last = new Linear(16, 3, new E.Rng(8), { backend: be });
      const resChain: E.MlpLayer[] = [
        { weight: first.weight, bias: first.bias, act: 'gelu' },
        ...blocks.map((b) => ({
          weight: b.dense.weight,
          bias: b.dense.bias,
          act: b.activation,
          residual: true,
        })),
        { weight: last.weight, bias: last.bias, act: 'none' as const },
      ];
      for (const [chain, M, inW, outW, scale] of [
        [mlp.chain(), 37, 7, 1, 0.5],
        [resChain, 29, 5, 3, 1],
      ] as const) {
        const params = chain.flatMap((l) => [l.weight, l.bias!]);
        const x = E.tensor(randomArray(r, M * inW), [M, inW], be);
        const target = E.tensor(randomArray(r, M * outW), [M, outW], be);
        // composed: backward of the loss; fused: one call (both into .grad, from zero)
        for (const q of params) q.grad = null;
        const want = E.tidy(() => {
          let h = x;
          for (const l of chain) h = E.linear(h, l.weight, l.bias, l.act, l.residual ? h : null);
          const loss = E.mul(E.mean(E.square(E.sub(h, target))), scale);
          E.backward(loss);
          return { loss: loss.item(), pred: h.toArray() };
        });
        const wantGrads = params.map((q) => q.grad!.toArray());
        for (const q of params) q.grad = null;
        const pred = E.zeros([M, outW], be);
        const loss = mseGradients(chain, x, target, scale, pred)!;
        assert.ok(
          Math.abs(loss - want.loss) <= 1e-5 * (1 + Math.abs(want.loss)),
          `loss ${loss} vs ${want.loss}`,
        );
        pred
          .toArray()
          .forEach((v, i) =>
            assert.ok(Math.abs(v - want.pred[i]) <= 1e-5 * (1 + Math.abs(want.pred[i]))),
          );
        params.forEach((q, j) =>
          q
            .grad!.toArray()
            .forEach((v, i) =>
              assert.ok(
                Math.abs(v - wantGrads[j][i]) <= 1e-4 * (1 + Math.abs(wantGrads[j][i])),
                `param ${j}[${i}]: ${v} vs ${wantGrads[j][i]}`,
              ),
            ),
        );
        // gradients accumulate, as backward() does
        mseGradients(chain, x, target, scale);
        params.forEach((q, j) =>
          q
            .grad!.toArray()
            .forEach((v, i) =>
              assert.ok(
                Math.abs(v - 2 * wantGrads[j][i]) <= 2e-4 * (1 + Math.abs(wantGrads[j][i])),
              ),
            ),
        );
        for (const q of params) q.grad = null;
      }
      // chains it does not take: null (the caller composes)
      const sq = new Linear(4, 4, new E.Rng(9), { backend: be });
      assert.equal(
        mseGradients(
          [{ weight: sq.weight, bias: sq.bias, act: 'tanh', residual: true }],
          E.zeros([2, 4], be),
          E.zeros([2, 4], be),
        ),
        null,
      );
      assert.equal(mseGradients(mlp.chain(), E.zeros([2, 6], be), E.zeros([2], be)), null);
    });
    it('Polyak averaging', () => {
      const a = E.tensor([0, 10], [2], be);
      const b = E.tensor([1, 0], [2], be);
      polyakUpdate([a], [b], 0.1);
      const got = a.toArray();
      assert.ok(Math.abs(got[0] - 0.1) < 1e-6 && Math.abs(got[1] - 9) < 1e-6);
    });
  });
}

describe('initialisers and safetensors', () => {
  it('orthogonal init has orthonormal rows or columns, scaled by the gain', () => {
    for (const [r, c] of [
      [6, 4],
      [4, 6],
      [5, 5],
    ]) {
      const w = orthogonal(new E.Rng(1), r, c, 2);
      const tall = r >= c;
      const k = tall ? c : r;
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++) {
          let dot = 0;
          for (let q = 0; q < (tall ? r : c); q++)
            dot += tall ? w[q * c + i] * w[q * c + j] : w[i * c + q] * w[j * c + q];
          assert.ok(Math.abs(dot - (i === j ? 4 : 0)) < 1e-4, `[${r}x${c}] (${i},${j}) = ${dot}`);
        }
    }
  });
  it('safetensors round trip, and errors on corrupt files', () => {
    const m = new MLP([3, 4, 2], new E.Rng(4));
    const bytes = encodeSafetensors(m.stateDict(), { format: 'pt' });
    assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0);
    const { tensors, metadata } = decodeSafetensors(bytes);
    assert.equal(metadata.format, 'pt');
    const m2 = new MLP([3, 4, 2], new E.Rng(99));
    m2.loadStateDict(tensors);
    m.namedParameters().forEach(([n, t], i) =>
      assert.deepEqual([...t.toArray()], [...m2.parameters()[i].toArray()], n),
    );
    assert.throws(() => decodeSafetensors(bytes.subarray(0, 20)), /header length|not valid JSON/);
    assert.throws(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4)), /do not fit/);
    assert.throws(() => new MLP([3, 5, 2], new E.Rng(1)).loadStateDict(tensors), /has shape/);
  });
  it('safetensors files parse with an independent reader (Python + numpy), when available', (t) => {
    const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      t.skip('python3 with numpy is not available');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'rfm-st-'));
    const file = join(dir, 'w.safetensors');
    const data = Float32Array.from([1.5, -2, 3.25, 0, 7, 1e-3]);
    writeFileSync(file, encodeSafetensors(new Map([['layer.weight', { data, shape: [2, 3] }]])));
    const py = `
import json, struct, numpy as np, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8+n])
i = h['layer.weight']
s, e = i['data_offsets']
a = np.frombuffer(b[8+n+s:8+n+e], dtype='<f4').reshape(i['shape'])
print(json.dumps({'dtype': i['dtype'], 'shape': list(a.shape), 'values': a.ravel().tolist()}))`;
    const r = spawnSync('python3', ['-c', py, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.equal(got.dtype, 'F32');
    assert.deepEqual(got.shape, [2, 3]);
    assert.deepEqual(got.values, [...data]);
  });
});
