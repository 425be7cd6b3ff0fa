/**
 * QVPO (Ding et al. 2024) as the RFM reference code runs it (`src/agent/qvpo.py`, with
 * action_augmentation on; ../shared/facts/baselines.md section 6).
 *
 * Own networks: a DDPM noise network eps_theta(x, k, s) (the integer step k through a 10000-base
 * sinusoid, Dense H Mish, Dense E; then [x, that, s] -> Dense H Mish -> Dense H Mish -> Dense d)
 * and twin Mish critics, with EMA targets for both critics *and the policy*.
 *
 * Actor: per state, trainSamples actions of the current policy; q = min_j Q_j (online, after the
 * critic step), V = their mean, a* = the best; weight w = max(q(a*) - V, 0). Plus entropySamples
 * uniform actions per state with weight entropyAlpha * w. The loss over those pairs is the plain
 * DDPM loss mean(w * mean_d (eps_theta(sqrt(ab_k) a + sqrt(1 - ab_k) eps, k, s) - eps)^2),
 * k ~ U{0..N-1} (weights not normalised; replay actions are not used by the actor).
 *
 * Sampler on the discrete cosine schedule: x0_hat = x / sqrt(ab_k) - sqrt(1/ab_k - 1) eps_theta,
 * clipped to [-1, 1]; DDPM posterior mean; + [k > 0] sqrt(posterior variance) z noiseRatio; final
 * clip. Acting: behaviorSamples candidates of the online policy, argmax of the online critics'
 * minimum; the TD target: targetSamples candidates of the EMA policy, argmax of the target
 * critics' minimum, which values it (no entropy); evaluation: evalSamples state-seeded candidates,
 * online argmax.
 *
 * Update order: TD target, critics, actor, Polyak (critics and policy).
 */
import {
  type Backend,
  type Tensor,
  Rng,
  add,
  argmax,
  backward,
  clamp,
  concat,
  indexSelect,
  linear,
  mean,
  mul,
  noGrad,
  randn,
  repeatInterleave,
  reshape,
  slice,
  square,
  sub,
  tensor,
  tidy,
  unary,
} from '../engine/index.ts';
import { Linear, Module, polyakUpdate, sinusoidalEmbedding } from '../nn/index.ts';
import type { Config, QvpoConfig } from '../config/index.ts';
import { TwinCritic } from './critic.ts';
import {
  type DdpmSchedule,
  type SavedParts,
  clippedX0,
  cosineDiscreteSchedule,
  posteriorMean,
  stateSeededDraws,
} from './diffusion-common.ts';
import { DiffusionBaseline } from './diffusion-baseline.ts';
import { registerAgent } from './registry.ts';
import { type ActOptions, type Batch, type Metrics, type Observation } from './types.ts';

const mish = (x: Tensor): Tensor => unary(x, 'mish');

/** QVPO's noise network eps_theta(x, k, s). */
export class QvpoNet extends Module {
  readonly time1: Linear;
  readonly time2: Linear;
  readonly layers: Linear[];
  constructor(
    readonly obsDim: number,
    readonly actDim: number,
    readonly hidden: number,
    readonly embedding: number,
    rng: Rng,
    backend: Backend,
  ) {
    super();
    const o = { init: 'orthogonal' as const, gain: Math.SQRT2, backend };
    this.time1 = this.child('time1', new Linear(embedding, hidden, rng, o));
    this.time2 = this.child('time2', new Linear(hidden, embedding, rng, o));
    const sizes = [actDim + embedding + obsDim, hidden, hidden, actDim];
    this.layers = sizes
      .slice(1)
      .map((n, i) => this.child(`layer${i}`, new Linear(sizes[i], n, rng, o)));
  }
  /**
   * eps for rows x [n, A] at integer steps k (one for all rows, or one per row) of states obs
   * [n / R, O], each state shared by R consecutive rows. The same numbers as the network on
   * concat[x, temb(k), s] row by row: the first layer is split by its inputs, the time branch
   * runs once per distinct step and the state's share once per state.
   */
  forward(x: Tensor, k: number | ArrayLike<number>, obs: Tensor, R = 1): Tensor {
    const n = x.shape[0];
    const [A, E] = [this.actDim, this.embedding];
    const be = x.backend;
    const steps =
      typeof k === 'number' ? [k] : Array.from(new Set(Array.from(k))).sort((a, b) => a - b);
    const temb = this.time2.forward(
      mish(this.time1.forward(sinusoidalEmbedding(tensor(steps, [steps.length], be), E, 10000))),
    ); // [S, E]
    const first = this.layers[0];
    const W = first.weight; // [H, A + E + O]
    const tPart = linear(temb, slice(W, 1, A, A + E), first.bias); // [S, H]
    const sPart = linear(obs, slice(W, 1, A + E, W.shape[1]), null); // [n / R, H]
    const tRows =
      typeof k === 'number'
        ? tPart
        : indexSelect(
            tPart,
            0,
            Array.from(k, (v) => steps.indexOf(v)),
          );
    let h = mish(
      add(
        add(linear(x, slice(W, 1, 0, A), null), tRows),
        R === 1 ? sPart : repeatInterleave(sPart, R, 0),
      ),
    );
    if (h.shape[0] !== n) throw new Error(`QvpoNet: ${n} rows for ${obs.shape[0]} states x ${R}`);
    this.layers.slice(1).forEach((l, i) => {
      h = linear(h, l.weight, l.bias);
      if (i + 2 < this.layers.length) h = mish(h);
    });
    return h;
  }
}

