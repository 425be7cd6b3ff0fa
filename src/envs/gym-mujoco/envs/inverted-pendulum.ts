/**
 * InvertedPendulum-v5: keep a pole upright on a cart by pushing the cart.
 *
 * Observation (4): cart position, pole angle, cart velocity, pole angular velocity.
 * Action (1): force on the cart in [-3, 3] (gear 100).
 * Reward: 1 per step while the pole is up; the terminating step gets 0. info.reward_survive = reward.
 * Termination: a non-finite observation or |pole angle| > 0.2 rad.
 * Reset: qpos and qvel each + U(±reset_noise_scale), default 0.01.
 */
import type { Info, StepResult } from '../../core.ts';
import { MujocoEnv } from '../../mujoco/mujoco-env.ts';
import type { MujocoModel } from '../../mujoco/runtime.ts';
import { allFinite, gymModel, parseOptions, unboundedBox } from '../common.ts';

const DEFAULTS = { frameSkip: 2, resetNoiseScale: 0.01 };
export type InvertedPendulumOptions = Partial<typeof DEFAULTS>;

export class InvertedPendulumEnv extends MujocoEnv {
  static readonly ID = 'InvertedPendulum-v5';
  readonly options: typeof DEFAULTS;

  static async create(options?: Record<string, unknown>): Promise<InvertedPendulumEnv> {
    return new InvertedPendulumEnv(await gymModel('InvertedPendulum'), options);
  }

  constructor(model: MujocoModel, options?: Record<string, unknown>) {
    const o = parseOptions(InvertedPendulumEnv.ID, options, DEFAULTS);
    super({
      id: InvertedPendulumEnv.ID,
      model,
      frameSkip: o.frameSkip,
      observationSpace: unboundedBox(4),
    });
    this.options = o;
  }

  step(action: ArrayLike<number>): StepResult {
    this.doSimulation(action);
    const obs = this.observation();
    const terminated = !allFinite(obs) || Math.abs(obs[1]) > 0.2;
    const reward = terminated ? 0 : 1;
    const info: Info = { reward_survive: reward };
    return [obs, reward, terminated, false, info];
  }

  protected resetModel(): Float64Array {
    const s = this.options.resetNoiseScale;
    const qpos = this.uniformNoise(this.initQpos, s);
    const qvel = this.uniformNoise(this.initQvel, s);
    this.setState(qpos, qvel);
    return this.observation();
  }

  observation(): Float64Array {
    const obs = new Float64Array(4);
    const o = this.data.copyInto(obs, 0, 'qpos');
    this.data.copyInto(obs, o, 'qvel');
    return obs;
  }
}
