/**
 * The frame of the four diffusion baselines (dqs, qsm, qvpo, maxentdp): a policy network, the twin
 * critics of src/agents/critic.ts, the policy's Adam, the agent's generators, the update counter,
 * state()/loadState() over the named parts, and the observation handling of act(). Each baseline
 * adds its sampler, its update and its policy's objective.
 *
 * Generators: from the seed's root, split(1) is the agent's stream (exploration, minibatch noise),
 * split(2) initialises the policy, split(3) the critics; split(4) and above are free for the
 * subclass (QVPO's EMA policy uses 4). `Rng.split(i)` is a pure function of the key, so the order
 * of construction does not change any number.
 */
import { type Backend, type Tensor, Rng, tensor, tidy } from '../engine/index.ts';
import { Adam, type Module, defaultBackend } from '../nn/index.ts';
import type { DiffusionBaselineConfig } from '../config/index.ts';
import { TwinCritic, type CriticConfig, type CriticMetrics } from './critic.ts';
import { loadBaseline, saveBaseline, type SavedParts } from './diffusion-common.ts';
import type { Agent, ActOptions, AgentState, Batch, Metrics, Observation } from './types.ts';
import { float32Obs } from './types.ts';

export interface BaselineParts<P extends Module> {
  /** Builds the policy network from its generator (the root's split(2)). */
  policy: (rng: Rng, backend: Backend) => P;
  /** Hidden activation of the critics (default: the critics' own, ReLU). */
  criticActivation?: CriticConfig['activation'];
}

export abstract class DiffusionBaseline<
  C extends DiffusionBaselineConfig,
  P extends Module,
> implements Agent {
  abstract readonly algo: 'dqs' | 'qsm' | 'qvpo' | 'maxentdp';
  readonly policy: P;
  readonly critic: TwinCritic;
  readonly actorOptimizer: Adam;
  protected readonly backend: Backend;
  /** The seed's root generator (split(4) and above are the subclass's). */
  protected readonly root: Rng;
  protected readonly rng: Rng;
  protected updates = 0;

  constructor(
    readonly obsDim: number,
    readonly actDim: number,
    readonly config: C,
    seed: number,
    backend: Backend | undefined,
    parts: BaselineParts<P>,
  ) {
    const clip = config.maxGradNorm ?? Infinity;
    this.backend = defaultBackend(backend);
    this.root = new Rng(seed);
    this.rng = this.root.split(1);
    this.policy = parts.policy(this.root.split(2), this.backend);
    this.critic = new TwinCritic(
      obsDim,
      actDim,
      {
        hidden: config.criticHidden,
        lr: config.criticLr,
        maxGradNorm: clip,
        ...(parts.criticActivation ? { activation: parts.criticActivation } : {}),
      },
      this.root.split(3),
      this.backend,
    );
    this.actorOptimizer = new Adam(this.policy.parameters(), {
      lr: config.actorLr,
      maxGradNorm: clip,
    });
  }

  abstract update(batch: Batch): Metrics;

  /** An update's metrics: the critics' and the policy's losses and gradient norms, the Q statistics, then `extra`. */
  protected updateMetrics(
    critic: CriticMetrics,
    actorLoss: number,
    actorGrad: number,
    extra: Metrics,
  ): Metrics {
    return {
      'loss/critic': critic.loss,
      'loss/actor': actorLoss,
      'grad/critic': critic.gradNorm,
      'grad/actor': actorGrad,
      'q/mean': critic.qMean,
      'q/std': critic.qStd,
      ...extra,
    };
  }

  /** Floats as a tensor on this agent's backend. */
  protected readonly host = (x: Float32Array, shape: number[]): Tensor =>
    tensor(x, shape, this.backend);

  /** A replay batch's states [B, O], actions [B, A] and next states [B, O] as tensors (inside tidy()). */
  protected batchTensors(b: Batch): { obs: Tensor; action: Tensor; nextObs: Tensor } {
    const [B, O, A] = [b.size, this.obsDim, this.actDim];
    return {
      obs: this.host(b.obs, [B, O]),
      action: this.host(b.action, [B, A]),
      nextObs: this.host(b.nextObs, [B, O]),
    };
  }

  /** Actions [B, A] for observations [B, O]: `f` gets them as a tensor s [B, O], the raw floats and B, inside tidy(). */
  protected actOn(
    observations: Observation,
    f: (s: Tensor, obs: Float32Array, B: number) => Tensor,
  ): Float32Array {
    const obs = float32Obs(observations);
    const B = obs.length / this.obsDim;
    return tidy(() => f(tensor(obs, [B, this.obsDim], this.backend), obs, B).toArray());
  }

  abstract act(observations: Observation, opts: ActOptions): Float32Array;

  /** What state() saves: the policy, the policy's Adam and the critics (QVPO adds its EMA policy). */
  protected parts(): SavedParts {
    return {
      modules: [['policy', this.policy]],
      optimizers: [['actor', this.actorOptimizer]],
      critic: this.critic,
    };
  }
  state(): AgentState {
    return saveBaseline(this.algo, this.parts(), this.updates, this.rng);
  }
  loadState(s: AgentState): void {
    this.updates = loadBaseline(this.algo, this.parts(), s, this.rng);
  }
}
