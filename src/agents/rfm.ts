/**
 * Reverse Flow Matching agents (spec/RFM.md sections 6-7), one implementation for two algos:
 *
 *   rfm            flow path, velocity network (the paper's agent)
 *   rfm-diffusion  VP path, noise-prediction network
 *
 * `rfm.estimator` picks the posterior-mean estimator of either: 'cv' (autotuned control variate,
 * the paper's), 'ne' (c = 0, noise expectation) or 'ge' (c = sigma^2, gradient expectation); the
 * last two are estimator ablations, not the SDAC / DQS baselines (those are their own agents).
 *
 * The policy is a latent flow y0 ~ N(0, I) -> y1 with action tanh(y1), conditioned on the state
 * and the temperature T. Acting samples P particles per state and picks one by
 * Categorical(softmax(minQ / T)) under the online critics (training, and the TD target's next
 * action, which the target critics then value) or argmax minQ with state-seeded noise
 * (evaluation). Both sampling paths integrate the same probability-flow ODE (src/policies/flow.ts):
 * a noise-prediction network is turned into a velocity through the posterior mean (src/paths).
 */
import {
  type Backend,
  type Tensor,
  Rng,
  concat,
  indexSelect,
  mul,
  noGrad,
  randn,
  reshape,
  slice,
  tensor,
  tidy,
  tanh,
  argmax,
} from '../engine/index.ts';
import { Adam, defaultBackend } from '../nn/index.ts';
import { type ControlVariate, tanhLatentLogTarget } from '../estimators/index.ts';
import {
  type GaussianPath,
  coefficientTensors,
  linearFlowPath,
  vpPath,
  velocityFromPosteriorMean,
  posteriorMeanFromNoise,
} from '../paths/index.ts';
import {
  VelocityNet,
  integrate,
  integrateParticles,
  particleVelocity,
  timeGrid,
} from '../policies/flow.ts';
import { flowMatchingStep } from '../policies/rfm-step.ts';
import { TwinCritic } from './critic.ts';
import { checkAlgoOf, loadAdam, loadModule, putAdam, putModule } from './checkpoint-state.ts';
import { stateSeededNormal } from './diffusion-common.ts';
import {
  type ActOptions,
  type Agent,
  type AgentState,
  type Batch,
  type Metrics,
  type Observation,
  float32Obs,
} from './types.ts';
import { ALGO_DEFAULTS, DEFAULTS, type PathKind, type RfmConfig } from '../config/index.ts';
import { registerAgent } from './registry.ts';

export type RfmAlgo = 'rfm' | 'rfm-diffusion';

/** Defaults for an algo: the library defaults with the algo's own settings (config/types.ts). */
export function rfmDefaults(algo: RfmAlgo): RfmConfig {
  return { ...DEFAULTS.rfm, ...(ALGO_DEFAULTS[algo].rfm ?? {}) } as RfmConfig;
}

function pathOf(name: PathKind): GaussianPath {
  return name === 'flow' ? linearFlowPath : vpPath(name === 'vp-cosine' ? 'cosine' : 'linear');
}

function controlVariateOf(cfg: RfmConfig): ControlVariate {
  if (cfg.estimator === 'cv') return { kind: 'cv', ridge: cfg.cvRidge, clip: cfg.cvClip };
  return { kind: cfg.estimator };
}

/** Off-policy endpoints: replay actions are clipped to [-1 + 1e-4, 1 - 1e-4] before atanh (the reference's clip). */
export const ENDPOINT_CLIP = 1e-4;

/** Off-policy endpoints y1 = atanh(clip(a, -1 + ENDPOINT_CLIP, 1 - ENDPOINT_CLIP)). */
export function offPolicyEndpoints(actions: Float32Array): Float32Array {
  const lim = 1 - ENDPOINT_CLIP;
  return actions.map((a) => Math.atanh(Math.max(-lim, Math.min(lim, a))));
}

/**
 * The value of the TD target's next action: among the particles y [B*P, A] (latents, P per state
 * of nextObs [B, O]), `choose` picks one per state from the *online* critics' minQ [B*P] (indices
 * into the rows); the *target* critics' minimum values it: min_j Q'_j(s', tanh y_pick) [B].
 * `onlineQ`, when given, is that minQ already computed (the update evaluates every particle of s'
 * and s in one call).
 */
