/**
 * What the diffusion baselines of the RFM reference code share (../shared/facts/baselines.md
 * section 2): the score / noise network, state-seeded evaluation noise, discrete DDPM schedules,
 * and state()/loadState() over named modules and optimisers.
 *
 * The reference's ScoreMLP, concat[s, x, E(tau), E(c)] -> Dense H GELU -> residual GELU blocks ->
 * Dense d with a 128-wide sinusoidal embedding of a time-like scalar tau and of a conditioning
 * scalar c, is the layout of the RFM velocity network (src/policies/flow.ts) conditioned on
 * "the temperature": VelocityNet with `temperatureInput` is that network, with tau in the time
 * slot and c in the temperature slot.
 */
import {
  type Backend,
  type Tensor,
  Rng,
  add,
  clamp,
  hashFloats,
  mul,
  sub,
  tensor,
} from '../engine/index.ts';
import type { Adam, Module } from '../nn/index.ts';
import type { DiffusionBaselineConfig } from '../config/index.ts';
import { VelocityNet, particleVelocity } from '../policies/flow.ts';
import { vpPath } from '../paths/index.ts';
import { checkAlgoOf, loadAdam, loadModule, putAdam, putModule } from './checkpoint-state.ts';
import type { AgentState } from './types.ts';
import type { TwinCritic } from './critic.ts';

/** The ScoreMLP of the reference: network(cond = s, y = x, t = tau, temperature = c). */
export function scoreNetwork(
  obsDim: number,
  actDim: number,
  cfg: DiffusionBaselineConfig,
  rng: Rng,
  backend: Backend,
): VelocityNet {
  return new VelocityNet(
    {
      condDim: obsDim,
      dim: actDim,
      hidden: cfg.hidden,
      residualBlocks: cfg.residualBlocks,
      embedding: cfg.embedding,
      temperatureInput: true,
    },
    rng,
    backend,
  );
}

/**
 * The score network at rows x [B*R, A] whose consecutive runs of R rows share a state of obs
 * [B, O], with one time-like input tau for all rows and the conditioning scalar c, no gradient:
 * `particleVelocity` of src/policies/flow.ts (the state's and tau's share of the first layer once,
 * the whole network in one fused chain), the same numbers as the network on repeated states.
 * `taus` lists the values that will be asked for (their first-layer shares are made once). Call
 * the result inside a tidy() scope.
 */
export function scoreAtRows(
  net: VelocityNet,
  obs: Tensor,
  R: number,
  c: number,
  taus: readonly number[],
): (x: Tensor, tau: number) => Tensor {
  return particleVelocity(net, obs, R, c, taus);
}

/** n rows filled with the scalar v: [n]. */
export function column(n: number, v: number, backend: Backend): Tensor {
  return tensor(new Float32Array(n).fill(v), [n], backend);
}

/**
 * Standard normal noise [B * R * D] where state b's block of R * D values is seeded by hashing the
 * state (evaluation actions are a deterministic function of the observation).
 */
export function stateSeededNormal(
  obs: Float32Array,
  obsDim: number,
  perState: number,
): Float32Array {
  const B = obs.length / obsDim;
  const out = new Float32Array(B * perState);
  for (let b = 0; b < B; b++) {
    const r = new Rng(hashFloats(obs.subarray(b * obsDim, (b + 1) * obsDim)));
    r.fillNormal(out.subarray(b * perState, (b + 1) * perState));
  }
  return out;
}

/**
 * State-seeded noise for a sampler that draws `draws` times [B * rows, A] (rows per state): each
 * call of the returned function gives the next draw; every value is a function of its state.
 */
export function stateSeededDraws(
  obs: Float32Array,
  obsDim: number,
  rows: number,
  A: number,
  draws: number,
  backend: Backend,
): () => Tensor {
  const B = obs.length / obsDim;
  const block = rows * A;
  const all = stateSeededNormal(obs, obsDim, draws * block);
  let i = 0;
  return () => {
    if (i >= draws) throw new Error(`stateSeededDraws: only ${draws} draws were prepared`);
    const z = new Float32Array(B * block);
    for (let b = 0; b < B; b++)
      z.set(all.subarray((b * draws + i) * block, (b * draws + i + 1) * block), b * block);
    i++;
    return tensor(z, [B * rows, A], backend);
  };
}

/** A discrete diffusion schedule: beta_k, alpha_k = 1 - beta_k, alphabar_k = prod_{j <= k} alpha_j, k = 0..N-1. */
export interface DdpmSchedule {
  readonly beta: Float64Array;
  readonly alpha: Float64Array;
  readonly alphabar: Float64Array;
}

function scheduleFromBetas(beta: Float64Array): DdpmSchedule {
  const alpha = beta.map((b) => 1 - b);
  const alphabar = new Float64Array(beta.length);
  let p = 1;
  for (let k = 0; k < beta.length; k++) alphabar[k] = p *= alpha[k];
  return { beta, alpha, alphabar };
}

/** QSM's discrete VP schedule: beta_i = 1 - exp(-0.1 / N - 9.9 (2i - 1) / (2 N^2)), i = 1..N. */
export function vpDiscreteSchedule(N: number): DdpmSchedule {
  return scheduleFromBetas(
    Float64Array.from(
      { length: N },
      (_, k) => 1 - Math.exp(-0.1 / N - (0.5 * 9.9 * (2 * (k + 1) - 1)) / (N * N)),
    ),
  );
}

