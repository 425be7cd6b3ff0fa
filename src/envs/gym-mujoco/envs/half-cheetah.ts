/**
 * HalfCheetah-v5: a planar two-legged runner rewarded for forward speed.
 *
 * Observation (17; 18 with exclude_current_positions_from_observation = false): qpos[1:] (8), qvel (9).
 * Action (6): torques on bthigh, bshin, bfoot, fthigh, fshin, ffoot in [-1, 1] (gears 120, 90, 60, 120, 60, 30).
 * Reward: forward_reward_weight·Δx/dt − ctrl_cost_weight·Σa² (float32), weights 1 and 0.1.
 *   info: x_position, x_velocity, reward_forward, reward_ctrl. Never terminates.
 * Reset: qpos + U(±0.1), qvel + 0.1·N(0, 1).
 */
import type { Info, StepResult } from '../../core.ts';
import { MujocoEnv } from '../../mujoco/mujoco-env.ts';
import type { MujocoModel } from '../../mujoco/runtime.ts';
import { controlCostF32, gymModel, parseOptions, unboundedBox } from '../common.ts';

const DEFAULTS = {
  frameSkip: 5,
  forwardRewardWeight: 1,
  ctrlCostWeight: 0.1,
  resetNoiseScale: 0.1,
  excludeCurrentPositionsFromObservation: true,
};

export class HalfCheetahEnv extends MujocoEnv {
  static readonly ID = 'HalfCheetah-v5';
  readonly options: typeof DEFAULTS;

  static async create(options?: Record<string, unknown>): Promise<HalfCheetahEnv> {
    return new HalfCheetahEnv(await gymModel('HalfCheetah'), options);
  }

  constructor(model: MujocoModel, options?: Record<string, unknown>) {
    const o = parseOptions(HalfCheetahEnv.ID, options, DEFAULTS);
    const n = model.nq + model.nv - (o.excludeCurrentPositionsFromObservation ? 1 : 0);
    super({
      id: HalfCheetahEnv.ID,
      model,
      frameSkip: o.frameSkip,
      observationSpace: unboundedBox(n),
    });
    this.options = o;
  }

  step(action: ArrayLike<number>): StepResult {
    const x0 = this.data.view('qpos')[0];
    this.doSimulation(action);
    const x1 = this.data.view('qpos')[0];
    const xVel = (x1 - x0) / this.dt;
    const forward = this.options.forwardRewardWeight * xVel;
    const ctrlCost = controlCostF32(action, this.options.ctrlCostWeight);
    const info: Info = {
      x_position: x1,
      x_velocity: xVel,
      reward_forward: forward,
      reward_ctrl: -ctrlCost,
    };
    return [this.observation(), forward - ctrlCost, false, false, info];
  }

  protected resetModel(): Float64Array {
    const s = this.options.resetNoiseScale;
    const qpos = this.uniformNoise(this.initQpos, s);
    const qvel = this.normalNoise(this.initQvel, s);
    this.setState(qpos, qvel);
    return this.observation();
  }

  protected override resetInfo(): Info {
    return { x_position: this.data.view('qpos')[0] };
  }

  observation(): Float64Array {
    const obs = new Float64Array(this.observationSpace.size);
    const o = this.data.copyInto(
      obs,
      0,
      'qpos',
      this.options.excludeCurrentPositionsFromObservation ? 1 : 0,
    );
    this.data.copyInto(obs, o, 'qvel');
    return obs;
  }
}
