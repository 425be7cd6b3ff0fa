/**
 * walker-stand, walker-walk, walker-run.
 *
 * Observation (24), dm_control order:
 *   orientations [0:14)  = for torso, right_thigh, right_leg, right_foot, left_thigh, left_leg, left_foot:
 *                          [xx, xz] of the body rotation matrix (x-axis of the body in world x and z)
 *   height       [14]    = torso frame origin height (m)
 *   velocity     [15:24) = qvel: rootz, rootx, rooty, right hip/knee/ankle, left hip/knee/ankle
 * Sorted order: height [0], orientations [1:15), velocity [15:24).
 * Reward: stand = (3 * standing + upright) / 4 with standing = tolerance(torso z, [1.2, inf), margin 0.6) and
 * upright = (1 + torso zz) / 2; walk (speed 1) and run (speed 8) multiply by (5 * move + 1) / 6 with
 * move = tolerance(com vx, [speed, inf), margin speed/2, linear, 0.5) = clip(vx / speed, 0, 1).
 * Init: rooty uniform in (-pi, pi), leg joints uniform in their ranges, torso origin at 1.3 m.
 * Action: 6 torques in [-1, 1].
 */
import { tolerance } from '../rewards.ts';
import { WALKER_XML } from '../models/walker.ts';
import type { DmcTaskSpec } from '../base.ts';

const STAND_HEIGHT = 1.2;

function walkerTask(id: string, speed: number, summary: string): DmcTaskSpec {
  return {
    id,
    modelName: 'dmc-walker',
    xml: WALKER_XML,
    nSubSteps: 10,
    summary,
    observationKeys: [
      ['orientations', 14],
      ['height', 1],
      ['velocity', 9],
    ],
    createTask(physics) {
      const torso = physics.bodyId('torso');
      const speedAdr = physics.sensorAdr('torso_subtreelinvel');
      const nbody = physics.model.nbody;
      const orient = new Float64Array(14);
      return {
        initializeEpisode(p, rng) {
          p.randomizeLimitedAndRotationalJoints(rng);
        },
        observe(p, put) {
          for (let b = 1; b < nbody; b++) {
            orient[2 * (b - 1)] = p.xmat(b, 0, 0);
            orient[2 * (b - 1) + 1] = p.xmat(b, 0, 2);
          }
          put('orientations', orient);
          put('height', [p.xpos(torso, 2)]);
          put('velocity', p.qvel());
        },
        reward(p) {
          const standing = tolerance(p.xpos(torso, 2), {
            bounds: [STAND_HEIGHT, Infinity],
            margin: STAND_HEIGHT / 2,
          });
          const upright = (1 + p.xmat(torso, 2, 2)) / 2;
          const stand = (3 * standing + upright) / 4;
          if (speed === 0) return stand;
          const vx = p.sensordata()[speedAdr];
          const move = tolerance(vx, {
            bounds: [speed, Infinity],
            margin: speed / 2,
            sigmoid: 'linear',
            valueAtMargin: 0.5,
          });
          return (stand * (5 * move + 1)) / 6;
        },
      };
    },
  };
}

export const walkerStand = walkerTask(
  'walker-stand',
  0,
  'DMC planar walker, stand tall and upright; obs 24, act 6',
);
export const walkerWalk = walkerTask(
  'walker-walk',
  1,
  'DMC planar walker, walk forward at 1 m/s; obs 24, act 6',
);
export const walkerRun = walkerTask(
  'walker-run',
  8,
  'DMC planar walker, run forward at 8 m/s; obs 24, act 6',
);
