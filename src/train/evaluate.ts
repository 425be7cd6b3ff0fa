/** Evaluation: deterministic actions on a separate, deterministically seeded environment. */
import type { Agent } from '../agents/index.ts';
import type { Env } from '../envs/index.ts';
import { evalEpisodeSeed } from './env.ts';

/** Returns and lengths of the episodes of one evaluation. */
export interface EvalResult {
  /** Mean return over the episodes. */
  readonly mean: number;
  readonly std: number;
  readonly returns: number[];
  readonly lengths: number[];
}

/** Runs `episodes` episodes with `agent.act(obs, { deterministic: true })`. */
export function evaluate(agent: Agent, env: Env, episodes: number, seed: number): EvalResult {
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let j = 0; j < episodes; j++) {
    let [obs] = env.reset({ seed: evalEpisodeSeed(seed, j) });
    let ret = 0;
    let len = 0;
    for (;;) {
      const a = agent.act(Float32Array.from(obs), { deterministic: true });
      const [next, r, terminated, truncated] = env.step(a);
      ret += r;
      len++;
      obs = next;
      if (terminated || truncated) break;
    }
    returns.push(ret);
    lengths.push(len);
  }
  const mean = returns.reduce((s, x) => s + x, 0) / episodes;
  const std = Math.sqrt(returns.reduce((s, x) => s + (x - mean) ** 2, 0) / episodes);
  return { mean, std, returns, lengths };
}
