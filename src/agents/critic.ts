/**
 * Twin Q critics with target networks (the off-policy core shared by every agent here).
 *
 *   y = rewardScale * r + gamma * (1 - terminated) * Q'(s', a')        (the caller supplies Q')
 *   loss_j = MSE(Q_j(s, a), y), j = 1, 2     (each critic its own; logged: their mean)
 *
 * As the reference code (../shared/facts/baselines.md section 2): every layer, the output
 * included, starts orthogonal with gain sqrt(2) and zero bias; each critic has its own Adam, so
 * gradient-norm clipping applies per critic, not to one norm over both.
 * Truncation (time limits) is not termination: a truncated transition still bootstraps.
 */
import {
  type Backend,
  type MlpLayer,
  type Rng,
  type Tensor,
  unary,
  repeatInterleave,
  add,
  backward,
  concat,
  grad,
  isGradEnabled,
  linear,
  minimum,
  mean,
  mul,
  noGrad,
  reshape,
  slice,
  square,
  sub,
  sum,
  tensor,
  sqrt,
  variable,
  empty,
} from '../engine/index.ts';
import {
  Adam,
  MLP,
  defaultBackend,
  mseGradients,
  polyakUpdate,
  type MLPOptions,
  type NamedArray,
} from '../nn/index.ts';

/**
 * An MLP with Mish activations, u tanh(softplus(u)), between its layers (QVPO's critics). It has
 * no layer chain for the fused kernels (they take the activations of the engine's Activation).
 */
export class MishMLP extends MLP {
  constructor(sizes: readonly number[], rng: Rng, opts: MLPOptions = {}) {
    super(sizes, rng, { ...opts, activation: 'none' });
  }
  override chain(): MlpLayer[] {
    throw new Error(
      'MishMLP: no fused layer chain (Mish is not an engine Activation); use forward',
    );
  }
  override forward(x: Tensor): Tensor {
    let h = x;
    this.layers.forEach((l, i) => {
      h = linear(h, l.weight, l.bias);
      if (i + 1 < this.layers.length) h = unary(h, 'mish');
    });
    return h;
  }
  override forwardRepeated(cond: Tensor, x: Tensor): Tensor {
    return this.forward(concat([repeatInterleave(cond, x.shape[0] / cond.shape[0], 0), x], 1));
  }
}

export interface CriticConfig {
  hidden: number[];
  lr: number;
  maxGradNorm: number;
  /** Init of every critic layer (default: the reference's orthogonal, gain `gain`, zero bias). */
  init?: MLPOptions['init'];
  /** Gain of the orthogonal init (default sqrt(2)). */
  gain?: number;
  /** Hidden activation: 'relu' (default) or 'mish' (QVPO's critics; no fused kernels). */
  activation?: 'relu' | 'mish';
}

export interface CriticMetrics {
  loss: number;
  gradNorm: number;
  qMean: number;
  qStd: number;
}

export class TwinCritic {
  readonly q: [MLP, MLP];
  readonly target: [MLP, MLP];
  /** One Adam per critic: each clips its own gradient norm (config.maxGradNorm). */
  readonly optimizers: [Adam, Adam];
  readonly backend: Backend;

  constructor(
    readonly obsDim: number,
    readonly actDim: number,
    readonly config: CriticConfig,
    rng: Rng,
    backend?: Backend,
  ) {
    this.backend = defaultBackend(backend);
    const sizes = [obsDim + actDim, ...config.hidden, 1];
    const o: MLPOptions = {
      activation: 'relu',
      init: config.init ?? 'orthogonal',
      gain: config.gain ?? Math.SQRT2,
      backend: this.backend,
    };
    const net = () =>
      config.activation === 'mish' ? new MishMLP(sizes, rng, o) : new MLP(sizes, rng, o);
    this.q = [net(), net()];
    this.target = [net(), net()];
    this.target[0].copyFrom(this.q[0]);
    this.target[1].copyFrom(this.q[1]);
    const adam = (m: MLP) =>
      new Adam(m.parameters(), { lr: config.lr, maxGradNorm: config.maxGradNorm });
    this.optimizers = [adam(this.q[0]), adam(this.q[1])];
  }

