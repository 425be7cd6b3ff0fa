/**
 * Reverse Flow Matching agents (spec/RFM.md sections 6-7), one implementation for four algos:
 *
 *   rfm            flow path, velocity network, autotuned control variate (the paper's agent)
 *   rfm-diffusion  VP path, noise-prediction network, autotuned control variate
 *   sdac           VP path, noise prediction, c = 0 (noise expectation)
 *   dqs            VP path, noise prediction, c = sigma^2 (gradient expectation)
 *
 * The policy is a latent flow y0 ~ N(0, I) -> y1 with action tanh(y1), conditioned on the state
 * and the temperature T. Acting samples P particles per state and picks one by
 * Categorical(softmax(minQ / T)) (training) or argmax minQ with state-seeded noise (evaluation).
 * Both sampling paths integrate the same probability-flow ODE: a noise-prediction network is
 * turned into a velocity through the posterior mean (src/paths).
 */
import {
  type Backend, type Tensor, Rng,
  backward, concat, hashFloats, indexSelect, mean, mul, noGrad, randn, reshape, slice, square, sub, tensor, tidy, add, tanh, argmax,
} from '../engine/index.ts';
import { Adam, defaultBackend } from '../nn/index.ts';
import {
  type ControlVariate, estimatePosteriorMean, tanhLatentLogTarget,
} from '../estimators/index.ts';
import {
  type GaussianPath, coefficientTensors, linearFlowPath, vpPath, velocityFromPosteriorMean, noiseFromPosteriorMean,
  posteriorMeanFromNoise, interpolate,
} from '../paths/index.ts';
import { VelocityNet, integrateParticles, particleVelocity, timeGrid } from '../policies/flow.ts';
import { TwinCritic } from './critic.ts';
import { type ActOptions, type Agent, type AgentState, type Batch, type Metrics, type Observation, float32Obs } from './types.ts';
import { ALGO_DEFAULTS, DEFAULTS, type PathKind, type RfmConfig } from '../config/index.ts';
import { registerAgent } from './registry.ts';

export type RfmAlgo = 'rfm' | 'rfm-diffusion' | 'sdac' | 'dqs';

/** Defaults for an algo: the library defaults with the algo's own settings (config/types.ts). */
export function rfmDefaults(algo: RfmAlgo): RfmConfig {
  return { ...DEFAULTS.rfm, ...(ALGO_DEFAULTS[algo].rfm ?? {}) } as RfmConfig;
}

function pathOf(name: PathKind): GaussianPath {
  return name === 'flow' ? linearFlowPath : vpPath(name === 'vp-cosine' ? 'cosine' : 'linear');
}

function controlVariateOf(c: RfmConfig): ControlVariate {
  if (c.controlVariate === 'cv') return { kind: 'cv', ridge: c.cvRidge, clip: c.cvClip };
  return { kind: c.controlVariate };
}

