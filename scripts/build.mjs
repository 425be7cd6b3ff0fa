// `npm run build`: compiles src/ to dist/ (JavaScript, .d.ts, source maps; tsconfig.build.json
// rewrites the sources' .ts import specifiers to .js) and copies the files that are not TypeScript
// (the dashboard's static files and the plain .mjs modules under src/, e.g. the sweep's preload). dist/ is rebuilt from scratch so that no stale module survives.
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
let tsc;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  console.error(
    'rfm-rl build: TypeScript is not installed (npm install, with dev dependencies, provides it)',
  );
  process.exit(1);
}
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (r.status !== 0) {
  console.error('rfm-rl build: tsc failed');
  process.exit(r.status ?? 1);
}
for (const d of ['dashboard/static', 'demo/static'])
  cpSync(join(root, 'src', d), join(dist, d), { recursive: true });
for (const e of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
  if (!e.isFile() || !e.name.endsWith('.mjs')) continue;
  const rel = join(e.parentPath ?? e.path, e.name).slice(join(root, 'src').length + 1);
  cpSync(join(root, 'src', rel), join(dist, rel));
}
