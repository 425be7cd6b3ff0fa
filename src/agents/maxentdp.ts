/**
 * MaxEntDP (Dong et al. 2025) as the RFM reference code runs it (`src/agent/maxentdp.py`;
 * ../shared/facts/baselines.md section 7).
 *
 * A noise network eps_theta(lambda, x, s, T) on the continuous cosine VP schedule alphabar(t),
 * t in [tMin, tMax] (tMax puts alphabar near 1e-5), with time input the log-SNR
 * lambda = ln(alphabar / (1 - alphabar)) (alphabar clipped to [1e-5, 1 - 1e-5]). At a replay action
 * noised to t ~ U(tMin, tMax), x = sqrt(alphabar) a + sigma eps, sigma = sqrt(1 - alphabar), the
 * target is the noise expectation under the Boltzmann posterior of the *target* critics:
 *
 *   c_i = x / sqrt(alphabar) + rho xi_i,  rho = sigma / sqrt(alphabar),  xi_i ~ N(0, I) truncated so c_i in [-1, 1]^d
 *   eps* = - sum_i softmax_i(min_j Q'_j(s, c_i) / T) xi_i        (M = scoreSamples reverse noises)
 *
 * Sampler (N steps on a grid u_0 < ... < u_N of [tMin, tMax]; step k uses alphabar_k = alphabar(u_{k+1}),
 * alphabar_prev = alphabar(u_k)): x0_hat clipped to [-1, 1], DDPM posterior mean, + sqrt(beta_k) z for
 * k > 0, final clip. Acting and the TD target: one sample; evaluation: evalCandidates state-seeded
 * samples, argmax of the target critics' minimum.
 *
 * TD target y = r + gamma (1 - d) (min_j Q'_j(s', a') - T log p(a'|s')) with the ELBO estimate of
 * log p of baselines.md section 7.5 (logProbSamples noises per grid step).
 *
 * Update order: a' and log p (pre-update actor), critic, actor (target critics, before Polyak), Polyak.
 */
import {
  type Backend,
  type Tensor,
  add,
  backward,
  clamp,
  mean,
  mul,
  noGrad,
  randn,
  repeatInterleave,
  reshape,
  softmax,
  square,
  sub,
  sum,
  tensor,
  tidy,
  argmax,
  indexSelect,
} from '../engine/index.ts';
import type { Config, MaxEntDpConfig } from '../config/index.ts';
import type { VelocityNet } from '../policies/flow.ts';
import { TwinCritic } from './critic.ts';
import {
  clippedX0,
  column,
  cosineAlphabar,
  posteriorMean,
  scoreAtRows,
  scoreNetwork,
  stateSeededDraws,
} from './diffusion-common.ts';
import { DiffusionBaseline } from './diffusion-baseline.ts';
import { registerAgent } from './registry.ts';
import { type ActOptions, type Batch, type Metrics, type Observation } from './types.ts';

const CLIP_AB = 1e-5;
const CLIP_SIGMA = 1e-5;

/** The largest diffusion time: alphabar(tMax) = cos^2(atan(999 (1 + s) / pi)) / cos^2(s pi / (2 (1 + s))), about 9.7e-6. */
export function maxentTMax(s = 0.008): number {
  return ((2 * (1 + s)) / Math.PI) * Math.atan((999 * (1 + s)) / Math.PI) - s;
}

/** The log-SNR time input ln(alphabar / (1 - alphabar)), alphabar clipped to [1e-5, 1 - 1e-5]. */
export function logSnr(alphabar: number): number {
  const ab = Math.min(Math.max(alphabar, CLIP_AB), 1 - CLIP_AB);
  return Math.log(ab / (1 - ab));
}

/** Standard normal CDF, accurate in the lower tail (erfc with relative error below 1.2e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x < 0 ? 0.5 * erfc : 1 - 0.5 * erfc;
}

/** Inverse standard normal CDF (rational approximations, relative error about 1e-9), p in (0, 1). */
function normalQuantile(p: number): number {
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
    -3.066479806614716e1, 2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
    -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lower = 0.02425;
  if (p < lower) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - lower) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/**
 * A standard normal truncated to [lo, hi] by the inverse CDF, from a uniform u in [0, 1). Works in
 * the lower tail (an interval above 0 is mirrored) so the CDF differences keep their precision;
 * where they vanish, a plain normal draw `fallback` clipped to the interval.
 */
export function truncatedNormal(lo: number, hi: number, u: number, fallback: number): number {
  if (lo > 0) return -truncatedNormal(-hi, -lo, u, -fallback);
  const pl = normalCdf(lo);
  const ph = normalCdf(hi);
  const p = pl + u * (ph - pl);
  const x = p > 0 && p < 1 && ph > pl ? normalQuantile(p) : NaN;
  return Number.isFinite(x) ? Math.min(Math.max(x, lo), hi) : Math.min(Math.max(fallback, lo), hi);
}

