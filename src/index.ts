/**
 * rfm-rl: online reinforcement learning with flow and diffusion policies trained by Reverse Flow
 * Matching. The package's public API, layer by layer (README shows the layout).
 */
export * as engine from './engine/index.ts';
export * as nn from './nn/index.ts';
export * as paths from './paths/index.ts';
export * as estimators from './estimators/index.ts';
export * from './envs/index.ts';
export * from './agents/index.ts';
export { RfmAgent, type RfmAlgo } from './agents/rfm.ts';
export * from './config/index.ts';
export * from './train/index.ts';
export { VelocityNet, integrateFlow, sampleFlow, particleVelocity, timeGrid, type Solver } from './policies/flow.ts';
