/**
 * MountainCarContinuous-v0 (Gymnasium classic control): drive an underpowered car up the right hill.
 *
 * State (x, v). One step with force f = clip(a, -1, 1):
 *   v' = clip(v + f * power - 0.0025 cos(3 x), -maxSpeed, maxSpeed)
 *   x' = clip(x + v', minPosition, maxPosition);  v' = 0 if x' hits minPosition while moving left
 *   terminated = x' >= goalPosition and v' >= goalVelocity (0)
 *   reward = 100 [terminated] - 0.1 a^2     (a unclipped, as published)
 * Observation [x, v]. Reset: x ~ U(-0.6, -0.4), v = 0. The registry's TimeLimit truncates at 999 steps.
 * Reward terms go into info (`rewardGoal`, `rewardControl`).
 */
import {
  Box,
  assertKnownOptions,
  assertResetOptions,
  stepAfterEndError,
  stepBeforeResetError,
  assertValidAction,
  type Env,
  type Info,
  type ResetOptions,
  type StepResult,
} from '../core.ts';
import { envRng, type Rng } from '../seeding.ts';

export const MOUNTAIN_CAR = {
  power: 0.0015,
  minPosition: -1.2,
  maxPosition: 0.6,
  maxSpeed: 0.07,
  goalPosition: 0.45,
  goalVelocity: 0,
  minAction: -1,
  maxAction: 1,
} as const;

export interface MountainCarContinuousOptions {
  /** Minimum velocity at the goal (Gymnasium's `goal_velocity`); default 0. */
  goalVelocity?: number;
}

export class MountainCarContinuousEnv implements Env {
  readonly id = 'MountainCarContinuous-v0';
  readonly observationSpace = new Box(
    [MOUNTAIN_CAR.minPosition, -MOUNTAIN_CAR.maxSpeed],
    [MOUNTAIN_CAR.maxPosition, MOUNTAIN_CAR.maxSpeed],
  );
  readonly actionSpace = new Box([MOUNTAIN_CAR.minAction], [MOUNTAIN_CAR.maxAction]);
  readonly goalVelocity: number;
  /** [x, v]. */
  readonly state = new Float64Array(2);
  private rng: Rng | undefined;
  /** A step returned terminated and no reset followed. */
  private ended = false;

  constructor(options: MountainCarContinuousOptions = {}) {
    assertKnownOptions(this.id, options, ['goalVelocity']);
    this.goalVelocity = options.goalVelocity ?? MOUNTAIN_CAR.goalVelocity;
  }

  reset(options: ResetOptions = {}): [Float64Array, Info] {
    assertResetOptions(this.id, options);
    this.ended = false;
    if (options.seed !== undefined || !this.rng) this.rng = envRng(options.seed);
    this.state[0] = -0.6 + 0.2 * this.rng.uniform();
    this.state[1] = 0;
    return [Float64Array.from(this.state), {}];
  }

  /** Sets [x, v] directly; returns the observation. */
  setState(state: ArrayLike<number>): Float64Array {
    if (state.length !== 2) {
      throw new Error(
        `MountainCarContinuous-v0: setState expects [x, v], got length ${state.length}`,
      );
    }
    this.state[0] = state[0];
    this.state[1] = state[1];
    return Float64Array.from(this.state);
  }

  step(action: ArrayLike<number>): StepResult {
    assertValidAction(this.id, this.actionSpace, action);
    if (!this.rng) throw stepBeforeResetError(this.id);
    if (this.ended) throw stepAfterEndError(this.id);
    const c = MOUNTAIN_CAR;
    const a = action[0];
    const force = Math.min(Math.max(a, c.minAction), c.maxAction);
    let x = this.state[0];
    let v = this.state[1];
    v += force * c.power - 0.0025 * Math.cos(3 * x);
    v = Math.min(Math.max(v, -c.maxSpeed), c.maxSpeed);
    x += v;
    x = Math.min(Math.max(x, c.minPosition), c.maxPosition);
    if (x === c.minPosition && v < 0) v = 0;
    this.state[0] = x;
    this.state[1] = v;
    const terminated = x >= c.goalPosition && v >= this.goalVelocity;
    this.ended = terminated;
    const rewardGoal = terminated ? 100 : 0;
    const rewardControl = -0.1 * a * a;
    return [
      Float64Array.of(x, v),
      rewardGoal + rewardControl,
      terminated,
      false,
      { rewardGoal, rewardControl },
    ];
  }

  close(): void {}
}
