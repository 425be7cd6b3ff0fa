// The package's install script: uses the native addon the package's loader picks (a prebuild that
// fits this platform, architecture and CPU, prebuilds/<platform>-<arch>/, or an addon built before,
// build/Release/; dist/engine/native-path.js decides, as at run time); only when none loads does
// it build one with node-gyp (scripts/build-native.mjs; a failed build leaves the TypeScript
// backend, said once at start). In a clone, before dist/ is compiled, it checks build/Release/.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const loader = join(root, 'dist/engine/native-path.js');
try {
  if (existsSync(loader)) {
    const m = await import(pathToFileURL(loader).href);
    m.loadNativeAddon();
    console.log(
      `[rfm] native backend: ${relative(root, m.nativeAddonPath)} loads; nothing to build`,
    );
    process.exit(0);
  }
  const built = join(root, 'build/Release/rfm_native.node');
  if (existsSync(built)) {
    createRequire(import.meta.url)(built);
    console.log('[rfm] native backend: build/Release/rfm_native.node loads; nothing to build');
    process.exit(0);
  }
} catch (e) {
  console.log(`[rfm] ${String(e.message).split('\n')[0]}`);
}
const r = spawnSync(process.execPath, [join(root, 'scripts/build-native.mjs')], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
