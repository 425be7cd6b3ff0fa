/**
 * `rfm dashboard [--runs DIR] [--port P] [--host H]`: serves the read-only results dashboard
 * (src/dashboard/) over a runs folder until interrupted.
 */
import { existsSync, statSync } from 'node:fs';
import type { Command } from '../main.ts';
import { usageOf } from '../table.ts';
import { optFlag, optNumber, optString, parseArgs, UsageError } from '../args.ts';

const USAGE = usageOf('dashboard');

export const command: Command = {
  async run(args) {
    const p = parseArgs(args, ['runs', 'port', 'host'], ['help']);
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length)
      throw new UsageError(`unexpected arguments '${p.positionals.join(' ')}'`);
    const runsDir = optString(p, 'runs') ?? 'runs';
    const port = optNumber(p, 'port', 8080);
    const host = optString(p, 'host') ?? '127.0.0.1';
    if (!(Number.isInteger(port) && port >= 0 && port < 65536))
      throw new UsageError('--port must be an integer in [0, 65535]');
    if (!existsSync(runsDir) || !statSync(runsDir).isDirectory())
      throw new UsageError(`runs folder '${runsDir}' does not exist`);
    const { startDashboard } = await import('../../dashboard/server.ts');
    let d;
    try {
      d = await startDashboard({ runsDir, port, host });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        console.error(
          `rfm dashboard: cannot listen on ${host}:${port} (${code}); choose another --port or --host`,
        );
        return 1;
      }
      throw e;
    }
    console.log(`rfm dashboard: serving ${runsDir} (read-only) at ${d.url}  (Ctrl-C stops)`);
    await new Promise<void>((done) => {
      const stop = () => {
        void d.close().then(done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
