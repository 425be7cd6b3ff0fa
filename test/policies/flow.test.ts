import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from '../../src/engine/index.ts';
import {
  VelocityNet,
  particleVelocity,
  integrateFlow,
  integrateParticles,
  timeGrid,
} from '../../src/policies/flow.ts';

describe('flow policy', () => {
  it('the factorised particle velocity equals the network applied to repeated conditions', () => {
    E.tidy(() => {
      const net = new VelocityNet(
        { condDim: 3, dim: 2, hidden: 16, residualBlocks: 2, embedding: 8, temperatureInput: true },
        new E.Rng(1),
      );
      const rng = new E.Rng(2);
      const B = 4;
      const P = 5;
      const cond = E.randn([B, 3], rng);
      const y = E.randn([B * P, 2], rng);
      const t = 0.37;
      const T = 0.02;
      // with parameters that record gradients (layer by layer) and without (one fused kernel)
      const fast = particleVelocity(net, cond, P, T)(y, t).toArray();
      const fused = E.noGrad(() => particleVelocity(net, cond, P, T)(y, t).toArray());
      // with the time grid's biases made in advance (t on the grid, and off it)
      const onGrid = E.noGrad(() =>
        particleVelocity(net, cond, P, T, [0.1, t, 0.9])(y, t).toArray(),
      );
      const offGrid = E.noGrad(() => particleVelocity(net, cond, P, T, [0.1, 0.9])(y, t).toArray());
      const n = B * P;
      const slow = net
        .forward(E.repeatInterleave(cond, P, 0), y, E.full([n], t), E.full([n], T))
        .toArray();
      // one temperature for every row (its embedding made once): the same numbers
      const oneT = net.forward(E.repeatInterleave(cond, P, 0), y, E.full([n], t), T).toArray();
      assert.deepEqual([...oneT], [...slow]);
      for (const got of [fast, fused, onGrid, offGrid])
        got.forEach((v, i) =>
          assert.ok(
            Math.abs(v - slow[i]) < 1e-5 * (1 + Math.abs(slow[i])),
            `${i}: ${v} vs ${slow[i]}`,
          ),
        );
    });
  });
  it('time grid spans [tMin, 1 - tMin]; Euler integration of a zero-initialised-free net is deterministic', () => {
    const g = timeGrid(4, 0.01);
    assert.equal(g.length, 5);
    assert.ok(Math.abs(g[0] - 0.01) < 1e-12 && Math.abs(g[4] - 0.99) < 1e-12);
    const net = new VelocityNet(
      { condDim: 0, dim: 2, hidden: 8, residualBlocks: 1, embedding: 4, temperatureInput: false },
      new E.Rng(3),
    );
    const y0 = E.randn([6, 2], new E.Rng(4));
    const a = integrateFlow(net, null, y0, null, { steps: 3, tMin: 0.01 }).toArray();
    const b = integrateFlow(net, null, y0, null, {
      steps: 3,
      tMin: 0.01,
      solver: 'euler',
    }).toArray();
    assert.deepEqual([...a], [...b]);
    const h = integrateFlow(net, null, y0, null, {
      steps: 3,
      tMin: 0.01,
      solver: 'heun',
    }).toArray();
    assert.notDeepEqual([...a], [...h]);
  });
  it('integrateParticles makes the same Euler steps as particleVelocity, on every backend', () => {
    const backends = [new E.TsBackend(), E.getBackend()];
    for (const be of backends) {
      E.tidy(() => {
        for (const [condDim, temperatureInput, B, P, hidden] of [
          [5, true, 7, 4, 24],
          [0, false, 1, 9, 16],
          [3, false, 13, 1, 40],
        ] as const) {
          const net = new VelocityNet(
            { condDim, dim: 3, hidden, residualBlocks: 2, embedding: 8, temperatureInput },
            new E.Rng(5),
            be,
          );
          const rng = new E.Rng(6);
          const cond = condDim > 0 ? E.randn([B, condDim], rng, be) : null;
          const y0 = E.randn([B * P, 3], rng, be);
          const T = temperatureInput ? 0.05 : null;
          const ts = timeGrid(5, 0.01);
          const fused = integrateParticles(net, cond, y0, T, ts).toArray();
          const stepped = E.noGrad(() => {
            const v = particleVelocity(net, cond, P, T, ts);
            let y = y0;
            for (let k = 0; k + 1 < ts.length; k++)
              y = E.add(y, E.mul(v(y, ts[k]), ts[k + 1] - ts[k]));
            return y.toArray();
          });
          assert.deepEqual(
            [...fused],
            [...stepped],
            `${be.name}, condDim ${condDim}, B ${B}, P ${P}`,
          );
          assert.deepEqual([...y0.toArray()].length, fused.length);
        }
      });
    }
  });
  it('VelocityNet.mseGradients equals backward() of the composed regression loss', (t) => {
    const be = E.getBackend();
    const net = new VelocityNet(
      { condDim: 4, dim: 3, hidden: 20, residualBlocks: 2, embedding: 8, temperatureInput: true },
      new E.Rng(12),
      be,
    );
    const r = new E.Rng(13);
    const B = 11;
    const cond = E.randn([B, 4], r, be);
    const y = E.randn([B, 3], r, be);
    const tt = E.rand([B], r, be);
    const T = E.full([B], 0.05, be);
    const target = E.randn([B, 3], r, be);
    const params = net.parameters();
    const loss = E.tidy(() => {
      const l = E.mean(E.square(E.sub(net.forward(cond, y, tt, T), target)));
      E.backward(l);
      return l.item();
    });
    const want = params.map((p) => p.grad!.toArray());
    for (const p of params) p.grad = null;
    const got = net.mseGradients(cond, y, tt, T, target);
    if (got === null) {
      t.skip('this backend composes the loss');
      return;
    }
    assert.ok(Math.abs(got - loss) <= 1e-5 * (1 + loss));
    params.forEach((p, j) =>
      p
        .grad!.toArray()
        .forEach((v, i) =>
          assert.ok(
            Math.abs(v - want[j][i]) <= 1e-4 * (1 + Math.abs(want[j][i])),
            `${j}[${i}]: ${v} vs ${want[j][i]}`,
          ),
        ),
    );
  });
});