export class MaxEntDpAgent extends DiffusionBaseline<MaxEntDpConfig, VelocityNet> {
  readonly algo = 'maxentdp';
  /** The sampler's grid u_0 .. u_N on [tMin, tMax] and alphabar there. */
  readonly grid: Float64Array;
  readonly gridAlphabar: Float64Array;
  readonly tMax: number;

  constructor(obsDim: number, actDim: number, config: MaxEntDpConfig, seed = 0, backend?: Backend) {
    super(obsDim, actDim, config, seed, backend, {
      policy: (rng, be) => scoreNetwork(obsDim, actDim, config, rng, be),
    });
    const cfg = config;
    this.tMax = maxentTMax();
    if (!(cfg.tMin < this.tMax))
      throw new Error(`maxentdp: tMin (${cfg.tMin}) must be below tMax (${this.tMax})`);
    const N = cfg.diffusionSteps;
    this.grid = Float64Array.from(
      { length: N + 1 },
      (_, k) => cfg.tMin + ((this.tMax - cfg.tMin) * k) / N,
    );
    this.gridAlphabar = this.grid.map((u) => cosineAlphabar(u));
  }

  /** eps_theta(lambda, x, s, T) for rows obs [n, O] (already one per row), x [n, A], lambdas [n]. */
  private eps(obs: Tensor, x: Tensor, lambdas: Tensor): Tensor {
    return this.policy.forward(
      obs,
      x,
      lambdas,
      column(x.shape[0], this.config.temperature, this.backend),
    );
  }

  /** The reverse chain for states obs [B, O], R rows each, from x_N = first draw [B*R, A], then one draw per step; clipped to [-1, 1]. */
  sample(obs: Tensor, R: number, noise: () => Tensor): Tensor {
    const ab = this.gridAlphabar;
    const N = this.config.diffusionSteps;
    return noGrad(() =>
      tidy(() => {
        const lambdas = Array.from({ length: N }, (_, k) => logSnr(ab[k + 1]));
        const eps = scoreAtRows(this.policy, obs, R, this.config.temperature, lambdas);
        let x = noise();
        for (let k = N - 1; k >= 0; k--) {
          x = tidy(() => {
            const [abK, abPrev] = [ab[k + 1], ab[k]];
            let next = posteriorMean(clippedX0(x, eps(x, lambdas[k]), abK), x, abK, abPrev);
            if (k > 0) next = add(next, mul(noise(), Math.sqrt(1 - abK / abPrev))); // sqrt(beta_k), not the posterior variance
            return next;
          });
        }
        return clamp(x, -1, 1);
      }),
    );
  }

  private randomDraws(n: number): () => Tensor {
    return () => randn([n, this.actDim], this.rng, this.backend);
  }

  act(observations: Observation, opts: ActOptions): Float32Array {
    return this.actOn(observations, (s, obs, B) => {
      if (!opts.deterministic) return this.sample(s, 1, this.randomDraws(B));
      // evaluation: C state-seeded candidates per state, the best under the target critics
      const C = this.config.evalCandidates;
      const cand = this.sample(
        s,
        C,
        stateSeededDraws(
          obs,
          this.obsDim,
          C,
          this.actDim,
          this.config.diffusionSteps + 1,
          this.backend,
        ),
      );
      const q = this.critic.minQRepeated(s, cand, true);
      const best = Array.from(argmax(reshape(q, [B, C]), 1).toArray(), (j, b) => b * C + j);
      return indexSelect(cand, 0, best);
    });
  }

  /**
   * log p(a | s) [B] by the ELBO on the sampler's grid: for each step k and L noises eps,
   * x_k = sqrt(ab_k) a + sqrt(1 - ab_k) eps, x0_hat from the network (clipped), eps_tilde =
   * (x_k - sqrt(ab_k) x0_hat) / sqrt(1 - ab_k), e_k = mean_L |eps_tilde - eps|^2,
   * log p = sum_k w_k (d ab_k - e_k) - (d/2) ln(2 pi e), w_k = (ab_prev - ab_k) / (2 ab_k (1 - ab_k)),
   * ab_k clipped to [1e-5, 1 - 1e-5] (ab_prev not).
   */
  logProb(obs: Tensor, a: Tensor): Tensor {
    const cfg = this.config;
    const [B, A] = a.shape;
    const N = cfg.diffusionSteps;
    const L = cfg.logProbSamples;
    return noGrad(() =>
      tidy(() => {
        const abs = Float64Array.from({ length: N }, (_, k) =>
          Math.min(Math.max(this.gridAlphabar[k + 1], CLIP_AB), 1 - CLIP_AB),
        );
        const lambdas = Array.from(abs, logSnr);
        const eps = scoreAtRows(this.policy, obs, L, cfg.temperature, lambdas);
        const aRows = repeatInterleave(a, L, 0); // [B*L, A], L rows per state
        let total: Tensor = tensor(
          new Float32Array(B).fill(-(A / 2) * Math.log(2 * Math.PI * Math.E)),
          [B],
          this.backend,
        );
        for (let k = 0; k < N; k++) {
          const [sa, sb] = [Math.sqrt(abs[k]), Math.sqrt(1 - abs[k])];
          const noise = randn([B * L, A], this.rng, this.backend);
          const xk = add(mul(aRows, sa), mul(noise, sb));
          const x0 = clippedX0(xk, eps(xk, lambdas[k]), abs[k]);
          const epsTilde = mul(sub(xk, mul(x0, sa)), 1 / sb);
          const ek = mean(reshape(sum(square(sub(epsTilde, noise)), 1), [B, L]), 1); // [B]
          const w = (this.gridAlphabar[k] - abs[k]) / (2 * abs[k] * (1 - abs[k]));
          total = add(total, mul(sub(ek, A * abs[k]), -w));
        }
        return total;
      }),
    );
  }