export class QvpoAgent extends DiffusionBaseline<QvpoConfig, QvpoNet> {
  readonly algo = 'qvpo';
  /** The EMA copy of the policy that proposes the TD target's next actions. */
  readonly policyTarget: QvpoNet;
  readonly schedule: DdpmSchedule;

  constructor(obsDim: number, actDim: number, config: QvpoConfig, seed = 0, backend?: Backend) {
    const net = (rng: Rng, be: Backend) =>
      new QvpoNet(obsDim, actDim, config.hidden, config.embedding, rng, be);
    super(obsDim, actDim, config, seed, backend, { policy: net, criticActivation: 'mish' });
    this.policyTarget = net(this.root.split(4), this.backend);
    this.policyTarget.copyFrom(this.policy);
    this.schedule = cosineDiscreteSchedule(config.diffusionSteps);
  }

  /** The reverse chain of `net` for states obs [B, O], R rows each: the first draw is x_N [B*R, A], then one per step. */
  sample(net: QvpoNet, obs: Tensor, R: number, noise: () => Tensor): Tensor {
    const { beta, alphabar } = this.schedule;
    const ratio = this.config.noiseRatio;
    return noGrad(() => {
      let x = noise();
      for (let k = this.config.diffusionSteps - 1; k >= 0; k--) {
        x = tidy(() => {
          const ab = alphabar[k];
          const abPrev = k > 0 ? alphabar[k - 1] : 1;
          const e = net.forward(x, k, obs, R);
          let next = posteriorMean(clippedX0(x, e, ab), x, ab, abPrev);
          if (k > 0 && ratio > 0) {
            const logVar = Math.max(Math.log((beta[k] * (1 - abPrev)) / (1 - ab)), Math.log(1e-20));
            next = add(next, mul(noise(), Math.exp(0.5 * logVar) * ratio));
          }
          return next;
        });
      }
      return clamp(x, -1, 1);
    });
  }

  /**
   * C candidates per state of obs [B, O] from `net`, and the best of each state under the online
   * or the target critics: actions [B, A] and their minQ [B].
   */
  private best(
    net: QvpoNet,
    obs: Tensor,
    C: number,
    noise: () => Tensor,
    target: boolean,
  ): { action: Tensor; q: Tensor } {
    return noGrad(() => {
      const B = obs.shape[0];
      const cand = this.sample(net, obs, C, noise);
      const q = this.critic.minQRepeated(obs, cand, target);
      const idx = Array.from(argmax(reshape(q, [B, C]), 1).toArray(), (j, b) => b * C + j);
      return { action: indexSelect(cand, 0, idx), q: indexSelect(q, 0, idx) };
    });
  }

  private randomDraws(n: number): () => Tensor {
    return () => randn([n, this.actDim], this.rng, this.backend);
  }

