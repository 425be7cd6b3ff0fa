/**
 * The agent registry: algorithm name -> factory. Agent modules register themselves when imported:
 *
 *   // at the bottom of src/agents/rfm.ts
 *   import { registerAgent } from './registry.ts';
 *   registerAgent('rfm', (obsDim, actDim, config, seed) => new RFMAgent(obsDim, actDim, config.rfm, seed));
 *
 * Import `registerAgent` from this file, not from ./index.ts: index.ts imports the agent modules,
 * so going through it would make an import cycle (the registry map would not exist yet).
 * src/agents/index.ts imports every agent module, so `createAgent` sees all of them.
 */
import type { Algo, Config } from '../config/index.ts';
import { ALGOS } from '../config/index.ts';
import type { Agent } from './types.ts';

/** Builds an agent for observations of size obsDim and actions in [-1, 1]^actDim. */
export type AgentFactory = (
  obsDim: number,
  actDim: number,
  config: Config,
  seed: number,
  algo: Algo,
) => Agent;

const factories = new Map<string, AgentFactory>();

/** Makes `algo` available to createAgent. Registering a name twice is an error (a copy-paste slip). */
export function registerAgent(algo: Algo, factory: AgentFactory): void {
  if (!(ALGOS as readonly string[]).includes(algo))
    throw new Error(
      `registerAgent: '${algo}' is not in ALGOS (src/config/types.ts); add it there first`,
    );
  if (factories.has(algo)) throw new Error(`registerAgent: '${algo}' is registered twice`);
  factories.set(algo, factory);
}

/** Names with a registered factory. */
export function availableAgents(): Algo[] {
  return ALGOS.filter((a) => factories.has(a));
}

export function agentFactory(algo: string): AgentFactory {
  const f = factories.get(algo);
  if (f) return f;
  if ((ALGOS as readonly string[]).includes(algo)) {
    throw new Error(
      `algorithm '${algo}' is not available in this build (its agent module is not registered; available: ${availableAgents().join(', ')})`,
    );
  }
  throw new Error(`unknown algorithm '${algo}' (known: ${ALGOS.join(', ')})`);
}
