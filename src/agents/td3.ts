/**
 * Twin Delayed DDPG (Fujimoto et al. 2018, "Addressing Function Approximation Error in
 * Actor-Critic Methods", Algorithm 1): a deterministic actor, twin critics, and
 *
 *   a'  = clip(mu'(s') + clip(N(0, policyNoise^2), -noiseClip, noiseClip), -1, 1)   (target smoothing)
 *   y   = r + gamma (1 - terminated) min_j Q'_j(s', a')
 *   L_Q = mean_j MSE(Q_j(s, a), y)                                    (every update)
 *   L_mu = -E[ Q_1(s, mu(s)) ]; then Polyak on mu' and Q'_j           (every policyDelay updates)
 *
 * Exploration while training: clip(mu(s) + N(0, explorationNoise^2), -1, 1). Actions are in [-1, 1].
 */
import {
  type Backend,
  type Tensor,
  Rng,
  add,
  backward,
  clamp,
  mean,
  mul,
  noGrad,
  randn,
  tanh,
  tensor,
  tidy,
} from '../engine/index.ts';
import { Adam, MLP, defaultBackend, polyakUpdate } from '../nn/index.ts';
import type { Config, Td3Config } from '../config/index.ts';
import { TwinCritic } from './critic.ts';
import { checkAlgoOf, loadAdam, loadModule, putAdam, putModule } from './checkpoint-state.ts';
import { registerAgent } from './registry.ts';
import {
  type ActOptions,
  type Agent,
  type AgentState,
  type Batch,
  type Metrics,
  type Observation,
  float32Obs,
} from './types.ts';

export class Td3Agent implements Agent {
  readonly algo = 'td3';
  /** obs [B, O] -> pre-tanh action [B, A]. */
  readonly actor: MLP;
  readonly actorTarget: MLP;
  readonly critic: TwinCritic;
  readonly actorOptimizer: Adam;
  private readonly backend: Backend;
  private readonly rng: Rng;
  private updates = 0;

  constructor(
    readonly obsDim: number,
    readonly actDim: number,
    readonly config: Td3Config,
    seed = 0,
    backend?: Backend,
  ) {
    const c = config;
    this.backend = defaultBackend(backend);
    const root = new Rng(seed);
    this.rng = root.split(1);
    const clip = c.maxGradNorm ?? Infinity;
    const sizes = [obsDim, ...c.actorHidden, actDim];
    this.actor = new MLP(sizes, root.split(2), { activation: 'relu', backend: this.backend });
    this.actorTarget = new MLP(sizes, root.split(2), { activation: 'relu', backend: this.backend });
    this.actorTarget.copyFrom(this.actor);
    this.critic = new TwinCritic(
      obsDim,
      actDim,
      { hidden: c.criticHidden, lr: c.criticLr, maxGradNorm: clip, init: 'lecun' },
      root.split(3),
      this.backend,
    );
    this.actorOptimizer = new Adam(this.actor.parameters(), { lr: c.actorLr, maxGradNorm: clip });
  }

  /** mu(s) in [-1, 1]: [B, O] -> [B, A]. */
  private policy(net: MLP, obs: Tensor): Tensor {
    return tanh(net.forward(obs));
  }

  act(observations: Observation, opts: ActOptions): Float32Array {
    const obs = float32Obs(observations);
    const B = obs.length / this.obsDim;
    return tidy(() =>
      noGrad(() => {
        const mu = this.policy(this.actor, tensor(obs, [B, this.obsDim], this.backend));
        if (opts.deterministic) return mu.toArray();
        const noise = randn(mu.shape, this.rng, this.backend, this.config.explorationNoise);
        return clamp(add(mu, noise), -1, 1).toArray();
      }),
    );
  }

