/** Loading a trained agent back from a run folder (or a checkpoint JSON) for evaluation or use. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createAgent, type Agent } from '../agents/index.ts';
import { configFromRunFile, type Config } from '../config/index.ts';
import type { RunningMeanStdState } from '../envs/index.ts';
import { latestCheckpoint, loadCheckpoint, withPrefix, type CheckpointMeta } from './checkpoint.ts';
import { buildEnv, type EnvFactory, type EnvStack } from './env.ts';

export interface LoadedRun {
  readonly agent: Agent;
  readonly config: Config;
  readonly meta: CheckpointMeta;
  /** An evaluation environment stack, with the run's observation statistics frozen in (if used). */
  makeEvalEnv(factory?: EnvFactory): Promise<EnvStack>;
}

/** Restores the agent of the newest checkpoint under `path` (run folder, checkpoints folder, or checkpoint JSON). */
export function loadAgent(path: string): LoadedRun {
  const jsonPath = latestCheckpoint(resolve(path));
  const ck = loadCheckpoint(jsonPath);
  const runDir = existsSync(join(path, 'config.json')) ? path : dirname(dirname(jsonPath));
  const cfgPath = join(runDir, 'config.json');
  if (!existsSync(cfgPath)) throw new Error(`loadAgent: no config.json for checkpoint ${jsonPath}`);
  const config = configFromRunFile(cfgPath);
  const obsDim = ck.tensors.get('loop.obs')?.shape[0];
  const actDim = ck.tensors.get('replay.action')?.shape[1];
  if (!obsDim || !actDim) throw new Error(`loadAgent: checkpoint ${jsonPath} lacks loop.obs / replay.action shapes`);
  const agent = createAgent(ck.meta.algo, obsDim, actDim, config, ck.meta.seed);
  agent.loadState({ tensors: withPrefix(ck.tensors, 'agent'), json: ck.meta.agent });
  const norm = (ck.meta.loop.state as { normalizer: RunningMeanStdState | null }).normalizer;
  return {
    agent, config, meta: ck.meta,
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
