/**
 * Swimmer-v5: a three-segment swimmer propelled by MuJoCo's fluid forces.
 *
 * Observation (8; 10 with exclude_current_positions_from_observation = false): qpos[2:] (3), qvel (5).
 * Action (2): torques on the two body hinges in [-1, 1] (gear 150).
 * Reward: forward_reward_weight·Δx/dt − ctrl_cost_weight·Σa² (float32), weights 1 and 1e-4.
 *   info: x_position, y_position, distance_from_origin, x_velocity, y_velocity, reward_forward, reward_ctrl.
 * Never terminates. Reset: qpos, qvel + U(±0.1).
 */
import type { Info, StepResult } from '../../core.ts';
import { MujocoEnv } from '../../mujoco/mujoco-env.ts';
import type { MujocoModel } from '../../mujoco/runtime.ts';
import { controlCostF32, gymModel, hypot2, parseOptions, unboundedBox } from '../common.ts';

const DEFAULTS = {
  frameSkip: 4,
  forwardRewardWeight: 1,
  ctrlCostWeight: 1e-4,
  resetNoiseScale: 0.1,
  excludeCurrentPositionsFromObservation: true,
};

export class SwimmerEnv extends MujocoEnv {
  static readonly ID = 'Swimmer-v5';
  readonly options: typeof DEFAULTS;

  static async create(options?: Record<string, unknown>): Promise<SwimmerEnv> {
    return new SwimmerEnv(await gymModel('Swimmer'), options);
  }

  constructor(model: MujocoModel, options?: Record<string, unknown>) {
    const o = parseOptions(SwimmerEnv.ID, options, DEFAULTS);
    const n = model.nq + model.nv - (o.excludeCurrentPositionsFromObservation ? 2 : 0);
    super({ id: SwimmerEnv.ID, model, frameSkip: o.frameSkip, observationSpace: unboundedBox(n) });
    this.options = o;
  }

  step(action: ArrayLike<number>): StepResult {
    const q = this.data.view('qpos');
    const x0 = q[0];
    const y0 = q[1];
    this.doSimulation(action);
    const qpos = this.data.view('qpos');
    const xVel = (qpos[0] - x0) / this.dt;
    const yVel = (qpos[1] - y0) / this.dt;
    const forward = this.options.forwardRewardWeight * xVel;
    const ctrlCost = controlCostF32(action, this.options.ctrlCostWeight);
    const info: Info = {
      x_position: qpos[0],
      y_position: qpos[1],
      distance_from_origin: hypot2(qpos[0] - this.initQpos[0], qpos[1] - this.initQpos[1]),
      x_velocity: xVel,
      y_velocity: yVel,
      reward_forward: forward,
      reward_ctrl: -ctrlCost,
    };
    return [this.observation(), forward - ctrlCost, false, false, info];
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
    return {
      x_position: q[0],
      y_position: q[1],
      distance_from_origin: hypot2(q[0] - this.initQpos[0], q[1] - this.initQpos[1]),
    };
  }

  observation(): Float64Array {
    const obs = new Float64Array(this.observationSpace.size);
    const o = this.data.copyInto(
      obs,
      0,
      'qpos',
      this.options.excludeCurrentPositionsFromObservation ? 2 : 0,
    );
    this.data.copyInto(obs, o, 'qvel');
    return obs;
  }
}
