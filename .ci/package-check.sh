#!/usr/bin/env bash
# The package as users get it: `npm pack`, then install of the tarball into a new project (the npm
# registry provides its dependencies), where
#   - the install uses the prebuilt addon (no compiler run),
#   - a plain node ES module imports the package, makes HalfCheetah-v5 and trains 200 SAC steps on
#     the native backend; a CommonJS file require()s it (Node with synchronous ES module loading),
#   - a strict TypeScript consumer (NodeNext, noUncheckedIndexedAccess, no skipLibCheck)
#     type-checks against the published types, and README's library program compiles and runs
#     with its stated outcome.
# Prints the tarball's size and file count. Usage: .ci/package-check.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${1:-$(mktemp -d /tmp/rfm-package-check.XXXXXX)}
mkdir -p "$WORK"
# With Debian's aarch64 toolchain installed, the linux-arm64 prebuild must be in the tarball too.
RFM_EXPECT_ARM64=0; command -v aarch64-linux-gnu-g++ >/dev/null && RFM_EXPECT_ARM64=1
export RFM_EXPECT_ARM64
echo "== npm pack (prepack: build dist/, prebuild the addon)"
npm pack --pack-destination "$WORK" --json > "$WORK/pack.json"
TARBALL=$(node -e "const p=require('$WORK/pack.json')[0]; console.log(p.filename)")
node -e "
const p = require('$WORK/pack.json')[0];
const files = p.files.map((f) => f.path);
console.log('tarball ' + p.filename + ': ' + (p.size / 1024).toFixed(0) + ' KiB packed, ' + (p.unpackedSize / 1024).toFixed(0) + ' KiB unpacked, ' + files.length + ' files');
const allowed = /^(dist\/|bin\/|native\/|prebuilds\/|binding\.gyp$|scripts\/(build-native|install-native|build-wasm)\.mjs$|README\.md$|LICENSE$|package\.json$)/;
const extra = files.filter((f) => !allowed.test(f));
if (extra.length) { console.error('unexpected files in the tarball: ' + extra.join(', ')); process.exit(1); }
const needs = ['dist/index.js', 'dist/index.d.ts', 'bin/rfm.mjs', 'prebuilds/linux-x64/rfm_native.node', 'LICENSE'];
if (process.env.RFM_EXPECT_ARM64 === '1') needs.push('prebuilds/linux-arm64/rfm_native.node');
for (const need of needs) {
  if (!files.includes(need)) { console.error('missing from the tarball: ' + need); process.exit(1); }
}
"
APP="$WORK/app"
rm -rf "$APP" && mkdir -p "$APP" && cd "$APP"
cat > package.json <<'JSON'
{ "name": "rfm-consumer", "private": true, "type": "module" }
JSON
echo "== npm install of the tarball"
npm install --no-audit --no-fund --foreground-scripts "$WORK/$TARBALL" typescript@5.9.3 @types/node@20 > install.log 2>&1 || { cat install.log; exit 1; }
grep -q 'prebuilds/linux-x64/rfm_native.node loads; nothing to build' install.log || { cat install.log; echo 'the install did not use the prebuilt addon' >&2; exit 1; }
echo "install used the prebuilt addon"

cat > consumer.mjs <<'JS'
import assert from 'node:assert/strict';
import { makeEnv, resolveConfig, train } from 'rfm-rl';
import { getBackend } from 'rfm-rl/engine';
const env = await makeEnv('HalfCheetah-v5');
assert.equal(env.observationSpace.size, 17);
assert.equal(env.actionSpace.size, 6);
const config = resolveConfig({ algo: 'sac', envId: 'HalfCheetah-v5', preset: 'small', sets: ['train.steps=200', 'train.randomSteps=100', 'train.evalEvery=0', 'train.evalEpisodes=1', 'train.maxEpisodeSteps=100'] });
let updates = 0;
const run = await train('HalfCheetah-v5', config, { algo: 'sac', seed: 0, callbacks: { onUpdate: () => updates++ } });
assert.equal(getBackend().name, 'native');
assert.equal(run.steps, 200);
assert.equal(updates, 101);
assert.ok(Number.isFinite(run.lastEval.mean));
console.log(`plain node: HalfCheetah-v5, 200 SAC steps on the ${getBackend().name} backend (${getBackend().isa ?? ''}), eval return ${run.lastEval.mean.toFixed(1)}`);
JS
node consumer.mjs

