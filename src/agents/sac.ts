/**
 * Soft Actor-Critic with a tanh-squashed Gaussian actor, twin critics and automatic entropy
 * tuning (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications", Algorithm 1).
 *
 *   a = tanh(u),  u = mu(s) + sigma(s) eps,  eps ~ N(0, I)                    (reparameterised)
 *   log pi(a|s) = sum_i [ log N(u_i; mu_i, sigma_i) - log(1 - tanh^2 u_i) ]   (change of variables)
 *   y           = r + gamma (1 - terminated) (min_j Q'_j(s', a') - alpha log pi(a'|s')),  a' ~ pi(.|s')
 *   L_Q         = mean_j MSE(Q_j(s, a), y)
 *   L_pi        = E[ alpha log pi(a|s) - min_j Q_j(s, a) ],  a ~ pi(.|s)
 *   L_alpha     = -log(alpha) E[ log pi(a|s) + H_target ],  H_target = -targetEntropyScale * actDim
 *
 * log(alpha) is the optimised variable (as in SB3 and CleanRL: alpha stays positive and the step
 * size is relative). Actions are in [-1, 1]; the loop rescales them to the env's bounds.
 */
import {
  type Backend,
  type Tensor,
  Rng,
  add,
  backward,
  exp,
  logSech2,
  mean,
  mul,
  noGrad,
  randn,
  slice,
  square,
  sub,
  sum,
  tanh,
  tensor,
  tidy,
} from '../engine/index.ts';
import { Adam, MLP, defaultBackend } from '../nn/index.ts';
import type { Config, SacConfig } from '../config/index.ts';
import { TwinCritic } from './critic.ts';
import {
  checkAlgoOf,
  loadAdam,
  loadModule,
  loadTensor,
  putAdam,
  putModule,
  putTensor,
} from './checkpoint-state.ts';
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

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export class SacAgent implements Agent {
  readonly algo = 'sac';
  /** obs [B, O] -> [mu, pre-clamp log std] [B, 2A]. */
  readonly actor: MLP;
  readonly critic: TwinCritic;
  readonly actorOptimizer: Adam;
  /** log(alpha), shape [1]. */
  readonly logAlpha: Tensor;
  readonly alphaOptimizer: Adam;
  readonly targetEntropy: number;
  private readonly backend: Backend;
  private readonly rng: Rng;
  private updates = 0;

  constructor(
    readonly obsDim: number,
    readonly actDim: number,
    readonly config: SacConfig,
    seed = 0,
    backend?: Backend,
  ) {
    const c = config;
    this.backend = defaultBackend(backend);
    const root = new Rng(seed);
    this.rng = root.split(1);
    const clip = c.maxGradNorm ?? Infinity;
    this.actor = new MLP([obsDim, ...c.actorHidden, 2 * actDim], root.split(2), {
      activation: 'relu',
      backend: this.backend,
    });
    this.critic = new TwinCritic(
      obsDim,
      actDim,
      { hidden: c.criticHidden, lr: c.criticLr, maxGradNorm: clip },
      root.split(3),
      this.backend,
    );
    this.actorOptimizer = new Adam(this.actor.parameters(), { lr: c.actorLr, maxGradNorm: clip });
    this.logAlpha = tensor([Math.log(c.initAlpha)], [1], this.backend).keep();
    this.logAlpha.requiresGrad = true;
    this.alphaOptimizer = new Adam([this.logAlpha], { lr: c.alphaLr });
    this.targetEntropy = -c.targetEntropyScale * actDim;
  }

  get alpha(): number {
    return Math.exp(this.logAlpha.item());
  }

  /** Mean and log std of the pre-squash Gaussian, each [B, A]; log std squashed into [logStdMin, logStdMax]. */
  private gaussian(obs: Tensor): { mu: Tensor; logStd: Tensor } {
    const A = this.actDim;
    const { logStdMin: lo, logStdMax: hi } = this.config;
    const out = this.actor.forward(obs); // [B, 2A]
    const mu = slice(out, 1, 0, A);
    const logStd = add(mul(add(tanh(slice(out, 1, A, 2 * A)), 1), 0.5 * (hi - lo)), lo); // CleanRL / SpinUp's soft clamp
    return { mu, logStd };
  }

  /** a ~ pi(.|s) [B, A] and log pi(a|s) [B], differentiable in the actor's parameters. */
  private sample(obs: Tensor): { action: Tensor; logProb: Tensor } {
    const { mu, logStd } = this.gaussian(obs);
    const eps = randn(mu.shape, this.rng, this.backend); // [B, A]
    const u = add(mu, mul(exp(logStd), eps));
    // NOTE: log(1 - tanh^2 u) via log sech^2 u = -2 log cosh u, finite for large |u| (no 1e-6 fudge).
    const logNormal = sub(sub(mul(square(eps), -0.5), logStd), HALF_LOG_2PI);
    return { action: tanh(u), logProb: sum(sub(logNormal, logSech2(u)), 1) };
  }

  act(observations: Observation, opts: ActOptions): Float32Array {
    const obs = float32Obs(observations);
    const B = obs.length / this.obsDim;
    return tidy(() =>
      noGrad(() => {
        const s = tensor(obs, [B, this.obsDim], this.backend);
        return opts.deterministic
          ? tanh(this.gaussian(s).mu).toArray()
          : this.sample(s).action.toArray();
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
      const alpha = this.alpha;

      // 1. Soft TD target: y = r + gamma (1 - d) (min_j Q'_j(s', a') - alpha log pi(a'|s')), a' ~ pi(.|s').
      const y = noGrad(() => {
        const next = this.sample(nextObs);
        const softQ = sub(this.critic.minTargetQ(nextObs, next.action), mul(next.logProb, alpha));
        return TwinCritic.tdTarget(reward, terminated, softQ, c.gamma, c.rewardScale);
      });

      // 2. Critic step on both Q networks.
      const critic = this.critic.step(obs, action, y);

      // 3. Actor step: minimise E[alpha log pi(a|s) - min_j Q_j(s, a)] with reparameterised a.
      const pi = this.sample(obs);
      const actorLoss = mean(sub(mul(pi.logProb, alpha), this.critic.minQ(obs, pi.action)));
      backward(actorLoss);
      this.critic.zeroGrad(); // the actor loss also reached the critics' parameters
      const actorGrad = this.actorOptimizer.step();
      const logProbMean = mean(pi.logProb).item();

      // 4. Temperature step: minimise -log(alpha) (E[log pi] + H_target), log pi held fixed.
      let alphaLoss = 0;
      if (c.autotune) {
        const loss = mul(this.logAlpha, -(logProbMean + this.targetEntropy));
        backward(loss);
        this.alphaOptimizer.step();
        alphaLoss = loss.item();
      }

      // 5. Polyak update of the target critics.
      this.critic.updateTargets(c.tau);
      this.updates++;
      return {
        'loss/critic': critic.loss,
        'loss/actor': actorLoss.item(),
        'loss/alpha': alphaLoss,
        'grad/critic': critic.gradNorm,
        'grad/actor': actorGrad,
        'q/mean': critic.qMean,
        'q/std': critic.qStd,
        'sac/entropy': -logProbMean,
        temperature: alpha,
      };
    });
  }

  state(): AgentState {
    const t = new Map();
    putModule(t, 'actor', this.actor);
    putModule(t, 'critic.q1', this.critic.q[0]);
    putModule(t, 'critic.q2', this.critic.q[1]);
    putModule(t, 'critic.target1', this.critic.target[0]);
    putModule(t, 'critic.target2', this.critic.target[1]);
    putTensor(t, 'log_alpha', this.logAlpha);
    const counts = {
      actor: putAdam(t, 'optim.actor', this.actorOptimizer),
      critic: this.critic.putOptimizers(t, 'optim.critic'),
      alpha: putAdam(t, 'optim.alpha', this.alphaOptimizer),
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
      optimizerSteps: { actor: number; critic: number; alpha: number };
    };
    loadModule(s.tensors, 'actor', this.actor);
    loadModule(s.tensors, 'critic.q1', this.critic.q[0]);
    loadModule(s.tensors, 'critic.q2', this.critic.q[1]);
    loadModule(s.tensors, 'critic.target1', this.critic.target[0]);
    loadModule(s.tensors, 'critic.target2', this.critic.target[1]);
    loadTensor(s.tensors, 'log_alpha', this.logAlpha, this.algo);
    loadAdam(s.tensors, 'optim.actor', this.actorOptimizer, j.optimizerSteps.actor, this.algo);
    this.critic.loadOptimizers(s.tensors, 'optim.critic', j.optimizerSteps.critic, this.algo);
    loadAdam(s.tensors, 'optim.alpha', this.alphaOptimizer, j.optimizerSteps.alpha, this.algo);
    this.updates = j.updates;
    this.rng.setState(j.rng);
  }
}

registerAgent(
  'sac',
  (obsDim, actDim, config: Config, seed) => new SacAgent(obsDim, actDim, config.sac, seed),
);
