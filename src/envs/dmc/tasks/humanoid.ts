/**
 * humanoid-stand, humanoid-walk, humanoid-run.
 *
 * Observation (67), dm_control order:
 *   joint_angles   [0:21)  = qpos[7:28] (the 21 hinges in model order)
 *   head_height    [21]    = head body height
 *   extremities    [22:34) = left hand, left foot, right hand, right foot positions relative to the torso,
 *                            in the torso frame (3 each)
 *   torso_vertical [34:37) = world z-axis in the torso frame (torso xmat row z: zx, zy, zz)
 *   com_velocity   [37:40) = centre-of-mass velocity (subtreelinvel of the torso, world frame)
 *   velocity       [40:67) = qvel (free joint: world linear, local angular; then 21 hinges)
 * Sorted order: com_velocity, extremities, head_height, joint_angles, torso_vertical, velocity.
 * Reward: small_control * standing * upright * move with standing = tolerance(head z, [1.4, inf), margin
 * 0.35), upright = tolerance(torso zz, [0.9, inf), margin 1.9, linear, 0), small_control =
 * (4 + mean(max(0, 1 - u^2))) / 5 (raw controls), move = (5 * clip(|v_xy| / speed, 0, 1) + 1) / 6 for walk (1 m/s)
 * and run (10 m/s); stand uses the mean of tolerance(v_x, margin 2), tolerance(v_y, margin 2) instead.
 * Init: random torso orientation (normalised uniform [0,1)^4 quaternion), hinges uniform in range, torso
 * origin at 1.5 m; redrawn until nothing is in contact. Action: 21 torques in [-1, 1].
 */
import { tolerance } from '../rewards.ts';
import { HUMANOID_XML } from '../models/humanoid.ts';
import type { DmcTaskSpec } from '../base.ts';

const STAND_HEIGHT = 1.4;
const MAX_TRIES = 10000;
const EXTREMITIES = ['left_hand', 'left_foot', 'right_hand', 'right_foot'];

function humanoidTask(id: string, speed: number, summary: string): DmcTaskSpec {
  return {
    id,
    modelName: 'dmc-humanoid',
    xml: HUMANOID_XML,
    nSubSteps: 5,
    summary,
    observationKeys: [
      ['joint_angles', 21],
      ['head_height', 1],
      ['extremities', 12],
      ['torso_vertical', 3],
      ['com_velocity', 3],
      ['velocity', 27],
    ],
    createTask(physics) {
      const torso = physics.bodyId('torso');
      const head = physics.bodyId('head');
      const limbs = EXTREMITIES.map((n) => physics.bodyId(n));
      const comAdr = physics.sensorAdr('torso_subtreelinvel');
      const nu = physics.model.nu;
      const extremities = new Float64Array(12);
      return {
        initializeEpisode(p, rng) {
          for (let i = 0; i < MAX_TRIES; i++) {
            p.randomizeLimitedAndRotationalJoints(rng);
            p.forwardWithoutActuation();
            if (p.ncon === 0) return;
          }
          throw new Error(`${id}: no contact-free initial pose in ${MAX_TRIES} tries`);
        },
        observe(p, put) {
          const s = p.sensordata();
          put('joint_angles', p.qpos().subarray(7));
          put('head_height', [p.xpos(head, 2)]);
          for (let i = 0; i < limbs.length; i++) {
            const v0 = p.xpos(limbs[i], 0) - p.xpos(torso, 0);
            const v1 = p.xpos(limbs[i], 1) - p.xpos(torso, 1);
            const v2 = p.xpos(limbs[i], 2) - p.xpos(torso, 2);
            for (let c = 0; c < 3; c++) {
              extremities[3 * i + c] =
                v0 * p.xmat(torso, 0, c) + v1 * p.xmat(torso, 1, c) + v2 * p.xmat(torso, 2, c);
            }
          }
          put('extremities', extremities);
          put('torso_vertical', [p.xmat(torso, 2, 0), p.xmat(torso, 2, 1), p.xmat(torso, 2, 2)]);
          put('com_velocity', s.subarray(comAdr, comAdr + 3));
          put('velocity', p.qvel());
        },
        reward(p) {
          const standing = tolerance(p.xpos(head, 2), {
            bounds: [STAND_HEIGHT, Infinity],
            margin: STAND_HEIGHT / 4,
          });
          const upright = tolerance(p.xmat(torso, 2, 2), {
            bounds: [0.9, Infinity],
            sigmoid: 'linear',
            margin: 1.9,
            valueAtMargin: 0,
          });
          const ctrl = p.ctrl();
          let sum = 0;
          for (let i = 0; i < nu; i++)
            sum += tolerance(ctrl[i], { margin: 1, valueAtMargin: 0, sigmoid: 'quadratic' });
          const smallControl = (4 + sum / nu) / 5;
          const s = p.sensordata();
          const vx = s[comAdr];
          const vy = s[comAdr + 1];
          if (speed === 0) {
            const dontMove = (tolerance(vx, { margin: 2 }) + tolerance(vy, { margin: 2 })) / 2;
            return smallControl * standing * upright * dontMove;
          }
          const move = tolerance(Math.hypot(vx, vy), {
            bounds: [speed, Infinity],
            margin: speed,
            valueAtMargin: 0,
            sigmoid: 'linear',
          });
          return smallControl * standing * upright * ((5 * move + 1) / 6);
        },
      };
    },
  };
}

export const humanoidStand = humanoidTask(
  'humanoid-stand',
  0,
  'DMC humanoid, stand up and stay still; obs 67, act 21',
);
export const humanoidWalk = humanoidTask(
  'humanoid-walk',
  1,
  'DMC humanoid, walk at 1 m/s while upright; obs 67, act 21',
);
export const humanoidRun = humanoidTask(
  'humanoid-run',
  10,
  'DMC humanoid, run at 10 m/s while upright; obs 67, act 21',
);