cat > consumer.cjs <<'JS'
const rfm = require('rfm-rl');
if (typeof rfm.makeEnv !== 'function' || typeof rfm.train !== 'function') throw new Error('require(rfm-rl) lacks makeEnv/train');
console.log('require(rfm-rl): ok on node ' + process.version);
JS
node --no-warnings consumer.cjs

cat > vector.mjs <<'JS'
// AsyncVectorEnv's workers start the compiled worker module (no TypeScript loader in the package)
import assert from 'node:assert/strict';
import { AsyncVectorEnv } from 'rfm-rl';
const v = await AsyncVectorEnv.create('Pendulum-v1', 2);
const [obs] = await v.reset({ seed: 0 });
const [, rewards] = await v.step(new Float64Array([0.5, -0.5]));
assert.deepEqual([obs.length, rewards.length], [6, 2]);
await v.close();
console.log('AsyncVectorEnv: 2 worker threads from the installed package');
JS
node vector.mjs

echo "== the rfm command of the installed package"
test "$(npx rfm --version)" = "$(node -p "require('$ROOT/package.json').version")"
npx rfm envs list | grep -q '^HalfCheetah-v5 .* 17 .* 6 '
npx rfm train --algo td3 --env MultimodalBandit-v0 --steps 50 --set train.randomSteps=20 --set train.batchSize=8 --out runs --name cli --quiet | grep -q 'final eval return'
cat > dashboard.mjs <<'JS'
// the dashboard of the installed package: its page, a static file and MuJoCo's wasm build from node_modules
import { spawn } from 'node:child_process';
const child = spawn(process.execPath, ['node_modules/rfm-rl/bin/rfm.mjs', 'dashboard', '--runs', 'runs', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
let text = '';
const url = await new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error('dashboard did not start: ' + text)), 30000);
  child.stdout.on('data', (d) => { text += d; const m = /http:\/\/[0-9.:]+/.exec(text); if (m) { clearTimeout(t); resolve(m[0]); } });
});
try {
  for (const path of ['/', '/app/app.js', '/vendor/three/three.module.js', '/vendor/mujoco/mujoco_wasm.js', '/api/runs']) {
    const r = await fetch(url + path);
    if (r.status !== 200) throw new Error(`dashboard ${path}: HTTP ${r.status}`);
  }
  console.log('dashboard of the installed package serves its page, its files, three.js, MuJoCo and the runs');
} finally { child.kill('SIGTERM'); }
JS
node dashboard.mjs
echo "rfm --version, envs list, train and dashboard run from the installed package"

echo "== strict TypeScript consumer"
node -e "
const s = require('fs').readFileSync('$ROOT/README.md', 'utf8');
const i = s.indexOf('\`\`\`ts\n', s.indexOf('## As a library')) + 6;
require('fs').writeFileSync('readme-library.ts', s.slice(i, s.indexOf('\`\`\`\n', i)));
"
cat > typed.ts <<'TS'
import { Box, createAgent, makeEnv, resolveConfig, type Agent, type Config, type Env, type Observation } from 'rfm-rl';
import { tensor, getBackend } from 'rfm-rl/engine';
import { MultimodalBanditEnv } from 'rfm-rl/envs';
const config: Config = resolveConfig({ algo: 'rfm', envId: 'MultimodalBandit-v0', preset: 'small' });
const env: Env = await makeEnv('MultimodalBandit-v0');
const agent: Agent = createAgent('rfm', env.observationSpace.size, env.actionSpace.size, config, 0);
const [obs] = env.reset({ seed: 1 });
const o: Observation = obs;
const a: Float32Array = agent.act(o, { deterministic: true });
const box: Box = new Box(-1, 1, [2]).seed(0);
const first: number | undefined = box.sample()[0];
console.log(a.length, first, tensor([1, 2]).shape, getBackend().name, new MultimodalBanditEnv().id);
TS
cat > tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
    "noUncheckedIndexedAccess": true, "skipLibCheck": false, "types": ["node"], "outDir": "out"
  },
  "files": ["readme-library.ts", "typed.ts"]
}
JSON
npx tsc -p . && echo "strict consumer: type-checks (noUncheckedIndexedAccess, skipLibCheck false)"
node out/typed.js
node out/readme-library.js | tee readme-library.out
node -e "
const m = /return (-?[0-9.]+)/.exec(require('fs').readFileSync('readme-library.out', 'utf8'));
if (!m || !(Number(m[1]) > -400)) { console.error('README library program: return not above -400'); process.exit(1); }
console.log('README library program: return ' + m[1] + ' (README: above -400)');
"
test -f runs/pendulum-sac.safetensors
echo "package check: ok ($WORK)"
