/**
 * Hopper-v5: a one-legged planar robot rewarded for hopping forward without falling.
 *
 * Observation (11; 12 with exclude_current_positions_from_observation = false): qpos[1:] (5), clip(qvel, ±10) (6).
 * Action (3): torques on thigh, leg, foot in [-1, 1] (gear 200).
 * Healthy (after the step, strict bounds): every element of [qpos[2:], qvel] inside healthy_state_range (±100),
 *   z = qpos[1] inside healthy_z_range (0.7, ∞), angle = qpos[2] inside healthy_angle_range (−0.2, 0.2).
 * Reward: forward_reward_weight·Δx/dt + healthy_reward·[healthy] − ctrl_cost_weight·Σa² (float32); weights 1, 1, 1e-3.
 *   info: x_position, z_distance_from_origin, x_velocity, reward_forward, reward_ctrl, reward_survive.
 * Termination: not healthy (when terminate_when_unhealthy). Reset: qpos, qvel + U(±5e-3).
 */
import type { Info, StepResult } from '../../core.ts';
import { MujocoEnv } from '../../mujoco/mujoco-env.ts';
import type { MujocoModel } from '../../mujoco/runtime.ts';
import { clip, controlCostF32, gymModel, parseOptions, unboundedBox } from '../common.ts';

const HOPPER_DEFAULTS = {
  frameSkip: 4,
  forwardRewardWeight: 1,
  ctrlCostWeight: 1e-3,
  healthyReward: 1,
  terminateWhenUnhealthy: true,
  healthyStateRange: [-100, 100] as readonly [number, number],
  healthyZRange: [0.7, Infinity] as readonly [number, number],
  healthyAngleRange: [-0.2, 0.2] as readonly [number, number],
  resetNoiseScale: 5e-3,
  excludeCurrentPositionsFromObservation: true,
};

type PlanarOptions = Omit<typeof HOPPER_DEFAULTS, 'healthyStateRange'> & {
  healthyStateRange?: readonly [number, number];
};

/** Shared by Hopper and Walker2d: planar robots on rootx/rootz/rooty with the same reward structure. */
export abstract class PlanarWalkerEnv extends MujocoEnv {
  readonly options: PlanarOptions;

  constructor(id: string, model: MujocoModel, options: PlanarOptions) {
    const n = model.nq + model.nv - (options.excludeCurrentPositionsFromObservation ? 1 : 0);
    super({ id, model, frameSkip: options.frameSkip, observationSpace: unboundedBox(n) });
    this.options = options;
  }

  /** Health of the current state (strict inequalities, as Gymnasium's code). */
  get isHealthy(): boolean {
    const qpos = this.data.view('qpos');
    const o = this.options;
    const z = qpos[1];
    const angle = qpos[2];
    if (o.healthyStateRange) {
      const [lo, hi] = o.healthyStateRange;
      for (let i = 2; i < qpos.length; i++) if (!(qpos[i] > lo && qpos[i] < hi)) return false;
      const qvel = this.data.view('qvel');
      for (let i = 0; i < qvel.length; i++) if (!(qvel[i] > lo && qvel[i] < hi)) return false;
    }
    return (
      o.healthyZRange[0] < z &&
      z < o.healthyZRange[1] &&
      o.healthyAngleRange[0] < angle &&
      angle < o.healthyAngleRange[1]
    );
  }

  step(action: ArrayLike<number>): StepResult {
    const x0 = this.data.view('qpos')[0];
    this.doSimulation(action);
    const qpos = this.data.view('qpos');
    const x1 = qpos[0];
    const xVel = (x1 - x0) / this.dt;
    const obs = this.observation();
    const healthy = this.isHealthy;
    const forward = this.options.forwardRewardWeight * xVel;
    const survive = healthy ? this.options.healthyReward : 0;
    const ctrlCost = controlCostF32(action, this.options.ctrlCostWeight);
    const reward = forward + survive - ctrlCost;
    const terminated = !healthy && this.options.terminateWhenUnhealthy;
    const info: Info = {
      x_position: x1,
      z_distance_from_origin: qpos[1] - this.initQpos[1],
      x_velocity: xVel,
      reward_forward: forward,
      reward_ctrl: -ctrlCost,
      reward_survive: survive,
    };
    return [obs, reward, terminated, false, info];
  }

  protected resetModel(): Float64Array {
    const s = this.options.resetNoiseScale;
    const qpos = this.uniformNoise(this.initQpos, s);
    const qvel = this.uniformNoise(this.initQvel, s);
    this.setState(qpos, qvel);
    return this.observation();
  }

  protected override resetInfo(): Info {
    const q = this.data.view('qpos');
    return { x_position: q[0], z_distance_from_origin: q[1] - this.initQpos[1] };
  }

  observation(): Float64Array {
    const obs = new Float64Array(this.observationSpace.size);
    const o = this.data.copyInto(
      obs,
      0,
      'qpos',
      this.options.excludeCurrentPositionsFromObservation ? 1 : 0,
    );
    const qvel = this.data.view('qvel');
    for (let i = 0; i < qvel.length; i++) obs[o + i] = clip(qvel[i], -10, 10);
    return obs;
  }
}

export class HopperEnv extends PlanarWalkerEnv {
  static readonly ID = 'Hopper-v5';

  static async create(options?: Record<string, unknown>): Promise<HopperEnv> {
    return new HopperEnv(await gymModel('Hopper'), options);
  }

  constructor(model: MujocoModel, options?: Record<string, unknown>) {
    super(HopperEnv.ID, model, parseOptions(HopperEnv.ID, options, HOPPER_DEFAULTS));
  }
}
