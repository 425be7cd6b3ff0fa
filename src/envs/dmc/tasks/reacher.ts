/**
 * reacher-easy, reacher-hard.
 *
 * Observation (6), dm_control order (sorted order is the same):
 *   position [0:2) = [shoulder, wrist] angles; to_target [2:4) = target minus fingertip (x, y);
 *   velocity [4:6) = joint velocities
 * Reward: 1 while the fingertip centre is within target radius + 0.01 of the target centre, else 0
 * (target radius 0.05 easy, 0.015 hard).
 * Init: shoulder uniform in (-pi, pi), wrist uniform in its range; target at angle U(0, 2pi), distance
 * U(0.05, 0.2) from the base (kept by the task, not written into the shared model).
 * Action: 2 torques in [-1, 1] (x 0.05 N m).
 */
import { tolerance } from '../rewards.ts';
import { REACHER_XML } from '../models/reacher.ts';
import type { DmcTaskSpec } from '../base.ts';
import type { DmcPhysics } from '../physics.ts';
import { uniformIn } from '../physics.ts';

const FINGER_RADIUS = 0.01;

function reacherTask(id: string, targetRadius: number, summary: string): DmcTaskSpec {
  return {
    id,
    modelName: 'dmc-reacher',
    xml: REACHER_XML,
    nSubSteps: 1,
    summary,
    observationKeys: [
      ['position', 2],
      ['to_target', 2],
      ['velocity', 2],
    ],
    createTask(physics) {
      const finger = physics.geomId('finger');
      const target = [0, 0];
      const toTarget = new Float64Array(2);
      const compute = (p: DmcPhysics): Float64Array => {
        toTarget[0] = target[0] - p.geomXpos(finger, 0);
        toTarget[1] = target[1] - p.geomXpos(finger, 1);
        return toTarget;
      };
      return {
        initializeEpisode(p, rng) {
          p.randomizeLimitedAndRotationalJoints(rng);
          const angle = uniformIn(rng, 0, 2 * Math.PI);
          const radius = uniformIn(rng, 0.05, 0.2);
          target[0] = radius * Math.sin(angle);
          target[1] = radius * Math.cos(angle);
        },
        observe(p, put) {
          put('position', p.qpos());
          put('to_target', compute(p));
          put('velocity', p.qvel());
        },
        reward(p) {
          const d = Math.hypot(...compute(p));
          return tolerance(d, { bounds: [0, targetRadius + FINGER_RADIUS] });
        },
        info(p) {
          return { distance: Math.hypot(...compute(p)) };
        },
      };
    },
  };
}

export const reacherEasy = reacherTask(
  'reacher-easy',
  0.05,
  'DMC planar reacher, touch a random target (radius 0.05); obs 6, act 2',
);
export const reacherHard = reacherTask(
  'reacher-hard',
  0.015,
  'DMC planar reacher, touch a random target (radius 0.015); obs 6, act 2',
);
