import type { EnvSpec } from '../core.ts';

/** The environments of this family, for the registry. */
export const envSpecs: EnvSpec[] = [];
