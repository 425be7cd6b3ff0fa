/**
 * quadruped-run.
 *
 * Observation (70), dm_control order:
 *   egocentric_state [0:36)  = 12 hinge angles (qpos[7:19]), 12 hinge velocities (qvel[6:18]), 12 actuator
 *                              activations (the servos' filtered targets)
 *   torso_velocity   [36:39) = velocimeter (torso frame)
 *   torso_upright    [39]    = torso zz
 *   imu              [40:46) = accelerometer (3), gyro (3)
 *   force_torque     [46:70) = asinh of the 4 toe force sensors then the 4 toe torque sensors (3 each)
 * Sorted order: egocentric_state, force_torque, imu, torso_upright, torso_velocity.
 * Reward: (1 + zz) / 2 * tolerance(forward velocity, [5, inf), margin 5, linear, 0.5) = upright * clip(0.5 + vx/10, 0, 1).
 * Init: uniformly random orientation, joints at 0, torso above the origin, lifted in 1 cm increments from
 * z = 0 until nothing is in contact (each try a full reset). Action: 12 servo targets, per leg (FL, FR, BR, BL):
 * yaw in [-1, 1], lift in [-1, 1.1], extend in [-0.8, 0.8].
 */
import { tolerance } from '../rewards.ts';
import { QUADRUPED_XML } from '../models/quadruped.ts';
import type { DmcTaskSpec } from '../base.ts';
import { randomQuat, writeQuat } from '../physics.ts';

const RUN_SPEED = 5;
const MAX_TRIES = 10000;
const LEGS = ['front_left', 'front_right', 'back_right', 'back_left'];

export const quadrupedRun: DmcTaskSpec = {
  id: 'quadruped-run',
  modelName: 'dmc-quadruped-run',
  xml: QUADRUPED_XML,
  nSubSteps: 4,
  summary: 'DMC quadruped, run forward at 5 m/s while upright; obs 70, act 12',
  observationKeys: [
    ['egocentric_state', 36],
    ['torso_velocity', 3],
    ['torso_upright', 1],
    ['imu', 6],
    ['force_torque', 24],
  ],
  createTask(physics) {
    const torso = physics.bodyId('torso');
    const velAdr = physics.sensorAdr('velocimeter');
    const accAdr = physics.sensorAdr('imu_accel');
    const gyroAdr = physics.sensorAdr('imu_gyro');
    const ftAdr = [
      ...LEGS.map((l) => physics.sensorAdr(`force_toe_${l}`)),
      ...LEGS.map((l) => physics.sensorAdr(`torque_toe_${l}`)),
    ];
    const { nq, nv, na } = physics.model;
    const ego = new Float64Array(36);
    const imu = new Float64Array(6);
    const ft = new Float64Array(24);
    return {
      initializeEpisode(p, rng) {
        const orientation = randomQuat(rng);
        for (let i = 0; i < MAX_TRIES; i++) {
          p.data.reset();
          const qpos = p.qpos();
          qpos[0] = 0;
          qpos[1] = 0;
          qpos[2] = 0.01 * i;
          writeQuat(qpos, 3, orientation);
          p.forwardWithoutActuation();
          if (p.ncon === 0) return;
        }
        throw new Error(`quadruped-run: no contact-free height found in ${MAX_TRIES} tries`);
      },
      observe(p, put) {
        const qpos = p.qpos();
        const qvel = p.qvel();
        const act = p.data.view('act');
        let k = 0;
        for (let i = 7; i < nq; i++) ego[k++] = qpos[i];
        for (let i = 6; i < nv; i++) ego[k++] = qvel[i];
        for (let i = 0; i < na; i++) ego[k++] = act[i];
        const s = p.sensordata();
        for (let i = 0; i < 3; i++) {
          imu[i] = s[accAdr + i];
          imu[3 + i] = s[gyroAdr + i];
        }
        for (let j = 0; j < ftAdr.length; j++)
          for (let i = 0; i < 3; i++) ft[3 * j + i] = Math.asinh(s[ftAdr[j] + i]);
        put('egocentric_state', ego);
        put('torso_velocity', s.subarray(velAdr, velAdr + 3));
        put('torso_upright', [p.xmat(torso, 2, 2)]);
        put('imu', imu);
        put('force_torque', ft);
      },
      reward(p) {
        const upright = tolerance(p.xmat(torso, 2, 2), {
          bounds: [1, Infinity],
          sigmoid: 'linear',
          margin: 2,
          valueAtMargin: 0,
        });
        const vx = p.sensordata()[velAdr];
        const move = tolerance(vx, {
          bounds: [RUN_SPEED, Infinity],
          margin: RUN_SPEED,
          valueAtMargin: 0.5,
          sigmoid: 'linear',
        });
        return upright * move;
      },
    };
  },
};
