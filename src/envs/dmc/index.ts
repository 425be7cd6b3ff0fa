/**
 * DeepMind Control Suite tasks on MuJoCo's WebAssembly build, with models authored for this library.
 * Ids as the RFM paper writes them (domain-task). Every task runs 1000 steps per episode (the registry's
 * TimeLimit truncates; the env itself never terminates), rewards lie in [0, 1], and observations are one
 * flat Float64Array (see each task file for its layout; `make({ observationOrder: 'sorted' })` sorts the keys
 * alphabetically instead of dm_control's insertion order).
 */
import type { EnvSpec } from '../core.ts';
import { makeDmcEnv } from './base.ts';
import type { DmcTaskSpec } from './base.ts';
import { cheetahRun } from './tasks/cheetah.ts';
import { walkerRun, walkerStand, walkerWalk } from './tasks/walker.ts';
import { cartpoleSwingup } from './tasks/cartpole.ts';
import { fingerSpin, fingerTurnEasy, fingerTurnHard } from './tasks/finger.ts';
import { fishSwim, fishUpright } from './tasks/fish.ts';
import { pendulumSwingup } from './tasks/pendulum.ts';
import { reacherEasy, reacherHard } from './tasks/reacher.ts';
import { hopperHop, hopperStand } from './tasks/hopper.ts';
import { acrobotSwingup } from './tasks/acrobot.ts';
import { ballInCupCatch } from './tasks/ball_in_cup.ts';
import { humanoidRun, humanoidStand, humanoidWalk } from './tasks/humanoid.ts';
import { quadrupedRun } from './tasks/quadruped.ts';

export { DmcEnv, DmcPhysicsError, makeDmcEnv } from './base.ts';
export type { DmcTaskSpec, ObservationBlock, ObservationOrder } from './base.ts';
export { tolerance } from './rewards.ts';

/** Steps per episode for every task here (time limit / control timestep). */
export const DMC_EPISODE_STEPS = 1000;

/** The task definitions, in registry order. */
export const dmcTasks: readonly DmcTaskSpec[] = [
  cheetahRun,
  cartpoleSwingup,
  fishSwim,
  fishUpright,
  walkerWalk,
  walkerRun,
  fingerSpin,
  fingerTurnHard,
  pendulumSwingup,
  reacherEasy,
  hopperHop,
  hopperStand,
  acrobotSwingup,
  ballInCupCatch,
  humanoidWalk,
  quadrupedRun,
  walkerStand,
  fingerTurnEasy,
  reacherHard,
  humanoidStand,
  humanoidRun,
];

/** The environments of this family, for the registry. */
export const envSpecs: EnvSpec[] = dmcTasks.map((task): EnvSpec => ({
  id: task.id,
  family: 'dmc',
  maxEpisodeSteps: DMC_EPISODE_STEPS,
  summary: task.summary,
  make: (options?: Record<string, unknown>) => makeDmcEnv(task, options),
}));
