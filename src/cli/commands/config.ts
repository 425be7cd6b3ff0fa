/**
 * `rfm config show --algo A [--env ID] [--preset P] [--config FILE ...] [--set k=v ...] [--json]`:
 * the config `rfm train` would run with, every key with its value and its default.
 */
import type { Command } from '../main.ts';
import { usageOf } from '../table.ts';
import { UsageError, optFlag, optString, parseArgs } from '../args.ts';
import { ConfigError, defaultConfig, flattenConfig, resolveConfig } from '../../config/index.ts';
import { envSpec } from '../../envs/index.ts';

const USAGE = usageOf('config');

const show = (v: unknown): string => (Array.isArray(v) ? v.join(',') : String(v));

export const command: Command = {
  async run(args) {
    const p = parseArgs(args, ['algo', 'env', 'preset', 'config', 'set'], ['help', 'json']);
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    const [sub, ...extra] = p.positionals;
    if (sub !== 'show' || extra.length > 0) throw new UsageError(`expected 'show'\n${USAGE}`);
    const algo = optString(p, 'algo');
    if (!algo) throw new UsageError(`--algo is required\n${USAGE}`);
    const envId = optString(p, 'env');
    if (envId !== undefined) {
      try {
        envSpec(envId);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    let values: Record<string, unknown>;
    try {
      const c = resolveConfig({
        algo,
        envId,
        preset: optString(p, 'preset'),
        files: p.options.get('config') ?? [],
        sets: p.options.get('set') ?? [],
      });
      values = flattenConfig(c);
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(e.message);
      throw e;
    }
    const defaults = flattenConfig(defaultConfig());
    if (optFlag(p, 'json')) {
      console.log(
        JSON.stringify({
          algo,
          envId: envId ?? null,
          preset: optString(p, 'preset') ?? null,
          config: values,
          defaults,
        }),
      );
      return 0;
    }
    const w = Math.max(...Object.keys(values).map((k) => k.length));
    const vw = Math.max(5, ...Object.values(values).map((v) => show(v).length));
    console.log(
      `# rfm train --algo ${algo}${envId ? ` --env ${envId}` : ''}${optString(p, 'preset') ? ` --preset ${optString(p, 'preset')}` : ''}  (* differs from the default)`,
    );
    console.log(`  ${'key'.padEnd(w)}  ${'value'.padEnd(vw)}  default`);
    for (const [k, v] of Object.entries(values)) {
      const changed = show(v) !== show(defaults[k]);
      console.log(
        `${changed ? '*' : ' '} ${k.padEnd(w)}  ${show(v).padEnd(vw)}  ${show(defaults[k])}`,
      );
    }
    return 0;
  },
};
