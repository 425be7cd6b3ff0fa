import type { EnvSpec } from '../core.ts';
import { MultimodalBanditEnv, type MultimodalBanditOptions } from './multimodal-bandit.ts';

export {
  MultimodalBanditEnv,
  optimalActions,
  optimalReturn,
  banditReward,
} from './multimodal-bandit.ts';
export type { MultimodalBanditOptions } from './multimodal-bandit.ts';

/** The environments of this family, for the registry. */
export const envSpecs: EnvSpec[] = [
  {
    id: 'MultimodalBandit-v0',
    family: 'toy',
    summary: 'one-step bandit with 2^d equally optimal modes at (±0.5, ..., ±0.5), peak reward 1',
    make: async (options) =>
      new MultimodalBanditEnv(options as MultimodalBanditOptions | undefined),
  },
];
