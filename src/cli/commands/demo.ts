/**
 * `rfm demo --out DIR` / `rfm demo --serve [--out DIR] [--port P] [--host H]`: builds the static
 * train-in-the-browser site (src/demo/) and optionally serves it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../main.ts';
import { optFlag, optNumber, optString, parseArgs, UsageError } from '../args.ts';
import { checkOutputDir } from '../errors.ts';

const USAGE = `usage: rfm demo --out DIR | --serve [--out DIR] [--port P] [--host H]

Builds a static web page that trains SAC or RFM (small preset) on Pendulum-v1, InvertedPendulum-v5,
HalfCheetah-v5 or cartpole-swingup in the browser, with the library's own code on the TypeScript
backend and MuJoCo's WebAssembly build: live learning curve and steps/s, the policy acting in 3-D,
RFM's sampled actions, Download / Load of checkpoints. Nothing is fetched from the network.

  --out DIR   write the site there (index.html, style.css, page.js, worker.js, mujoco_wasm.js);
              any static web server can host it
  --serve     serve it (from --out, or a temporary folder) until interrupted
  --port P    port for --serve (default 8090; 0 picks a free one)
  --host H    interface for --serve (default 127.0.0.1: this machine only)`;

export const command: Command = {
  async run(args) {
    const p = parseArgs(args, ['out', 'port', 'host'], ['serve', 'help']);
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length)
      throw new UsageError(`unexpected arguments '${p.positionals.join(' ')}'`);
    const serve = optFlag(p, 'serve');
    let out = optString(p, 'out');
    if (!out && !serve) throw new UsageError(USAGE);
    const port = optNumber(p, 'port', 8090);
    const host = optString(p, 'host') ?? '127.0.0.1';
    if (!(Number.isInteger(port) && port >= 0 && port < 65536))
      throw new UsageError('--port must be an integer in [0, 65535]');
    if (!serve && (optString(p, 'port') !== undefined || optString(p, 'host') !== undefined))
      throw new UsageError('--port and --host go with --serve');
    const temporary = !out;
    if (out) checkOutputDir(out, 'out');
    else out = mkdtempSync(join(tmpdir(), 'rfm-demo-'));
    const site = out;
    const cleanUp = () => {
      if (temporary) rmSync(site, { recursive: true, force: true });
    };
    const { buildSite } = await import('../../demo/site.ts');
    try {
      await buildSite(site);
    } catch (e) {
      cleanUp();
      throw e;
    }
    if (!serve) {
      console.log(`rfm demo: site written to ${site}`);
      return 0;
    }
    const { serveSite } = await import('../../demo/serve.ts');
    let s;
    try {
      s = await serveSite(site, { host, port });
    } catch (e) {
      cleanUp();
      const code = (e as { code?: string }).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        console.error(
          `rfm demo: cannot listen on ${host}:${port} (${code}); choose another --port or --host`,
        );
        return 1;
      }
      throw e;
    }
    console.log(
      `rfm demo: serving ${temporary ? 'a temporary build' : site} at ${s.url}  (Ctrl-C stops)`,
    );
    await new Promise<void>((done) => {
      const stop = () => void s.close().then(done);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    cleanUp();
    return 0;
  },
};