describe('the integrator against a closed-form flow', () => {
  it("dy/dt = -y: Euler's error is first order in the step, Heun's second order", async () => {
    const { integrate } = await import('../../src/policies/flow.ts');
    const y0 = E.tensor([1, -2, 0.5], [3, 1]);
    const exact = (steps: number) =>
      y0.toArray().map((v) => v * Math.exp(-(timeGrid(steps, 0.01)[steps] - 0.01)));
    const err = (steps: number, solver: 'euler' | 'heun') => {
      const got = integrate((y) => E.mul(y, -1), y0, timeGrid(steps, 0.01), solver).toArray();
      return Math.max(...exact(steps).map((v, i) => Math.abs(got[i] - v)));
    };
    const [e10, e20] = [err(10, 'euler'), err(20, 'euler')];
    const [h10, h20] = [err(10, 'heun'), err(20, 'heun')];
    assert.ok(e10 / e20 > 1.8 && e10 / e20 < 2.2, `Euler error ratio ${e10 / e20}`);
    assert.ok(h10 / h20 > 3.6 && h10 / h20 < 4.4, `Heun error ratio ${h10 / h20}`);
    assert.ok(h10 < e10 / 10, `Heun ${h10} vs Euler ${e10}`);
  });
});

describe('the shared Reverse Flow Matching step', () => {
  it('accumulates the gradients of the composed regression onto the estimated velocity, drawing t, eps, then reverse noise', async () => {
    const { flowMatchingStep } = await import('../../src/policies/rfm-step.ts');
    const { estimatePosteriorMean, CV } = await import('../../src/estimators/index.ts');
    const P = await import('../../src/paths/index.ts');
    E.tidy(() => {
      const net = new VelocityNet(
        { condDim: 3, dim: 2, hidden: 16, residualBlocks: 1, embedding: 8, temperatureInput: true },
        new E.Rng(1),
      );
      const cond = E.randn([6, 3], new E.Rng(2));
      const y1 = E.randn([6, 2], new E.Rng(3));
      const logTarget = (x: E.Tensor) => E.mul(E.sum(E.square(x), 1), -0.5);
      const grads = () =>
        net.parameters().map((p) => {
          const g = p.grad ? p.grad.toArray() : new Float32Array(p.size);
          if (p.grad) p.backend.fill(p.grad.storage, 0);
          return g;
        });
      const r = flowMatchingStep({
        net,
        cond,
        temperature: 0.1,
        path: P.linearFlowPath,
        prediction: 'velocity',
        y1,
        logTarget,
        reverseSamples: 9,
        cv: CV,
        tMin: 0.01,
        rng: new E.Rng(4),
      });
      const got = grads();
      // by hand, with the same draws in the same order
      const rng = new E.Rng(4);
      const t = Float32Array.from({ length: 6 }, () => 0.01 + 0.98 * rng.uniform());
      const coef = P.coefficientTensors(P.linearFlowPath, t, y1);
      const yt = P.interpolate(coef, y1, E.randn([6, 2], rng));
      const est = estimatePosteriorMean(logTarget, yt, coef.a, coef.b, 9, CV, rng, t);
      const target = P.velocityFromPosteriorMean(coef, est.mean, yt).detach();
      const loss = E.mean(
        E.square(E.sub(net.forward(cond, yt, E.tensor(t, [6]), E.full([6], 0.1)), target)),
      );
      E.backward(loss);
      const want = grads();
      assert.ok(
        Math.abs(r.loss - loss.item()) < 1e-5 * (1 + loss.item()),
        `loss ${r.loss} vs ${loss.item()}`,
      );
      want.forEach((w, i) =>
        w.forEach((v, j) =>
          assert.ok(
            Math.abs(got[i][j] - v) < 1e-4 * (1 + Math.abs(v)),
            `param ${i}[${j}]: ${got[i][j]} vs ${v}`,
          ),
        ),
      );
    });
  });
});
