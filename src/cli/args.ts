/** An error in how a command was called: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** Parsed command line: `--key value`, `--flag`, repeated `--set k=v`, and positionals. */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Map<string, string[]>;
}

/**
 * Parses `args` against the option names a command accepts. `flags` take no value.
 * An unknown option is a UsageError naming it.
 */
export function parseArgs(args: string[], valued: string[], flags: string[] = []): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    let key = a.slice(2);
    let value: string | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    if (flags.includes(key)) {
      if (value !== undefined) throw new UsageError(`--${key} takes no value`);
      options.set(key, ['true']);
      continue;
    }
    if (!valued.includes(key)) {
      const known = [...valued, ...flags].map((k) => '--' + k).join(', ');
      throw new UsageError(`unknown option --${key} (known: ${known || 'none'})`);
    }
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new UsageError(`--${key} needs a value`);
    }
    options.set(key, [...(options.get(key) ?? []), value]);
  }
  return { positionals, options };
}

export function optString(p: ParsedArgs, key: string): string | undefined {
  const v = p.options.get(key);
  return v ? v[v.length - 1] : undefined;
}

export function optFlag(p: ParsedArgs, key: string): boolean {
  return p.options.has(key);
}

export function optNumber(p: ParsedArgs, key: string, fallback: number): number {
  const s = optString(p, key);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new UsageError(`--${key} must be a number, got '${s}'`);
  return n;
}
