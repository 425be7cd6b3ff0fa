/**
 * Diffusion Q-sampling (Jain et al. 2024) as the RFM reference code runs it (`src/agent/dqs.py`;
 * ../shared/facts/baselines.md section 4).
 *
 * A VE score network s_theta(t, x, s, T), t in [0, 1] (0 clean, 1 noise), with the geometric
 * noise h(t) = sigmaMin^2 (r^{2t} - 1), r = sigmaMax / sigmaMin, and g(t) = sigmaMin r^t sqrt(2 ln r).
 * At a replay action noised to a random t, x = a + sqrt(h(t)) eps, it is regressed onto the score
 * of the Boltzmann density smoothed by the same noise,
 *
 *   s_hat = grad_x ln (1/M) sum_i exp(Q(s, x + sqrt(h(t)) xi_i) / T) = sum_i softmax_i(Q_i / T) grad Q_i / T,
 *
 * Q = min of the online critics (before this update's critic step), M forward-noised points,
 * with the loss weight lambda(t) = h(t) + 1e-3. No control variate, no tanh Jacobian: Q is
 * evaluated at the unsquashed points (they may leave [-1, 1]) and tanh is applied only to the
 * sampler's output.
 *
 * Sampler: x ~ sqrt(h(1)) N(0, I); K Euler-Maruyama steps t_k = 1 - k/K, dt = 1/K:
 * x <- x + g(t_k)^2 s_theta(t_k, x) dt + kappa g(t_k) sqrt(dt) z; action tanh(x). Acting and the TD
 * target: kappa = diffusionScale, one sample. Evaluation: kappa = 0 from state-seeded noise.
 *
 * Update order: the TD target's a' (pre-update actor), actor step, critic step, Polyak.
 */
import {
  type Backend,
  type Tensor,
  Rng,
  add,
  backward,
  mean,
  mul,
  noGrad,
  randn,
  reshape,
  softmax,
  square,
  sub,
  sum,
  tanh,
  tensor,
  tidy,
} from '../engine/index.ts';
import type { Config, DqsConfig } from '../config/index.ts';
import type { VelocityNet } from '../policies/flow.ts';
import { TwinCritic } from './critic.ts';
import { column, scoreAtRows, scoreNetwork, stateSeededNormal } from './diffusion-common.ts';
import { DiffusionBaseline } from './diffusion-baseline.ts';
import { registerAgent } from './registry.ts';
import { type ActOptions, type Batch, type Metrics, type Observation } from './types.ts';

/** The VE geometric noise: h(t) (variance) and g(t) (diffusion coefficient). */
export function veNoise(
  sigmaMin: number,
  sigmaMax: number,
): { h: (t: number) => number; g: (t: number) => number } {
  const r = sigmaMax / sigmaMin;
  return {
    h: (t) => sigmaMin ** 2 * (r ** (2 * t) - 1),
    g: (t) => sigmaMin * r ** t * Math.sqrt(2 * Math.log(r)),
  };
}

/**
 * DQS's score target for rows x [B, A] at noise variances hs [B]: the softmax(Q/T)-weighted mean
 * of grad Q / T over M points x + sqrt(h) xi_i, Q the online critics' minimum; [B, A], no gradient.
 */
export function boltzmannScoreTarget(
  critic: TwinCritic,
  obs: Tensor,
  x: Tensor,
  hs: ArrayLike<number>,
  M: number,
  temperature: number,
  rng: Rng,
): Tensor {
  return noGrad(() => {
    const [B, A] = x.shape;
    const sd = tensor(
      Float32Array.from(hs, (h) => Math.sqrt(h)),
      [B, 1, 1],
      x.backend,
    );
    const pts = add(reshape(x, [B, 1, A]), mul(randn([B, M, A], rng, x.backend), sd)); // [B, M, A]
    const { value, grad: g } = critic.minQRepeatedValueAndGrad(obs, reshape(pts, [B * M, A]));
    const w = softmax(mul(reshape(value, [B, M]), 1 / temperature), 1); // [B, M]
    return mul(sum(mul(reshape(w, [B, M, 1]), reshape(g, [B, M, A])), 1), 1 / temperature);
  });
}

export class DqsAgent extends DiffusionBaseline<DqsConfig, VelocityNet> {
  readonly algo = 'dqs';
  private readonly noise: ReturnType<typeof veNoise>;

