import type { EnvSpec } from '../core.ts';
import { PendulumEnv, type PendulumOptions } from './pendulum.ts';
import {
  MountainCarContinuousEnv,
  type MountainCarContinuousOptions,
} from './mountain-car-continuous.ts';

export { PendulumEnv, PENDULUM, angleNormalize } from './pendulum.ts';
export { MountainCarContinuousEnv, MOUNTAIN_CAR } from './mountain-car-continuous.ts';

/** The environments of this family, for the registry. */
export const envSpecs: EnvSpec[] = [
  {
    id: 'Pendulum-v1',
    family: 'classic',
    maxEpisodeSteps: 200,
    summary: 'swing a pendulum up and hold it (Gymnasium classic control)',
    make: async (options) => new PendulumEnv(options as PendulumOptions | undefined),
  },
  {
    id: 'MountainCarContinuous-v0',
    family: 'classic',
    maxEpisodeSteps: 999,
    summary:
      'drive an underpowered car up a hill, sparse +100 at the goal (Gymnasium classic control)',
    make: async (options) =>
      new MountainCarContinuousEnv(options as MountainCarContinuousOptions | undefined),
  },
];
