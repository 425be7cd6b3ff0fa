/**
 * Walker2d-v5: a planar biped rewarded for walking forward without falling.
 *
 * Observation (17; 18 with exclude_current_positions_from_observation = false): qpos[1:] (8), clip(qvel, ±10) (9).
 * Action (6): torques on thigh, leg, foot, thigh_left, leg_left, foot_left in [-1, 1] (gear 100).
 * Healthy (strict): 0.8 < z < 2.0 and −1 < angle < 1 (no state-range or finiteness check, as Gymnasium's code).
 * Reward and info as Hopper-v5: Δx/dt + 1·[healthy] − 1e-3·Σa² (float32).
 * Termination: not healthy (when terminate_when_unhealthy). Reset: qpos, qvel + U(±5e-3).
 */
import type { MujocoModel } from '../../mujoco/runtime.ts';
import { gymModel, parseOptions } from '../common.ts';
import { PlanarWalkerEnv } from './hopper.ts';

const WALKER_DEFAULTS = {
  frameSkip: 4,
  forwardRewardWeight: 1,
  ctrlCostWeight: 1e-3,
  healthyReward: 1,
  terminateWhenUnhealthy: true,
  healthyZRange: [0.8, 2.0] as readonly [number, number],
  healthyAngleRange: [-1, 1] as readonly [number, number],
  resetNoiseScale: 5e-3,
  excludeCurrentPositionsFromObservation: true,
};

export class Walker2dEnv extends PlanarWalkerEnv {
  static readonly ID = 'Walker2d-v5';

  static async create(options?: Record<string, unknown>): Promise<Walker2dEnv> {
    return new Walker2dEnv(await gymModel('Walker2d'), options);
  }

  constructor(model: MujocoModel, options?: Record<string, unknown>) {
    super(Walker2dEnv.ID, model, parseOptions(Walker2dEnv.ID, options, WALKER_DEFAULTS));
  }
}
