/**
 * `checkEnv(env)`: checks an environment against the contract of core.ts, the way Gymnasium's
 * `check_env` does, and throws an Error naming the env and the broken rule at the first violation.
 * For task authors' tests. It resets and steps the env (with seeds), so use a fresh env.
 *
 * Checked:
 *  - spaces are Boxes; reset() / step() return the documented tuples with the right types;
 *  - observations have the observation space's length, are finite numbers, and lie in the space;
 *  - each call returns a fresh observation array (a reused buffer would silently corrupt replay
 *    buffers that store the arrays);
 *  - rewards are finite; terminated / truncated are booleans; info is a plain object;
 *  - the same seed gives the same episode (observations, rewards, flags);
 *  - a NaN action and an action of the wrong length are Errors that name the env.
 */
import { Box, type Env, type StepResult } from './core.ts';
import { Rng } from '../engine/rng.ts';

export interface CheckEnvOptions {
  /** Seed for the determinism check and the random actions; default 0. */
  seed?: number;
  /** Steps per rollout; default 50. */
  steps?: number;
}

function fail(env: Env, rule: string): never {
  throw new Error(`checkEnv(${env.id}): ${rule}`);
}

function checkObs(env: Env, obs: unknown, where: string): Float64Array {
  if (!(obs instanceof Float64Array)) fail(env, `${where}: the observation must be a Float64Array`);
  const space = env.observationSpace;
  if (obs.length !== space.size)
    fail(env, `${where}: observation length ${obs.length}, space size ${space.size}`);
  for (let i = 0; i < obs.length; i++) {
    if (!Number.isFinite(obs[i])) fail(env, `${where}: observation[${i}] is ${obs[i]}`);
  }
  if (!space.contains(obs))
    fail(env, `${where}: the observation lies outside the observation space`);
  return obs;
}

function checkInfo(env: Env, info: unknown, where: string): void {
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    fail(env, `${where}: info must be a plain object`);
  }
}

function checkStep(env: Env, r: unknown, where: string): StepResult {
  if (!Array.isArray(r) || r.length !== 5)
    fail(env, `${where}: step() must return [obs, reward, terminated, truncated, info]`);
  const [obs, reward, terminated, truncated, info] = r as StepResult;
  checkObs(env, obs, where);
  if (typeof reward !== 'number' || !Number.isFinite(reward))
    fail(env, `${where}: reward is ${String(reward)}`);
  if (typeof terminated !== 'boolean') fail(env, `${where}: terminated must be a boolean`);
  if (typeof truncated !== 'boolean') fail(env, `${where}: truncated must be a boolean`);
  checkInfo(env, info, where);
  return r as StepResult;
}

function rollout(env: Env, seed: number, steps: number): number[] {
  const rng = new Rng(seed);
  const { low, high } = env.actionSpace;
  const r = env.reset({ seed });
  if (!Array.isArray(r) || r.length !== 2) fail(env, 'reset() must return [obs, info]');
  let prev = checkObs(env, r[0], 'reset');
  checkInfo(env, r[1], 'reset');
  const trace: number[] = [...prev];
  for (let t = 0; t < steps; t++) {
    const a = new Float64Array(low.length);
    for (let i = 0; i < a.length; i++) {
      const lo = Number.isFinite(low[i]) ? low[i] : -1;
      const hi = Number.isFinite(high[i]) ? high[i] : 1;
      a[i] = lo + (hi - lo) * rng.uniform();
    }
    const [obs, reward, terminated, truncated] = checkStep(env, env.step(a), `step ${t}`);
    if (obs === prev)
      fail(env, `step ${t}: returned the same observation array as the previous call`);
    trace.push(...obs, reward, Number(terminated), Number(truncated));
    if (terminated || truncated) {
      const [o, info] = env.reset();
      prev = checkObs(env, o, `reset after step ${t}`);
      checkInfo(env, info, `reset after step ${t}`);
      trace.push(...prev);
    } else {
      prev = obs;
    }
  }
  return trace;
}

function expectError(env: Env, what: string, f: () => unknown): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof Error)) fail(env, `${what} must throw an Error`);
  if (!err.message.includes(env.id))
    fail(env, `the Error for ${what} must name the env (got '${err.message}')`);
}

/** Throws an Error describing the first violation of the env contract; returns quietly otherwise. */
export function checkEnv(env: Env, options: CheckEnvOptions = {}): void {
  const seed = options.seed ?? 0;
  const steps = options.steps ?? 50;
  if (typeof env.id !== 'string' || env.id === '')
    throw new Error('checkEnv: env.id must be a non-empty string');
  if (!(env.observationSpace instanceof Box)) fail(env, 'observationSpace must be a Box');
  if (!(env.actionSpace instanceof Box)) fail(env, 'actionSpace must be a Box');
  if (env.actionSpace.size === 0) fail(env, 'the action space is empty');
  const a = rollout(env, seed, steps);
  const b = rollout(env, seed, steps);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (!Object.is(a[i], b[i]))
      fail(env, `the same seed gave different episodes (value ${i}: ${a[i]} vs ${b[i]})`);
  }
  if (a.length !== b.length) fail(env, 'the same seed gave episodes of different lengths');
  env.reset({ seed });
  const size = env.actionSpace.size;
  expectError(env, 'a NaN action', () => env.step(new Float64Array(size).fill(NaN)));
  expectError(env, 'an action of the wrong length', () => env.step(new Float64Array(size + 1)));
}