  /**
   * The noise target eps* [B, A] at rows x [B, A] with coefficients sqrt(alphabar) sa and sigma
   * (per row), from M truncated-normal reverse noises weighted by the target critics.
   */
  noiseTarget(obs: Tensor, x: Tensor, sa: Float32Array, sigma: Float32Array): Tensor {
    const cfg = this.config;
    const [B, A] = x.shape;
    const M = cfg.scoreSamples;
    return noGrad(() => {
      const xs = x.toArray();
      const xi = new Float32Array(B * M * A);
      const cands = new Float32Array(B * M * A);
      for (let b = 0; b < B; b++) {
        const rho = Math.max(sigma[b] / sa[b], CLIP_SIGMA);
        for (let d = 0; d < A; d++) {
          const xv = xs[b * A + d];
          const mid = -xv / sigma[b];
          const [lo, hi] = [mid - 1 / rho, mid + 1 / rho];
          for (let i = 0; i < M; i++) {
            const j = (b * M + i) * A + d;
            const v = truncatedNormal(lo, hi, this.rng.uniform(), this.rng.normal());
            xi[j] = v;
            cands[j] = Math.min(Math.max(xv / sa[b] + rho * v, -1), 1);
          }
        }
      }
      const q = this.critic.minQRepeated(obs, tensor(cands, [B * M, A], this.backend), true);
      const w = softmax(mul(reshape(q, [B, M]), 1 / cfg.temperature), 1);
      return mul(sum(mul(reshape(w, [B, M, 1]), tensor(xi, [B, M, A], this.backend)), 1), -1);
    });
  }

  update(b: Batch): Metrics {
    const cfg = this.config;
    const [B, A] = [b.size, this.actDim];
    return tidy(() => {
      const host = this.host;
      const { obs, action, nextObs } = this.batchTensors(b);

      // 1. a' and its log-probability from the pre-update actor; the critic step
      const nextA = this.sample(nextObs, 1, this.randomDraws(B));
      let nextV = this.critic.minTargetQ(nextObs, nextA);
      let entropy = 0;
      if (cfg.backupEntropy) {
        const lp = this.logProb(nextObs, nextA);
        entropy = -mean(lp).item();
        nextV = sub(nextV, mul(lp, cfg.temperature));
      }
      const y = TwinCritic.tdTarget(
        host(b.reward, [B]),
        host(b.terminated, [B]),
        nextV,
        cfg.gamma,
        cfg.rewardScale,
      );
      const critic = this.critic.step(obs, action, y);

      // 2. actor: replay actions noised to t ~ U(tMin, tMax), regressed on the noise expectation
      const t = Float64Array.from(
        { length: B },
        () => cfg.tMin + (this.tMax - cfg.tMin) * this.rng.uniform(),
      );
      const abT = t.map((u) => cosineAlphabar(u));
      const sa = Float32Array.from(abT, (ab) => Math.sqrt(ab));
      const sigma = Float32Array.from(abT, (ab) => Math.max(Math.sqrt(1 - ab), CLIP_SIGMA));
      const x = add(
        mul(action, host(sa, [B, 1])),
        mul(randn([B, A], this.rng, this.backend), host(sigma, [B, 1])),
      );
      const target = this.noiseTarget(obs, x, sa, sigma);
      const loss = mean(
        square(sub(this.eps(obs, x, host(Float32Array.from(abT, logSnr), [B])), target)),
      );
      backward(loss);
      const actorGrad = this.actorOptimizer.step();

      // 3. targets
      this.critic.updateTargets(cfg.tau);
      this.updates++;
      return this.updateMetrics(critic, loss.item(), actorGrad, {
        'maxentdp/entropy': entropy,
        temperature: cfg.temperature,
      });
    });
  }
}

registerAgent(
  'maxentdp',
  (obsDim, actDim, config: Config, seed) =>
    new MaxEntDpAgent(obsDim, actDim, config.maxentdp, seed),
);
