/**
 * fish-upright, fish-swim.
 *
 * Observation, dm_control order:
 *   upright (21): joint_angles [0:7) = the 7 fin/tail hinge angles (qpos[7:14]: tail1, tail_twist, tail2,
 *                 finright_roll, finright_pitch, finleft_roll, finleft_pitch); upright [7] = torso zz;
 *                 velocity [8:21) = qvel (free joint: linear velocity in world frame, angular velocity in the
 *                 torso frame, then the 7 hinges)
 *   swim (24):    joint_angles [0:7), upright [7], target [8:11) = target minus mouth, in the mouth geom's
 *                 frame, velocity [11:24)
 * Sorted order: upright is already sorted; swim = joint_angles, target, upright, velocity.
 * Reward: upright = tolerance(zz, [1, 1], margin 1) = 0.1^((1 - zz)^2);
 * swim = (7 * in_target + (zz + 1) / 2) / 8 with in_target = tolerance(|target - mouth|, [0, 0.045], margin 0.09).
 * Init: uniformly random orientation, hinges uniform in (-0.2, 0.2), at rest at (0, 0, 0.1); swim then puts
 * the target uniformly in [-0.4, 0.4] x [-0.4, 0.4] x [0.1, 0.3] (kept by the task, not written into the model).
 * Action: 5 position targets in [-1, 1] (tail, tail_twist, fins_flap, finleft_pitch, finright_pitch).
 */
import { tolerance } from '../rewards.ts';
import { FISH_XML } from '../models/fish.ts';
import type { DmcTaskSpec, Task } from '../base.ts';
import type { DmcPhysics } from '../physics.ts';
import { randomQuat, uniformIn, writeQuat } from '../physics.ts';

/** Mouth capsule radius + target sphere radius. */
const TARGET_RADII = 0.005 + 0.04;

function fishTask(physics: DmcPhysics, swim: boolean): Task {
  const torso = physics.bodyId('torso');
  const mouth = physics.geomId('mouth');
  const nq = physics.model.nq;
  const target = [0, 0.4, 0.1]; // the authored target position; swim redraws it every episode
  const mouthToTarget = new Float64Array(3);
  const computeMouthToTarget = (p: DmcPhysics): Float64Array => {
    const v0 = target[0] - p.geomXpos(mouth, 0);
    const v1 = target[1] - p.geomXpos(mouth, 1);
    const v2 = target[2] - p.geomXpos(mouth, 2);
    for (let c = 0; c < 3; c++) {
      mouthToTarget[c] =
        v0 * p.geomXmat(mouth, 0, c) + v1 * p.geomXmat(mouth, 1, c) + v2 * p.geomXmat(mouth, 2, c);
    }
    return mouthToTarget;
  };
  return {
    initializeEpisode(p, rng) {
      const qpos = p.qpos();
      writeQuat(qpos, 3, randomQuat(rng));
      for (let i = 7; i < nq; i++) qpos[i] = uniformIn(rng, -0.2, 0.2);
      if (swim) {
        target[0] = uniformIn(rng, -0.4, 0.4);
        target[1] = uniformIn(rng, -0.4, 0.4);
        target[2] = uniformIn(rng, 0.1, 0.3);
      }
    },
    observe(p, put) {
      put('joint_angles', p.qpos().subarray(7, nq));
      put('upright', [p.xmat(torso, 2, 2)]);
      if (swim) put('target', computeMouthToTarget(p));
      put('velocity', p.qvel());
    },
    reward(p) {
      const zz = p.xmat(torso, 2, 2);
      if (!swim) return tolerance(zz, { bounds: [1, 1], margin: 1 });
      const d = Math.hypot(...computeMouthToTarget(p));
      const inTarget = tolerance(d, { bounds: [0, TARGET_RADII], margin: 2 * TARGET_RADII });
      return (7 * inTarget + (zz + 1) / 2) / 8;
    },
    info(p) {
      return swim ? { target: [...target], distance: Math.hypot(...computeMouthToTarget(p)) } : {};
    },
  };
}

export const fishUpright: DmcTaskSpec = {
  id: 'fish-upright',
  modelName: 'dmc-fish',
  xml: FISH_XML,
  nSubSteps: 10,
  summary: 'DMC fish, turn belly-down and stay upright in the fluid; obs 21, act 5',
  observationKeys: [
    ['joint_angles', 7],
    ['upright', 1],
    ['velocity', 13],
  ],
  createTask: (p) => fishTask(p, false),
};

export const fishSwim: DmcTaskSpec = {
  id: 'fish-swim',
  modelName: 'dmc-fish',
  xml: FISH_XML,
  nSubSteps: 10,
  summary: 'DMC fish, swim so the mouth reaches a random target; obs 24, act 5',
  observationKeys: [
    ['joint_angles', 7],
    ['upright', 1],
    ['target', 3],
    ['velocity', 13],
  ],
  createTask: (p) => fishTask(p, true),
};
