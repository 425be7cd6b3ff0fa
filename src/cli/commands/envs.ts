/**
 * `rfm envs list [--json]`: every registered environment with its family, observation and action
 * sizes and episode limit. Each env is built once to read its spaces (MuJoCo tasks load their model).
 */
import type { Command } from '../main.ts';
import { UsageError, optFlag, parseArgs } from '../args.ts';
import { listEnvs } from '../../envs/registry.ts';

const USAGE = 'usage: rfm envs list [--json]';

interface Row {
  id: string;
  family: string;
  obsDim: number | null;
  actionDim: number | null;
  maxEpisodeSteps: number | null;
  summary: string;
  error?: string;
}

async function describe(): Promise<Row[]> {
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
  summary: 'list the registered environments (id, family, observation/action sizes, episode limit)',
  async run(args) {
    const p = parseArgs(args, [], ['json', 'help']);
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    const [sub = 'list', ...extra] = p.positionals;
    if (sub !== 'list' || extra.length > 0)
      throw new UsageError(`unknown arguments '${p.positionals.join(' ')}' (${USAGE})`);
    const rows = await describe();
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
