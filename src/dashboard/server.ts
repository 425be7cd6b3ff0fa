/**
 * `rfm dashboard`: a small read-only web server over a runs folder, for the browser app in ./static.
 *
 * Routes (GET and HEAD only; everything else 405, unknown paths 404):
 *   /                                   the app (static/index.html)
 *   /app/NAME                           the app's own files (a fixed list read from ./static at start)
 *   /vendor/three/NAME                  three.js's module build (three.module.js, three.core.js)
 *   /vendor/mujoco/mujoco_wasm.js       the MuJoCo wasm module (npm mujoco-js), for the 3-D replay
 *   /api/runs                           the runs: id, algorithm, task, seed, files
 *   /api/runs/ID/config                 config.json of a run
 *   /api/runs/ID/metrics                metrics rows (metrics.jsonl, else metrics.csv) as a JSON list
 *   /api/stream?run=ID&run=ID2          server-sent events for several runs: 'rows' {run, rows} with every
 *                                       row, then with each batch of rows appended to metrics.jsonl
 *                                       ('reset' {run} if the file shrank); one stream, since browsers
 *                                       open only about six connections to one host
 *   /api/runs/ID/events                 the same for one run
 *   /api/runs/ID/files/NAME             a run's *.samples.json or *.rollout.json file
 * ID is the run folder's path relative to the runs folder, URL-encoded as one segment ('a%2Fb').
 *
 * Safety: nothing is ever written; a run id that resolves (after symlinks) outside the runs folder,
 * or names no run folder, is refused with 400/404; file names are matched against the run's own
 * listing, never joined from the URL, and every file served or read for a run is resolved to its
 * real path, which must lie inside the runs folder (a symlink out of it is refused with 403, and
 * such a run is left out of the listing). The Host header must be localhost, 127.0.0.1, [::1] or
 * the --host the server was given (403 otherwise), so a web page elsewhere cannot reach the server
 * by DNS rebinding. Every response carries a strict Content-Security-Policy (with
 * frame-ancestors 'none'), X-Content-Type-Options: nosniff, X-Frame-Options: DENY and
 * Referrer-Policy: no-referrer.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  realpathSync,
  statSync,
  watch,
} from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRuns, isRunDir, parseMetricsJsonl, readMetrics, runMeta } from '../viz/runs.ts';

export interface DashboardOptions {
  /** The runs folder (read-only). */
  runsDir: string;
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Polling interval of the metrics watch in ms (fs.watch is used too where it works; default 1000). */
  pollMs?: number;
}

export interface Dashboard {
  server: Server;
  url: string;
  close(): Promise<void>;
}

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

function typeOf(name: string): string {
  const i = name.lastIndexOf('.');
  return TYPES[i >= 0 ? name.slice(i) : ''] ?? 'application/octet-stream';
}

/** Files the server may send, by URL path, resolved once at start. */
function vendorFiles(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const out = new Map<string, string>();
  const threeDir = dirname(require.resolve('three'));
  // 'three' resolves to build/three.cjs; the module build lives beside it
  for (const f of ['three.module.js', 'three.core.js']) {
    const p = join(threeDir, f);
    if (existsSync(p)) out.set(`/vendor/three/${f}`, p);
  }
  const mj = require.resolve('mujoco-js');
  out.set('/vendor/mujoco/mujoco_wasm.js', join(dirname(mj), 'mujoco_wasm.js'));
  for (const f of readdirSync(STATIC_DIR))
    out.set(f === 'index.html' ? '/' : `/app/${f}`, join(STATIC_DIR, f));
  return out;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Host header names always accepted (the port is ignored). */
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** The host part of a Host header, lower case, without the port ('[::1]:8080' -> '[::1]'). */
export function hostOf(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(0, end + 1) : h;
  }
  return h.replace(/:\d*$/, '');
}

/** The Host names this server answers: the local names and the interface it was bound to. */
export function allowedHosts(bound: string): Set<string> {
  const b = bound.toLowerCase();
  return new Set([...LOCAL_HOSTS, b.includes(':') && !b.startsWith('[') ? `[${b}]` : b]);
}

/**
 * The Content-Security-Policy of every response: only this origin's scripts (plus the inline
 * import map of index.html, by its hash), no plugins, no framing, no form posts, no base tag.
 * 'wasm-unsafe-eval' lets the 3-D replay compile MuJoCo's WebAssembly; 'unsafe-eval' is there
 * because that module's generated bindings (Emscripten embind) build their call wrappers with
 * `new Function`: without it the replay tab cannot start.
 */
