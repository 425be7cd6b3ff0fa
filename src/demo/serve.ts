/**
 * Serves a built demo site (./site.ts) over HTTP: exactly its files, read once at start, GET and
 * HEAD only; by default on 127.0.0.1 (this machine only).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SITE_FILES } from './site.ts';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  wasm: 'application/wasm',
};

export interface DemoServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the site in `dir` on `host:port` (port 0: a free one). */
export async function serveSite(
  dir: string,
  opts: { host?: string; port?: number } = {},
): Promise<DemoServer> {
  const host = opts.host ?? '127.0.0.1';
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const f of SITE_FILES)
    files.set(`/${f}`, {
      body: readFileSync(join(dir, f)),
      type: TYPES[f.slice(f.lastIndexOf('.') + 1)],
    });
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = files.get(path === '/' ? '/index.html' : path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': file.body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 8090, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
