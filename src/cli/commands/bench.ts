/**
 * `rfm bench <engine|envs|update> [options]`: dispatches to one benchmark module each
 * (spec/BENCHMARKS.md): bench-engine.ts, bench-envs.ts, bench-update.ts in this folder.
 *
 * A benchmark module exports `run(args: string[]): Promise<number>` (the exit code), or a
 * `command: Command` like the top-level commands; either is accepted. A module that does not exist
 * yet makes `rfm bench NAME` fail with a 'not available yet' message, not a stack trace.
 */
import type { Command } from '../main.ts';
import { UsageError } from '../args.ts';

type BenchModule = { run?: (args: string[]) => Promise<number>; command?: Command };

const benches: Record<string, { file: string; summary: string; load: () => Promise<BenchModule> }> =
  {
    engine: {
      file: 'bench-engine.ts',
      summary: 'GEMM and MLP training-step GFLOP/s (BENCHMARKS.md section 2)',
      load: () => import('./bench-engine.ts' as string),
    },
    envs: {
      file: 'bench-envs.ts',
      summary: 'environment steps/s with random actions, and raw mj_step/s (section 3)',
      load: () => import('./bench-envs.ts'),
    },
    update: {
      file: 'bench-update.ts',
      summary: 'canonical RFM updates/s (section 1)',
      load: () => import('./bench-update.ts' as string),
    },
  };

function usage(): string {
  const lines = Object.entries(benches).map(([k, b]) => `  ${k.padEnd(8)} ${b.summary}`);
  return `usage: rfm bench <${Object.keys(benches).join('|')}> [options]\n${lines.join('\n')}\nrfm bench NAME --help shows its options.`;
}

export const command: Command = {
  async run(args) {
    const [name, ...rest] = args;
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      console.log(usage());
      return name ? 0 : 2;
    }
    const b = benches[name];
    if (!b)
      throw new UsageError(
        `unknown benchmark '${name}' (known: ${Object.keys(benches).join(', ')})`,
      );
    let mod: BenchModule;
    try {
      mod = await b.load();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(b.file)) {
        console.error(
          `rfm bench ${name}: not available yet (src/cli/commands/${b.file} has not been written)`,
        );
        return 2;
      }
      throw e;
    }
    const run = mod.run ?? mod.command?.run.bind(mod.command);
    if (typeof run !== 'function') {
      console.error(
        `rfm bench ${name}: ${b.file} exports neither run() nor command; cannot run it`,
      );
      return 2;
    }
    return run(rest);
  },
};
