/**
 * ball_in_cup-catch.
 *
 * Observation (8), dm_control order (sorted order is the same):
 *   position [0:4) = qpos: cup x, cup z, ball x, ball z (slide offsets); velocity [4:8) = qvel
 * Reward: 1 while the ball centre is inside the cup's target box shrunk by the ball radius
 * (|dx| and |dz| below 0.05 - 0.025), else 0.
 * Init: ball x ~ U(-0.2, 0.2), ball z ~ U(0.2, 0.5), redrawn until nothing is in contact; cup at rest.
 * Action: 2 forces in [-1, 1] (x 5 N) moving the cup in x and z.
 */
import { BALL_IN_CUP_XML } from '../models/ball_in_cup.ts';
import type { DmcTaskSpec } from '../base.ts';
import { uniformIn } from '../physics.ts';

const MAX_TRIES = 1000;

export const ballInCupCatch: DmcTaskSpec = {
  id: 'ball_in_cup-catch',
  modelName: 'dmc-ball_in_cup',
  xml: BALL_IN_CUP_XML,
  nSubSteps: 10,
  summary: 'DMC ball-in-cup, swing the ball on its string into the cup; obs 8, act 2',
  observationKeys: [
    ['position', 4],
    ['velocity', 4],
  ],
  createTask(physics) {
    const target = physics.siteId('target');
    const ball = physics.bodyId('ball');
    const m = physics.model.raw;
    const halfX = m.site_size[3 * target] - m.geom_size[3 * physics.geomId('ball')];
    const halfZ = m.site_size[3 * target + 2] - m.geom_size[3 * physics.geomId('ball')];
    const ballX = physics.jointQposAdr('ball_x');
    const ballZ = physics.jointQposAdr('ball_z');
    return {
      initializeEpisode(p, rng) {
        for (let i = 0; i < MAX_TRIES; i++) {
          const qpos = p.qpos();
          qpos[ballX] = uniformIn(rng, -0.2, 0.2);
          qpos[ballZ] = uniformIn(rng, 0.2, 0.5);
          p.forwardWithoutActuation();
          if (p.ncon === 0) return;
        }
        throw new Error(`ball_in_cup-catch: no contact-free initial state in ${MAX_TRIES} tries`);
      },
      observe(p, put) {
        put('position', p.qpos());
        put('velocity', p.qvel());
      },
      reward(p) {
        const dx = Math.abs(p.siteXpos(target, 0) - p.xpos(ball, 0));
        const dz = Math.abs(p.siteXpos(target, 2) - p.xpos(ball, 2));
        return dx < halfX && dz < halfZ ? 1 : 0;
      },
    };
  },
};
