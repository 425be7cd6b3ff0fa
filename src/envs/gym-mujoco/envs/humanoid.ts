/**
 * Humanoid-v5: a 3-D humanoid on a free joint rewarded for walking forward without falling.
 *
 * Observation (348 by default): qpos[2:] (22), qvel (23), cinert[1:] (130), cvel[1:] (78), qfrc_actuator[6:] (17),
 *   cfrc_ext[1:] (78), no clipping. Each of the last four blocks can be switched off
 *   (include_cinert / include_cvel / include_qfrc_actuator / include_cfrc_ext _in_observation); positions x, y are
 *   prepended when exclude_current_positions_from_observation = false.
 * Action (17): motor commands in [-0.4, 0.4] (float32 bounds), actuator order abdomen_y, abdomen_z, abdomen_x, right hip
 *   x/z/y, right knee, left hip x/z/y, left knee, right shoulder1/2, right elbow, left shoulder1/2, left elbow.
 * Velocity: displacement of the whole-model centre of mass (Σ m·xipos / Σ m, as MuJoCo left it after the last substep) / dt.
 * Healthy (strict): 1 < z < 2. Reward: 1.25·x_vel + 5·[healthy] − 0.1·Σ ctrl² − min(5e-7·Σ cfrc_ext², 10)
 *   (costs in float64, from d.ctrl). info: x_position, y_position, tendon_length, tendon_velocity, distance_from_origin,
 *   x_velocity, y_velocity, reward_survive, reward_forward, reward_ctrl, reward_contact.
 * Termination: not healthy (when terminate_when_unhealthy). Reset: qpos, qvel + U(±0.01).
 */
import type { Info, StepResult } from '../../core.ts';
import { MujocoEnv } from '../../mujoco/mujoco-env.ts';
import type { MujocoModel } from '../../mujoco/runtime.ts';
import { gymModel, hypot2, numpySumSquares, parseOptions, unboundedBox } from '../common.ts';

const DEFAULTS = {
  frameSkip: 5,
  forwardRewardWeight: 1.25,
  ctrlCostWeight: 0.1,
  contactCostWeight: 5e-7,
  contactCostRange: [-Infinity, 10] as readonly [number, number],
  healthyReward: 5,
  terminateWhenUnhealthy: true,
  healthyZRange: [1, 2] as readonly [number, number],
  resetNoiseScale: 1e-2,
  excludeCurrentPositionsFromObservation: true,
  includeCinertInObservation: true,
  includeCvelInObservation: true,
  includeQfrcActuatorInObservation: true,
  includeCfrcExtInObservation: true,
};

export class HumanoidEnv extends MujocoEnv {
  static readonly ID = 'Humanoid-v5';
  readonly options: typeof DEFAULTS;
  private readonly bodyMass: Float64Array;
  private readonly totalMass: number;

  static async create(options?: Record<string, unknown>): Promise<HumanoidEnv> {
    return new HumanoidEnv(await gymModel('Humanoid'), options);
  }

  constructor(model: MujocoModel, options?: Record<string, unknown>) {
    const o = parseOptions(HumanoidEnv.ID, options, DEFAULTS);
    const nb = model.nbody - 1;
    const n =
      model.nq -
      (o.excludeCurrentPositionsFromObservation ? 2 : 0) +
      model.nv +
      (o.includeCinertInObservation ? 10 * nb : 0) +
      (o.includeCvelInObservation ? 6 * nb : 0) +
      (o.includeQfrcActuatorInObservation ? model.nv - 6 : 0) +
      (o.includeCfrcExtInObservation ? 6 * nb : 0);
    super({ id: HumanoidEnv.ID, model, frameSkip: o.frameSkip, observationSpace: unboundedBox(n) });
    this.options = o;
    this.bodyMass = model.copy('body_mass');
    let m = 0;
    for (let i = 0; i < this.bodyMass.length; i++) m += this.bodyMass[i];
    this.totalMass = m;
  }

  /** x, y of the whole-model centre of mass from the current `xipos`. */
  private massCenter(): [number, number] {
    const xipos = this.data.view('xipos');
    let x = 0;
    let y = 0;
    for (let i = 0; i < this.bodyMass.length; i++) {
      x += this.bodyMass[i] * xipos[3 * i];
      y += this.bodyMass[i] * xipos[3 * i + 1];
    }
    return [x / this.totalMass, y / this.totalMass];
  }

  get isHealthy(): boolean {
    const z = this.data.view('qpos')[2];
    return this.options.healthyZRange[0] < z && z < this.options.healthyZRange[1];
  }

  step(action: ArrayLike<number>): StepResult {
    const [x0, y0] = this.massCenter();
    this.doSimulation(action);
    const [x1, y1] = this.massCenter();
    const xVel = (x1 - x0) / this.dt;
    const yVel = (y1 - y0) / this.dt;
    const obs = this.observation();
    const healthy = this.isHealthy;
    const forward = this.options.forwardRewardWeight * xVel;
    const survive = healthy ? this.options.healthyReward : 0;
    const ctrlCost = this.options.ctrlCostWeight * numpySumSquares(this.data.view('ctrl'), false);
    const [cLo, cHi] = this.options.contactCostRange;
    const rawContact =
      this.options.contactCostWeight * numpySumSquares(this.data.view('cfrc_ext'), false);
    const contactCost = Math.min(Math.max(rawContact, cLo), cHi);
    const reward = forward + survive - ctrlCost - contactCost;
    const terminated = !healthy && this.options.terminateWhenUnhealthy;
    const info: Info = {
      ...this.positionInfo(),
      x_velocity: xVel,
      y_velocity: yVel,
      reward_survive: survive,
      reward_forward: forward,
      reward_ctrl: -ctrlCost,
      reward_contact: -contactCost,
    };
    return [obs, reward, terminated, false, info];
  }

  private positionInfo(): Info {
    const q = this.data.view('qpos');
    return {
      x_position: q[0],
      y_position: q[1],
      tendon_length: this.data.copy('ten_length'),
      tendon_velocity: this.data.copy('ten_velocity'),
      distance_from_origin: hypot2(q[0] - this.initQpos[0], q[1] - this.initQpos[1]),
    };
  }

  protected resetModel(): Float64Array {
    const s = this.options.resetNoiseScale;
    const qpos = this.uniformNoise(this.initQpos, s);
    const qvel = this.uniformNoise(this.initQvel, s);
    this.setState(qpos, qvel);
    return this.observation();
  }

  protected override resetInfo(): Info {
    return this.positionInfo();
  }

  observation(): Float64Array {
    const o = this.options;
    const d = this.data;
    const obs = new Float64Array(this.observationSpace.size);
    let k = d.copyInto(obs, 0, 'qpos', o.excludeCurrentPositionsFromObservation ? 2 : 0);
    k = d.copyInto(obs, k, 'qvel');
    if (o.includeCinertInObservation) k = d.copyInto(obs, k, 'cinert', 10);
    if (o.includeCvelInObservation) k = d.copyInto(obs, k, 'cvel', 6);
    if (o.includeQfrcActuatorInObservation) k = d.copyInto(obs, k, 'qfrc_actuator', 6);
    if (o.includeCfrcExtInObservation) d.copyInto(obs, k, 'cfrc_ext', 6);
    return obs;
  }
}
