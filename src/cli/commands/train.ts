/**
 * `rfm train`: trains an agent and writes a run folder (run.json, config.json, metrics.jsonl,
 * metrics.csv, checkpoints/). `--resume RUN` continues a run exactly from its newest good
 * checkpoint (or the one `--from` names), with `--set` to change e.g. a learning rate.
 * Errors go to the CLI's handler (../errors.ts): one line, exit 2 for a bad request, 1 otherwise.
 */
import type { Command } from '../main.ts';
import { existsSync } from 'node:fs';
import { usageOf } from '../table.ts';
import { UsageError, optFlag, optString, parseArgs, type ParsedArgs } from '../args.ts';
import { ConfigError, resolveConfig } from '../../config/index.ts';
import { availableAgents } from '../../agents/index.ts';
import { envSpec } from '../../envs/index.ts';
import { resumeTraining, train, type TrainResult } from '../../train/index.ts';
import { getBackend } from '../../engine/index.ts';
import { describeBackend } from '../../engine/backend-native.ts';

const USAGE = usageOf('train');

function intOpt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} must be an integer, got '${v}'`);
  return n;
}

export const command: Command = {
  async run(args) {
    const p = parseArgs(
      args,
      [
        'algo',
        'env',
        'steps',
        'seed',
        'seeds',
        'preset',
        'config',
        'set',
        'out',
        'name',
        'resume',
        'from',
      ],
      ['help', 'quiet'],
    );
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length > 0)
      throw new UsageError(`unexpected argument '${p.positionals[0]}'\n${USAGE}`);
    const steps = intOpt(optString(p, 'steps'), 'steps');
    const progress = !optFlag(p, 'quiet');
    const results: TrainResult[] = [];
    // the start-up line: which backend (and instruction-set tier) trains
    const announce = () => {
      if (progress) console.error(`[rfm] backend ${describeBackend(getBackend())}`);
    };
    try {
      const resume = optString(p, 'resume');
      if (resume !== undefined) {
        for (const k of ['algo', 'env', 'seed', 'seeds', 'preset', 'config', 'out', 'name']) {
          if (p.options.has(k))
            throw new UsageError(
              `--resume continues a run with its own settings; only --steps, --from and --set may be given (got --${k})`,
            );
        }
        if (!existsSync(resume)) throw new UsageError(`--resume ${resume}: no such run folder`);
        const fromText = optString(p, 'from');
        let from: number | string | undefined;
        if (fromText !== undefined) {
          if (/^\d+$/.test(fromText)) from = Number(fromText);
          else if (existsSync(fromText) && fromText.endsWith('.json')) from = fromText;
          else
            throw new UsageError(
              `--from must be a checkpoint's step or its .json file, got '${fromText}'`,
            );
        }
        announce();
        results.push(
          await resumeTraining(resume, {
            steps,
            from,
            sets: p.options.get('set') ?? [],
            progress,
            handleSignals: true,
          }),
        );
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
        const config = resolveConfig({
          algo,
          envId,
          preset: optString(p, 'preset'),
          files: p.options.get('config') ?? [],
          sets,
        });
        if (!availableAgents().includes(algo as never)) {
          throw new UsageError(
            `algorithm '${algo}' is not available in this build (available: ${availableAgents().join(', ')})`,
          );
        }
        const seeds = seedList(p);
        const name = optString(p, 'name');
        announce();
        for (const seed of seeds) {
          const runName = name !== undefined && seeds.length > 1 ? `${name}-s${seed}` : name;
          const r = await train(envId, config, {
            algo: algo as never,
            seed,
            outDir: optString(p, 'out') ?? 'runs',
            runName,
            progress,
            handleSignals: true,
          });
          results.push(r);
          report(r);
          if (r.interrupted) break;
        }
      }
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(e.message);
      throw e; // one line from the CLI's handler (src/cli/errors.ts)
    }
    if (optString(p, 'resume') !== undefined) report(results[0]);
    return results.some((r) => r.interrupted) ? 130 : 0;
  },
};

function report(result: TrainResult): void {
  const ev = result.lastEval;
  console.log(
    `${result.algo} on ${result.envId}, seed ${result.seed}: ${result.steps} steps; final eval return ${ev ? `${ev.mean.toFixed(2)} ± ${ev.std.toFixed(2)} over ${ev.returns.length} episodes` : 'n/a'}`,
  );
  if (result.runDir) console.log(`run folder: ${result.runDir}`);
}

/** --seed S or --seeds 0,1,2 (not both); default seed 0. */
function seedList(p: ParsedArgs): number[] {
  const list = optString(p, 'seeds');
  if (list === undefined) return [intOpt(optString(p, 'seed'), 'seed') ?? 0];
  if (p.options.has('seed')) throw new UsageError('give --seed S or --seeds LIST, not both');
  const seeds = list.split(',').map((x) => intOpt(x.trim(), 'seeds') as number);
  if (seeds.length === 0 || seeds.some((x) => x === undefined || x < 0))
    throw new UsageError(`--seeds must be comma-separated non-negative integers, got '${list}'`);
  if (new Set(seeds).size !== seeds.length)
    throw new UsageError(`--seeds repeats a seed: '${list}'`);
  return seeds;
}
