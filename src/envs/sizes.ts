/**
 * Observation and action sizes of the built-in environments, as [obs, act], so that `rfm envs
 * list` can answer without building every environment (MuJoCo tasks load a wasm module and a
 * model each). test/envs/sizes.test.ts builds every registered env and checks this table against
 * it, so a new or changed task that is not entered here fails the tests.
 */
export const ENV_SIZES: Readonly<Record<string, readonly [number, number]>> = {
  'Pendulum-v1': [3, 1],
  'MountainCarContinuous-v0': [2, 1],
  'InvertedPendulum-v5': [4, 1],
  'InvertedDoublePendulum-v5': [9, 1],
  'Reacher-v5': [10, 2],
  'Swimmer-v5': [8, 2],
  'HalfCheetah-v5': [17, 6],
  'Hopper-v5': [11, 3],
  'Walker2d-v5': [17, 6],
  'Ant-v5': [105, 8],
  'Humanoid-v5': [348, 17],
  'cheetah-run': [17, 6],
  'cartpole-swingup': [5, 1],
  'fish-swim': [24, 5],
  'fish-upright': [21, 5],
  'walker-walk': [24, 6],
  'walker-run': [24, 6],
  'finger-spin': [9, 2],
  'finger-turn_hard': [12, 2],
  'pendulum-swingup': [3, 1],
  'reacher-easy': [6, 2],
  'hopper-hop': [15, 4],
  'hopper-stand': [15, 4],
  'acrobot-swingup': [6, 1],
  'ball_in_cup-catch': [8, 2],
  'humanoid-walk': [67, 21],
  'quadruped-run': [70, 12],
  'walker-stand': [24, 6],
  'finger-turn_easy': [12, 2],
  'reacher-hard': [6, 2],
  'humanoid-stand': [67, 21],
  'humanoid-run': [67, 21],
  'MultimodalBandit-v0': [1, 2],
};