  /**
   * One Adam step per critic (each clipped to its own norm); returns the norm of both critics'
   * gradients together, before clipping, sqrt(|g_1|^2 + |g_2|^2).
   */
  private optimizerStep(): number {
    return Math.hypot(this.optimizers[0].step(), this.optimizers[1].step());
  }
  /** Clears both critics' accumulated gradients (after an actor loss reached them). */
  zeroGrad(): void {
    for (const o of this.optimizers) o.zeroGrad();
  }
  /**
   * Both optimisers' moments under `<prefix>.mu.<i>` / `<prefix>.nu.<i>`, i counting over the
   * first critic's parameters then the second's; returns the step count.
   */
  putOptimizers(out: Map<string, NamedArray>, prefix: string): number {
    let i = 0;
    for (const o of this.optimizers) {
      const s = o.state();
      s.mu.forEach((a, k) => out.set(`${prefix}.mu.${i + k}`, { data: a, shape: [a.length] }));
      s.nu.forEach((a, k) => out.set(`${prefix}.nu.${i + k}`, { data: a, shape: [a.length] }));
      i += s.mu.length;
    }
    return this.optimizers[0].state().count;
  }
  /** Restores what putOptimizers wrote. */
  loadOptimizers(
    from: ReadonlyMap<string, NamedArray>,
    prefix: string,
    count: number,
    who: string,
  ): void {
    const get = (k: string) => {
      const v = from.get(k);
      if (!v) throw new Error(`${who}.loadState: missing tensor '${k}'`);
      return v.data;
    };
    let i = 0;
    for (const o of this.optimizers) {
      const n = o.params.length;
      const at = i;
      o.loadState({
        count,
        mu: Array.from({ length: n }, (_, k) => get(`${prefix}.mu.${at + k}`)),
        nu: Array.from({ length: n }, (_, k) => get(`${prefix}.nu.${at + k}`)),
      });
      i += n;
    }
  }

  /** Q_j(s, a) for both online critics: obs [N, O], act [N, A] -> two [N]. */
  values(obs: Tensor, act: Tensor): [Tensor, Tensor] {
    const x = concat([obs, act], 1);
    return [reshape(this.q[0].forward(x), [-1]), reshape(this.q[1].forward(x), [-1])];
  }
  /** min_j Q_j(s, a) [N] with the online critics (differentiable in act). */
  minQ(obs: Tensor, act: Tensor): Tensor {
    const [a, b] = this.values(obs, act);
    return minimum(a, b);
  }
  /**
   * min_j Q_j(s_b, a_i) [B*R] for states obs [B, O] each shared by R = rows(act) / B consecutive
   * actions act [B*R, A] (particles or reverse samples of one state): the same numbers as
   * minQ(repeat(obs, R), act), with the states' share of the first layer computed once per state.
   * Online critics, differentiable in act; `target` uses the target critics (no gradient).
   */
  minQRepeated(obs: Tensor, act: Tensor, target = false): Tensor {
    const [c1, c2] = target ? this.target : this.q;
    // values only (no tape is recorded): the fused kernel where it applies
    if (target || !isGradEnabled()) {
      const fused = this.fusedTwin(target ? this.target : this.q, obs, act, false);
      if (fused) return fused.value;
    }
    const f = () =>
      minimum(
        reshape(c1.forwardRepeated(obs, act), [-1]),
        reshape(c2.forwardRepeated(obs, act), [-1]),
      );
    return target ? noGrad(f) : f();
  }
  /**
   * minQRepeated's value [B*R] and its gradient in act [B*R, A], with no tape. Two-hidden-layer
   * ReLU critics on a backend with the fused kernel take one pass over blocks of rows that
   * differentiates only the critic giving the minimum; otherwise autodiff of minQRepeated. The
   * two agree (the first critic takes ties, as `minimum`'s gradient).
   */
  minQRepeatedValueAndGrad(obs: Tensor, act: Tensor): { value: Tensor; grad: Tensor } {
    const fused = this.fusedTwin(this.q, obs, act, true);
    if (fused) return { value: fused.value, grad: fused.grad! };
    const x = variable(act.detach());
    const value = this.minQRepeated(obs, x);
    const [g] = grad(sum(value), [x]);
    return { value: value.detach(), grad: g };
  }
  /**
   * The backend's twin ReLU critic kernel (Backend.twinReluCriticMin) for critics [c1, c2] at
   * obs [B, O] repeated over act [B*R, A]: min_j Q_j [B*R] and, when asked, its gradient in act.
   * Null where the kernel or the critics' shapes do not fit.
   */
  private fusedTwin(
    critics: readonly [MLP, MLP],
    obs: Tensor,
    act: Tensor,
    withGrad: boolean,
  ): { value: Tensor; grad: Tensor | null } | null {
    const [c1, c2] = critics;
    const fused = this.backend.twinReluCriticMin;
    const shaped = (m: MLP) =>
      m.layers.length === 3 &&
      m.activation === 'relu' &&
      m.layers[2].weight.shape[0] === 1 &&
      m.layers.every((l) => l.weight.shape[1] <= 512);
    const sameShapes = c1.layers.every(
      (l, i) => l.weight.shape.join() === c2.layers[i]?.weight.shape.join(),
    );
    if (!(
      fused &&
      shaped(c1) &&
      shaped(c2) &&
      sameShapes &&
      obs.rank === 2 &&
      act.rank === 2 &&
      obs.shape[0] > 0 &&
      act.shape[0] % obs.shape[0] === 0 &&
      c1.layers[0].weight.shape[1] === obs.shape[1] + act.shape[1] &&
      act.backend === this.backend &&
      obs.backend === this.backend
    ))
      return null;
    return noGrad(() => {
      const [B, O] = obs.shape;
      const [M, A] = act.shape;
      const [H1, H2] = [c1.layers[0].weight.shape[0], c1.layers[1].weight.shape[0]];
      const parts = [c1, c2].map((m) => {
        const [l1, l2, l3] = m.layers;
        const cond = linear(obs, slice(l1.weight, 1, 0, O), l1.bias); // [B, H1]
        return {
          w1: l1.weight.storage,
          ldw1: O + A,
          offset: O,
          cond: cond.storage,
          w2: l2.weight.storage,
          b2: l2.bias?.storage ?? null,
          w3: l3.weight.storage,
          b3: l3.bias?.storage ?? null,
        };
      });
      // the kernel writes every value of its outputs
      const q1 = empty([M], this.backend);
      const q2 = empty([M], this.backend);
      const g = withGrad ? empty([M, A], this.backend) : null;
      fused.call(
        this.backend,
        act.storage,
        q1.storage,
        q2.storage,
        g ? g.storage : null,
        M,
        A,
        H1,
        H2,
        B,
        parts,
      );
      return { value: minimum(q1, q2), grad: g };
    });
  }
  /** min_j Q'_j(s, a) [N] with the target critics (no gradient). */
  minTargetQ(obs: Tensor, act: Tensor): Tensor {
    return noGrad(() => {
      const x = concat([obs, act], 1);
      return minimum(
        reshape(this.target[0].forward(x), [-1]),
        reshape(this.target[1].forward(x), [-1]),
      );
    });
  }