const ATANH_LIMIT = 1 - 1e-6;

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
    const c = this.config;
    // the flow path regresses the velocity; VP (diffusion) paths predict the noise
    this.prediction = c.path === 'flow' ? 'velocity' : 'noise';
    this.backend = defaultBackend(backend);
    const init = new Rng(seed);
    this.rng = init.split(1);
    this.path = pathOf(c.path);
    this.policy = new VelocityNet(
      { condDim: obsDim, dim: actDim, hidden: c.hidden, residualBlocks: c.residualBlocks, embedding: c.embedding, temperatureInput: c.temperatureInput },
      init.split(2), this.backend,
    );
    this.critic = new TwinCritic(obsDim, actDim, { hidden: c.criticHidden, lr: c.criticLr, maxGradNorm: c.maxGradNorm ?? Infinity }, init.split(3), this.backend);
    this.actorOptimizer = new Adam(this.policy.parameters(), { lr: c.actorLr, maxGradNorm: c.maxGradNorm ?? Infinity });
  }

  // --- sampling --------------------------------------------------------------------------------

  /** T now: fixed, or annealed log-linearly from `temperature` to `temperatureEnd` over `annealUpdates`. */
  get temperature(): number {
    const c = this.config;
    if (c.temperatureEnd === null) return c.temperature;
    const f = Math.min(this.updates / Math.max(c.annealUpdates, 1), 1);
    return Math.exp((1 - f) * Math.log(c.temperature) + f * Math.log(c.temperatureEnd));
  }

  private temperatures(n: number): Tensor | null {
    return this.config.temperatureInput ? tensor(new Float32Array(n).fill(this.temperature), [n], this.backend) : null;
  }

  /** Whether integrate() makes all Euler steps in one call (integrateParticles). */
  private get fusedSampler(): boolean {
    return this.prediction === 'velocity' && this.config.solver === 'euler';
  }

  /**
   * Latent endpoints y1 [B*P, A] from noise y0 [B*P, A] for states obs [B, O] (P particles each),
   * with no gradient. A noise-predicting network is turned into the probability-flow velocity
   * through the posterior mean.
   */
  private integrate(obs: Tensor, y0: Tensor): Tensor {
    const c = this.config;
    const T = c.temperatureInput ? this.temperature : null;
    if (this.fusedSampler) return integrateParticles(this.policy, obs, y0, T, timeGrid(c.eulerSteps, c.tMin));
    return noGrad(() => {
      const ts = timeGrid(c.eulerSteps, c.tMin);
      const net = particleVelocity(this.policy, obs, y0.shape[0] / obs.shape[0], T, ts);
      const velocity = (y: Tensor, t: number): Tensor => {
        const out = net(y, t);
        if (this.prediction === 'velocity') return out;
        const k = coefficientTensors(this.path, [t], y);
        return velocityFromPosteriorMean(k, posteriorMeanFromNoise(k, out, y), y);
      };
      let y = y0;
      for (let i = 0; i < c.eulerSteps; i++) {
        const h = ts[i + 1] - ts[i];
        const next = tidy(() => {
          const v = velocity(y, ts[i]);
          if (c.solver === 'heun') {
            const v2 = velocity(add(y, mul(v, h)), ts[i + 1]);
            return add(y, mul(add(v, v2), h / 2));
          }
          return add(y, mul(v, h));
        });
        if (y !== y0) y.dispose();
        y = next;
      }
      return y;
    });
  }

  /**
   * P particles per state for obs [B, O]; returns the particles' latents [B*P, A] and their minQ
   * [B*P] under the online or the target critics.
   */
  private particles(obs: Tensor, y0: Tensor, target: boolean): { y: Tensor; q: Tensor } {
    const y = this.integrate(obs, y0);
    return { y, q: this.particleQ(obs, y, target) };
  }
  /** minQ [B*P] of the particles' latents y [B*P, A] under the online or the target critics. */
  private particleQ(obs: Tensor, y: Tensor, target: boolean): Tensor {
    return noGrad(() => this.critic.minQRepeated(obs, tanh(y), target));
  }

  /** One particle per state chosen by Categorical(softmax(q / T)): indices into the [B*P] rows. */
  private boltzmannSelect(q: Tensor, B: number): number[] {
    const P = this.config.particles;
    const logits = q.toArray();
    const T = this.temperature;
    for (let i = 0; i < logits.length; i++) logits[i] /= T;
    return Array.from({ length: B }, (_, b) => b * P + this.rng.categorical(logits, b * P, P));
  }

  act(observations: Observation, opts: ActOptions): Float32Array {
    const obs = float32Obs(observations);
    const B = obs.length / this.obsDim;
    const P = this.config.particles;
    return tidy(() => {
      const o = tensor(obs, [B, this.obsDim], this.backend);
      let y0: Tensor;
      if (opts.deterministic) {
        // evaluation is reproducible: each state's particle noise is seeded by hashing the state
        const noise = new Float32Array(B * P * this.actDim);
        for (let b = 0; b < B; b++) {
          const r = new Rng(hashFloats(obs.subarray(b * this.obsDim, (b + 1) * this.obsDim)));
          r.fillNormal(noise.subarray(b * P * this.actDim, (b + 1) * P * this.actDim));
        }
        y0 = tensor(noise, [B * P, this.actDim], this.backend);
      } else y0 = randn([B * P, this.actDim], this.rng, this.backend);
      const { y, q } = this.particles(o, y0, false);
      const idx = opts.deterministic
        ? Array.from(argmax(reshape(q, [B, P]), 1).toArray(), (j, b) => b * P + j)
        : this.boltzmannSelect(q, B);
      return tanh(indexSelect(y, 0, idx)).toArray();
    });
  }

  // --- the update --------------------------------------------------------------------------------

  update(batch: Batch): Metrics {
    const c = this.config;
    const B = batch.size;
    const A = this.actDim;
    const P = c.particles;
    return tidy(() => {
      const T = (d: Float32Array, shape: number[]) => tensor(d, shape, this.backend);
      const obs = T(batch.obs, [B, this.obsDim]);
      const nextObs = T(batch.nextObs, [B, this.obsDim]);

      // the on-policy endpoints' particles come from the same policy as the TD target's: with the
      // fused Euler sampler both sets integrate in one call (noise drawn for s', then for s)
      let curY: Tensor | null = null;
      let next: { y: Tensor; q: Tensor };
      if (c.endpoint === 'on-policy' && this.fusedSampler) {
        const y0 = concat([randn([B * P, A], this.rng, this.backend), randn([B * P, A], this.rng, this.backend)], 0);
        const both = this.integrate(concat([nextObs, obs], 0), y0);
        const nextY = slice(both, 0, 0, B * P);
        curY = slice(both, 0, B * P, 2 * B * P);
        next = { y: nextY, q: this.particleQ(nextObs, nextY, true) };
      } else next = this.particles(nextObs, randn([B * P, A], this.rng, this.backend), true);

      // 1. critic: TD target with a' from the particle sampler on s' (Boltzmann choice under Q')
      const nextIdx = this.boltzmannSelect(next.q, B);
      const nextQ = indexSelect(next.q, 0, nextIdx);
      const y = TwinCritic.tdTarget(T(batch.reward, [B]), T(batch.terminated, [B]), nextQ, c.gamma, c.rewardScale);
      const critic = this.critic.step(obs, T(batch.action, [B, A]), y);

      // 2. endpoints y1: on-policy (a particle chosen by Boltzmann) or atanh of replay actions
      let y1: Tensor;
      if (c.endpoint === 'on-policy') {
        const cur = curY
          ? { y: curY, q: this.particleQ(obs, curY, false) }
          : this.particles(obs, randn([B * P, A], this.rng, this.backend), false);
        y1 = indexSelect(cur.y, 0, this.boltzmannSelect(cur.q, B));
      } else {
        y1 = T(batch.action.map((a) => Math.atanh(Math.max(-ATANH_LIMIT, Math.min(ATANH_LIMIT, a)))), [B, A]);
      }

      // 3. a point on the path: t ~ U[tMin, 1 - tMin], y_t = a y1 + b eps
      const t = Float32Array.from({ length: B }, () => c.tMin + (1 - 2 * c.tMin) * this.rng.uniform());
      const coef = coefficientTensors(this.path, t, obs);
      const yt = interpolate(coef, y1, randn([B, A], this.rng, this.backend));

      // 4. posterior mean of y1 given y_t under l(y) = minQ(s, tanh y)/T + log|tanh'(y)|
      const K = c.reverseSamples;
      const invT = 1 / this.temperature;
      const scaledQ = Object.assign((a: Tensor) => mul(this.critic.minQRepeated(obs, a), invT), {
        valueAndGrad: (a: Tensor) => {
          const r = this.critic.minQRepeatedValueAndGrad(obs, a);
          return { value: mul(r.value, invT), grad: mul(r.grad, invT) };
        },
      });
      const logTarget = tanhLatentLogTarget(scaledQ);
      const est = estimatePosteriorMean(logTarget, yt, coef.a, coef.b, K, controlVariateOf(c), this.rng, t);
      const target = this.prediction === 'velocity' ? velocityFromPosteriorMean(coef, est.mean, yt) : noiseFromPosteriorMean(coef, est.mean, yt);

      // 5. regression of the network onto the target, Adam
      let actorLoss = this.policy.mseGradients(obs, yt, T(t, [B]), this.temperatures(B), target.detach());
      if (actorLoss === null) {
        const pred = this.policy.forward(obs, yt, T(t, [B]), this.temperatures(B));
        const loss = mean(square(sub(pred, target.detach())));
        backward(loss);
        actorLoss = loss.item();
      }
      const actorGradNorm = this.actorOptimizer.step();

      // 6. targets
      this.critic.updateTargets(c.tau);
      this.updates++;

      const metrics: Metrics = {
        'loss/critic': critic.loss,
        'loss/actor': actorLoss,
        'grad/critic': critic.gradNorm,
        'grad/actor': actorGradNorm,
        'q/mean': critic.qMean,
        'q/std': critic.qStd,
        'rfm/ess': est.diagnostics.ess,
        'rfm/mean_c': est.diagnostics.meanC,
        'rfm/max_weight': est.diagnostics.maxWeight,
        'rfm/logit_spread': est.diagnostics.logitSpread,
        temperature: this.temperature,
      };
      return metrics;
    });
  }

  // --- state -------------------------------------------------------------------------------------

  state(): AgentState {
    const tensors = new Map<string, { data: Float32Array; shape: number[] }>();
    const put = (prefix: string, m: { stateDict(): Map<string, { data: Float32Array; shape: number[] }> }) => {
      for (const [k, v] of m.stateDict()) tensors.set(`${prefix}.${k}`, v);
    };
    put('policy', this.policy);
    put('critic.q1', this.critic.q[0]);
    put('critic.q2', this.critic.q[1]);
    put('critic.target1', this.critic.target[0]);
    put('critic.target2', this.critic.target[1]);
    const opt = (name: string, o: Adam) => {
      const s = o.state();
      s.mu.forEach((a, i) => tensors.set(`${name}.mu.${i}`, { data: a, shape: [a.length] }));
      s.nu.forEach((a, i) => tensors.set(`${name}.nu.${i}`, { data: a, shape: [a.length] }));
      return s.count;
    };
    const actorCount = opt('optim.actor', this.actorOptimizer);
    const criticCount = opt('optim.critic', this.critic.optimizer);
    return {
      tensors,
      json: { algo: this.algo, config: this.config, updates: this.updates, rng: this.rng.state(), actorCount, criticCount },
    };
  }

  loadState(s: AgentState): void {
    const sub = (prefix: string) =>
      new Map([...s.tensors].filter(([k]) => k.startsWith(prefix + '.')).map(([k, v]) => [k.slice(prefix.length + 1), v]));
    this.policy.loadStateDict(sub('policy'));
    this.critic.q[0].loadStateDict(sub('critic.q1'));
    this.critic.q[1].loadStateDict(sub('critic.q2'));
    this.critic.target[0].loadStateDict(sub('critic.target1'));
    this.critic.target[1].loadStateDict(sub('critic.target2'));
    const opt = (name: string, o: Adam, count: number) => {
      const n = o.params.length;
      const get = (k: string) => {
        const v = s.tensors.get(k);
        if (!v) throw new Error(`rfm.loadState: missing '${k}'`);
        return v.data;
      };
      o.loadState({ count, mu: Array.from({ length: n }, (_, i) => get(`${name}.mu.${i}`)), nu: Array.from({ length: n }, (_, i) => get(`${name}.nu.${i}`)) });
    };
    const j = s.json as { updates: number; rng: ReturnType<Rng['state']>; actorCount: number; criticCount: number };
    opt('optim.actor', this.actorOptimizer, j.actorCount);
    opt('optim.critic', this.critic.optimizer, j.criticCount);
    this.updates = j.updates;
    this.rng.setState(j.rng);
  }
}

for (const algo of ['rfm', 'rfm-diffusion', 'sdac', 'dqs'] as const) {
  registerAgent(algo, (obsDim, actDim, config, seed) => new RfmAgent(algo, obsDim, actDim, config.rfm, seed));
}
