/**
 * `rfm plot RUN_OR_GLOB... [--metric eval/return] [--out FILE.png|.svg]`: learning curves of run
 * folders grouped by task and algorithm (from each run's config.json), as the interquartile mean
 * across seeds with a 95% percentile-bootstrap band (src/viz/plot.ts).
 */
import { extname } from 'node:path';
import type { Command } from '../main.ts';
import { checkOutputFile } from '../errors.ts';
import { usageOf } from '../table.ts';
import { optFlag, optNumber, optString, parseArgs, UsageError } from '../args.ts';
import { plotRuns } from '../../viz/plot.ts';

const USAGE = usageOf('plot');

export const command: Command = {
  async run(args) {
    const p = parseArgs(args, ['metric', 'out', 'resamples', 'seed'], ['help']);
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length === 0)
      throw new UsageError('name at least one run folder or glob (rfm plot --help)');
    const metric = optString(p, 'metric') ?? 'eval/return';
    const out = optString(p, 'out') ?? 'plot.png';
    const ext = extname(out).toLowerCase();
    if (ext !== '.png' && ext !== '.svg')
      throw new UsageError(`--out must end in .png or .svg, got '${out}'`);
    checkOutputFile(out, 'out');
    const resamples = optNumber(p, 'resamples', 2000);
    const seed = optNumber(p, 'seed', 0);
    if (!(Number.isInteger(resamples) && resamples >= 1))
      throw new UsageError('--resamples must be a positive integer');
    let groups;
    try {
      groups = plotRuns(p.positionals, { metric, out, resamples, seed });
    } catch (e) {
      const msg = (e as Error).message;
      if (msg.startsWith('plot: none of')) {
        console.error(`rfm ${msg}`);
        return 1;
      }
      throw new UsageError(msg);
    }
    for (const g of groups) {
      const last = g.curve.steps.length - 1;
      console.log(
        `${g.env} / ${g.algo}: ${g.runs.length} run(s); last step ${g.curve.steps[last]}: IQM ${g.curve.iqm[last].toFixed(2)} [${g.curve.low[last].toFixed(2)}, ${g.curve.high[last].toFixed(2)}]`,
      );
    }
    console.log(`wrote ${out}`);
    return 0;
  },
};
