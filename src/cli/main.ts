/**
 * The `rfm` command: a table of subcommands (./table.ts: summary and usage as data), each
 * implemented in its own module under ./commands, loaded only when used so that one command's
 * dependencies never slow another, and `rfm help`, `rfm COMMAND --help` and `rfm --version` load
 * none of them.
 */
import { readFileSync } from 'node:fs';
import { COMMANDS } from './table.ts';
import { reportError } from './errors.ts';

export interface Command {
  /** Not read: `rfm help` shows the summary in ./table.ts. */
  readonly summary?: string;
  /** Runs the command; returns the process exit code. */
  run(args: string[]): Promise<number>;
}

async function load(name: string): Promise<Command | undefined> {
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) return undefined;
  try {
    const mod = (await import(`./commands/${entry.module}.ts`)) as { command: Command };
    return mod.command;
  } catch (e) {
    if (
      (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
      String(e).includes(`commands/`)
    ) {
      return undefined;
    }
    throw e;
  }
}

function help(): number {
  console.log('usage: rfm <command> [options]\n\ncommands:');
  for (const [name, c] of Object.entries(COMMANDS))
    console.log(`  ${name.padEnd(15)} ${c.summary}`);
  console.log('\nrfm <command> --help shows the options of a command; rfm --version the version.');
  return 0;
}

/** The package's version (package.json two folders above this file, in src/cli/ and in dist/cli/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') return help();
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(version());
    return 0;
  }
  const usage = Object.hasOwn(COMMANDS, name) ? COMMANDS[name].usage : undefined;
  if (usage !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    console.log(usage);
    return 0;
  }
  const cmd = await load(name);
  if (!cmd) {
    const known = Object.keys(COMMANDS).join(', ');
    console.error(`rfm: unknown or unavailable command '${name}' (commands: ${known})`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    return reportError(e, name);
  }
}
