// The package's install script: uses a prebuilt native addon when one fits this platform and
// architecture (prebuilds/<platform>-<arch>/, shipped in the package) or an addon built before
// (build/Release/); only when none loads does it build one with node-gyp (scripts/build-native.mjs;
// a failed build leaves the TypeScript backend, said once at start).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tag = `${process.platform}-${process.arch}`;
const require = createRequire(import.meta.url);
for (const rel of [`prebuilds/${tag}/rfm_native.node`, 'build/Release/rfm_native.node']) {
  const file = join(root, rel);
  if (!existsSync(file)) continue;
  try {
    require(file);
    console.log(`[rfm] native backend: ${rel} loads; nothing to build`);
    process.exit(0);
  } catch (e) {
    console.log(`[rfm] ${rel} does not load here (${String(e.message).split('\n')[0]})`);
  }
}
const r = spawnSync(process.execPath, [join(root, 'scripts/build-native.mjs')], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
