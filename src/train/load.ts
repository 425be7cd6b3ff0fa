/** Loading a trained agent back from a run folder (or a checkpoint JSON) for evaluation or use. */
import { existsSync, readFileSync } from 'node:fs';
import { decodeSafetensors, encodeSafetensors } from '../nn/index.ts';
import { dirname, join, resolve } from 'node:path';
import { createAgent, type Agent } from '../agents/index.ts';
import { configFromRunFile, type Config } from '../config/index.ts';
import type { RunningMeanStdState } from '../envs/index.ts';
import {
  CheckpointError,
  findCheckpoint,
  withPrefix,
  writeFileAtomic,
  type CheckpointMeta,
} from './checkpoint.ts';
import { buildEnv, type EnvFactory, type EnvStack } from './env.ts';

/** An agent restored from a run's newest checkpoint, with its config and a matching evaluation environment. */
export interface LoadedRun {
  readonly agent: Agent;
  readonly config: Config;
  readonly meta: CheckpointMeta;
  /** An evaluation environment stack, with the run's observation statistics frozen in (if used). */
  makeEvalEnv(factory?: EnvFactory): Promise<EnvStack>;
}

/**
 * Restores the agent of the newest checkpoint under `path` (run folder, checkpoints folder, or
 * checkpoint JSON) that verifies; newer ones that do not are reported through `warn` (default:
 * stderr) and skipped.
 */
export function loadAgent(path: string, opts: { warn?: (line: string) => void } = {}): LoadedRun {
  const warn = opts.warn ?? ((line: string) => void process.stderr.write(`${line}\n`));
  if (!existsSync(path)) throw new CheckpointError(`${path} does not exist`);
  const { path: jsonPath, checkpoint: ck } = findCheckpoint(resolve(path), { warn });
  const runDir = existsSync(join(path, 'config.json')) ? path : dirname(dirname(jsonPath));
  const cfgPath = join(runDir, 'config.json');
  if (!existsSync(cfgPath)) throw new Error(`loadAgent: no config.json for checkpoint ${jsonPath}`);
  const config = configFromRunFile(cfgPath);
  const obsDim = ck.tensors.get('loop.obs')?.shape[0];
  const actDim = ck.tensors.get('replay.action')?.shape[1];
  if (!obsDim || !actDim)
    throw new Error(`loadAgent: checkpoint ${jsonPath} lacks loop.obs / replay.action shapes`);
  const agent = createAgent(ck.meta.algo, obsDim, actDim, config, ck.meta.seed);
  agent.loadState({ tensors: withPrefix(ck.tensors, 'agent'), json: ck.meta.agent });
  const norm = (ck.meta.loop.state as { normalizer: RunningMeanStdState | null }).normalizer;
  return {
    agent,
    config,
    meta: ck.meta,
    async makeEvalEnv(factory?: EnvFactory) {
      const e = await buildEnv(ck.meta.envId, config.train, factory);
      if (e.normalizer && norm) {
        e.normalizer.loadState(norm);
        e.normalizer.update = false;
      }
      return e;
    },
  };
}

const AGENT_FORMAT = 'rfm-rl/agent';

/**
 * Saves one agent (no replay buffer, no loop state) to a single safetensors file: the agent's
 * tensors, and in the header metadata its algorithm, sizes, Config and the JSON half of its state.
 * Written atomically. For continuing training use run folders and checkpoints instead.
 */
export function saveAgent(agent: Agent, path: string, config: Config, seed = 0): void {
  const meta = {
    format: AGENT_FORMAT,
    algo: agent.algo,
    obsDim: String(agent.obsDim),
    actDim: String(agent.actDim),
    seed: String(seed),
    config: JSON.stringify(config),
  };
  const st = agent.state();
  writeFileAtomic(path, encodeSafetensors(st.tensors, { ...meta, state: JSON.stringify(st.json) }));
}

/** Loads an agent written by saveAgent. */
export function loadAgentFile(path: string): { agent: Agent; config: Config } {
  const { tensors, metadata: m } = decodeSafetensors(new Uint8Array(readFileSync(path)));
  if (m.format !== AGENT_FORMAT)
    throw new CheckpointError(
      `${path} is not an agent file written by saveAgent (format '${m.format ?? 'none'}')`,
    );
  const config = JSON.parse(m.config) as Config;
  const agent = createAgent(m.algo, Number(m.obsDim), Number(m.actDim), config, Number(m.seed));
  agent.loadState({ tensors, json: JSON.parse(m.state) });
  return { agent, config };
}
