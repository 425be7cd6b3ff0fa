// Runs every test file under test/ with node's test runner (through tsx).
// Usage: node scripts/test.mjs [filter...]   (filters match substrings of file paths)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const filters = process.argv.slice(2);
const files = walk('test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Tests that spawn `rfm` run the compiled package (dist/): rebuild it when a source is newer.
const newest = (dir) => Math.max(0, ...walkAll(dir).map((f) => statSync(f).mtimeMs));
function walkAll(dir) {
  return readdirSync(dir).flatMap((n) =>
    statSync(join(dir, n)).isDirectory() ? walkAll(join(dir, n)) : [join(dir, n)],
  );
}
if (!existsSync('dist/index.js') || newest('src') > statSync('dist/index.js').mtimeMs) {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: process.env },
);
process.exit(r.status ?? 1);
