/**
 * What every agent offers the training loop, and the data it learns from. Actions are always
 * normalised to [-1, 1]^d here; the loop rescales them to the environment's bounds.
 */
import type { NamedArray } from '../nn/safetensors.ts';

/** A batch of transitions, host arrays, row-major. */
export interface Batch {
  readonly size: number;
  /** [B, obsDim] */
  readonly obs: Float32Array;
  /** [B, actDim], in [-1, 1] */
  readonly action: Float32Array;
  /** [B] */
  readonly reward: Float32Array;
  /** [B, obsDim] */
  readonly nextObs: Float32Array;
  /** [B]: 1 where the transition ended in a terminal state (no bootstrapping), else 0. */
  readonly terminated: Float32Array;
}

/** Scalars logged after an update, with namespaced keys ('loss/critic', 'rfm/ess', ...). */
export type Metrics = Record<string, number>;

/**
 * Observations as agents take them, [B, obsDim] row-major: Float32Array, or Float64Array as the
 * environments return them (rounded to float32 first, so both give the same actions).
 */
export type Observation = Float32Array | Float64Array;

/** `obs` as a Float32Array (itself when it is one). */
export function float32Obs(obs: Observation): Float32Array {
  return obs instanceof Float32Array ? obs : Float32Array.from(obs);
}

/** How an agent acts: sampled (training) or its deterministic evaluation action. */
export interface ActOptions {
  /** Evaluation mode: the agent's deterministic (or state-seeded) action. */
  deterministic: boolean;
}

/** Everything needed to restore an agent exactly: named tensors plus a JSON-able remainder. */
export interface AgentState {
  readonly tensors: Map<string, NamedArray>;
  readonly json: Record<string, unknown>;
}

/** An off-policy agent (SAC, TD3, the RFM family): acts on observations, learns from replay batches, saves and restores its exact state. */
export interface Agent {
  readonly algo: string;
  readonly obsDim: number;
  readonly actDim: number;
  /** Actions for B observations [B, obsDim] -> [B, actDim] in [-1, 1] (see `predict` for env units). */
  act(obs: Observation, opts: ActOptions): Float32Array;
  /** One gradient update (critic, actor, targets) from a replay batch. */
  update(batch: Batch): Metrics;
  state(): AgentState;
  loadState(s: AgentState): void;
}
