/** The string-literal choices of Config, as runtime lists (the types in ./types.ts match them). */
import type { ControlVariateKind, EndpointKind, PathKind, SolverKind } from './types.ts';

export const CONTROL_VARIATES: readonly ControlVariateKind[] = ['cv', 'ne', 'ge'];
export const ENDPOINTS: readonly EndpointKind[] = ['on-policy', 'off-policy'];
export const SOLVERS: readonly SolverKind[] = ['euler', 'heun'];
export const PATHS: readonly PathKind[] = ['flow', 'vp-cosine', 'vp-linear'];
