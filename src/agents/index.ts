/**
 * Agents: the contract (./types.ts), the shared off-policy parts (replay buffer, twin critics),
 * and `createAgent(algo, obsDim, actDim, config, seed)` over the registry (./registry.ts).
 * Importing this module registers every agent module below.
 */
import type { Config } from '../config/index.ts';
import { agentFactory } from './registry.ts';
import { checkAlgo } from '../config/index.ts';
import type { Agent } from './types.ts';
// Agent modules register themselves on import (see ./registry.ts).
import './sac.ts';
import './td3.ts';
import './rfm.ts';
import './qsm.ts';
import './dqs.ts';
import './maxentdp.ts';
import './qvpo.ts';

export type { Agent, AgentState, ActOptions, Batch, Metrics, Observation } from './types.ts';
export { float32Obs } from './types.ts';
export { ReplayBuffer, type ReplayState } from './replay.ts';
export { TwinCritic, type CriticConfig, type CriticMetrics } from './critic.ts';
export { registerAgent, availableAgents, type AgentFactory } from './registry.ts';
export { SacAgent } from './sac.ts';
export { Td3Agent } from './td3.ts';
export { QsmAgent } from './qsm.ts';
export { DqsAgent } from './dqs.ts';
export { MaxEntDpAgent } from './maxentdp.ts';
export { QvpoAgent } from './qvpo.ts';
export { RfmAgent, type RfmAlgo } from './rfm.ts';

/** A new agent of algorithm `algo` for observations [obsDim] and actions in [-1, 1]^actDim. */
export function createAgent(
  algo: string,
  obsDim: number,
  actDim: number,
  config: Config,
  seed: number,
): Agent {
  const a = checkAlgo(algo);
  if (!(Number.isInteger(obsDim) && obsDim > 0 && Number.isInteger(actDim) && actDim > 0)) {
    throw new Error(
      `createAgent(${algo}): obsDim and actDim must be positive integers, got ${obsDim}, ${actDim}`,
    );
  }
  return agentFactory(a)(obsDim, actDim, config, seed, a);
}
