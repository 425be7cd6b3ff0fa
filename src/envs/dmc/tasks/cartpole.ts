/**
 * cartpole-swingup.
 *
 * Observation (5), dm_control order (sorted order is the same):
 *   position [0:3) = [cart x, cos(pole angle), sin(pole angle)] (pole body zz and xz)
 *   velocity [3:5) = qvel: cart velocity, pole angular velocity
 * Reward (smooth): upright * centered * small_control * small_velocity with upright = (cos + 1) / 2,
 * centered = (1 + tolerance(x, margin 2)) / 2, small_control = (4 + max(0, 1 - u^2)) / 5 on the raw control u,
 * small_velocity = (1 + tolerance(pole angular velocity, margin 5)) / 2.
 * Init: cart x ~ 0.01 N(0,1), pole angle ~ pi + 0.01 N(0,1) (hanging down), qvel ~ 0.01 N(0,1).
 * Action: 1 force in [-1, 1] (x 10 N).
 */
import { tolerance } from '../rewards.ts';
import { CARTPOLE_XML } from '../models/cartpole.ts';
import type { DmcTaskSpec } from '../base.ts';

export const cartpoleSwingup: DmcTaskSpec = {
  id: 'cartpole-swingup',
  modelName: 'dmc-cartpole',
  xml: CARTPOLE_XML,
  nSubSteps: 1,
  summary: 'DMC cart-pole, swing the pole up from hanging and balance it; obs 5, act 1',
  observationKeys: [
    ['position', 3],
    ['velocity', 2],
  ],
  createTask(physics) {
    const pole = physics.bodyId('pole_1');
    const position = new Float64Array(3);
    return {
      initializeEpisode(p, rng) {
        const qpos = p.qpos();
        qpos[0] = 0.01 * rng.normal();
        qpos[1] = Math.PI + 0.01 * rng.normal();
        const qvel = p.qvel();
        qvel[0] = 0.01 * rng.normal();
        qvel[1] = 0.01 * rng.normal();
      },
      observe(p, put) {
        position[0] = p.qpos()[0];
        position[1] = p.xmat(pole, 2, 2);
        position[2] = p.xmat(pole, 0, 2);
        put('position', position);
        put('velocity', p.qvel());
      },
      reward(p) {
        const upright = (p.xmat(pole, 2, 2) + 1) / 2;
        const centered = (1 + tolerance(p.qpos()[0], { margin: 2 })) / 2;
        const u = p.ctrl()[0];
        const smallControl =
          (4 + tolerance(u, { margin: 1, valueAtMargin: 0, sigmoid: 'quadratic' })) / 5;
        const smallVelocity = (1 + tolerance(p.qvel()[1], { margin: 5 })) / 2;
        return upright * smallControl * smallVelocity * centered;
      },
    };
  },
};