  update(b: Batch): Metrics {
    const c = this.config;
    const [B, O, A] = [b.size, this.obsDim, this.actDim];
    return tidy(() => {
      const T = (x: Float32Array, shape: number[]) => tensor(x, shape, this.backend);
      const [obs, action, reward, nextObs, terminated] = [
        T(b.obs, [B, O]),
        T(b.action, [B, A]),
        T(b.reward, [B]),
        T(b.nextObs, [B, O]),
        T(b.terminated, [B]),
      ];

      // 1. TD target with target policy smoothing: a' = clip(mu'(s') + clip(noise), -1, 1).
      const y = noGrad(() => {
        const noise = clamp(
          randn([B, A], this.rng, this.backend, c.policyNoise),
          -c.noiseClip,
          c.noiseClip,
        );
        const nextAction = clamp(add(this.policy(this.actorTarget, nextObs), noise), -1, 1);
        return TwinCritic.tdTarget(
          reward,
          terminated,
          this.critic.minTargetQ(nextObs, nextAction),
          c.gamma,
          c.rewardScale,
        );
      });

      // 2. Critic step on both Q networks (every update).
      const critic = this.critic.step(obs, action, y);
      this.updates++;
      const metrics: Metrics = {
        'loss/critic': critic.loss,
        'grad/critic': critic.gradNorm,
        'q/mean': critic.qMean,
        'q/std': critic.qStd,
      };

      // 3. Delayed actor step (maximise Q_1(s, mu(s))) and Polyak updates of all targets.
      if (this.updates % c.policyDelay === 0) {
        const [q1] = this.critic.values(obs, this.policy(this.actor, obs));
        const actorLoss = mul(mean(q1), -1);
        backward(actorLoss);
        this.critic.zeroGrad(); // the actor loss also reached the critics' parameters
        metrics['grad/actor'] = this.actorOptimizer.step();
        metrics['loss/actor'] = actorLoss.item();
        this.critic.updateTargets(c.tau);
        polyakUpdate(this.actorTarget.parameters(), this.actor.parameters(), c.tau);
      }
      return metrics;
    });
  }

  state(): AgentState {
    const t = new Map();
    putModule(t, 'actor', this.actor);
    putModule(t, 'actor_target', this.actorTarget);
    putModule(t, 'critic.q1', this.critic.q[0]);
    putModule(t, 'critic.q2', this.critic.q[1]);
    putModule(t, 'critic.target1', this.critic.target[0]);
    putModule(t, 'critic.target2', this.critic.target[1]);
    const counts = {
      actor: putAdam(t, 'optim.actor', this.actorOptimizer),
      critic: this.critic.putOptimizers(t, 'optim.critic'),
    };
    return {
      tensors: t,
      json: {
        algo: this.algo,
        updates: this.updates,
        rng: this.rng.state(),
        optimizerSteps: counts,
      },
    };
  }

  loadState(s: AgentState): void {
    checkAlgoOf(s.json, this.algo);
    const j = s.json as {
      updates: number;
      rng: ReturnType<Rng['state']>;
      optimizerSteps: { actor: number; critic: number };
    };
    loadModule(s.tensors, 'actor', this.actor);
    loadModule(s.tensors, 'actor_target', this.actorTarget);
    loadModule(s.tensors, 'critic.q1', this.critic.q[0]);
    loadModule(s.tensors, 'critic.q2', this.critic.q[1]);
    loadModule(s.tensors, 'critic.target1', this.critic.target[0]);
    loadModule(s.tensors, 'critic.target2', this.critic.target[1]);
    loadAdam(s.tensors, 'optim.actor', this.actorOptimizer, j.optimizerSteps.actor, this.algo);
    this.critic.loadOptimizers(s.tensors, 'optim.critic', j.optimizerSteps.critic, this.algo);
    this.updates = j.updates;
    this.rng.setState(j.rng);
  }
}

registerAgent(
  'td3',
  (obsDim, actDim, config: Config, seed) => new Td3Agent(obsDim, actDim, config.td3, seed),
);
