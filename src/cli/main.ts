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

import { reportError } from './errors.ts';

/** Subcommands and the module under ./commands that implements each. */
const commands: Record<string, string> = {
  bench: 'bench',
  envs: 'envs',
  estimators: 'estimators',
  'sample-energy': 'sample-energy',
  train: 'train',
  eval: 'eval',
  plot: 'plot',
  dashboard: 'dashboard',
  demo: 'demo',
};

async function load(name: string): Promise<Command | undefined> {
  const file = commands[name];
  if (!file) return undefined;
  try {
    const mod = (await import(`./commands/${file}.ts`)) as { command: Command };
    return mod.command;
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
    return reportError(e, name);
  }
}
