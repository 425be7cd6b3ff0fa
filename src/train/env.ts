/**
 * The environment stack the loop trains on and evaluates with:
 *   makeEnv(id) [TimeLimit] -> RescaleAction(-1, 1) -> NormalizeObservation (optional)
 * Agents act in [-1, 1]^d; RescaleAction maps to the env's bounds.
 */
import { hashFloats } from '../engine/index.ts';
import type { Env } from '../envs/core.ts';
import { makeEnv } from '../envs/registry.ts';
import { NormalizeObservation, RescaleAction } from '../envs/wrappers.ts';
import type { TrainConfig } from '../config/index.ts';

/** Builds the bare (or time-limited) environment; tests pass their own. */
export type EnvFactory = (envId: string, cfg: TrainConfig) => Promise<Env>;

export const defaultEnvFactory: EnvFactory = (envId, cfg) =>
  makeEnv(envId, cfg.maxEpisodeSteps === null ? {} : { maxEpisodeSteps: cfg.maxEpisodeSteps });

export interface EnvStack {
  readonly env: Env;
  /** Present when train.normalizeObs. */
  readonly normalizer: NormalizeObservation | null;
  readonly obsDim: number;
  readonly actDim: number;
}

export async function buildEnv(
  envId: string,
  cfg: TrainConfig,
  factory: EnvFactory = defaultEnvFactory,
): Promise<EnvStack> {
  const base = await factory(envId, cfg);
  const rescaled = new RescaleAction(base, -1, 1);
  const normalizer = cfg.normalizeObs ? new NormalizeObservation(rescaled) : null;
  const env = normalizer ?? rescaled;
  return { env, normalizer, obsDim: env.observationSpace.size, actDim: env.actionSpace.size };
}

/**
 * Seed of training episode k of a run: every reset is seeded, so an episode is a pure function of
 * (run seed, k, actions) and a checkpoint can rebuild the current episode by replaying its actions.
 */
export function trainEpisodeSeed(seed: number, episode: number): number {
  return hashFloats([seed, episode], 0x7a41);
}

/** Seed of evaluation episode j: the same start states at every evaluation (less noisy curves). */
export function evalEpisodeSeed(seed: number, episode: number): number {
  return hashFloats([seed, episode], 0xe7a1);
}
