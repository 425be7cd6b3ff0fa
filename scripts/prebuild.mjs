// `npm run prebuilds` (and `npm pack` through prepack): the native addon for this platform and
// architecture, built with binding.gyp (node-gyp, scripts/build-native.mjs --strict) unless
// build/Release/ already holds one newer than every native source, copied to
// prebuilds/<platform>-<arch>/rfm_native.node, which the package ships and loads first
// (src/engine/native-path.ts). Build output goes to stderr (stdout stays clean for `npm pack --json`).
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build/Release/rfm_native.node');
const sources = [
  join(root, 'binding.gyp'),
  ...readdirSync(join(root, 'native/src')).map((f) => join(root, 'native/src', f)),
];
const fresh =
  existsSync(built) && sources.every((f) => statSync(f).mtimeMs <= statSync(built).mtimeMs);
if (!fresh) {
  const r = spawnSync(process.execPath, [join(root, 'scripts/build-native.mjs'), '--strict'], {
    stdio: ['inherit', 2, 'inherit'],
    cwd: root,
  });
  if (r.status !== 0) {
    console.error('[rfm] prebuild: the native build failed; no prebuilt addon');
    process.exit(1);
  }
}
const tag = `${process.platform}-${process.arch}`;
const dir = join(root, 'prebuilds', tag);
mkdirSync(dir, { recursive: true });
copyFileSync(built, join(dir, 'rfm_native.node'));
strip('strip', join(dir, 'rfm_native.node'));
// A prebuild must run on every CPU of its architecture: the addon picks its instruction-set tier
// at load (native/README.md), so nothing may be compiled for the build machine alone.
if (readFileSync(join(root, 'binding.gyp'), 'utf8').includes('"-march=native"')) {
  console.error(
    '[rfm] prebuild: binding.gyp uses -march=native; a prebuild would not run on other CPUs',
  );
  process.exit(1);
}
console.error(
  `[rfm] prebuild: prebuilds/${tag}/rfm_native.node (${(statSync(built).size / 1024).toFixed(0)} KiB${fresh ? ', from the existing build' : ''})`,
);

// linux-arm64, cross-compiled with Debian's aarch64 toolchain (g++-aarch64-linux-gnu) when it is
// installed (RFM_PREBUILD_ARM64=0 skips it; =1 makes a missing toolchain an error). node-gyp builds
// a copy of binding.gyp and native/ under build/cross-arm64/, where a host-only `-march=native`
// becomes the baseline `-march=armv8-a` (the sources' x86 paths are behind __AVX2__ / __AVX512F__,
// so the arm64 build takes their portable code).
const want = process.env.RFM_PREBUILD_ARM64;
const cross = 'aarch64-linux-gnu-g++';
const hasCross = spawnSync('bash', ['-c', `command -v ${cross}`]).status === 0;
if (process.platform === 'linux' && process.arch === 'x64' && want !== '0') {
  if (!hasCross) {
    if (want === '1') {
      console.error(`[rfm] prebuild: ${cross} not found (apt-get install g++-aarch64-linux-gnu)`);
      process.exit(1);
    }
    console.error(
      `[rfm] prebuild: no ${cross}; no linux-arm64 prebuild (apt-get install g++-aarch64-linux-gnu)`,
    );
  } else {
    buildArm64();
  }
}

function buildArm64() {
  const work = join(root, 'build/cross-arm64');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(join(root, 'native'), join(work, 'native'), { recursive: true });
  writeFileSync(
    join(work, 'binding.gyp'),
    readFileSync(join(root, 'binding.gyp'), 'utf8').replaceAll('-march=native', '-march=armv8-a'),
  );
  const gyp = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    ),
  ].find((p) => p && existsSync(p));
  if (!gyp) {
    console.error('[rfm] prebuild: node-gyp not found; no linux-arm64 prebuild');
    process.exit(1);
  }
  const env = {
    ...process.env,
    CC: 'aarch64-linux-gnu-gcc',
    CXX: cross,
    LINK: cross,
    AR: 'aarch64-linux-gnu-ar',
  };
  // Node-API headers: this Node's own (include/node next to its binary) when present, so that no
  // header download is needed; otherwise node-gyp fetches them.
  const nodedir = join(dirname(process.execPath), '..');
  const headers = existsSync(join(nodedir, 'include/node/node_api.h'))
    ? [`--nodedir=${nodedir}`]
    : [];
  const r = spawnSync(process.execPath, [gyp, 'rebuild', '--arch=arm64', ...headers], {
    stdio: ['inherit', 2, 'inherit'],
    cwd: work,
    env,
  });
  const out = join(work, 'build/Release/rfm_native.node');
  if (r.status !== 0 || !existsSync(out)) {
    console.error('[rfm] prebuild: the linux-arm64 cross build failed');
    process.exit(1);
  }
  const head = readFileSync(out).subarray(0, 20);
  if (head.readUInt16LE(18) !== 183) {
    console.error('[rfm] prebuild: the cross build is not an aarch64 ELF file');
    process.exit(1);
  }
  mkdirSync(join(root, 'prebuilds/linux-arm64'), { recursive: true });
  copyFileSync(out, join(root, 'prebuilds/linux-arm64/rfm_native.node'));
  strip('aarch64-linux-gnu-strip', join(root, 'prebuilds/linux-arm64/rfm_native.node'));
  console.error(
    `[rfm] prebuild: prebuilds/linux-arm64/rfm_native.node (${(statSync(join(root, 'prebuilds/linux-arm64/rfm_native.node')).size / 1024).toFixed(0)} KiB, aarch64)`,
  );
}

/** Drops the symbol tables of a shipped addon (smaller tarball) when the strip tool is there. */
function strip(tool, file) {
  if (spawnSync('bash', ['-c', `command -v ${tool}`]).status !== 0) return;
  const r = spawnSync(tool, ['--strip-unneeded', file], { stdio: ['inherit', 2, 'inherit'] });
  if (r.status !== 0)
    console.error(`[rfm] prebuild: ${tool} failed on ${file}; shipping it unstripped`);
}
