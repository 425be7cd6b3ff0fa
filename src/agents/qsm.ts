/**
 * Q-score matching (Psenka et al. 2024) as the RFM reference code runs it (`src/agent/qsm.py`;
 * ../shared/facts/baselines.md section 5).
 *
 * A DDPM noise network eps_theta(k, x, s, c) over N steps of the discrete VP schedule
 * (beta_i = 1 - exp(-0.1/N - 9.9 (2i - 1) / (2 N^2))) is regressed, at a replay action noised to a
 * random step k, x = sqrt(alphabar_k) a + sqrt(1 - alphabar_k) eps, onto
 *
 *   eps* = -qGradScale * (grad_x Q_1(s, x) + grad_x Q_2(s, x)) / 2
 *
 * (the mean of the two online critics after this update's critic step; no temperature, no
 * expectation). The minus sign makes denoising climb grad Q. The network's time input is the
 * integer step k (not normalised), its conditioning scalar c the sampler's noise scale.
 *
 * Sampler: x ~ N(0, I); for k = N-1 .. 0: x <- (x - beta_k / sqrt(1 - alphabar_k) eps_theta) /
 * sqrt(alpha_k) + [k > 0] sqrt(beta_k) c z, clipped to [-1, 1] each step. Acting adds
 * N(0, explorationNoise^2) and clips; the TD target's next action adds N(0, targetActionNoise^2);
 * evaluation runs the same sampler on state-seeded noise with nothing added. No tanh anywhere.
 *
 * Update order: critic (y = r + gamma (1 - d) min_j Q'_j(s', a')), actor, Polyak.
 */
import {
  type Backend,
  type Tensor,
  add,
  backward,
  clamp,
  grad,
  mean,
  mul,
  noGrad,
  randn,
  square,
  sub,
  sum,
  tensor,
  tidy,
  variable,
} from '../engine/index.ts';
import type { Config, QsmConfig } from '../config/index.ts';
import type { VelocityNet } from '../policies/flow.ts';
import { TwinCritic } from './critic.ts';
import {
  type DdpmSchedule,
  column,
  scoreAtRows,
  scoreNetwork,
  stateSeededDraws,
  vpDiscreteSchedule,
} from './diffusion-common.ts';
import { DiffusionBaseline } from './diffusion-baseline.ts';
import { registerAgent } from './registry.ts';
import { type ActOptions, type Batch, type Metrics, type Observation } from './types.ts';

export class QsmAgent extends DiffusionBaseline<QsmConfig, VelocityNet> {
  readonly algo = 'qsm';
  readonly schedule: DdpmSchedule;

  constructor(obsDim: number, actDim: number, config: QsmConfig, seed = 0, backend?: Backend) {
    super(obsDim, actDim, config, seed, backend, {
      policy: (rng, be) => scoreNetwork(obsDim, actDim, config, rng, be),
    });
    const cfg = config;
    this.schedule = vpDiscreteSchedule(cfg.diffusionSteps);
  }

  /** eps_theta(k, x, s, c) for rows obs [n, O], x [n, A]; k one step for all rows, or per row. */
  private eps(obs: Tensor, x: Tensor, k: number | Float32Array): Tensor {
    const n = x.shape[0];
    const steps = typeof k === 'number' ? column(n, k, this.backend) : tensor(k, [n], this.backend);
    return this.policy.forward(obs, x, steps, column(n, this.config.ddpmTemperature, this.backend));
  }

