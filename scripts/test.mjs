// Runs every test file under test/ with node's test runner (through tsx), then the native kernel
// tests again on every other instruction-set tier this machine can run (forced with RFM_ISA), so
// that each tier's code is tested, not only the best one's.
// Usage: node scripts/test.mjs [filter...]   (filters match substrings of file paths; with filters
//        the files run on the default tier only)
//        node scripts/test.mjs --tiers       (only the kernel tests, on every tier the CPU has)
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** The tests of the native kernels: run once per tier. */
const KERNEL_TESTS = [
  'test/engine/backends-agree.test.ts',
  'test/engine/vmath.test.ts',
  'test/engine/gradients.test.ts',
  'test/engine/rng.test.ts',
  'test/agents/critic.test.ts',
  'test/estimators/estimators.test.ts',
];
const TIERS = ['avx512', 'avx2', 'baseline', 'neon'];
const ADDON = 'build/Release/rfm_native.node';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
/** Totals over every run of this script (the spec reporter prints each run's own). */
const totals = { pass: 0, fail: 0, skipped: 0 };
const tapFile = join(mkdtempSync(join(tmpdir(), 'rfm-test-')), 'run.tap');
function run(files, env) {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tapFile}`,
      ...files,
    ],
    { stdio: 'inherit', env },
  );
  const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
  for (const k of Object.keys(totals))
    totals[k] += Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  return r.status ?? 1;
}
/** The closing line CI reads: every run's tests together. */
function finish(status) {
  console.log(
    `\n${totals.pass} passed, ${totals.fail} failed (${totals.skipped} skipped), all runs together`,
  );
  process.exit(status);
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
/** The tier the addon picks with RFM_ISA = isa (undefined: its own choice), or null when it does not load. */
function tierOf(isa) {
  const env = { ...process.env };
  if (isa === undefined) delete env.RFM_ISA;
  else env.RFM_ISA = isa;
  const r = spawnSync(
    process.execPath,
    ['-e', `console.log(require(${JSON.stringify('./' + ADDON)}).isa())`],
    { env, encoding: 'utf8' },
  );
  return r.status === 0 ? r.stdout.trim() : null;
}

const args = process.argv.slice(2);
const tiersOnly = args.includes('--tiers');
const filters = args.filter((a) => a !== '--tiers');
let status = 0;
let covered = null; // the tier the main run used
if (!tiersOnly) {
  const files = walk('test')
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
    .sort();
  if (files.length === 0) {
    console.error('no test files matched');
    process.exit(1);
  }
  status = run(files, process.env);
  if (filters.length > 0) finish(status);
  covered = existsSync(ADDON) ? tierOf(process.env.RFM_ISA || undefined) : null;
}
if (!existsSync(ADDON)) {
  console.log('[test] the native addon is not built: no per-tier runs');
  finish(status);
}
for (const isa of TIERS) {
  if (isa === covered || tierOf(isa) !== isa) continue;
  console.log(`\n[test] kernel tests with RFM_ISA=${isa}`);
  const s = run(KERNEL_TESTS, { ...process.env, RFM_ISA: isa });
  if (s !== 0) status = s;
}
finish(status);
