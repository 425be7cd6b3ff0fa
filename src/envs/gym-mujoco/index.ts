/**
 * Gymnasium MuJoCo v5 environments on the MuJoCo WebAssembly build, with authored models (./models).
 * Default options, observation layouts, rewards (terms in `info`), terminations and reset-noise distributions follow
 * Gymnasium 1.x v5; options take Gymnasium's keyword names (snake_case) or camelCase.
 * Truncation (time limit) is not done here: `maxEpisodeSteps` tells the registry's TimeLimit wrapper.
 */
import type { Env, EnvSpec } from '../core.ts';
import { InvertedPendulumEnv } from './envs/inverted-pendulum.ts';
import { InvertedDoublePendulumEnv } from './envs/inverted-double-pendulum.ts';
import { ReacherEnv } from './envs/reacher.ts';
import { SwimmerEnv } from './envs/swimmer.ts';
import { HalfCheetahEnv } from './envs/half-cheetah.ts';
import { HopperEnv } from './envs/hopper.ts';
import { Walker2dEnv } from './envs/walker2d.ts';
import { AntEnv } from './envs/ant.ts';
import { HumanoidEnv } from './envs/humanoid.ts';

export {
  InvertedPendulumEnv,
  InvertedDoublePendulumEnv,
  ReacherEnv,
  SwimmerEnv,
  HalfCheetahEnv,
  HopperEnv,
  Walker2dEnv,
  AntEnv,
  HumanoidEnv,
};
export { PlanarWalkerEnv } from './envs/hopper.ts';

function spec(
  id: string,
  maxEpisodeSteps: number,
  summary: string,
  make: (o?: Record<string, unknown>) => Promise<Env>,
): EnvSpec {
  return { id, family: 'gymnasium-mujoco', maxEpisodeSteps, summary, make };
}

/** The environments of this family, for the registry. */
export const envSpecs: EnvSpec[] = [
  spec(InvertedPendulumEnv.ID, 1000, 'Cart-pole, one pole: keep it upright (obs 4, act 1)', (o) =>
    InvertedPendulumEnv.create(o),
  ),
  spec(
    InvertedDoublePendulumEnv.ID,
    1000,
    'Cart with two stacked poles: keep the tip high (obs 9, act 1)',
    (o) => InvertedDoublePendulumEnv.create(o),
  ),
  spec(ReacherEnv.ID, 50, 'Two-link arm: reach a random target (obs 10, act 2)', (o) =>
    ReacherEnv.create(o),
  ),
  spec(
    SwimmerEnv.ID,
    1000,
    'Three-segment swimmer in viscous fluid: swim forward (obs 8, act 2)',
    (o) => SwimmerEnv.create(o),
  ),
  spec(HalfCheetahEnv.ID, 1000, 'Planar cheetah: run forward (obs 17, act 6)', (o) =>
    HalfCheetahEnv.create(o),
  ),
  spec(
    HopperEnv.ID,
    1000,
    'Planar one-legged hopper: hop forward without falling (obs 11, act 3)',
    (o) => HopperEnv.create(o),
  ),
  spec(Walker2dEnv.ID, 1000, 'Planar biped: walk forward without falling (obs 17, act 6)', (o) =>
    Walker2dEnv.create(o),
  ),
  spec(AntEnv.ID, 1000, 'Four-legged ant: walk in +x (obs 105, act 8)', (o) => AntEnv.create(o)),
  spec(HumanoidEnv.ID, 1000, 'Humanoid: walk forward without falling (obs 348, act 17)', (o) =>
    HumanoidEnv.create(o),
  ),
];
