/**
 * The `rfm` command: a table of subcommands, each in its own module under ./commands,
 * loaded only when used so that one command's dependencies never slow another.
 */

export interface Command {
  /** One line shown by `rfm help`. */
  readonly summary: string;
  /** Runs the command; returns the process exit code. */
  run(args: string[]): Promise<number>;
}

import { UsageError } from './args.ts';

type Loader = () => Promise<{ command: Command }>;

const commands: Record<string, Loader> = {
  bench: () => import('./commands/bench.ts'),
  envs: () => import('./commands/envs.ts'),
  estimators: () => import('./commands/estimators.ts'),
  'sample-energy': () => import('./commands/sample-energy.ts'),
  train: () => import('./commands/train.ts'),
  eval: () => import('./commands/eval.ts'),
  plot: () => import('./commands/plot.ts'),
  dashboard: () => import('./commands/dashboard.ts'),
};

async function load(name: string): Promise<Command | undefined> {
  const loader = commands[name];
  if (!loader) return undefined;
  try {
    return (await loader()).command;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(e).includes(`commands/`)) {
      return undefined;
    }
    throw e;
  }
}

async function help(): Promise<number> {
  console.log('usage: rfm <command> [options]\n\ncommands:');
  for (const name of Object.keys(commands)) {
    const c = await load(name).catch(() => undefined);
    if (c) console.log(`  ${name.padEnd(15)} ${c.summary}`);
  }
  console.log('\nrfm <command> --help shows the options of a command.');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') return help();
  const cmd = await load(name);
  if (!cmd) {
    const known = Object.keys(commands).join(', ');
    console.error(`rfm: unknown or unavailable command '${name}' (commands: ${known})`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`rfm ${name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
