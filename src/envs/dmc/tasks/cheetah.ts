/**
 * cheetah-run.
 *
 * Observation (17), dm_control order (sorted order is the same):
 *   position [0:8)  = qpos[1:9]: rootz, rooty, bthigh, bshin, bfoot, fthigh, fshin, ffoot (rootx left out)
 *   velocity [8:17) = qvel (9): rootx, rootz, rooty, then the six leg joints
 * Reward: clip(v / 10, 0, 1), v = forward velocity of the whole body's centre of mass (subtreelinvel x).
 * Init: each leg joint uniform in its range, torso level at 0.7 m, then 200 zero-control physics steps to
 * let it settle; the clock is reset to 0 afterwards. Action: 6 torques in [-1, 1].
 */
import { tolerance } from '../rewards.ts';
import { CHEETAH_XML } from '../models/cheetah.ts';
import type { DmcTaskSpec } from '../base.ts';
import { uniformIn } from '../physics.ts';

const RUN_SPEED = 10;

export const cheetahRun: DmcTaskSpec = {
  id: 'cheetah-run',
  modelName: 'dmc-cheetah',
  xml: CHEETAH_XML,
  nSubSteps: 1,
  summary: 'DMC planar cheetah, run forward (reward = speed/10 clipped); obs 17, act 6',
  observationKeys: [
    ['position', 8],
    ['velocity', 9],
  ],
  createTask(physics) {
    const speedAdr = physics.sensorAdr('torso_subtreelinvel');
    return {
      initializeEpisode(p, rng) {
        const m = p.model.raw;
        const qpos = p.qpos();
        for (let j = 0; j < m.njnt; j++) {
          if (m.jnt_limited[j])
            qpos[m.jnt_qposadr[j]] = uniformIn(rng, m.jnt_range[2 * j], m.jnt_range[2 * j + 1]);
        }
        p.forward();
        p.rawStep(200);
        p.time = 0;
      },
      observe(p, put) {
        put('position', p.qpos().subarray(1));
        put('velocity', p.qvel());
      },
      reward(p) {
        const speed = p.sensordata()[speedAdr];
        return tolerance(speed, {
          bounds: [RUN_SPEED, Infinity],
          margin: RUN_SPEED,
          sigmoid: 'linear',
          valueAtMargin: 0,
        });
      },
    };
  },
};