export function nextActionValue(
  critic: TwinCritic,
  nextObs: Tensor,
  y: Tensor,
  choose: (onlineQ: Tensor) => number[],
  onlineQ?: Tensor,
): Tensor {
  return noGrad(() => {
    const pick = indexSelect(y, 0, choose(onlineQ ?? critic.minQRepeated(nextObs, tanh(y))));
    return critic.minTargetQ(nextObs, tanh(pick));
  });
}

export class RfmAgent implements Agent {
  readonly config: RfmConfig;
  readonly policy: VelocityNet;
  readonly critic: TwinCritic;
  readonly actorOptimizer: Adam;
  readonly path: GaussianPath;
  readonly prediction: 'velocity' | 'noise';
  private readonly rng: Rng;
  private readonly backend: Backend;
  private updates = 0;

  constructor(
    readonly algo: RfmAlgo,
    readonly obsDim: number,
    readonly actDim: number,
    config: Partial<RfmConfig> = {},
    seed = 0,
    backend?: Backend,
  ) {
    this.config = { ...rfmDefaults(algo), ...config };
    const cfg = this.config;
    // the flow path regresses the velocity; VP (diffusion) paths predict the noise
    this.prediction = cfg.path === 'flow' ? 'velocity' : 'noise';
    this.backend = defaultBackend(backend);
    const init = new Rng(seed);
    this.rng = init.split(1);
    this.path = pathOf(cfg.path);
    this.policy = new VelocityNet(
      {
        condDim: obsDim,
        dim: actDim,
        hidden: cfg.hidden,
        residualBlocks: cfg.residualBlocks,
        embedding: cfg.embedding,
        temperatureInput: cfg.temperatureInput,
      },
      init.split(2),
      this.backend,
    );
    this.critic = new TwinCritic(
      obsDim,
      actDim,
      { hidden: cfg.criticHidden, lr: cfg.criticLr, maxGradNorm: cfg.maxGradNorm ?? Infinity },
      init.split(3),
      this.backend,
    );
    this.actorOptimizer = new Adam(this.policy.parameters(), {
      lr: cfg.actorLr,
      maxGradNorm: cfg.maxGradNorm ?? Infinity,
    });
  }

  // --- sampling --------------------------------------------------------------------------------

  /** T now: fixed, or annealed log-linearly from `temperature` to `temperatureEnd` over `annealUpdates`. */
  get temperature(): number {
    const cfg = this.config;
    if (cfg.temperatureEnd === null) return cfg.temperature;
    const f = Math.min(this.updates / Math.max(cfg.annealUpdates, 1), 1);
    return Math.exp((1 - f) * Math.log(cfg.temperature) + f * Math.log(cfg.temperatureEnd));
  }

  /**
   * Latent endpoints y1 [B*P, A] from noise y0 [B*P, A] for states obs [B, O] (P particles each),
   * with no gradient, by the one integrator of src/policies/flow.ts: the fused Euler kernel
   * (integrateParticles) for a velocity network, else `integrate` on the particle velocity. A
   * noise-predicting network is turned into the probability-flow velocity through the posterior
   * mean. Neither draws noise: the caller owns y0.
   */
  private integrate(obs: Tensor, y0: Tensor): Tensor {
    const cfg = this.config;
    const temp = cfg.temperatureInput ? this.temperature : null;
    const ts = timeGrid(cfg.eulerSteps, cfg.tMin);
    if (this.prediction === 'velocity' && cfg.solver === 'euler')
      return integrateParticles(this.policy, obs, y0, temp, ts);
    return noGrad(() =>
      tidy(() => {
        const net = particleVelocity(this.policy, obs, y0.shape[0] / obs.shape[0], temp, ts);
        const velocity = (y: Tensor, t: number): Tensor => {
          const out = net(y, t);
          if (this.prediction === 'velocity') return out;
          const k = coefficientTensors(this.path, [t], y);
          return velocityFromPosteriorMean(k, posteriorMeanFromNoise(k, out, y), y);
        };
        return integrate(velocity, y0, ts, cfg.solver);
      }),
    );
  }

