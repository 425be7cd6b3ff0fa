/**
 * `rfm train`: trains an agent and writes a run folder (run.json, config.json, metrics.jsonl,
 * metrics.csv, checkpoints/). `--resume RUN` continues a run exactly from its newest good
 * checkpoint (or the one `--from` names), with `--set` to change e.g. a learning rate.
 * Errors go to the CLI's handler (../errors.ts): one line, exit 2 for a bad request, 1 otherwise.
 */
import type { Command } from '../main.ts';
import { existsSync } from 'node:fs';
import { UsageError, optFlag, optString, parseArgs } from '../args.ts';
import { ConfigError, resolveConfig } from '../../config/index.ts';
import { availableAgents } from '../../agents/index.ts';
import { envSpec } from '../../envs/index.ts';
import { resumeTraining, train, type TrainResult } from '../../train/index.ts';

const USAGE = `usage: rfm train --algo A --env ID [--steps N] [--seed S] [--preset paper|lite|small]
                 [--config FILE.json|yaml ...] [--set key=value ...] [--out runs/] [--name NAME] [--quiet]
       rfm train --resume RUN [--from STEP|CHECKPOINT.json] [--steps N] [--set key=value ...]

  --algo      rfm | rfm-diffusion | sac | td3 | dqs | qsm | qvpo | maxentdp  (README: Algorithms)
  --steps N   total environment steps (same as --set train.steps=N; on resume: the new total)
  --set       any config key, dotted: --set rfm.temperature=0.05 --set train.evalEvery=5000
  --resume    continue a run from its newest checkpoint that verifies (--from: another one),
              e.g. after a divergence: --resume RUN --from 3000 --set rfm.actorLr=1e-4
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
    const p = parseArgs(args, ['algo', 'env', 'steps', 'seed', 'preset', 'config', 'set', 'out', 'name', 'resume', 'from'], ['help', 'quiet']);
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length > 0) throw new UsageError(`unexpected argument '${p.positionals[0]}'\n${USAGE}`);
    const steps = intOpt(optString(p, 'steps'), 'steps');
    const progress = !optFlag(p, 'quiet');
    let result: TrainResult;
    try {
      const resume = optString(p, 'resume');
      if (resume !== undefined) {
        for (const k of ['algo', 'env', 'seed', 'preset', 'config', 'out', 'name']) {
          if (p.options.has(k)) throw new UsageError(`--resume continues a run with its own settings; only --steps, --from and --set may be given (got --${k})`);
        }
        if (!existsSync(resume)) throw new UsageError(`--resume ${resume}: no such run folder`);
        const fromText = optString(p, 'from');
        let from: number | string | undefined;
        if (fromText !== undefined) {
          if (/^\d+$/.test(fromText)) from = Number(fromText);
          else if (existsSync(fromText) && fromText.endsWith('.json')) from = fromText;
          else throw new UsageError(`--from must be a checkpoint's step or its .json file, got '${fromText}'`);
        }
        result = await resumeTraining(resume, { steps, from, sets: p.options.get('set') ?? [], progress, handleSignals: true });
      } else {
        if (p.options.has('from')) throw new UsageError('--from goes with --resume');
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
        result = await train(envId, config, {
          algo: algo as never, seed: intOpt(optString(p, 'seed'), 'seed') ?? 0,
          outDir: optString(p, 'out') ?? 'runs', runName: optString(p, 'name'), progress, handleSignals: true,
        });
      }
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(e.message);
      throw e; // one line from the CLI's handler (src/cli/errors.ts)
    }
    const ev = result.lastEval;
    console.log(`${result.algo} on ${result.envId}, seed ${result.seed}: ${result.steps} steps; final eval return ${ev ? `${ev.mean.toFixed(2)} ± ${ev.std.toFixed(2)} over ${ev.returns.length} episodes` : 'n/a'}`);
    if (result.runDir) console.log(`run folder: ${result.runDir}`);
    return result.interrupted ? 130 : 0;
  },
};
