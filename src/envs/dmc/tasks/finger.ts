/**
 * finger-spin, finger-turn_easy, finger-turn_hard.
 *
 * Observation, dm_control order:
 *   spin (9):  position [0:4) = [proximal angle, distal angle, tip x, tip z] (tip relative to the spinner axle);
 *              velocity [4:7) = [proximal, distal, spinner] joint velocities; touch [7:9) = log1p(touch top, bottom)
 *   turn (12): the above, then target_position [9:11) (target x, z relative to the spinner axle) and
 *              dist_to_target [11] (tip-to-target distance minus the target radius)
 * Sorted order: spin = position, touch, velocity; turn = dist_to_target, position, target_position, touch, velocity.
 * Reward: spin = 1 if the spinner turns at <= -15 rad/s (about its (0,-1,0) axis) else 0; turn = 1 if the tip
 * site centre lies within the target radius (0.07 easy, 0.03 hard) else 0.
 * Init: joints drawn uniformly (finger joints in range, spinner in (-pi, pi)) until nothing is in contact;
 * turn first draws the target angle uniform in (-pi, pi) on a circle of radius 0.13 about the axle.
 * Spin lowers the spinner damping to 0.03 (a model variant). The target is kept by the task, not written
 * into the shared model, so the `target` framepos sensor of the model stays at its authored place.
 * Action: 2 torques in [-1, 1].
 */
import { fingerXml } from '../models/finger.ts';
import type { DmcTaskSpec, Task } from '../base.ts';
import type { DmcPhysics, RandomSource } from '../physics.ts';
import { uniformIn } from '../physics.ts';

const SPIN_VELOCITY = 15;
/** Radius of the circle the target sits on: spinner capsule radius + half-length. */
const TARGET_CIRCLE = 0.13;
const MAX_TRIES = 1000;

function setRandomJointAngles(p: DmcPhysics, rng: RandomSource, id: string): void {
  for (let i = 0; i < MAX_TRIES; i++) {
    p.randomizeLimitedAndRotationalJoints(rng);
    p.forwardWithoutActuation();
    if (p.ncon === 0) return;
  }
  throw new Error(`${id}: could not find a collision-free initial state in ${MAX_TRIES} tries`);
}

function fingerTask(physics: DmcPhysics, id: string, targetRadius: number | undefined): Task {
  const adr = {
    proximal: physics.sensorAdr('proximal'),
    distal: physics.sensorAdr('distal'),
    proximalVel: physics.sensorAdr('proximal_velocity'),
    distalVel: physics.sensorAdr('distal_velocity'),
    hingeVel: physics.sensorAdr('hinge_velocity'),
    tip: physics.sensorAdr('tip'),
    spinner: physics.sensorAdr('spinner'),
    touchtop: physics.sensorAdr('touchtop'),
    touchbottom: physics.sensorAdr('touchbottom'),
  };
  // Target relative to the spinner axle (x, z); set per episode by the turn tasks.
  const target = [0, 0];
  const position = new Float64Array(4);
  const velocity = new Float64Array(3);
  const touch = new Float64Array(2);
  const distToTarget = (s: Float64Array): number => {
    const tx = s[adr.tip] - s[adr.spinner];
    const tz = s[adr.tip + 2] - s[adr.spinner + 2];
    return Math.hypot(target[0] - tx, target[1] - tz) - (targetRadius ?? 0);
  };
  return {
    initializeEpisode(p, rng) {
      if (targetRadius !== undefined) {
        const angle = uniformIn(rng, -Math.PI, Math.PI);
        target[0] = TARGET_CIRCLE * Math.sin(angle);
        target[1] = TARGET_CIRCLE * Math.cos(angle);
      }
      setRandomJointAngles(p, rng, id);
    },
    observe(p, put) {
      const s = p.sensordata();
      position[0] = s[adr.proximal];
      position[1] = s[adr.distal];
      position[2] = s[adr.tip] - s[adr.spinner];
      position[3] = s[adr.tip + 2] - s[adr.spinner + 2];
      velocity[0] = s[adr.proximalVel];
      velocity[1] = s[adr.distalVel];
      velocity[2] = s[adr.hingeVel];
      touch[0] = Math.log1p(s[adr.touchtop]);
      touch[1] = Math.log1p(s[adr.touchbottom]);
      put('position', position);
      put('velocity', velocity);
      put('touch', touch);
      if (targetRadius !== undefined) {
        put('target_position', target);
        put('dist_to_target', [distToTarget(s)]);
      }
    },
    reward(p) {
      const s = p.sensordata();
      if (targetRadius === undefined) return s[adr.hingeVel] <= -SPIN_VELOCITY ? 1 : 0;
      return distToTarget(s) <= 0 ? 1 : 0;
    },
    info(p) {
      return targetRadius === undefined ? {} : { distToTarget: distToTarget(p.sensordata()) };
    },
  };
}

export const fingerSpin: DmcTaskSpec = {
  id: 'finger-spin',
  modelName: 'dmc-finger-spin',
  xml: fingerXml(0.03),
  nSubSteps: 2,
  summary: 'DMC finger, flick the free spinner to keep it turning fast; obs 9, act 2',
  observationKeys: [
    ['position', 4],
    ['velocity', 3],
    ['touch', 2],
  ],
  createTask: (p) => fingerTask(p, 'finger-spin', undefined),
};

const TURN_KEYS: DmcTaskSpec['observationKeys'] = [
  ['position', 4],
  ['velocity', 3],
  ['touch', 2],
  ['target_position', 2],
  ['dist_to_target', 1],
];

export const fingerTurnEasy: DmcTaskSpec = {
  id: 'finger-turn_easy',
  modelName: 'dmc-finger',
  xml: fingerXml(0.5),
  nSubSteps: 2,
  summary: 'DMC finger, turn the spinner tip onto a target (radius 0.07); obs 12, act 2',
  observationKeys: TURN_KEYS,
  createTask: (p) => fingerTask(p, 'finger-turn_easy', 0.07),
};

export const fingerTurnHard: DmcTaskSpec = {
  id: 'finger-turn_hard',
  modelName: 'dmc-finger',
  xml: fingerXml(0.5),
  nSubSteps: 2,
  summary: 'DMC finger, turn the spinner tip onto a target (radius 0.03); obs 12, act 2',
  observationKeys: TURN_KEYS,
  createTask: (p) => fingerTask(p, 'finger-turn_hard', 0.03),
};
