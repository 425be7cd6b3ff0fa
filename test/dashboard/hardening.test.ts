/**
 * The dashboard against a hostile page or a booby-trapped runs folder: only local Host names (and
 * the --host given) are answered, symlinks out of the runs folder are refused wherever a file
 * would be read, and every response carries the CSP, nosniff and no-framing headers.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, type IncomingHttpHeaders } from 'node:http';
import {
  allowedHosts,
  hostOf,
  startDashboard,
  type Dashboard,
} from '../../src/dashboard/server.ts';
import { makeRunsFolder } from './helpers.ts';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A GET to `address`:port sending exactly `path` and `headers`; stops reading after `maxMs` (event streams). */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  opts: { method?: string; address?: string; maxMs?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // a Host of '' means none at all (setHost: false)
    const noHost = headers.host === '';
    const sent = noHost
      ? Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'host'))
      : headers;
    const req = request(
      {
        host: opts.address ?? '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: sent,
        setHost: !noHost,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        res.on('data', (c) => (body += c));
        res.on('end', done);
        if (opts.maxMs) {
          setTimeout(() => {
            req.destroy();
            done();
          }, opts.maxMs);
        }
      },
    );
    req.on('error', (e) =>
      (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e),
    );
    req.end();
  });
}

let root: string;
let runs: string;
let d: Dashboard;
let port: number;
const SECRET = '{"step": 1, "secret": 42}\n'; // JSON lines outside the runs folder: would parse if read

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'rfm-dash-hard-'));
  runs = makeRunsFolder(root);
  writeFileSync(join(root, 'outside.jsonl'), SECRET);
  writeFileSync(join(root, 'outside.json'), '{"algo": "leaked"}');
  const run = join(runs, 'rfm-Pendulum-v1-seed0');
  symlinkSync(join(root, 'outside.json'), join(run, 'leak.samples.json')); // a listed file linking out
  const trap = join(runs, 'trap');
  mkdirSync(trap);
  symlinkSync(join(root, 'outside.jsonl'), join(trap, 'metrics.jsonl')); // a run whose metrics link out
  symlinkSync(join(root, 'outside.json'), join(trap, 'config.json'));
  d = await startDashboard({ runsDir: runs, port: 0, pollMs: 100 });
  port = Number(new URL(d.url).port);
});
after(async () => {
  await d.close();
  rmSync(root, { recursive: true, force: true });
});