const COSINE_PATH = vpPath('cosine');

/**
 * The cosine alphabar(u) = cos^2(((u + s)/(1 + s)) pi/2) / cos^2((s/(1 + s)) pi/2), s = 0.008, at
 * diffusion time u in [0, 1] (0 clean): the VP cosine path of src/paths, whose signal coefficient
 * at flow time 1 - u is sqrt(alphabar(u)) (the equation lives there).
 */
export function cosineAlphabar(u: number): number {
  return COSINE_PATH.coefficients(1 - u).a ** 2;
}

/** QVPO's discrete cosine schedule: beta_k = min(1 - alphabar(k/N) / alphabar((k-1)/N), 0.999), k = 1..N. */
export function cosineDiscreteSchedule(N: number): DdpmSchedule {
  return scheduleFromBetas(
    Float64Array.from({ length: N }, (_, k) =>
      Math.min(1 - cosineAlphabar((k + 1) / N) / cosineAlphabar(k / N), 0.999),
    ),
  );
}

/** DDPM's clean-action estimate from x_k and the predicted noise, clipped to [-1, 1]: (x - sqrt(1 - ab) eps) / sqrt(ab). */
export function clippedX0(x: Tensor, eps: Tensor, ab: number): Tensor {
  return clamp(mul(sub(x, mul(eps, Math.sqrt(1 - ab))), 1 / Math.sqrt(ab)), -1, 1);
}

/**
 * The DDPM posterior mean of x_{k-1} given x_k and x0 (alphabar ab at step k, abPrev at the step
 * before, 1 at the first; alpha = ab / abPrev, beta = 1 - alpha):
 * sqrt(abPrev) beta / (1 - ab) x0 + sqrt(alpha) (1 - abPrev) / (1 - ab) x_k.
 */
export function posteriorMean(x0: Tensor, x: Tensor, ab: number, abPrev: number): Tensor {
  const alpha = ab / abPrev;
  return add(
    mul(x0, (Math.sqrt(abPrev) * (1 - alpha)) / (1 - ab)),
    mul(x, (Math.sqrt(alpha) * (1 - abPrev)) / (1 - ab)),
  );
}

/** The named parts of an agent that state()/loadState() save and restore. */
export interface SavedParts {
  modules: [string, Module][];
  optimizers: [string, Adam][];
  critic: TwinCritic;
}

/** state(): modules, optimisers (with the critics' two under 'optim.critic'), and the JSON part. */
export function saveParts(algo: string, p: SavedParts, json: Record<string, unknown>): AgentState {
  const t = new Map();
  for (const [name, m] of p.modules) putModule(t, name, m);
  putModule(t, 'critic.q1', p.critic.q[0]);
  putModule(t, 'critic.q2', p.critic.q[1]);
  putModule(t, 'critic.target1', p.critic.target[0]);
  putModule(t, 'critic.target2', p.critic.target[1]);
  const steps: Record<string, number> = { critic: p.critic.putOptimizers(t, 'optim.critic') };
  for (const [name, o] of p.optimizers) steps[name] = putAdam(t, `optim.${name}`, o);
  return { tensors: t, json: { ...json, algo, optimizerSteps: steps } };
}

/** loadState(): checks the algo, restores what saveParts wrote; returns the JSON part. */
export function loadParts(algo: string, p: SavedParts, s: AgentState): Record<string, unknown> {
  checkAlgoOf(s.json, algo);
  const steps = s.json.optimizerSteps as Record<string, number> | undefined;
  if (typeof steps !== 'object' || steps === null) {
    // 'dqs' once named an estimator ablation of the RFM agent, whose state carries its RFM config
    const cfg = s.json.config as Record<string, unknown> | undefined;
    const rfmState =
      typeof cfg === 'object' && cfg !== null && ('controlVariate' in cfg || 'estimator' in cfg);
    throw new Error(
      rfmState
        ? `${algo}.loadState: this state is of the former '${algo}' estimator ablation of RFM (now --algo rfm-diffusion --set rfm.estimator=ge), not of the ${algo} baseline; load it with a version from before the rename`
        : `${algo}.loadState: the state has no optimiser steps (not written by this agent)`,
    );
  }
  for (const [name, m] of p.modules) loadModule(s.tensors, name, m);
  loadModule(s.tensors, 'critic.q1', p.critic.q[0]);
  loadModule(s.tensors, 'critic.q2', p.critic.q[1]);
  loadModule(s.tensors, 'critic.target1', p.critic.target[0]);
  loadModule(s.tensors, 'critic.target2', p.critic.target[1]);
  p.critic.loadOptimizers(s.tensors, 'optim.critic', steps.critic, algo);
  for (const [name, o] of p.optimizers) loadAdam(s.tensors, `optim.${name}`, o, steps[name], algo);
  return s.json;
}

/** A baseline's state(): its parts, its update count and its generator's state. */
export function saveBaseline(algo: string, p: SavedParts, updates: number, rng: Rng): AgentState {
  return saveParts(algo, p, { updates, rng: rng.state() });
}

/** A baseline's loadState(): restores its parts and its generator; returns the update count. */
export function loadBaseline(algo: string, p: SavedParts, s: AgentState, rng: Rng): number {
  const j = loadParts(algo, p, s) as { updates: number; rng: ReturnType<Rng['state']> };
  rng.setState(j.rng);
  return j.updates;
}
