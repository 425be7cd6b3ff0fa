/** Small deterministic environments for loop tests. */
import {
  Box,
  TimeLimit,
  envRng,
  type Env,
  type Info,
  type StepResult,
} from '../../src/envs/index.ts';

/**
 * obs = [t, startBit]; reward = 1 - a^2 (or NaN from global step `nanFrom` on). An episode whose
 * reset seed is even terminates after 3 steps; otherwise it runs until TimeLimit(5) truncates it.
 */
export class CountEnv implements Env {
  readonly id = 'Count-v0';
  readonly observationSpace = new Box(-Infinity, Infinity, [2]);
  readonly actionSpace = new Box(-2, 2, [1]);
  t = 0;
  globalSteps = 0;
  private terminatesAt = Infinity;
  private start = 0;
  constructor(private readonly nanFrom = Infinity) {}
  reset(options: { seed?: number } = {}): [Float64Array, Info] {
    const seed = options.seed ?? 0;
    this.t = 0;
    this.terminatesAt = seed % 2 === 0 ? 3 : Infinity;
    this.start = envRng(seed).uniform();
    return [Float64Array.from([0, this.start]), {}];
  }
  step(a: ArrayLike<number>): StepResult {
    this.t++;
    this.globalSteps++;
    const r = this.globalSteps >= this.nanFrom ? NaN : 1 - a[0] * a[0];
    return [Float64Array.from([this.t, this.start]), r, this.t >= this.terminatesAt, false, {}];
  }
  close(): void {}
}

export const countEnvFactory =
  (nanFrom = Infinity) =>
  async () =>
    new TimeLimit(new CountEnv(nanFrom), 5);