  /** minQ [B*P] of the particles' latents y [B*P, A] under the online or the target critics. */
  private particleQ(obs: Tensor, y: Tensor, target: boolean): Tensor {
    return noGrad(() => this.critic.minQRepeated(obs, tanh(y), target));
  }

  /** One particle per state chosen by Categorical(softmax(q / T)): indices into the [B*P] rows. */
  private boltzmannSelect(q: Tensor, B: number): number[] {
    const P = this.config.particles;
    const logits = q.toArray();
    const temp = this.temperature;
    for (let i = 0; i < logits.length; i++) logits[i] /= temp;
    const picks = new Array<number>(B);
    for (let b = 0; b < B; b++) picks[b] = b * P + this.rng.categorical(logits, b * P, P);
    return picks;
  }

  act(observations: Observation, opts: ActOptions): Float32Array {
    const obs = float32Obs(observations);
    const B = obs.length / this.obsDim;
    const P = this.config.particles;
    return tidy(() => {
      const o = tensor(obs, [B, this.obsDim], this.backend);
      let y0: Tensor;
      // evaluation is reproducible: each state's particle noise is seeded by hashing the state
      if (opts.deterministic)
        y0 = tensor(
          stateSeededNormal(obs, this.obsDim, P * this.actDim),
          [B * P, this.actDim],
          this.backend,
        );
      else y0 = randn([B * P, this.actDim], this.rng, this.backend);
      const y = this.integrate(o, y0);
      const q = this.particleQ(o, y, false);
      const idx = opts.deterministic
        ? Array.from(argmax(reshape(q, [B, P]), 1).toArray(), (j, b) => b * P + j)
        : this.boltzmannSelect(q, B);
      return tanh(indexSelect(y, 0, idx)).toArray();
    });
  }

  // --- the update --------------------------------------------------------------------------------

  update(batch: Batch): Metrics {
    const cfg = this.config;
    const B = batch.size;
    const A = this.actDim;
    const P = cfg.particles;
    return tidy(() => {
      const host = (d: Float32Array, shape: number[]) => tensor(d, shape, this.backend);
      const obs = host(batch.obs, [B, this.obsDim]);
      const nextObs = host(batch.nextObs, [B, this.obsDim]);
      const onPolicy = cfg.endpoint === 'on-policy';

      // 0. particles of the current policy, all drawn before any step: noise for s' then (on-policy
      // endpoints) for s, integrated in one call; every path draws in this order
      const noise = [randn([B * P, A], this.rng, this.backend)];
      if (onPolicy) noise.push(randn([B * P, A], this.rng, this.backend));
      const states = onPolicy ? concat([nextObs, obs], 0) : nextObs;
      const both = this.integrate(states, onPolicy ? concat(noise, 0) : noise[0]);
      const nextY = onPolicy ? slice(both, 0, 0, B * P) : both;
      // the online critics' minimum at every particle (of s' and, on-policy, of s) in one call:
      // both picks below are made before the critic step
      const bothQ = this.particleQ(states, both, false);
      const rows = (q: Tensor, from: number) => (onPolicy ? slice(q, 0, from, from + B * P) : q);

      // 1. critic. The TD target's a' is the particle on s' that the online critics' minimum picks
      // (Categorical(softmax(minQ / T))), valued by the target critics' minimum (the reference's)
      const nextQ = nextActionValue(
        this.critic,
        nextObs,
        nextY,
        (q) => this.boltzmannSelect(q, B),
        rows(bothQ, 0),
      );
      const tdTarget = TwinCritic.tdTarget(
        host(batch.reward, [B]),
        host(batch.terminated, [B]),
        nextQ,
        cfg.gamma,
        cfg.rewardScale,
      );

      // 2. endpoints y1: on-policy (the particle on s the online critics pick, before the critic
      // step, as the reference) or atanh of the replay actions
      let y1: Tensor;
      if (onPolicy) {
        const curY = slice(both, 0, B * P, 2 * B * P);
        y1 = indexSelect(curY, 0, this.boltzmannSelect(rows(bothQ, B * P), B));
      } else y1 = host(offPolicyEndpoints(batch.action), [B, A]);

      const critic = this.critic.step(obs, host(batch.action, [B, A]), tdTarget);

      // 3. the Reverse Flow Matching step (src/policies/rfm-step.ts): a point y_t on the path, the
      // posterior mean of y1 under l(y) = minQ(s, tanh y)/T + log|tanh'(y)| from K reverse
      // samples (the online critics after their step), regression of the network, Adam
      const invTemp = 1 / this.temperature;
      const scaledQ = Object.assign((a: Tensor) => mul(this.critic.minQRepeated(obs, a), invTemp), {
        valueAndGrad: (a: Tensor) => {
          const r = this.critic.minQRepeatedValueAndGrad(obs, a);
          return { value: mul(r.value, invTemp), grad: mul(r.grad, invTemp) };
        },
      });
      const actor = flowMatchingStep({
        net: this.policy,
        cond: obs,
        temperature: cfg.temperatureInput ? this.temperature : null,
        path: this.path,
        prediction: this.prediction,
        y1,
        logTarget: tanhLatentLogTarget(scaledQ),
        reverseSamples: cfg.reverseSamples,
        cv: controlVariateOf(cfg),
        tMin: cfg.tMin,
        rng: this.rng,
      });
      const actorGradNorm = this.actorOptimizer.step();

      // 4. targets
      this.critic.updateTargets(cfg.tau);
      this.updates++;

      const metrics: Metrics = {
        'loss/critic': critic.loss,
        'loss/actor': actor.loss,
        'grad/critic': critic.gradNorm,
        'grad/actor': actorGradNorm,
        'q/mean': critic.qMean,
        'q/std': critic.qStd,
        'rfm/ess': actor.diagnostics.ess,
        'rfm/mean_c': actor.diagnostics.meanC,
        'rfm/max_weight': actor.diagnostics.maxWeight,
        'rfm/logit_spread': actor.diagnostics.logitSpread,
        temperature: this.temperature,
      };
      return metrics;
    });
  }

