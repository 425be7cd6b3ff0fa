/**
 * The CLI's one error handler: whatever a command throws becomes one line on stderr,
 *
 *   rfm <command>: <message>
 *
 * with exit code 2 when the command was called wrongly (UsageError here; RunRequestError from the
 * training loop, matched by name so that this file loads nothing heavy) and 1 for any other
 * failure. The stack trace is printed only with RFM_DEBUG=1 in the environment.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkCreatableDir } from '../train/files.ts';
import { UsageError } from './args.ts';

export { UsageError };

/** Error names (besides UsageError) that mean a bad request rather than a failure. */
const USAGE_ERRORS = new Set(['UsageError', 'RunRequestError', 'ConfigError']);

/** True when `e` says the command was called wrongly (exit code 2). */
export function isUsageError(e: unknown): boolean {
  return e instanceof UsageError || (e instanceof Error && USAGE_ERRORS.has(e.name));
}

/**
 * Prints `e` for command `name` and returns the exit code. A UsageError keeps its whole message
 * (it may end with the command's usage text); any other error prints its first line only.
 */
export function reportError(
  e: unknown,
  name: string | undefined,
  stderr: (text: string) => void = (t) => console.error(t.replace(/\n$/, '')),
): number {
  const prefix = name ? `rfm ${name}: ` : 'rfm: ';
  const message = e instanceof Error ? e.message : String(e);
  const usage = isUsageError(e);
  const text =
    e instanceof UsageError
      ? message
      : (message.split('\n').find((l) => l.trim() !== '') ??
        (e instanceof Error ? e.name : 'error'));
  stderr(`${prefix}${text}\n`);
  if (process.env.RFM_DEBUG === '1' && e instanceof Error && e.stack) stderr(`${e.stack}\n`);
  return usage ? 2 : 1;
}

/**
 * Checks, before any work, that a file can be written at `path` (given as --`flag`): it is not a
 * folder, and its folder exists or can be created (the nearest existing ancestor is a writable
 * folder). Throws a UsageError otherwise.
 */
export function checkOutputFile(path: string, flag: string): void {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UsageError(`--${flag} ${path} is a folder, not a file`);
  checkOutputDir(dirname(resolve(path)), flag, path);
}

/** Checks, before any work, that the folder `dir` (given as --`flag`) exists or can be created. */
export function checkOutputDir(dir: string, flag: string, shown = dir): void {
  try {
    checkCreatableDir(dir);
  } catch (e) {
    throw new UsageError(`--${flag} ${shown}: ${(e as Error).message}`);
  }
}
