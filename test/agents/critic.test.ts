/** Twin critics: the fused value-and-gradient of min(Q1, Q2) at repeated states against autodiff. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from '../../src/engine/index.ts';
import { TwinCritic } from '../../src/agents/critic.ts';
import { tanhLatentLogTarget, logTargetValueAndGrad } from '../../src/estimators/index.ts';

function close(name: string, got: Float32Array, want: Float32Array, tol = 2e-5): void {
  assert.equal(got.length, want.length, `${name}: lengths`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])),
      `${name}[${i}]: ${got[i]} vs ${want[i]}`,
    );
  }
}

/** The autodiff reference: value and gradient of minQRepeated through the tape. */
function reference(
  c: TwinCritic,
  obs: E.Tensor,
  act: E.Tensor,
): { value: Float32Array; grad: Float32Array } {
  const x = E.variable(act.detach());
  const v = c.minQRepeated(obs, x);
  const [g] = E.grad(E.sum(v), [x]);
  return { value: v.toArray(), grad: g.toArray() };
}

describe('twin critic value and action gradient', () => {
  // (states, repeats, obs dim, action dim, hidden sizes): the canonical shape, odd sizes, a wide action
  const cases: [number, number, number, number, number[]][] = [
    [16, 32, 17, 6, [64, 64]],
    [7, 5, 3, 2, [40, 24]],
    [3, 13, 11, 17, [33, 70]],
    [1, 100, 5, 1, [16, 16]],
  ];
  for (const [B, R, O, A, hidden] of cases) {
    it(`${B} states x ${R} actions, obs ${O}, action ${A}, hidden [${hidden}]: equals autodiff of minQRepeated`, () => {
      E.tidy(() => {
        const rng = new E.Rng(B * 100 + R);
        const critic = new TwinCritic(O, A, { hidden, lr: 1e-3, maxGradNorm: Infinity }, rng);
        // biases away from zero so both critics' ReLUs are partly active
        for (const p of [...critic.q[0].parameters(), ...critic.q[1].parameters()]) {
          if (p.rank === 1)
            p.backend.write(p.storage, rng.fillUniform(new Float32Array(p.size), -0.3, 0.3));
        }
        const obs = E.randn([B, O], rng);
        const act = E.tanh(E.randn([B * R, A], rng));
        // on the native backend this is the fused kernel; elsewhere the autodiff path
        if (critic.backend.name === 'native')
          assert.equal(typeof critic.backend.twinReluCriticMin, 'function');
        const want = reference(critic, obs, act);
        const got = critic.minQRepeatedValueAndGrad(obs, act);
        close('value', got.value.toArray(), want.value);
        close('grad', got.grad.toArray(), want.grad);
      });
    });
  }
  it('minQRepeated without a tape (online and target critics) equals the composed networks', () => {
    E.tidy(() => {
      const rng = new E.Rng(17);
      const critic = new TwinCritic(
        9,
        4,
        { hidden: [48, 40], lr: 1e-3, maxGradNorm: Infinity },
        rng,
      );
      // make the targets differ from the online critics
      for (const p of [...critic.target[0].parameters(), ...critic.target[1].parameters()])
        p.backend.write(p.storage, rng.fillUniform(new Float32Array(p.size), -0.5, 0.5));
      const obs = E.randn([6, 9], rng);
      const act = E.tanh(E.randn([6 * 7, 4], rng));
      for (const target of [false, true]) {
        const [c1, c2] = target ? critic.target : critic.q;
        const want = E.noGrad(() =>
          E.minimum(
            E.reshape(c1.forwardRepeated(obs, act), [-1]),
            E.reshape(c2.forwardRepeated(obs, act), [-1]),
          ),
        ).toArray();
        close(
          `values (target ${target}), no tape`,
          E.noGrad(() => critic.minQRepeated(obs, act, target)).toArray(),
          want,
        );
        if (target)
          close('target values, tape on', critic.minQRepeated(obs, act, true).toArray(), want);
      }
    });
  });
  it("identical critics (every row a tie): the first critic's gradient, once", () => {
    E.tidy(() => {
      const rng = new E.Rng(9);
      const critic = new TwinCritic(
        4,
        3,
        { hidden: [32, 32], lr: 1e-3, maxGradNorm: Infinity },
        rng,
      );
      critic.q[1].copyFrom(critic.q[0]);
      const obs = E.randn([5, 4], rng);
      const act = E.randn([20, 3], rng);
      const want = reference(critic, obs, act);
      const got = critic.minQRepeatedValueAndGrad(obs, act);
      close('value', got.value.toArray(), want.value);
      close('grad', got.grad.toArray(), want.grad);
    });
  });
  it('the tanh-latent target built on it equals autodiff of the composed target', () => {
    E.tidy(() => {
      const rng = new E.Rng(4);
      const critic = new TwinCritic(
        6,
        2,
        { hidden: [24, 24], lr: 1e-3, maxGradNorm: Infinity },
        rng,
      );
      const obs = E.randn([4, 6], rng);
      const y = E.randn([4 * 8, 2], rng);
      const plain = (a: E.Tensor) => E.mul(critic.minQRepeated(obs, a), 50);
      const fused = Object.assign((a: E.Tensor) => plain(a), {
        valueAndGrad: (a: E.Tensor) => {
          const r = critic.minQRepeatedValueAndGrad(obs, a);
          return { value: E.mul(r.value, 50), grad: E.mul(r.grad, 50) };
        },
      });
      const want = logTargetValueAndGrad(tanhLatentLogTarget(plain), y);
      const got = logTargetValueAndGrad(tanhLatentLogTarget(fused), y);
      close('value', got.value.toArray(), want.value.toArray(), 1e-4);
      close('grad', got.grad.toArray(), want.grad.toArray(), 1e-4);
    });
  });
});