function contentSecurityPolicy(indexHtml: string): string {
  const hashes = [...indexHtml.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`,
  );
  return [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(' ')} 'wasm-unsafe-eval' 'unsafe-eval'`,
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Files of a run folder that the API serves. */
function runFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.samples.json') || n.endsWith('.rollout.json'))
      .sort();
  } catch {
    return [];
  }
}

function metricKeys(dir: string): string[] {
  const keys = new Set<string>();
  for (const r of readMetrics(dir)) for (const k of Object.keys(r)) keys.add(k);
  return [...keys].sort();
}

export function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? '127.0.0.1';
  const root = realpathSync(resolve(o.runsDir));
  if (!statSync(root).isDirectory()) throw new Error(`${o.runsDir} is not a folder`);
  const pollMs = o.pollMs ?? 1000;
  const files = vendorFiles();
  const hosts = allowedHosts(host);
  const securityHeaders: Record<string, string> = {
    'content-security-policy': contentSecurityPolicy(readFileSync(files.get('/')!, 'utf8')),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
  };
  const cleanups = new Set<() => void>();

  /** Whether `path` (if it exists) resolves, after symlinks, to somewhere outside the runs folder. */
  const escapes = (path: string): boolean => {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return false; // absent (or a dangling link): nothing would be read from it
    }
    return real !== root && !real.startsWith(root + sep);
  };
  /** The files read for a run besides its samples and rollouts. */
  const RUN_FILES = ['config.json', 'run.json', 'metrics.jsonl', 'metrics.csv'];
  /** Throws 403 when one of a run's files links outside the runs folder. */
  const checkRunFiles = (dir: string): void => {
    for (const f of RUN_FILES)
      if (escapes(join(dir, f)))
        throw new HttpError(403, `${f} of this run links outside the runs folder`);
  };

  /** The run folder named by a decoded id, or an HttpError. */
  const runDir = (id: string): string => {
    if (id.includes('\0')) throw new HttpError(400, 'bad run id');
    const p = resolve(root, id);
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      if (p !== root && !p.startsWith(root + sep))
        throw new HttpError(400, 'run id leaves the runs folder');
      throw new HttpError(404, 'no such run');
    }
    if (real !== root && !real.startsWith(root + sep))
      throw new HttpError(400, 'run id leaves the runs folder');
    if (!statSync(real).isDirectory() || !isRunDir(real)) throw new HttpError(404, 'no such run');
    checkRunFiles(real);
    return real;
  };

  const sendJson = (res: ServerResponse, body: unknown, head: boolean) => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' });
    res.end(head ? undefined : text);
  };

  const sendFile = (res: ServerResponse, path: string, head: boolean) => {
    const body = readFileSync(path);
    res.writeHead(200, {
      'content-type': typeOf(path),
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(head ? undefined : body);
  };

  /**
   * One server-sent event stream for several runs (browsers allow few connections per host, so
   * the app keeps a single stream): for each run a 'rows' event {run, rows} with every row so far,
   * then one per batch of appended rows; 'reset' {run} when metrics.jsonl shrank (rewritten).
   */
  const events = (
    req: IncomingMessage,
    res: ServerResponse,
    runs: { id: string; dir: string }[],
  ) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    let closed = false;
    const send = (event: string, data: unknown) => {
      if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const tails = runs.map(({ id, dir }) => {
      const file = join(dir, 'metrics.jsonl');
      let offset = 0;
      let rest = '';
      let ino = -1;
      let watcher: FSWatcher | undefined;
      const readNew = () => {
        if (closed || escapes(file)) return; // replaced by a link out of the runs folder: send nothing
        let size: number;
        try {
          const st = statSync(file);
          size = st.size;
          if (ino !== -1 && st.ino !== ino) {
            // replaced (a resume rewrites it atomically: new file, renamed over): read it from the start
            offset = Number.MAX_SAFE_INTEGER;
            watcher?.close();
            watcher = undefined;
          }
          ino = st.ino;
        } catch {
          return; // not written yet
        }
        if (size < offset) {
          // rewritten from the start: send everything again
          offset = 0;
          rest = '';
          send('reset', { run: id });
        }
        if (size === offset) return;
        const fd = openSync(file, 'r');
        try {
          const buf = Buffer.alloc(size - offset);
          const n = readSync(fd, buf, 0, buf.length, offset);
          offset += n;
          const text = rest + buf.subarray(0, n).toString('utf8');
          const cut = text.lastIndexOf('\n');
          // keep a partly written last line for the next read
          rest = cut >= 0 ? text.slice(cut + 1) : text;
          const rows = cut >= 0 ? parseMetricsJsonl(text.slice(0, cut)) : [];
          if (rows.length) send('rows', { run: id, rows });
        } finally {
          closeSync(fd);
        }
      };
      const tryWatch = () => {
        if (watcher || closed || !existsSync(file)) return;
        try {
          watcher = watch(file, { persistent: false }, () => readNew());
          watcher.on('error', () => {
            watcher?.close();
            watcher = undefined;
          });
        } catch {
          watcher = undefined; // polling only
        }
      };
      if (existsSync(file)) readNew();
      else send('rows', { run: id, rows: readMetrics(dir) }); // metrics.csv only: sent once
      tryWatch();
      return { readNew, tryWatch, close: () => watcher?.close() };
    });
    send('ready', { runs: runs.map((r) => r.id) });
    const timer = setInterval(() => {
      for (const t of tails) {
        t.tryWatch();
        t.readNew();
      }
      if (!closed) res.write(': ping\n\n');
    }, pollMs);
    const stop = () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      for (const t of tails) t.close();
      cleanups.delete(stop);
      res.end();
    };
    cleanups.add(stop);
    req.on('close', stop);
  };

  const api = (
    req: IncomingMessage,
    res: ServerResponse,
    parts: string[],
    query: string,
    head: boolean,
  ) => {
    // parts: the raw (still encoded) segments after /api/
    if (parts[0] === 'stream' && parts.length === 1) {
      const ids = new URLSearchParams(query).getAll('run');
      if (ids.length > 200) throw new HttpError(400, 'too many runs in one stream');
      return events(
        req,
        res,
        ids.map((id) => ({ id, dir: runDir(id) })),
      );
    }
    if (parts[0] !== 'runs') throw new HttpError(404, 'not found');
    if (parts.length === 1 || (parts.length === 2 && parts[1] === '')) {
      const runs = findRuns(root)
        .filter((r) => !escapes(r.dir) && !RUN_FILES.some((f) => escapes(join(r.dir, f))))
        .map((r) => ({
          id: r.id,
          algo: r.algo,
          env: r.env,
          seed: r.seed,
          keys: metricKeys(r.dir),
          files: runFiles(r.dir).filter((f) => !escapes(join(r.dir, f))),
          mtime: (() => {
            try {
              return statSync(join(r.dir, 'metrics.jsonl')).mtimeMs;
            } catch {
              return null;
            }
          })(),
        }));
      return sendJson(res, { root: o.runsDir, runs }, head);
    }
    let id: string;
    try {
      id = decodeURIComponent(parts[1]);
    } catch {
      throw new HttpError(400, 'bad run id');
    }
    const dir = runDir(id);
    const action = parts[2];
    if (action === 'config' && parts.length === 3) {
      const m = runMeta(dir, root);
      return sendJson(
        res,
        { id: m.id, algo: m.algo, env: m.env, seed: m.seed, config: m.config },
        head,
      );
    }
    if (action === 'metrics' && parts.length === 3) return sendJson(res, readMetrics(dir), head);
    if (action === 'events' && parts.length === 3) return events(req, res, [{ id, dir }]);
    if (action === 'files' && parts.length === 4) {
      let name: string;
      try {
        name = decodeURIComponent(parts[3]);
      } catch {
        throw new HttpError(400, 'bad file name');
      }
      if (!runFiles(dir).includes(name)) throw new HttpError(404, 'no such file in this run');
      if (escapes(join(dir, name)))
        throw new HttpError(403, 'this file links outside the runs folder');
      return sendFile(res, join(dir, name), head);
    }
    throw new HttpError(404, 'not found');
  };

  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(securityHeaders)) res.setHeader(k, v);
    try {
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
        return void res.end('method not allowed\n');
      }
      const head = method === 'HEAD';
      if (!hosts.has(hostOf(req.headers.host ?? ''))) {
        throw new HttpError(
          403,
          `this dashboard answers only requests addressed to ${[...hosts].join(', ')}`,
        );
      }
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const rawPath = q >= 0 ? url.slice(0, q) : url;
      const query = q >= 0 ? url.slice(q + 1) : '';
      if (rawPath.startsWith('/api/'))
        return api(req, res, rawPath.slice(5).split('/'), query, head);
      const file = files.get(rawPath);
      if (!file) throw new HttpError(404, 'not found');
      return sendFile(res, file, head);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${status}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  });

  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8080, host, () => {
      server.off('error', reject);
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? 8080);
      const shown =
        host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
      resolvePromise({
        server,
        url: `http://${shown}:${port}/`,
        close: () =>
          new Promise<void>((done) => {
            for (const c of [...cleanups]) c();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