describe('dashboard hardening', () => {
  it('answers only local Host names: 127.evil.com and other names get 403 (DNS rebinding)', async () => {
    for (const h of [
      '127.evil.com',
      `127.evil.com:${port}`,
      'evil.example',
      'localhost.evil.com',
      '127.0.0.1.nip.io',
      '[::2]',
      '',
      '0.0.0.0',
    ]) {
      const r = await get(port, '/api/runs', { host: h });
      assert.equal(r.status, h === '' ? 400 : 403, `Host: ${h}`); // no Host at all: node's server answers 400 itself
      assert.ok(!r.body.includes('rfm-Pendulum'), `Host: ${h} saw the runs`);
    }
    for (const h of [
      'localhost',
      `localhost:${port}`,
      '127.0.0.1',
      `127.0.0.1:${port}`,
      '[::1]',
      `[::1]:${port}`,
      `LOCALHOST:${port}`,
    ]) {
      assert.equal((await get(port, '/api/runs', { host: h })).status, 200, `Host: ${h}`);
    }
  });

  it('the --host given is accepted too; its Host parsing handles ports and IPv6 brackets', async () => {
    assert.equal(hostOf('[::1]:8080'), '[::1]');
    assert.equal(hostOf('Example.org:80'), 'example.org');
    assert.deepEqual([...allowedHosts('::1')].sort(), ['127.0.0.1', '[::1]', 'localhost']);
    assert.ok(allowedHosts('192.168.1.5').has('192.168.1.5'));
    const other = await startDashboard({ runsDir: runs, port: 0, host: '127.0.0.2' });
    try {
      const p = Number(new URL(other.url).port);
      assert.equal(
        (await get(p, '/api/runs', { host: `127.0.0.2:${p}` }, { address: '127.0.0.2' })).status,
        200,
      );
      assert.equal(
        (await get(p, '/api/runs', { host: `127.0.0.3:${p}` }, { address: '127.0.0.2' })).status,
        403,
      );
    } finally {
      await other.close();
    }
  });

  it("refuses symlinks out of the runs folder: listed files, a run's metrics and config, streams", async () => {
    const list = JSON.parse((await get(port, '/api/runs')).body) as {
      runs: { id: string; files: string[] }[];
    };
    assert.ok(!list.runs.some((r) => r.id === 'trap'), 'a run whose files link out is not listed');
    assert.ok(
      !list.runs.find((r) => r.id === 'rfm-Pendulum-v1-seed0')!.files.includes('leak.samples.json'),
      'a linked-out file is not listed',
    );
    for (const p of [
      '/api/runs/rfm-Pendulum-v1-seed0/files/leak.samples.json',
      '/api/runs/trap/metrics',
      '/api/runs/trap/config',
      '/api/stream?run=trap',
    ]) {
      const r = await get(port, p, {}, { maxMs: 500 });
      assert.equal(r.status, 403, p);
      assert.ok(!r.body.includes('secret') && !r.body.includes('leaked'), `${p} leaked: ${r.body}`);
    }
    // the honest files of the same run are still served
    assert.equal(
      (await get(port, '/api/runs/rfm-Pendulum-v1-seed0/files/ring8.samples.json')).status,
      200,
    );
  });

  it('a metrics.jsonl replaced by rename (as a resume rewrites it) is streamed again from its start', async () => {
    const live = join(runs, 'live');
    mkdirSync(live);
    const rows = (a: number, b: number) =>
      Array.from(
        { length: b - a },
        (_, k) => JSON.stringify({ step: a + k, 'eval/return': a + k }) + '\n',
      ).join('');
    writeFileSync(join(live, 'metrics.jsonl'), rows(0, 4));
    const events: { event: string; data: { rows?: { step: number }[] } }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out: ${JSON.stringify(events)}`)),
        8000,
      );
      const req = request({ host: '127.0.0.1', port, path: '/api/runs/live/events' }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const ev = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (!ev || !data) continue;
            events.push({ event: ev, data: JSON.parse(data) });
            if (ev === 'ready') {
              // the resume's rewrite keeps 2 rows (new file, renamed over), then training appends 5 more
              // before the next poll: the new file is longer than what was sent from the old one
              writeFileSync(join(live, 'metrics.jsonl.tmp-1'), rows(0, 2) + rows(10, 15));
              renameSync(join(live, 'metrics.jsonl.tmp-1'), join(live, 'metrics.jsonl'));
            }
            const sent = events
              .filter((e) => e.event === 'rows')
              .flatMap((e) => e.data.rows!.map((r) => r.step));
            if (sent.includes(14)) {
              clearTimeout(timer);
              req.destroy();
              resolve();
            }
          }
        });
      });
      req.on('error', (e) =>
        (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e),
      );
      req.end();
    });
    const kinds = events.map((e) => e.event);
    const reset = kinds.indexOf('reset');
    assert.ok(reset > 0, `a reset was sent: ${kinds.join(',')}`);
    const after = events
      .slice(reset)
      .filter((e) => e.event === 'rows')
      .flatMap((e) => e.data.rows!.map((r) => r.step));
    assert.deepEqual(after, [0, 1, 10, 11, 12, 13, 14]);
  });

  it("every response carries a strict CSP with frame-ancestors 'none', nosniff and no framing", async () => {
    const cases: [string, number, Record<string, string>?, string?][] = [
      ['/', 200],
      ['/app/app.js', 200],
      ['/app/style.css', 200],
      ['/vendor/three/three.module.js', 200],
      ['/api/runs', 200],
      ['/api/runs/rfm-Pendulum-v1-seed0/config', 200],
      ['/api/runs/rfm-Pendulum-v1-seed0/metrics', 200],
      ['/api/runs/rfm-Pendulum-v1-seed0/files/ring8.samples.json', 200],
      ['/api/runs/rfm-Pendulum-v1-seed0/events', 200],
      ['/nothing', 404],
      ['/api/runs/..%2F..%2Fetc/passwd', 400],
      ['/api/runs', 403, { host: 'evil.example' }],
      ['/api/runs', 405, {}, 'POST'],
      ['/', 200, {}, 'HEAD'],
    ];
    for (const [path, status, headers, method] of cases) {
      const r = await get(port, path, headers ?? {}, {
        method,
        maxMs: path.endsWith('/events') ? 300 : undefined,
      });
      const what = `${method ?? 'GET'} ${path}`;
      assert.equal(r.status, status, what);
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /(^|; )default-src 'none'(;|$)/, what);
      assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, what);
      assert.match(csp, /(^|; )object-src 'none'(;|$)/, what);
      assert.match(
        csp,
        /(^|; )script-src 'self' 'sha256-[A-Za-z0-9+/]+=*' /,
        `${what}: scripts from this origin and the hashed import map only`,
      );
      assert.ok(!/unsafe-inline/.test(csp), `${what}: no unsafe-inline`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
      assert.equal(r.headers['x-frame-options'], 'DENY', what);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', what);
    }
  });
});
