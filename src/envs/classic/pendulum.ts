/**
 * Pendulum-v1 (Gymnasium classic control): swing a frictionless pendulum up and hold it upright.
 *
 * State (th, thdot): angle from upright (rad) and angular velocity. One step, with u clipped to
 * [-maxTorque, maxTorque]:
 *   thdot' = clip(thdot + (3 g / (2 l) sin th + 3 / (m l^2) u) dt, -maxSpeed, maxSpeed)
 *   th'    = th + thdot' dt                        (semi-implicit Euler)
 *   reward = -(norm(th)^2 + 0.1 thdot^2 + 0.001 u^2)  computed on the state before the step,
 * where norm wraps an angle into [-pi, pi). Observation [cos th, sin th, thdot]. Reset: th ~ U(-pi, pi),
 * thdot ~ U(-1, 1). Never terminates; the registry's TimeLimit truncates at 200 steps.
 * Reward terms go into info (`rewardAngle`, `rewardVelocity`, `rewardControl`; they sum to the reward).
 */
import {
  Box,
  assertKnownOptions,
  assertResetOptions,
  stepBeforeResetError,
  assertValidAction,
  type Env,
  type Info,
  type ResetOptions,
  type StepResult,
} from '../core.ts';
import { envRng, type Rng } from '../seeding.ts';

export const PENDULUM = {
  maxSpeed: 8,
  maxTorque: 2,
  dt: 0.05,
  g: 10,
  m: 1,
  l: 1,
} as const;

/** Wraps an angle into [-pi, pi) (Python's `((x + pi) % (2 pi)) - pi`, whose % is never negative). */
export function angleNormalize(x: number): number {
  const twoPi = 2 * Math.PI;
  let r = (x + Math.PI) % twoPi;
  if (r < 0) r += twoPi;
  return r - Math.PI;
}

export interface PendulumOptions {
  /** Gravity (Gymnasium's `g` argument); default 10. */
  g?: number;
}

export class PendulumEnv implements Env {
  readonly id = 'Pendulum-v1';
  readonly observationSpace = new Box([-1, -1, -PENDULUM.maxSpeed], [1, 1, PENDULUM.maxSpeed]);
  readonly actionSpace = new Box([-PENDULUM.maxTorque], [PENDULUM.maxTorque]);
  readonly g: number;
  /** [th, thdot]; exposed for tests and setState. */
  readonly state = new Float64Array(2);
  private rng: Rng | undefined;

  constructor(options: PendulumOptions = {}) {
    assertKnownOptions(this.id, options, ['g']);
    this.g = options.g ?? PENDULUM.g;
    if (!Number.isFinite(this.g))
      throw new Error(`Pendulum-v1: g must be finite, got ${options.g}`);
  }

  reset(options: ResetOptions = {}): [Float64Array, Info] {
    assertResetOptions(this.id, options);
    if (options.seed !== undefined || !this.rng) this.rng = envRng(options.seed);
    this.state[0] = -Math.PI + 2 * Math.PI * this.rng.uniform();
    this.state[1] = -1 + 2 * this.rng.uniform();
    return [this.obs(), {}];
  }

  /** Sets [th, thdot] directly (for tests and planners); returns the observation. */
  setState(state: ArrayLike<number>): Float64Array {
    if (state.length !== 2)
      throw new Error(`Pendulum-v1: setState expects [th, thdot], got length ${state.length}`);
    this.state[0] = state[0];
    this.state[1] = state[1];
    return this.obs();
  }

  step(action: ArrayLike<number>): StepResult {
    assertValidAction(this.id, this.actionSpace, action);
    if (!this.rng) throw stepBeforeResetError(this.id);
    const { maxSpeed, maxTorque, dt, m, l } = PENDULUM;
    const th = this.state[0];
    const thdot = this.state[1];
    const u = Math.min(Math.max(action[0], -maxTorque), maxTorque);
    const rewardAngle = -(angleNormalize(th) ** 2);
    const rewardVelocity = -0.1 * thdot * thdot;
    const rewardControl = -0.001 * u * u;
    let newThdot = thdot + (((3 * this.g) / (2 * l)) * Math.sin(th) + (3 / (m * l * l)) * u) * dt;
    newThdot = Math.min(Math.max(newThdot, -maxSpeed), maxSpeed);
    this.state[0] = th + newThdot * dt;
    this.state[1] = newThdot;
    const reward = rewardAngle + rewardVelocity + rewardControl;
    return [this.obs(), reward, false, false, { rewardAngle, rewardVelocity, rewardControl }];
  }

  close(): void {}

  private obs(): Float64Array {
    const th = this.state[0];
    return Float64Array.of(Math.cos(th), Math.sin(th), this.state[1]);
  }
}
