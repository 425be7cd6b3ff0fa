/**
 * acrobot-swingup.
 *
 * Observation (6), dm_control order (sorted order is the same):
 *   orientations [0:4) = [upper xz, lower xz, upper zz, lower zz] (sines then cosines of the link angles
 *                        from vertical); velocity [4:6) = [shoulder, elbow] angular velocities
 * Reward: tolerance(|tip - target|, [0, 0.2], margin 1) = 1 within 0.2 m of the target 4 m up, else
 * 0.1^((d - 0.2)^2).
 * Init: both angles uniform in (-pi, pi), at rest. Action: 1 elbow torque in [-1, 1] (x 2 N m).
 */
import { tolerance } from '../rewards.ts';
import { ACROBOT_XML } from '../models/acrobot.ts';
import type { DmcTaskSpec } from '../base.ts';
import { uniformIn } from '../physics.ts';

export const acrobotSwingup: DmcTaskSpec = {
  id: 'acrobot-swingup',
  modelName: 'dmc-acrobot',
  xml: ACROBOT_XML,
  nSubSteps: 1,
  summary: 'DMC acrobot, swing the tip up to a target 4 m high with the elbow only; obs 6, act 1',
  observationKeys: [
    ['orientations', 4],
    ['velocity', 2],
  ],
  createTask(physics) {
    const upper = physics.bodyId('upper_arm');
    const lower = physics.bodyId('lower_arm');
    const tip = physics.siteId('tip');
    const target = physics.siteId('target');
    return {
      initializeEpisode(p, rng) {
        const qpos = p.qpos();
        qpos[0] = uniformIn(rng, -Math.PI, Math.PI);
        qpos[1] = uniformIn(rng, -Math.PI, Math.PI);
      },
      observe(p, put) {
        put('orientations', [
          p.xmat(upper, 0, 2),
          p.xmat(lower, 0, 2),
          p.xmat(upper, 2, 2),
          p.xmat(lower, 2, 2),
        ]);
        put('velocity', p.qvel());
      },
      reward(p) {
        const d = Math.hypot(
          p.siteXpos(target, 0) - p.siteXpos(tip, 0),
          p.siteXpos(target, 1) - p.siteXpos(tip, 1),
          p.siteXpos(target, 2) - p.siteXpos(tip, 2),
        );
        return tolerance(d, { bounds: [0, 0.2], margin: 1 });
      },
    };
  },
};
