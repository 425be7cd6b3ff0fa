/**
 * Reacher-v5: move a two-link planar arm's fingertip to a random target.
 *
 * Observation (10): cos(θ0), cos(θ1), sin(θ0), sin(θ1), target x, target y, θ0', θ1',
 *   and the x, y of (fingertip − target) from body origins (xpos) after the step.
 * Action (2): joint torques in [-1, 1] (gear 200).
 * Reward: −w_dist·‖fingertip − target‖ (3-D) − w_ctrl·Σa² (float32, as Gymnasium's float32 action), w_dist = w_ctrl = 1.
 *   info: reward_dist, reward_ctrl. Never terminates; the registry truncates at 50 steps.
 * Reset: arm qpos + U(±0.1); target drawn uniformly in the open disc of radius 0.2 (rejection sampling);
 *   arm qvel + U(±0.005), target qvel 0.
 */
import type { StepResult } from '../../core.ts';
import { MujocoEnv } from '../../mujoco/mujoco-env.ts';
import type { MujocoModel } from '../../mujoco/runtime.ts';
import { controlCostF32, gymModel, parseOptions, unboundedBox } from '../common.ts';

const DEFAULTS = { frameSkip: 2, rewardDistWeight: 1, rewardControlWeight: 1 };

export class ReacherEnv extends MujocoEnv {
  static readonly ID = 'Reacher-v5';
  readonly options: typeof DEFAULTS;
  private readonly fingertip: number;
  private readonly target: number;

  static async create(options?: Record<string, unknown>): Promise<ReacherEnv> {
    return new ReacherEnv(await gymModel('Reacher'), options);
  }

  constructor(model: MujocoModel, options?: Record<string, unknown>) {
    const o = parseOptions(ReacherEnv.ID, options, DEFAULTS);
    super({ id: ReacherEnv.ID, model, frameSkip: o.frameSkip, observationSpace: unboundedBox(10) });
    this.options = o;
    this.fingertip = model.id('body', 'fingertip');
    this.target = model.id('body', 'target');
  }

  step(action: ArrayLike<number>): StepResult {
    this.doSimulation(action);
    const obs = this.observation();
    const xpos = this.data.view('xpos');
    const dx = xpos[3 * this.fingertip] - xpos[3 * this.target];
    const dy = xpos[3 * this.fingertip + 1] - xpos[3 * this.target + 1];
    const dz = xpos[3 * this.fingertip + 2] - xpos[3 * this.target + 2];
    const rewardDist = -Math.sqrt(dx * dx + dy * dy + dz * dz) * this.options.rewardDistWeight;
    const rewardCtrl = -controlCostF32(action, this.options.rewardControlWeight);
    return [
      obs,
      rewardDist + rewardCtrl,
      false,
      false,
      { reward_dist: rewardDist, reward_ctrl: rewardCtrl },
    ];
  }

  protected resetModel(): Float64Array {
    const qpos = this.uniformNoise(this.initQpos, 0.1);
    let gx: number;
    let gy: number;
    do {
      gx = this.rng.uniform(-0.2, 0.2);
      gy = this.rng.uniform(-0.2, 0.2);
    } while (!(Math.sqrt(gx * gx + gy * gy) < 0.2));
    qpos[2] = gx;
    qpos[3] = gy;
    const qvel = this.uniformNoise(this.initQvel, 0.005);
    qvel[2] = 0;
    qvel[3] = 0;
    this.setState(qpos, qvel);
    return this.observation();
  }

  observation(): Float64Array {
    const qpos = this.data.view('qpos');
    const qvel = this.data.view('qvel');
    const xpos = this.data.view('xpos');
    return Float64Array.of(
      Math.cos(qpos[0]),
      Math.cos(qpos[1]),
      Math.sin(qpos[0]),
      Math.sin(qpos[1]),
      qpos[2],
      qpos[3],
      qvel[0],
      qvel[1],
      xpos[3 * this.fingertip] - xpos[3 * this.target],
      xpos[3 * this.fingertip + 1] - xpos[3 * this.target + 1],
    );
  }
}
