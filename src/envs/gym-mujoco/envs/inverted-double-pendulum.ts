/**
 * InvertedDoublePendulum-v5: balance two stacked poles on a cart.
 *
 * Observation (9): cart x, sin of both hinge angles, cos of both, clip(qvel, ±10) (3),
 *   clip(constraint force on the slider DOF, ±10).
 * Action (1): cart force in [-1, 1] (gear 500).
 * Reward: healthy_reward·[not terminated] − (0.01·x² + (z − 2)²) − (1e-3·ω1² + 5e-3·ω2²), with (x, z) the position of
 *   site `tip` as MuJoCo left it after the last substep and ω the unclipped hinge velocities.
 *   info: reward_survive, distance_penalty (≤ 0), velocity_penalty (≤ 0).
 * Termination: tip height z ≤ 1.
 * Reset: qpos + U(±0.1), qvel + 0.1·N(0, 1).
 */
import type { StepResult } from '../../core.ts';
import { MujocoEnv } from '../../mujoco/mujoco-env.ts';
import type { MujocoModel } from '../../mujoco/runtime.ts';
import { clip, gymModel, parseOptions, unboundedBox } from '../common.ts';

const DEFAULTS = { frameSkip: 5, healthyReward: 10, resetNoiseScale: 0.1 };

export class InvertedDoublePendulumEnv extends MujocoEnv {
  static readonly ID = 'InvertedDoublePendulum-v5';
  readonly options: typeof DEFAULTS;
  private readonly tipSite: number;

  static async create(options?: Record<string, unknown>): Promise<InvertedDoublePendulumEnv> {
    return new InvertedDoublePendulumEnv(await gymModel('InvertedDoublePendulum'), options);
  }

  constructor(model: MujocoModel, options?: Record<string, unknown>) {
    const o = parseOptions(InvertedDoublePendulumEnv.ID, options, DEFAULTS);
    super({
      id: InvertedDoublePendulumEnv.ID,
      model,
      frameSkip: o.frameSkip,
      observationSpace: unboundedBox(9),
    });
    this.options = o;
    this.tipSite = model.id('site', 'tip');
  }

  step(action: ArrayLike<number>): StepResult {
    this.doSimulation(action);
    const site = this.data.view('site_xpos');
    const x = site[3 * this.tipSite];
    const z = site[3 * this.tipSite + 2];
    const obs = this.observation();
    const terminated = z <= 1;
    const qvel = this.data.view('qvel');
    const v1 = qvel[1];
    const v2 = qvel[2];
    const distPenalty = 0.01 * x * x + (z - 2) * (z - 2);
    const velPenalty = 1e-3 * v1 * v1 + 5e-3 * v2 * v2;
    const alive = this.options.healthyReward * (terminated ? 0 : 1);
    const reward = alive - distPenalty - velPenalty;
    return [
      obs,
      reward,
      terminated,
      false,
      { reward_survive: alive, distance_penalty: -distPenalty, velocity_penalty: -velPenalty },
    ];
  }

  protected resetModel(): Float64Array {
    const s = this.options.resetNoiseScale;
    const qpos = this.uniformNoise(this.initQpos, s);
    const qvel = this.normalNoise(this.initQvel, s);
    this.setState(qpos, qvel);
    return this.observation();
  }

  observation(): Float64Array {
    const qpos = this.data.view('qpos');
    const qvel = this.data.view('qvel');
    const qfrc = this.data.view('qfrc_constraint');
    return Float64Array.of(
      qpos[0],
      Math.sin(qpos[1]),
      Math.sin(qpos[2]),
      Math.cos(qpos[1]),
      Math.cos(qpos[2]),
      clip(qvel[0], -10, 10),
      clip(qvel[1], -10, 10),
      clip(qvel[2], -10, 10),
      clip(qfrc[0], -10, 10),
    );
  }
}
