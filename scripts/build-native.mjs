// Builds the native backend (C++ through Node-API) with node-gyp.
// At `npm install` a failed build is not fatal: the TypeScript backend runs instead.
// With --strict (CI) a failed build is an error.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

const strict = process.argv.includes('--strict') || process.env.RFM_NATIVE_STRICT === '1';
if (!existsSync('binding.gyp')) {
  console.log('[rfm] no binding.gyp: skipping the native backend build');
  process.exit(0);
}
if (process.env.RFM_SKIP_NATIVE === '1' && !strict) {
  console.log('[rfm] RFM_SKIP_NATIVE=1: skipping the native backend build');
  process.exit(0);
}
const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
].filter((p) => p && existsSync(p));
if (candidates.length === 0) {
  const msg = '[rfm] node-gyp not found: the native backend was not built';
  if (strict) {
    console.error(msg);
    process.exit(1);
  }
  console.log(msg + '; the TypeScript backend will be used');
  process.exit(0);
}
// Node-API headers: this Node's own (include/node beside its binary) when present, so that the
// build needs no header download (offline machines); otherwise node-gyp fetches them.
const nodedir = join(dirname(process.execPath), '..');
const headers = existsSync(join(nodedir, 'include/node/node_api.h'))
  ? [`--nodedir=${nodedir}`]
  : [];
const r = spawnSync(process.execPath, [candidates[0], 'rebuild', ...headers], { stdio: 'inherit' });
if (r.status !== 0) {
  const msg = '[rfm] the native backend failed to build';
  if (strict) {
    console.error(msg);
    process.exit(1);
  }
  console.log(msg + '; installation continues and the TypeScript backend will be used');
}
process.exit(0);