describe("twin critic: the reference's init and per-critic clipping", () => {
  it('every layer, the output included, is orthogonal with gain sqrt(2); biases start at zero', () => {
    const critic = new TwinCritic(
      5,
      3,
      { hidden: [16, 16], lr: 1e-3, maxGradNorm: 10 },
      new E.Rng(3),
    );
    for (const m of [...critic.q, ...critic.target]) {
      for (const l of m.layers) {
        const [out, inp] = l.weight.shape;
        const w = l.weight.toArray();
        // the Gram matrix of the shorter side is 2 I
        const [n, len] = out <= inp ? [out, inp] : [inp, out];
        const at = (i: number, k: number) => (out <= inp ? w[i * inp + k] : w[k * inp + i]);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            let g = 0;
            for (let k = 0; k < len; k++) g += at(i, k) * at(j, k);
            assert.ok(
              Math.abs(g - (i === j ? 2 : 0)) < 1e-4,
              `[${out}, ${inp}] Gram ${i},${j} = ${g}`,
            );
          }
        }
        assert.ok(l.bias!.toArray().every((b) => b === 0));
      }
    }
  });

  it('each critic descends its own MSE and clips its own gradient norm (not one norm over both)', () => {
    E.tidy(() => {
      const rng = new E.Rng(8);
      const critic = new TwinCritic(4, 2, { hidden: [16, 16], lr: 1e-3, maxGradNorm: 10 }, rng);
      const obs = E.randn([32, 4], rng);
      const act = E.tanh(E.randn([32, 2], rng));
      const y = E.full([32], 50); // far from Q: both gradients are far above the clip
      // each critic's own loss mean((Q_j - y)^2), differentiated by autodiff
      const norms = critic.q.map((m) => {
        const q = E.reshape(m.forward(E.concat([obs, act], 1)), [-1]);
        const gs = E.grad(E.mean(E.square(E.sub(q, y))), m.parameters());
        return Math.sqrt(gs.reduce((s, g) => s + g.toArray().reduce((t, v) => t + v * v, 0), 0));
      });
      assert.ok(norms[0] > 20 && norms[1] > 20, `norms ${norms}`);
      const r = critic.step(obs, act, y);
      assert.ok(
        Math.abs(r.gradNorm - Math.hypot(norms[0], norms[1])) < 1e-3 * r.gradNorm,
        `${r.gradNorm} vs ${Math.hypot(norms[0], norms[1])}`,
      );
      // after one step Adam's first moment is 0.1 g_clipped: each critic's has norm 0.1 * 10
      for (const o of critic.optimizers) {
        const mu = o.state().mu;
        const n = Math.sqrt(mu.reduce((s, a) => s + a.reduce((t, v) => t + v * v, 0), 0));
        assert.ok(Math.abs(n - 1) < 1e-3, `first-moment norm ${n}`);
      }
    });
  });
});
