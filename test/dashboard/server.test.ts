import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startDashboard } from '../../src/dashboard/server.ts';
import type { Dashboard } from '../../src/dashboard/server.ts';
import { makeRunsFolder, rawGet } from './helpers.ts';

let root: string;
let runs: string;
let d: Dashboard;
let port: number;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'rfm-dash-'));
  runs = makeRunsFolder(root);
  symlinkSync(root, join(runs, 'escape')); // a link that leaves the folder
  d = await startDashboard({ runsDir: runs, port: 0, pollMs: 100 });
  port = Number(new URL(d.url).port);
});
after(async () => {
  await d.close();
  rmSync(root, { recursive: true, force: true });
});

describe('dashboard server', () => {
  it('binds to 127.0.0.1 by default and serves the app and its vendored modules', async () => {
    assert.match(d.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await rawGet(port, '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /rfm dashboard/);
    for (const p of [
      '/app/app.js',
      '/app/chart.js',
      '/app/viewer.js',
      '/app/style.css',
      '/vendor/three/three.module.js',
      '/vendor/three/three.core.js',
    ]) {
      assert.equal((await rawGet(port, p, {}, 'HEAD')).status, 200, p);
    }
    assert.equal((await rawGet(port, '/vendor/mujoco/mujoco_wasm.js', {}, 'HEAD')).status, 200);
  });

  it('lists runs with algorithm, task, seed, metric keys and files', async () => {
    const r = await rawGet(port, '/api/runs');
    const j = JSON.parse(r.body);
    const ids = j.runs.map((x: { id: string }) => x.id);
    assert.deepEqual(ids, ['rfm-Pendulum-v1-seed0', 'sweep/sac-Pendulum-v1-seed1']);
    const a = j.runs[0];
    assert.deepEqual([a.algo, a.env, a.seed], ['rfm', 'Pendulum-v1', 0]);
    assert.ok(a.keys.includes('eval/return') && a.keys.includes('rfm/ess'));
    assert.deepEqual(a.files, ['ring8.samples.json']);
    const m = JSON.parse(
      (await rawGet(port, '/api/runs/sweep%2Fsac-Pendulum-v1-seed1/metrics')).body,
    );
    assert.equal(m.length, 5);
    assert.equal(m[4]['eval/return'], -1500 + 1000 + 40);
    const s = JSON.parse(
      (await rawGet(port, '/api/runs/rfm-Pendulum-v1-seed0/files/ring8.samples.json')).body,
    );
    assert.equal(s.format, 'rfm-samples');
  });

  it('refuses paths that leave the runs folder, unknown routes, writes and foreign hosts', async () => {
    const bad = [
      '/api/runs/..%2F..%2Fetc/passwd',
      '/api/runs/..%2F..%2Fetc%2Fpasswd/metrics',
      '/api/runs/%2e%2e/metrics',
      '/api/runs/..%2Fsecret.txt/metrics',
      '/api/runs/%2Fetc/metrics',
      '/api/runs/escape/metrics',
      '/api/runs/escape%2Fruns%2F..%2Fsecret.txt/config',
      '/api/runs/rfm-Pendulum-v1-seed0/files/..%2F..%2Fsecret.txt',
      '/api/runs/rfm-Pendulum-v1-seed0/files/config.json',
      '/api/runs/rfm-Pendulum-v1-seed0/files/metrics.jsonl',
      '/api/stream?run=..%2F..%2Fetc',
      '/api/runs/../../etc/passwd',
      '/app/../../package.json',
      '/app/..%2F..%2Fpackage.json',
      '/vendor/three/../../../package.json',
      '/vendor/three/three.cjs',
      '/node_modules/three/package.json',
      '/src/dashboard/server.ts',
      '/api/runs/nope/metrics',
      '/api/nothing',
      '/nothing',
    ];
    for (const p of bad) {
      const r = await rawGet(port, p);
      assert.ok(r.status >= 400 && r.status < 500, `${p} -> ${r.status}`);
      assert.ok(
        !r.body.includes('root:') && !r.body.includes('outside the runs folder'),
        `${p} leaked a file`,
      );
    }
    assert.equal((await rawGet(port, '/api/runs/..%2F..%2Fetc/passwd')).status, 400);
    assert.equal((await rawGet(port, '/nothing')).status, 404);
    assert.equal((await rawGet(port, '/api/runs', {}, 'POST')).status, 405);
    assert.equal((await rawGet(port, '/api/runs', {}, 'DELETE')).status, 405);
    assert.equal((await rawGet(port, '/api/runs', { host: 'evil.example:80' })).status, 403);
    assert.equal((await rawGet(port, '/api/runs', { host: `localhost:${port}` })).status, 200);
  });

  it('streams appended metrics rows as server-sent events', async () => {
    const got: { event: string; data: { run: string; rows?: Record<string, number>[] } }[] = [];
    const file = join(runs, 'rfm-Pendulum-v1-seed0', 'metrics.jsonl');
    await new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/stream?run=rfm-Pendulum-v1-seed0&run=sweep%2Fsac-Pendulum-v1-seed1',
        },
        (res) => {
          assert.equal(res.headers['content-type'], 'text/event-stream');
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
              if (ev && data) got.push({ event: ev, data: JSON.parse(data) });
              if (ev === 'ready') {
                // append one full row and half of the next: only the full one may arrive
                appendFileSync(
                  file,
                  JSON.stringify({ step: 5000, 'eval/return': -100 }) + '\n{"step": 6000, "eval/re',
                );
                setTimeout(() => appendFileSync(file, 'turn": -50}\n'), 300);
              }
              const live = got.filter(
                (g) => g.event === 'rows' && g.data.run === 'rfm-Pendulum-v1-seed0',
              );
              if (live.length >= 3) {
                req.destroy();
                resolve();
              }
            }
          });
        },
      );
      req.on('error', (e) =>
        (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e),
      );
      req.end();
      setTimeout(
        () => reject(new Error(`timed out; got ${JSON.stringify(got.map((g) => g.event))}`)),
        8000,
      );
    });
    const rows = got.filter((g) => g.event === 'rows');
    assert.equal(
      rows.find((g) => g.data.run === 'sweep/sac-Pendulum-v1-seed1')!.data.rows!.length,
      5,
    );
    const mine = rows.filter((g) => g.data.run === 'rfm-Pendulum-v1-seed0');
    assert.equal(mine[0].data.rows!.length, 5);
    assert.deepEqual(mine[1].data.rows, [{ step: 5000, 'eval/return': -100 }]);
    assert.deepEqual(mine[2].data.rows, [{ step: 6000, 'eval/return': -50 }]);
  });
});
