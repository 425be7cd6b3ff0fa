/**
 * hopper-stand, hopper-hop.
 *
 * Observation (15), dm_control order:
 *   position [0:6)  = qpos[1:7]: rootz, rooty, waist, hip, knee, ankle (rootx left out)
 *   velocity [6:13) = qvel (7): rootx, rootz, rooty, waist, hip, knee, ankle
 *   touch    [13:15) = log1p of the toe and heel touch sensors
 * Sorted order: position [0:6), touch [6:8), velocity [8:15).
 * Reward: standing = 1 if 0.6 <= torso COM z - foot COM z <= 2 else 0;
 * stand = standing * (4 + mean(max(0, 1 - u^2))) / 5 (raw controls u); hop = standing * clip(vx / 2, 0, 1),
 * vx = forward velocity of the whole body's centre of mass.
 * Init: rooty uniform in (-pi, pi), the four leg joints uniform in their ranges, torso origin at 1 m
 * (no contact check; the foot may start in the floor). Action: 4 torques in [-1, 1].
 */
import { tolerance } from '../rewards.ts';
import { HOPPER_XML } from '../models/hopper.ts';
import type { DmcTaskSpec } from '../base.ts';

const STAND_HEIGHT = 0.6;
const HOP_SPEED = 2;

function hopperTask(id: string, hopping: boolean, summary: string): DmcTaskSpec {
  return {
    id,
    modelName: 'dmc-hopper',
    xml: HOPPER_XML,
    nSubSteps: 4,
    summary,
    observationKeys: [
      ['position', 6],
      ['velocity', 7],
      ['touch', 2],
    ],
    createTask(physics) {
      const torso = physics.bodyId('torso');
      const foot = physics.bodyId('foot');
      const speedAdr = physics.sensorAdr('torso_subtreelinvel');
      const toeAdr = physics.sensorAdr('touch_toe');
      const heelAdr = physics.sensorAdr('touch_heel');
      const nu = physics.model.nu;
      return {
        initializeEpisode(p, rng) {
          p.randomizeLimitedAndRotationalJoints(rng);
        },
        observe(p, put) {
          const s = p.sensordata();
          put('position', p.qpos().subarray(1));
          put('velocity', p.qvel());
          put('touch', [Math.log1p(s[toeAdr]), Math.log1p(s[heelAdr])]);
        },
        reward(p) {
          const height = p.xipos(torso, 2) - p.xipos(foot, 2);
          const standing = tolerance(height, { bounds: [STAND_HEIGHT, 2] });
          if (hopping) {
            const vx = p.sensordata()[speedAdr];
            return (
              standing *
              tolerance(vx, {
                bounds: [HOP_SPEED, Infinity],
                margin: HOP_SPEED / 2,
                sigmoid: 'linear',
                valueAtMargin: 0.5,
              })
            );
          }
          const ctrl = p.ctrl();
          let sum = 0;
          for (let i = 0; i < nu; i++)
            sum += tolerance(ctrl[i], { margin: 1, valueAtMargin: 0, sigmoid: 'quadratic' });
          return (standing * (sum / nu + 4)) / 5;
        },
      };
    },
  };
}

export const hopperStand = hopperTask(
  'hopper-stand',
  false,
  'DMC planar hopper, stand up tall with little control; obs 15, act 4',
);
export const hopperHop = hopperTask(
  'hopper-hop',
  true,
  'DMC planar hopper, hop forward at 2 m/s while upright; obs 15, act 4',
);
