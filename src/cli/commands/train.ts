/**
 * `rfm train`: trains an agent and writes a run folder (run.json, config.json, metrics.jsonl,
 * metrics.csv, checkpoints/). `--resume RUN` continues a run exactly from its newest checkpoint.
 */
import type { Command } from '../main.ts';
import { UsageError, optFlag, optString, parseArgs } from '../args.ts';
import { ConfigError, resolveConfig } from '../../config/index.ts';
import { availableAgents } from '../../agents/index.ts';
import { envSpec } from '../../envs/index.ts';
import { CheckpointError, NonFiniteError, resumeTraining, train, type TrainResult } from '../../train/index.ts';
import { getBackend } from '../../engine/index.ts';
import { describeBackend } from '../../engine/backend-native.ts';

const USAGE = `usage: rfm train --algo A --env ID [--steps N] [--seed S] [--preset paper|lite|small]
                 [--config FILE.json|yaml ...] [--set key=value ...] [--out runs/] [--name NAME] [--quiet]
       rfm train --resume RUN [--steps N]

  --algo      sac | td3 | rfm | rfm-diffusion | sdac | dqs
  --steps N   total environment steps (same as --set train.steps=N; on resume: the new total)
  --set       any config key, dotted: --set rfm.temperature=0.05 --set train.evalEvery=5000
  Config layers: defaults, algorithm, task (env), preset, files, --set (later wins).`;

function intOpt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} must be an integer, got '${v}'`);
  return n;
}

export const command: Command = {
  summary: 'train an agent on an environment (run folder with metrics and checkpoints; --resume)',
  async run(args) {
    const p = parseArgs(args, ['algo', 'env', 'steps', 'seed', 'preset', 'config', 'set', 'out', 'name', 'resume'], ['help', 'quiet']);
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length > 0) throw new UsageError(`unexpected argument '${p.positionals[0]}'\n${USAGE}`);
    const steps = intOpt(optString(p, 'steps'), 'steps');
    const progress = !optFlag(p, 'quiet');
    // the start-up line: which backend (and instruction-set tier) trains
    const announce = () => {
      if (progress) console.error(`[rfm] backend ${describeBackend(getBackend())}`);
    };
    let result: TrainResult;
    try {
      const resume = optString(p, 'resume');
      if (resume !== undefined) {
        for (const k of ['algo', 'env', 'seed', 'preset', 'config', 'set', 'out', 'name']) {
          if (p.options.has(k)) throw new UsageError(`--resume continues a run with its own settings; only --steps may be given (got --${k})`);
        }
        announce();
        result = await resumeTraining(resume, { steps, progress, handleSignals: true });
      } else {
        const algo = optString(p, 'algo');
        const envId = optString(p, 'env');
        if (!algo || !envId) throw new UsageError(`--algo and --env are required\n${USAGE}`);
        const sets = [...(p.options.get('set') ?? [])];
        if (steps !== undefined) sets.unshift(`train.steps=${steps}`);
        try {
          envSpec(envId);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const config = resolveConfig({ algo, envId, preset: optString(p, 'preset'), files: p.options.get('config') ?? [], sets });
        if (!availableAgents().includes(algo as never)) {
          throw new UsageError(`algorithm '${algo}' is not available in this build (available: ${availableAgents().join(', ')})`);
        }
        announce();
        result = await train(envId, config, {
          algo: algo as never, seed: intOpt(optString(p, 'seed'), 'seed') ?? 0,
          outDir: optString(p, 'out') ?? 'runs', runName: optString(p, 'name'), progress, handleSignals: true,
        });
      }
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(e.message);
      if (e instanceof NonFiniteError || e instanceof CheckpointError) {
        console.error(`rfm train: ${e.message}`);
        return 1;
      }
      throw e;
    }
    const ev = result.lastEval;
    console.log(`${result.algo} on ${result.envId}, seed ${result.seed}: ${result.steps} steps; final eval return ${ev ? `${ev.mean.toFixed(2)} ± ${ev.std.toFixed(2)} over ${ev.returns.length} episodes` : 'n/a'}`);
    if (result.runDir) console.log(`run folder: ${result.runDir}`);
    return result.interrupted ? 130 : 0;
  },
};
