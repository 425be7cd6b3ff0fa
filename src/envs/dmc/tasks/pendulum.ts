/**
 * pendulum-swingup.
 *
 * Observation (3), dm_control order (sorted order is the same):
 *   orientation [0:2) = [cos(angle), sin(angle)] (pole zz, xz); velocity [2] = angular velocity
 * Reward: 1 while the pole is within 8 degrees of upright (zz >= cos 8deg), else 0.
 * Init: angle uniform in (-pi, pi), at rest. Action: 1 torque in [-1, 1] (1 N m).
 */
import { tolerance } from '../rewards.ts';
import { PENDULUM_XML } from '../models/pendulum.ts';
import type { DmcTaskSpec } from '../base.ts';
import { uniformIn } from '../physics.ts';

const COS_BOUND = Math.cos((8 * Math.PI) / 180);

export const pendulumSwingup: DmcTaskSpec = {
  id: 'pendulum-swingup',
  modelName: 'dmc-pendulum',
  xml: PENDULUM_XML,
  nSubSteps: 1,
  summary: 'DMC pendulum, pump it up and hold it within 8 degrees of upright; obs 3, act 1',
  observationKeys: [
    ['orientation', 2],
    ['velocity', 1],
  ],
  createTask(physics) {
    const pole = physics.bodyId('pole');
    return {
      initializeEpisode(p, rng) {
        p.qpos()[0] = uniformIn(rng, -Math.PI, Math.PI);
      },
      observe(p, put) {
        put('orientation', [p.xmat(pole, 2, 2), p.xmat(pole, 0, 2)]);
        put('velocity', p.qvel());
      },
      reward(p) {
        return tolerance(p.xmat(pole, 2, 2), { bounds: [COS_BOUND, 1] });
      },
    };
  },
};
