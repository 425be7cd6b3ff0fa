import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  PREBUILD_TAG,
  loadNativeAddon,
  nativeAddonCandidates,
} from '../../src/engine/native-path.ts';

test('the addon is looked for in build/Release/ first (a build made here), then prebuilds/<platform>-<arch>/', () => {
  const saved = process.env.RFM_NATIVE_PATH;
  delete process.env.RFM_NATIVE_PATH;
  try {
    assert.equal(PREBUILD_TAG, `${process.platform}-${process.arch}`);
    assert.deepEqual(nativeAddonCandidates(), [
      resolve('build/Release/rfm_native.node'),
      resolve(`prebuilds/${PREBUILD_TAG}/rfm_native.node`),
    ]);
    process.env.RFM_NATIVE_PATH = '/nowhere/x.node';
    assert.deepEqual(nativeAddonCandidates(), ['/nowhere/x.node']);
    assert.throws(
      () => loadNativeAddon(),
      /no native addon loaded \(\/nowhere\/x\.node: not found\)/,
    );
  } finally {
    if (saved === undefined) delete process.env.RFM_NATIVE_PATH;
    else process.env.RFM_NATIVE_PATH = saved;
  }
});

test('with no addon that loads, the TypeScript backend runs and says so once', () => {
  const script = `
    const { getBackend } = await import('./src/engine/index.ts');
    const { tensor } = await import('./src/engine/index.ts');
    getBackend(); getBackend();
    console.log(getBackend().name, tensor(new Float32Array([1, 2]), [2]).toArray().join(','));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, RFM_NATIVE_PATH: '/nowhere/x.node', RFM_BACKEND: '' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ts 1,2');
  assert.equal(
    (r.stderr.match(/native backend not available; using the TypeScript backend/g) ?? []).length,
    1,
    r.stderr,
  );
});

test(
  'a prebuilt addon, when there is no local build, is what loads',
  { skip: !existsSync(`prebuilds/${PREBUILD_TAG}/rfm_native.node`) && 'no prebuild here' },
  () => {
    const script = `
    const e = await import('./src/engine/index.ts');
    const p = await import('./src/engine/native-path.ts');
    console.log(e.getBackend().name, p.nativeAddonPath);`;
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        env: { ...process.env, RFM_NATIVE_PATH: '', RFM_BACKEND: '' },
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const want = existsSync('build/Release/rfm_native.node')
      ? 'build/Release/rfm_native.node'
      : `prebuilds/${PREBUILD_TAG}/rfm_native.node`;
    assert.equal(r.stdout.trim(), `native ${resolve(want)}`);
  },
);
