/**
 * `rfm dashboard [--runs DIR] [--port P] [--host H]`: serves the read-only results dashboard
 * (src/dashboard/) over a runs folder until interrupted.
 */
import { existsSync, statSync } from 'node:fs';
import type { Command } from '../main.ts';
import { optFlag, optNumber, optString, parseArgs, UsageError } from '../args.ts';

const USAGE = `usage: rfm dashboard [--runs DIR] [--port P] [--host H]

A web app over the run folders under DIR (default runs/): lists them, draws their learning curves
live while training appends to metrics.jsonl, compares selected runs, shows the RFM diagnostics
(ESS, mean c, losses, Q statistics, temperature), scatters *.samples.json point sets, and replays
*.rollout.json MuJoCo recordings in 3-D. It only reads the folder.

  --runs DIR   runs folder (default runs)
  --port P     port (default 8080; 0 picks a free one)
  --host H     interface to listen on (default 127.0.0.1: this machine only); requests must
               address localhost, 127.0.0.1, [::1] or H itself (Host header), so to reach it from
               another machine give that interface's address, not 0.0.0.0`;

export const command: Command = {
  summary: 'web dashboard over a runs folder: live curves, RFM diagnostics, samples, 3-D rollout replay',
  async run(args) {
    const p = parseArgs(args, ['runs', 'port', 'host'], ['help']);
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length) throw new UsageError(`unexpected arguments '${p.positionals.join(' ')}'`);
    const runsDir = optString(p, 'runs') ?? 'runs';
    const port = optNumber(p, 'port', 8080);
    const host = optString(p, 'host') ?? '127.0.0.1';
    if (!(Number.isInteger(port) && port >= 0 && port < 65536)) throw new UsageError('--port must be an integer in [0, 65535]');
    if (!existsSync(runsDir) || !statSync(runsDir).isDirectory()) throw new UsageError(`runs folder '${runsDir}' does not exist`);
    const { startDashboard } = await import('../../dashboard/server.ts');
    let d;
    try {
      d = await startDashboard({ runsDir, port, host });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        console.error(`rfm dashboard: cannot listen on ${host}:${port} (${code}); choose another --port or --host`);
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