  act(observations: Observation, opts: ActOptions): Float32Array {
    const cfg = this.config;
    return this.actOn(observations, (s, obs, B) => {
      if (opts.deterministic) {
        const C = cfg.evalSamples;
        return this.best(
          this.policy,
          s,
          C,
          stateSeededDraws(obs, this.obsDim, C, this.actDim, cfg.diffusionSteps + 1, this.backend),
          false,
        ).action;
      }
      return this.best(
        this.policy,
        s,
        cfg.behaviorSamples,
        this.randomDraws(B * cfg.behaviorSamples),
        false,
      ).action;
    });
  }

  update(b: Batch): Metrics {
    const cfg = this.config;
    const [B, A] = [b.size, this.actDim];
    return tidy(() => {
      const host = this.host;
      const { obs, action, nextObs } = this.batchTensors(b);

      // 1. TD target from the EMA policy's best candidate under the target critics; critic step
      const next = this.best(
        this.policyTarget,
        nextObs,
        cfg.targetSamples,
        this.randomDraws(B * cfg.targetSamples),
        true,
      );
      const y = TwinCritic.tdTarget(
        host(b.reward, [B]),
        host(b.terminated, [B]),
        next.q,
        cfg.gamma,
        cfg.rewardScale,
      );
      const critic = this.critic.step(obs, action, y);

      // 2. actor: the best of own samples, weighted by its advantage over their mean, and uniform
      // actions for entropy at entropyAlpha times that weight
      const S = cfg.trainSamples;
      const { best, weight } = noGrad(() => {
        const own = this.sample(this.policy, obs, S, this.randomDraws(B * S));
        const q = reshape(this.critic.minQRepeated(obs, own), [B, S]).toArray();
        const idx: number[] = [];
        const w = new Float32Array(B);
        for (let i = 0; i < B; i++) {
          let [top, j, v] = [-Infinity, 0, 0];
          for (let k = 0; k < S; k++) {
            v += q[i * S + k] / S;
            if (q[i * S + k] > top) [top, j] = [q[i * S + k], k];
          }
          idx.push(i * S + j);
          w[i] = Math.max(top - v, 0);
        }
        return { best: indexSelect(own, 0, idx), weight: w };
      });
      const U = cfg.entropySamples;
      const rows = B * (1 + U);
      const acts =
        U > 0
          ? concat(
              [best, host(this.rng.fillUniform(new Float32Array(B * U * A), -1, 1), [B * U, A])],
              0,
            )
          : best;
      const states = U > 0 ? concat([obs, repeatInterleave(obs, U, 0)], 0) : obs;
      const rowWeight = new Float32Array(rows);
      for (let i = 0; i < B; i++) {
        rowWeight[i] = weight[i];
        rowWeight.fill(cfg.entropyAlpha * weight[i], B + i * U, B + (i + 1) * U);
      }
      const { alphabar } = this.schedule;
      const k = Float32Array.from({ length: rows }, () => this.rng.int(cfg.diffusionSteps));
      const eps = randn([rows, A], this.rng, this.backend);
      const xk = add(
        mul(
          acts,
          host(
            Float32Array.from(k, (j) => Math.sqrt(alphabar[j])),
            [rows, 1],
          ),
        ),
        mul(
          eps,
          host(
            Float32Array.from(k, (j) => Math.sqrt(1 - alphabar[j])),
            [rows, 1],
          ),
        ),
      );
      const perRow = mean(square(sub(this.policy.forward(xk, k, states), eps)), 1);
      const loss = mean(mul(perRow, host(rowWeight, [rows])));
      backward(loss);
      const actorGrad = this.actorOptimizer.step();

      // 3. targets: both critics and the policy
      this.critic.updateTargets(cfg.tau);
      polyakUpdate(this.policyTarget.parameters(), this.policy.parameters(), cfg.tau);
      this.updates++;
      let wMean = 0;
      for (const v of weight) wMean += v / B;
      return this.updateMetrics(critic, loss.item(), actorGrad, { 'qvpo/weight': wMean });
    });
  }

  protected override parts(): SavedParts {
    const p = super.parts();
    return { ...p, modules: [...p.modules, ['policy_target', this.policyTarget]] };
  }
}

registerAgent(
  'qvpo',
  (obsDim, actDim, config: Config, seed) => new QvpoAgent(obsDim, actDim, config.qvpo, seed),
);
