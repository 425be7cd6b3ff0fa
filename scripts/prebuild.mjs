// `npm run prebuild` (and `npm pack` through prepack): the native addon for this platform and
// architecture, built with binding.gyp (node-gyp, scripts/build-native.mjs --strict) unless
// build/Release/ already holds one newer than every native source, copied to
// prebuilds/<platform>-<arch>/rfm_native.node, which the package ships and loads first
// (src/engine/native-path.ts).
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
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
    stdio: 'inherit',
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
console.error(
  `[rfm] prebuild: prebuilds/${tag}/rfm_native.node (${(statSync(built).size / 1024).toFixed(0)} KiB${fresh ? ', from the existing build' : ''})`,
);
