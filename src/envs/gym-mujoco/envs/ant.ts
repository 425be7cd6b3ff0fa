/**
 * Ant-v5: a four-legged robot on a free joint rewarded for moving in +x.
 *
 * Observation (105 by default): qpos[2:] (13), qvel (14), clip(cfrc_ext[1:], contact_force_range).flat (78).
 *   exclude_current_positions_from_observation = false prepends qpos[0:2]; include_cfrc_ext_in_observation = false
 *   drops the 78 contact-force entries (27 left).
 * Action (8), in actuator order hip_4, ankle_4, hip_1, ankle_1, hip_2, ankle_2, hip_3, ankle_3; [-1, 1], gear 150.
 * Velocity: displacement of the torso's body frame origin (xpos, as MuJoCo left it after the last substep) over dt.
 * Healthy: all of qpos, qvel finite and healthy_z_range[0] ≤ z ≤ healthy_z_range[1] (inclusive; default 0.2..1).
 * Reward: x_vel + healthy_reward·[healthy] − (ctrl_cost_weight·Σa² (float32) + contact_cost_weight·Σ clip(cfrc_ext)²),
 *   weights 1, 1, 0.5, 5e-4; the contact cost sums all bodies including the world body.
 *   info: x_position, y_position, distance_from_origin, x_velocity, y_velocity, reward_forward, reward_ctrl,
 *   reward_contact, reward_survive.
 * Termination: not healthy (when terminate_when_unhealthy). Reset: qpos + U(±0.1) (quaternion not renormalised),
 *   qvel + 0.1·N(0, 1).
 */
import type { Info, StepResult } from '../../core.ts';
import { MujocoEnv } from '../../mujoco/mujoco-env.ts';
import type { MujocoModel } from '../../mujoco/runtime.ts';
import {
  allFinite,
  clip,
  controlCostF32,
  gymModel,
  hypot2,
  parseOptions,
  unboundedBox,
} from '../common.ts';

const DEFAULTS = {
  frameSkip: 5,
  forwardRewardWeight: 1,
  ctrlCostWeight: 0.5,
  contactCostWeight: 5e-4,
  healthyReward: 1,
  mainBody: 1,
  terminateWhenUnhealthy: true,
  healthyZRange: [0.2, 1.0] as readonly [number, number],
  contactForceRange: [-1, 1] as readonly [number, number],
  resetNoiseScale: 0.1,
  excludeCurrentPositionsFromObservation: true,
  includeCfrcExtInObservation: true,
};

export class AntEnv extends MujocoEnv {
  static readonly ID = 'Ant-v5';
  readonly options: typeof DEFAULTS;

  static async create(options?: Record<string, unknown>): Promise<AntEnv> {
    return new AntEnv(await gymModel('Ant'), options);
  }

  constructor(model: MujocoModel, options?: Record<string, unknown>) {
    const o = parseOptions(AntEnv.ID, options, DEFAULTS);
    if (!(Number.isInteger(o.mainBody) && o.mainBody >= 0 && o.mainBody < model.nbody)) {
      throw new Error(
        `${AntEnv.ID}: option main_body must be a body id in [0, ${model.nbody}), got ${o.mainBody}`,
      );
    }
    const n =
      model.nq -
      (o.excludeCurrentPositionsFromObservation ? 2 : 0) +
      model.nv +
      (o.includeCfrcExtInObservation ? 6 * (model.nbody - 1) : 0);
    super({ id: AntEnv.ID, model, frameSkip: o.frameSkip, observationSpace: unboundedBox(n) });
    this.options = o;
  }

  get isHealthy(): boolean {
    const qpos = this.data.view('qpos');
    const z = qpos[2];
    return (
      allFinite(qpos) &&
      allFinite(this.data.view('qvel')) &&
      this.options.healthyZRange[0] <= z &&
      z <= this.options.healthyZRange[1]
    );
  }

  step(action: ArrayLike<number>): StepResult {
    const b = 3 * this.options.mainBody;
    let xpos = this.data.view('xpos');
    const x0 = xpos[b];
    const y0 = xpos[b + 1];
    this.doSimulation(action);
    xpos = this.data.view('xpos');
    const xVel = (xpos[b] - x0) / this.dt;
    const yVel = (xpos[b + 1] - y0) / this.dt;
    const obs = this.observation();
    const healthy = this.isHealthy;
    const forward = this.options.forwardRewardWeight * xVel;
    const survive = healthy ? this.options.healthyReward : 0;
    const ctrlCost = controlCostF32(action, this.options.ctrlCostWeight);
    const [lo, hi] = this.options.contactForceRange;
    const cfrc = this.data.view('cfrc_ext');
    let contact = 0;
    for (let i = 0; i < cfrc.length; i++) {
      const f = clip(cfrc[i], lo, hi);
      contact += f * f;
    }
    const contactCost = this.options.contactCostWeight * contact;
    const reward = forward + survive - (ctrlCost + contactCost);
    const terminated = !healthy && this.options.terminateWhenUnhealthy;
    const qpos = this.data.view('qpos');
    const info: Info = {
      x_position: qpos[0],
      y_position: qpos[1],
      distance_from_origin: hypot2(qpos[0] - this.initQpos[0], qpos[1] - this.initQpos[1]),
      x_velocity: xVel,
      y_velocity: yVel,
      reward_forward: forward,
      reward_ctrl: -ctrlCost,
      reward_contact: -contactCost,
      reward_survive: survive,
    };
    return [obs, reward, terminated, false, info];
  }

  protected resetModel(): Float64Array {
    const s = this.options.resetNoiseScale;
    const qpos = this.uniformNoise(this.initQpos, s);
    const qvel = this.normalNoise(this.initQvel, s);
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
    let o = this.data.copyInto(
      obs,
      0,
      'qpos',
      this.options.excludeCurrentPositionsFromObservation ? 2 : 0,
    );
    o = this.data.copyInto(obs, o, 'qvel');
    if (this.options.includeCfrcExtInObservation) {
      const [lo, hi] = this.options.contactForceRange;
      const cfrc = this.data.view('cfrc_ext');
      for (let i = 6; i < cfrc.length; i++) obs[o++] = clip(cfrc[i], lo, hi);
    }
    return obs;
  }
}
