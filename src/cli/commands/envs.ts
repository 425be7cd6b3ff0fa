/**
 * `rfm envs list [--json] [--check]`: every registered environment with its family, observation
 * and action sizes and episode limit. The sizes come from ENV_SIZES (src/envs/sizes.ts), so the
 * list answers at once; `--check` builds each env (MuJoCo tasks load their model) and reads them
 * from its spaces, reporting any env that cannot be built.
 */
import type { Command } from '../main.ts';
import { usageOf } from '../table.ts';
import { UsageError, optFlag, parseArgs } from '../args.ts';
import { listEnvs } from '../../envs/registry.ts';
import { ENV_SIZES } from '../../envs/sizes.ts';

const USAGE = usageOf('envs');

interface Row {
  id: string;
  family: string;
  obsDim: number | null;
  actionDim: number | null;
  maxEpisodeSteps: number | null;
  summary: string;
  error?: string;
}

async function describe(check: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  for (const spec of listEnvs()) {
    const row: Row = {
      id: spec.id,
      family: spec.family,
      obsDim: null,
      actionDim: null,
      maxEpisodeSteps: spec.maxEpisodeSteps ?? null,
      summary: spec.summary,
    };
    const known = ENV_SIZES[spec.id];
    if (known && !check) {
      [row.obsDim, row.actionDim] = known;
      rows.push(row);
      continue;
    }
    try {
      const env = await spec.make();
      row.obsDim = env.observationSpace.size;
      row.actionDim = env.actionSpace.size;
      env.close();
    } catch (e) {
      row.error = (e as Error).message;
    }
    rows.push(row);
  }
  return rows;
}

export const command: Command = {
  async run(args) {
    const p = parseArgs(args, [], ['json', 'help', 'check']);
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    const [sub = 'list', ...extra] = p.positionals;
    if (sub !== 'list' || extra.length > 0)
      throw new UsageError(`unknown arguments '${p.positionals.join(' ')}' (${USAGE})`);
    const rows = await describe(optFlag(p, 'check'));
    if (optFlag(p, 'json')) {
      console.log(JSON.stringify({ envs: rows }));
    } else {
      const w = Math.max(4, ...rows.map((r) => r.id.length));
      console.log(
        `${'id'.padEnd(w)}  ${'family'.padEnd(16)}  ${'obs'.padStart(4)}  ${'act'.padStart(4)}  ${'max steps'.padStart(9)}  summary`,
      );
      for (const r of rows) {
        const dim = (v: number | null) => (v === null ? '?' : String(v)).padStart(4);
        const steps = (r.maxEpisodeSteps === null ? '-' : String(r.maxEpisodeSteps)).padStart(9);
        const note = r.error ? `  [cannot build: ${r.error}]` : '';
        console.log(
          `${r.id.padEnd(w)}  ${r.family.padEnd(16)}  ${dim(r.obsDim)}  ${dim(r.actionDim)}  ${steps}  ${r.summary}${note}`,
        );
      }
    }
    return rows.some((r) => r.error) ? 1 : 0;
  },
};