  constructor(obsDim: number, actDim: number, config: DqsConfig, seed = 0, backend?: Backend) {
    super(obsDim, actDim, config, seed, backend, {
      policy: (rng, be) => scoreNetwork(obsDim, actDim, config, rng, be),
    });
    const cfg = config;
    if (!(cfg.sigmaMax > cfg.sigmaMin))
      throw new Error(`dqs: sigmaMax (${cfg.sigmaMax}) must exceed sigmaMin (${cfg.sigmaMin})`);
    this.noise = veNoise(cfg.sigmaMin, cfg.sigmaMax);
  }

  /** s_theta(t, x, s, T) for rows obs [n, O], x [n, A], t [n]. */
  private score(obs: Tensor, x: Tensor, t: Tensor): Tensor {
    return this.policy.forward(
      obs,
      x,
      t,
      column(x.shape[0], this.config.temperature, this.backend),
    );
  }

  /** Euler-Maruyama from t = 1 to 0 for states obs [n, O]; start noise z0 [n, A] ~ N(0, I); tanh of the end. */
  sample(obs: Tensor, z0: Tensor, kappa: number): Tensor {
    const cfg = this.config;
    const { h, g } = this.noise;
    const K = cfg.integrationSteps;
    const dt = 1 / K;
    return noGrad(() =>
      tidy(() => {
        const times = Array.from({ length: K }, (_, k) => 1 - k * dt);
        const score = scoreAtRows(
          this.policy,
          obs,
          z0.shape[0] / obs.shape[0],
          cfg.temperature,
          times,
        );
        let x = mul(z0, Math.sqrt(h(1)));
        for (const t of times) {
          x = tidy(() => {
            const gt = g(t);
            let next = add(x, mul(score(x, t), gt * gt * dt));
            if (kappa > 0)
              next = add(
                next,
                mul(randn(x.shape, this.rng, this.backend), kappa * gt * Math.sqrt(dt)),
              );
            return next;
          });
        }
        return tanh(x);
      }),
    );
  }

  act(observations: Observation, opts: ActOptions): Float32Array {
    return this.actOn(observations, (s, obs, B) =>
      opts.deterministic
        ? this.sample(
            s,
            tensor(
              stateSeededNormal(obs, this.obsDim, this.actDim),
              [B, this.actDim],
              this.backend,
            ),
            0,
          )
        : this.sample(
            s,
            randn([B, this.actDim], this.rng, this.backend),
            this.config.diffusionScale,
          ),
    );
  }

  update(b: Batch): Metrics {
    const cfg = this.config;
    const [B, A] = [b.size, this.actDim];
    return tidy(() => {
      const host = this.host;
      const { obs, action, nextObs } = this.batchTensors(b);

      // 1. the TD target's next action from the pre-update actor
      const nextA = this.sample(nextObs, randn([B, A], this.rng, this.backend), cfg.diffusionScale);

      // 2. actor: replay actions noised to t ~ U(0, 1), regressed on the smoothed Boltzmann score
      const t = Float32Array.from({ length: B }, () => this.rng.uniform());
      const hs = Float32Array.from(t, (ti) => this.noise.h(ti));
      const x = add(
        action,
        mul(randn([B, A], this.rng, this.backend), host(hs.map(Math.sqrt), [B, 1])),
      );
      const target = boltzmannScoreTarget(
        this.critic,
        obs,
        x,
        hs,
        cfg.mcSamples,
        cfg.temperature,
        this.rng,
      );
      const lambda = host(
        hs.map((h) => h + 1e-3),
        [B],
      );
      const loss = mean(
        mul(mean(square(sub(this.score(obs, x, host(t, [B])), target)), 1), lambda),
      );
      backward(loss);
      const actorGrad = this.actorOptimizer.step();

      // 3. critic, then the targets
      const y = TwinCritic.tdTarget(
        host(b.reward, [B]),
        host(b.terminated, [B]),
        this.critic.minTargetQ(nextObs, nextA),
        cfg.gamma,
        cfg.rewardScale,
      );
      const critic = this.critic.step(obs, action, y);
      this.critic.updateTargets(cfg.tau);
      this.updates++;
      return this.updateMetrics(critic, loss.item(), actorGrad, { temperature: cfg.temperature });
    });
  }
}

registerAgent(
  'dqs',
  (obsDim, actDim, config: Config, seed) => new DqsAgent(obsDim, actDim, config.dqs, seed),
);
