/**
 * The browser-safe core: src/browser.ts bundles for the browser platform without a Node built-in,
 * and what a page does with it (train in memory, keep the checkpoint as bytes) gives the same run
 * as the Node loop and files that the CLI's loader reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry, bundleForBrowser } from '../../src/demo/bundle.ts';
import { sha256Hex } from '../../src/train/sha256.ts';
import {
  encodeCheckpoint,
  parseCheckpointMeta,
  decodeCheckpointTensors,
  CheckpointError,
} from '../../src/train/checkpoint-format.ts';
import { runTraining } from '../../src/train/loop-core.ts';
import { MemoryRunStore } from '../../src/train/memory-store.ts';
import { train, loadAgent } from '../../src/train/index.ts';
import { resolveConfig } from '../../src/config/index.ts';
import { setBackend, getBackend } from '../../src/engine/index.ts';
import { countEnvFactory } from '../train/helpers.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('the browser entry bundles for the browser platform without any Node built-in', async () => {
  const b = await bundleEntry(join(root, 'src/browser.ts'));
  assert.deepEqual(b.nodeBuiltins, []);
  const inputs = Object.keys(b.metafile.inputs);
  assert.ok(
    inputs.some((p) => p.endsWith('src/host/browser/native.ts')),
    'the browser host is the one bundled',
  );
  assert.ok(
    !inputs.some((p) => p.includes('src/host/node/') || p.endsWith('backend-native.ts')),
    'no Node host, no native backend',
  );
  for (const layer of [
    'src/train/loop-core.ts',
    'src/agents/rfm.ts',
    'src/envs/dmc/base.ts',
    'src/envs/gym-mujoco/index.ts',
    'src/engine/backend-ts.ts',
  ]) {
    assert.ok(
      inputs.some((p) => p.endsWith(layer)),
      `${layer} is in the bundle`,
    );
  }
  assert.match(b.code, /from "\.\/mujoco_wasm\.js"/, 'mujoco-js is imported from the sibling file');
  // no Node global either, in our own sources (esbuild marks each source with a `// path` line)
  const offences: string[] = [];
  let file = '';
  for (const line of b.code.split('\n')) {
    const m = /^\/\/ (\S+)$/.exec(line);
    if (m) file = m[1];
    else if (
      file.startsWith('src/') &&
      /(?<![.\w])(Buffer|process|global|__dirname|__filename|require|setImmediate)\b(?!:)/.test(
        line.replace(/\/\/.*$|"[^"]*"|`[^`]*`/g, ''),
      )
    )
      offences.push(`${file}: ${line.trim()}`);
  }
  assert.deepEqual(offences, []);
});

test('the check finds Node built-ins: the Node entry, bundled for a browser, is refused naming them', async () => {
  await assert.rejects(
    bundleForBrowser(join(root, 'src/index.ts')),
    /reaches Node built-ins.*node:fs \(imported by .*src\/train\/files\.ts\)/,
  );
});

test('the TypeScript SHA-256 equals node:crypto for lengths around the block boundaries', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 4097]) {
    const bytes = new Uint8Array(n + 5).map((_, i) => (i * 131 + 17) & 255).subarray(5); // an offset view too
    assert.equal(sha256Hex(bytes), createHash('sha256').update(bytes).digest('hex'), `length ${n}`);
  }
});

test('an encoded checkpoint decodes to its tensors; a changed byte is refused', () => {
  const tensors = new Map([['agent.w', { data: Float32Array.from([1, -2, 3.5]), shape: [3] }]]);
  const enc = encodeCheckpoint(
    { step: 7, algo: 'sac', envId: 'Pendulum-v1', seed: 1, agent: {}, loop: {} },
    tensors,
  );
  assert.equal(enc.stem, 'ckpt-000000007');
  const meta = parseCheckpointMeta(enc.jsonText, 'x.json');
  assert.deepEqual(
    Array.from(decodeCheckpointTensors(meta, enc.tensorBytes, 'x').get('agent.w')!.data),
    [1, -2, 3.5],
  );
  const bad = enc.tensorBytes.slice();
  bad[bad.length - 1] ^= 1;
  assert.throws(
    () => decodeCheckpointTensors(meta, bad, 'x'),
    (e: unknown) => e instanceof CheckpointError && /corrupted/.test((e as Error).message),
  );
  assert.throws(
    () => parseCheckpointMeta('{"format":"other"}', 'y.json'),
    /not an rfm-rl checkpoint/,
  );
});

test("training in memory (as a page does) gives the Node loop's metrics, and its files load with the CLI loader", async () => {
  const before = getBackend();
  setBackend('ts');
  const dir = mkdtempSync(join(tmpdir(), 'rfm-mem-'));
  try {
    const config = resolveConfig({
      algo: 'sac',
      preset: 'small',
      sets: [
        'train.steps=60',
        'train.randomSteps=20',
        'train.logEvery=20',
        'train.evalEvery=30',
        'train.evalEpisodes=1',
        'train.checkpointEvery=30',
        'train.batchSize=8',
      ],
    });
    const store = new MemoryRunStore('page');
    const mem = await runTraining('Count-v0', config, {
      algo: 'sac',
      seed: 3,
      store,
      envFactory: countEnvFactory(),
    });
    const node = await train('Count-v0', config, {
      algo: 'sac',
      seed: 3,
      envFactory: countEnvFactory(),
    });
    const strip = (rows: Record<string, number>[]) =>
      rows.map(({ 'time/sps': _s, 'time/elapsed': _e, ...r }) => r);
    assert.ok(mem.rows.length >= 3);
    assert.deepEqual(strip(mem.rows), strip(node.rows));
    assert.equal(store.newestGood().step, 60);
    // the page's download, unpacked, is a run folder the CLI loads
    const run = join(dir, 'run');
    for (const f of store.files(
      { algo: 'sac', envId: 'Count-v0', seed: 3, created: 'x' },
      config,
    )) {
      mkdirSync(dirname(join(run, f.path)), { recursive: true });
      writeFileSync(join(run, f.path), f.data);
    }
    const loaded = loadAgent(run, { warn: () => {} });
    assert.equal(loaded.meta.step, 60);
    const obs = Float32Array.from([1, 0.5]);
    assert.deepEqual(
      Array.from(loaded.agent.act(obs, { deterministic: true })),
      Array.from(mem.agent.act(obs, { deterministic: true })),
    );
  } finally {
    setBackend(before);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every host module has a browser twin with the same exports; the browser ones have no native code and no files', async () => {
  const names = readdirSync(join(root, 'src/host/node')).sort();
  assert.deepEqual(readdirSync(join(root, 'src/host/browser')).sort(), names);
  for (const name of names) {
    const node = await import(`../../src/host/node/${name}`);
    const browser = await import(`../../src/host/browser/${name}`);
    assert.deepEqual(Object.keys(browser).sort(), Object.keys(node).sort(), name);
  }
  const native = await import('../../src/host/browser/native.ts');
  assert.equal(native.nativePhiloxBulk(), null);
  assert.equal(native.nativeNormalBulk(), null);
  const fs = await import('../../src/host/browser/fs.ts');
  assert.throws(
    () => fs.readTextFile('run/config.yaml'),
    /^Error: cannot use the file run\/config\.yaml: there is no file system here/,
  );
});
