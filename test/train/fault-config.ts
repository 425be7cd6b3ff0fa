/** The tiny run the fault-injection tests kill and resume (shared by the test and its child process). */
import { resolveConfig } from '../../src/config/index.ts';

export function faultConfig(steps: number) {
  return resolveConfig({
    algo: 'sac',
    envId: 'Pendulum-v1',
    preset: 'small',
    sets: [
      `train.steps=${steps}`,
      'train.randomSteps=10',
      'train.evalEvery=20',
      'train.evalEpisodes=1',
      'train.logEvery=5',
      'train.checkpointEvery=20',
      'train.batchSize=8',
      'sac.actorHidden=8,8',
      'sac.criticHidden=8,8',
      'train.maxEpisodeSteps=30',
    ],
  });
}
