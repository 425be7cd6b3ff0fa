/** `rfm eval RUN [--episodes 10] [--seed S] [--json] [--record FILE]`: evaluates a run's newest checkpoint. */
import type { Command } from '../main.ts';
import { usageOf } from '../table.ts';
import { UsageError, optFlag, optNumber, optString, parseArgs } from '../args.ts';
import { checkOutputFile } from '../errors.ts';
import { CheckpointError, evalEpisodeSeed, evaluate, loadAgent } from '../../train/index.ts';
import { recordRollout, writeRollout } from '../../viz/rollout-record.ts';
import { policySamples, writeSamples } from '../../viz/samples.ts';

const USAGE = usageOf('eval');

export const command: Command = {
  async run(args) {
    const p = parseArgs(args, ['episodes', 'seed', 'record', 'samples'], ['json', 'help']);
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length !== 1) throw new UsageError(USAGE);
    const episodes = optNumber(p, 'episodes', 10);
    if (!(Number.isInteger(episodes) && episodes >= 1))
      throw new UsageError(`--episodes must be a positive integer, got ${episodes}`);
    for (const flag of ['record', 'samples']) {
      const f = optString(p, flag);
      if (f !== undefined) checkOutputFile(f, flag); // before the (long) evaluation
    }
    let run;
    try {
      run = loadAgent(p.positionals[0]);
    } catch (e) {
      if (e instanceof CheckpointError) {
        console.error(`rfm eval: ${e.message}`);
        return 1;
      }
      throw e;
    }
    const seed = optString(p, 'seed') === undefined ? run.meta.seed : optNumber(p, 'seed', 0);
    const env = await run.makeEvalEnv();
    const r = evaluate(run.agent, env.env, episodes, seed);
    const record = optString(p, 'record');
    // the first evaluation episode again, with qpos recorded (src/viz/rollout-record.ts)
    if (record) {
      try {
        writeRollout(
          record,
          recordRollout(env.env, run.agent, {
            seed: evalEpisodeSeed(seed, 0),
            envId: run.meta.envId,
          }),
        );
      } catch (e) {
        env.env.close();
        console.error(`rfm eval: --record: ${(e as Error).message}`);
        return 1;
      }
    }
    const samples = optString(p, 'samples');
    if (samples)
      writeSamples(
        samples,
        policySamples(run.agent, env.env, {
          seed: evalEpisodeSeed(seed, 0),
          envId: run.meta.envId,
        }),
      );
    env.env.close();
    const out = {
      algo: run.meta.algo,
      env: run.meta.envId,
      step: run.meta.step,
      episodes,
      mean: r.mean,
      std: r.std,
      returns: r.returns,
      lengths: r.lengths,
    };
    if (optFlag(p, 'json')) console.log(JSON.stringify(out));
    else
      console.log(
        `${out.algo} on ${out.env} at step ${out.step}: return ${r.mean.toFixed(2)} ± ${r.std.toFixed(2)} over ${episodes} episodes`,
      );
    return 0;
  },
};
