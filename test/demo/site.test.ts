/** The demo site's Node side: the tar format, `rfm demo --out` / `--serve`, and the static server. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTar, writeTar } from '../../src/demo/tar.ts';
import { serveSite } from '../../src/demo/serve.ts';
import { SITE_FILES } from '../../src/demo/site.ts';

const rfm = (args: string[]) =>
  spawnSync(process.execPath, ['bin/rfm.mjs', ...args], { encoding: 'utf8' });

test('tar: what writeTar packs, system tar unpacks and readTar reads back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rfm-tar-'));
  try {
    const big = new Uint8Array(1500).map((_, i) => i & 255);
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/file.json`; // over 100 bytes: uses the prefix field
    const entries = [
      { path: 'run.json', data: new TextEncoder().encode('{"a":1}\n') },
      { path: 'checkpoints/ckpt-000000010.safetensors', data: big },
      { path: long, data: new Uint8Array(0) },
    ];
    const bytes = writeTar(entries, 'run-x', 1_700_000_000);
    assert.equal(bytes.length % 512, 0);
    writeFileSync(join(dir, 'a.tar'), bytes);
    const r = spawnSync('tar', ['xf', 'a.tar'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      new Uint8Array(readFileSync(join(dir, 'run-x/checkpoints/ckpt-000000010.safetensors'))),
      big,
    );
    assert.equal(readFileSync(join(dir, 'run-x/run.json'), 'utf8'), '{"a":1}\n');
    assert.deepEqual(readFileSync(join(dir, 'run-x', long)).length, 0);
    assert.deepEqual(
      readTar(bytes).map((e) => e.path),
      entries.map((e) => `run-x/${e.path}`),
    );
    // an archive made by system tar reads too
    const r2 = spawnSync('tar', ['cf', 'b.tar', 'run-x/run.json'], { cwd: dir });
    assert.equal(r2.status, 0);
    const back = readTar(new Uint8Array(readFileSync(join(dir, 'b.tar'))));
    assert.deepEqual(
      back.map((e) => [e.path, new TextDecoder().decode(e.data)]),
      [['run-x/run.json', '{"a":1}\n']],
    );
    const bad = bytes.slice();
    bad[10] ^= 1;
    assert.throws(() => readTar(bad), /not a tar archive, or a damaged one/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rfm demo --out writes the site: its files, nothing loaded from another origin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rfm-site-out-'));
  try {
    const r = rfm(['demo', '--out', join(dir, 'site')]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(join(dir, 'site')).sort(), [...SITE_FILES].sort());
    const html = readFileSync(join(dir, 'site', 'index.html'), 'utf8');
    const refs = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(
      refs.filter((u) => /^(https?:)?\/\//.test(u)),
      [],
      'no reference to another origin',
    );
    assert.deepEqual(refs.filter((u) => !u.startsWith('data:')).sort(), ['page.js', 'style.css']);
    for (const f of ['page.js', 'worker.js']) {
      const js = readFileSync(join(dir, 'site', f), 'utf8');
      assert.ok(!/import\s*\(?\s*["']https?:/.test(js), `${f} imports nothing from the network`);
      assert.ok(!js.includes('/vendor/'), `${f} uses the site's own paths`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rfm demo: usage errors are one line with exit code 2', () => {
  for (const [args, msg] of [
    [['demo'], /usage: rfm demo/],
    [['demo', '--out', '/proc/rfm-demo'], /--out \/proc\/rfm-demo: cannot/],
    [['demo', '--out', 'x', '--port', '80'], /--port and --host go with --serve/],
    [['demo', '--serve', '--port', '99999'], /--port must be an integer/],
  ] as const) {
    const r = rfm([...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
  }
});

test("the server gives exactly the site's files (GET and HEAD), on 127.0.0.1", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rfm-serve-'));
  try {
    for (const f of SITE_FILES) writeFileSync(join(dir, f), `content of ${f}`);
    const s = await serveSite(dir, { port: 0 });
    try {
      assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await fetch(s.url);
      assert.equal(index.status, 200);
      assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await index.text(), 'content of index.html');
      const js = await fetch(`${s.url}worker.js`);
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
      const head = await fetch(`${s.url}style.css`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String('content of style.css'.length));
      assert.equal(await head.text(), '');
      assert.equal((await fetch(`${s.url}../package.json`)).status, 404);
      assert.equal((await fetch(`${s.url}nothing.js`)).status, 404);
      assert.equal((await fetch(s.url, { method: 'POST', body: 'x' })).status, 405);
    } finally {
      await s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rfm demo --serve builds into a temporary folder, serves it, and on SIGINT stops and removes it', async () => {
  const before = readdirSync(tmpdir());
  const child = spawn(process.execPath, ['bin/rfm.mjs', 'demo', '--serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((done) => child.on('exit', done));
  try {
    const url = await new Promise<string>((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`no URL in time: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        const m = /serving a temporary build at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) {
          clearTimeout(t);
          ok(m[1]);
        }
      });
    });
    const r = await fetch(`${url}mujoco_wasm.js`);
    assert.equal(r.status, 200);
    assert.ok(Number(r.headers.get('content-length')) > 1_000_000);
    await r.arrayBuffer();
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0);
  assert.deepEqual(
    readdirSync(tmpdir()).filter((n) => n.startsWith('rfm-demo-') && !before.includes(n)),
    [],
    'the temporary build is removed',
  );
});