  /** The TD target r * scale + gamma * (1 - terminated) * nextQ: all [B]. */
  static tdTarget(
    reward: Tensor,
    terminated: Tensor,
    nextQ: Tensor,
    gamma: number,
    rewardScale = 1,
  ): Tensor {
    return noGrad(() => {
      const notDone = add(mul(terminated, -1), 1);
      return add(mul(reward, rewardScale), mul(mul(notDone, gamma), nextQ));
    });
  }

  /** One Adam step on both critics towards y [B]; obs [B, O], act [B, A]. */
  step(obs: Tensor, act: Tensor, y: Tensor): CriticMetrics {
    // each critic descends its own MSE (the reference's gradient scale, which the per-critic
    // clipping sees); the fused regression gradients where the backend has them
    const fused =
      this.config.activation === 'mish'
        ? null
        : noGrad(() => {
            const x = concat([obs, act], 1);
            const q1 = empty([obs.shape[0]], this.backend); // the predictions, written in full
            const l1 = mseGradients(this.q[0].chain(), x, y, 1, q1);
            if (l1 === null) return null;
            const l2 = mseGradients(this.q[1].chain(), x, y, 1);
            if (l2 === null)
              throw new Error(
                'TwinCritic.step: the fused gradients took one critic but not the other',
              );
            return { loss: (l1 + l2) / 2, q1: q1.toArray() };
          });
    if (fused) {
      const gradNorm = this.optimizerStep();
      let m = 0;
      for (const v of fused.q1) m += v;
      m /= fused.q1.length;
      let v2 = 0;
      for (const v of fused.q1) v2 += (v - m) ** 2;
      return { loss: fused.loss, gradNorm, qMean: m, qStd: Math.sqrt(v2 / fused.q1.length) };
    }
    const [q1, q2] = this.values(obs, act);
    const loss = add(mean(square(sub(q1, y))), mean(square(sub(q2, y))));
    backward(loss);
    const gradNorm = this.optimizerStep();
    const lossValue = loss.item() / 2;
    const stats = noGrad(() => {
      const m = mean(q1);
      const sd = sqrt(mean(square(sub(q1, m))));
      return [m.item(), sd.item()];
    });
    return { loss: lossValue, gradNorm, qMean: stats[0], qStd: stats[1] };
  }

  /** Both targets' and both online critics' parameters, listed once (the tensors stay the same). */
  private pairs: [Tensor[], Tensor[]] | null = null;
  /** Polyak update of both targets (one call for both critics). */
  updateTargets(tau: number): void {
    this.pairs ??= [
      [...this.target[0].parameters(), ...this.target[1].parameters()],
      [...this.q[0].parameters(), ...this.q[1].parameters()],
    ];
    polyakUpdate(this.pairs[0], this.pairs[1], tau);
  }

  /** Host batch arrays to tensors on this critic's backend. */
  toTensor(data: Float32Array, shape: number[]): Tensor {
    return tensor(data, shape, this.backend);
  }
}