  /** The reverse chain from x_N [n, A] (noise) for states obs [n, O], with no gradient. */
  sample(obs: Tensor, xN: Tensor, noise: () => Tensor): Tensor {
    const { beta, alpha, alphabar } = this.schedule;
    const c = this.config.ddpmTemperature;
    const N = this.config.diffusionSteps;
    return noGrad(() =>
      tidy(() => {
        const eps = scoreAtRows(
          this.policy,
          obs,
          1,
          c,
          Array.from({ length: N }, (_, k) => k),
        );
        let x = xN;
        for (let k = N - 1; k >= 0; k--) {
          x = tidy(() => {
            let next = mul(
              sub(x, mul(eps(x, k), beta[k] / Math.sqrt(1 - alphabar[k]))),
              1 / Math.sqrt(alpha[k]),
            );
            if (k > 0 && c > 0) next = add(next, mul(noise(), Math.sqrt(beta[k]) * c));
            return clamp(next, -1, 1);
          });
        }
        return x;
      }),
    );
  }

  /** A stochastic sample per state plus N(0, std^2), clipped to [-1, 1]. */
  private noisyActions(obs: Tensor, std: number): Tensor {
    const [B, A] = [obs.shape[0], this.actDim];
    const a = this.sample(obs, randn([B, A], this.rng, this.backend), () =>
      randn([B, A], this.rng, this.backend),
    );
    return std > 0 ? clamp(add(a, randn([B, A], this.rng, this.backend, std)), -1, 1) : a;
  }

  act(observations: Observation, opts: ActOptions): Float32Array {
    return this.actOn(observations, (s, obs) => {
      if (!opts.deterministic) return this.noisyActions(s, this.config.explorationNoise);
      // evaluation: the same stochastic sampler, every draw seeded by the state
      const next = stateSeededDraws(
        obs,
        this.obsDim,
        1,
        this.actDim,
        this.config.diffusionSteps + 1,
        this.backend,
      );
      return this.sample(s, next(), next);
    });
  }

  update(b: Batch): Metrics {
    const cfg = this.config;
    const [B, A] = [b.size, this.actDim];
    return tidy(() => {
      const host = this.host;
      const { obs, action, nextObs } = this.batchTensors(b);

      // 1. critic
      const nextA = this.noisyActions(nextObs, cfg.targetActionNoise);
      const y = TwinCritic.tdTarget(
        host(b.reward, [B]),
        host(b.terminated, [B]),
        this.critic.minTargetQ(nextObs, nextA),
        cfg.gamma,
        cfg.rewardScale,
      );
      const critic = this.critic.step(obs, action, y);

      // 2. actor: replay actions noised to a random step, regressed on the scaled mean Q-gradient
      const { alphabar } = this.schedule;
      const k = Float32Array.from({ length: B }, () => this.rng.int(cfg.diffusionSteps));
      const sa = tensor(
        Float32Array.from(k, (j) => Math.sqrt(alphabar[j])),
        [B, 1],
        this.backend,
      );
      const sb = tensor(
        Float32Array.from(k, (j) => Math.sqrt(1 - alphabar[j])),
        [B, 1],
        this.backend,
      );
      const x = add(mul(action, sa), mul(randn([B, A], this.rng, this.backend), sb));
      const target = qScoreTarget(this.critic, obs, x, cfg.qGradScale);
      const loss = mean(square(sub(this.eps(obs, x, k), target)));
      backward(loss);
      const actorGrad = this.actorOptimizer.step();

      // 3. targets
      this.critic.updateTargets(cfg.tau);
      this.updates++;
      return this.updateMetrics(critic, loss.item(), actorGrad, {
        'qsm/target_norm': mean(sum(square(target), 1)).item(),
      });
    });
  }
}

/** QSM's regression target -scale * (grad_x Q_1(s, x) + grad_x Q_2(s, x)) / 2, [B, A], no gradient kept. */
export function qScoreTarget(critic: TwinCritic, obs: Tensor, x: Tensor, scale: number): Tensor {
  const xv = variable(x.detach());
  const [q1, q2] = critic.values(obs, xv);
  const [g] = grad(sum(add(q1, q2)), [xv]);
  critic.zeroGrad();
  return noGrad(() => mul(g, -scale / 2));
}

registerAgent(
  'qsm',
  (obsDim, actDim, config: Config, seed) => new QsmAgent(obsDim, actDim, config.qsm, seed),
);