  // --- state -------------------------------------------------------------------------------------

  state(): AgentState {
    const t = new Map();
    putModule(t, 'policy', this.policy);
    putModule(t, 'critic.q1', this.critic.q[0]);
    putModule(t, 'critic.q2', this.critic.q[1]);
    putModule(t, 'critic.target1', this.critic.target[0]);
    putModule(t, 'critic.target2', this.critic.target[1]);
    const actorCount = putAdam(t, 'optim.actor', this.actorOptimizer);
    const criticCount = this.critic.putOptimizers(t, 'optim.critic');
    return {
      tensors: t,
      json: {
        algo: this.algo,
        config: this.config,
        updates: this.updates,
        rng: this.rng.state(),
        actorCount,
        criticCount,
      },
    };
  }

  /**
   * Restores state(). The state must come from the same algo with the same path and estimator
   * (an 'ne' ablation's checkpoint does not load into a 'cv' agent).
   */
  loadState(s: AgentState): void {
    checkAlgoOf(s.json, this.algo);
    const j = s.json as {
      config?: Partial<RfmConfig> & { controlVariate?: string };
      updates: number;
      rng: ReturnType<Rng['state']>;
      actorCount: number;
      criticCount: number;
    };
    const saved = {
      path: j.config?.path,
      estimator: j.config?.estimator ?? j.config?.controlVariate,
    };
    if (saved.path !== this.config.path || saved.estimator !== this.config.estimator) {
      throw new Error(
        `${this.algo}.loadState: the state is of path '${String(saved.path)}' and estimator '${String(saved.estimator)}', this agent of '${this.config.path}' and '${this.config.estimator}'`,
      );
    }
    loadModule(s.tensors, 'policy', this.policy);
    loadModule(s.tensors, 'critic.q1', this.critic.q[0]);
    loadModule(s.tensors, 'critic.q2', this.critic.q[1]);
    loadModule(s.tensors, 'critic.target1', this.critic.target[0]);
    loadModule(s.tensors, 'critic.target2', this.critic.target[1]);
    loadAdam(s.tensors, 'optim.actor', this.actorOptimizer, j.actorCount, this.algo);
    this.critic.loadOptimizers(s.tensors, 'optim.critic', j.criticCount, this.algo);
    this.updates = j.updates;
    this.rng.setState(j.rng);
  }
}

for (const algo of ['rfm', 'rfm-diffusion'] as const) {
  registerAgent(
    algo,
    (obsDim, actDim, config, seed) => new RfmAgent(algo, obsDim, actDim, config.rfm, seed),
  );
}
