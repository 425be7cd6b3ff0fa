/* global performance, setTimeout, clearTimeout, fetch */
// Every command block of README.md, run as written (from the repository root, after `npm ci`),
// with the outcome README states checked. A command in README without a check here fails this
// script, so a new example comes with its check. (The TypeScript block of "As a library" runs in
// .ci/package-check.sh against the packed tarball; `npm ci && npm test` is .ci/run itself.)
// Usage: node .ci/readme-examples.mjs
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { join } from 'node:path';

const readme = readFileSync('README.md', 'utf8');
// indented code blocks: runs of lines with 4 leading spaces after a blank line
// A block whose first line is `name: ...` is a sweep grid file (YAML): one entry, 'GRID', its text
// kept for the sweep commands that follow it.
const commands = [];
const lines = readme.split('\n');
let gridYaml = null;
for (let i = 0; i < lines.length; i++) {
  if (
    lines[i].startsWith('    ') &&
    (i === 0 || lines[i - 1].trim() === '' || lines[i - 1].startsWith('    '))
  ) {
    if (lines[i].startsWith('    name: ') && (i === 0 || lines[i - 1].trim() === '')) {
      const block = [];
      for (; i < lines.length && lines[i].startsWith('    '); i++) block.push(lines[i].slice(4));
      gridYaml = block.join('\n') + '\n';
      commands.push('GRID');
      continue;
    }
    const cmd = lines[i].trim().replace(/\s+#.*$/, '');
    if (cmd) commands.push(cmd);
  }
}

/** Runs a shell command; returns its output and the seconds it took. */
function sh(cmd) {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', cmd], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0)
    throw new Error(`'${cmd}' exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { out: r.stdout + r.stderr, seconds };
}
const lastEval = (dir) => {
  const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return rows.filter((r) => 'eval/return' in r).at(-1)['eval/return'];
};
const runsBefore = () => new Set(existsSync('runs') ? readdirSync('runs') : []);

const checks = {
  'npm install && npx rfm train --algo rfm --env Pendulum-v1 --preset small': () => {
    // CI has installed already (npm ci); the part after && runs as written.
    const before = runsBefore();
    const { out, seconds } = sh(
      'npx rfm train --algo rfm --env Pendulum-v1 --preset small --quiet',
    );
    const made = [...runsBefore()].filter((d) => !before.has(d));
    assert.equal(made.length, 1, 'one new run folder under runs/');
    assert.match(out, /rfm on Pendulum-v1, seed 0: 5000 steps; final eval return -?[0-9.]+/);
    return `run folder runs/${made[0]}, ${seconds.toFixed(0)} s, eval return ${lastEval(join('runs', made[0])).toFixed(1)}`;
  },
  'npm ci && npm test': () => 'run by .ci/run itself',
  'node bin/rfm.mjs train --algo sac --env Hopper-v5 --steps 3000 --seed 0 --preset small --set train.evalEvery=500 --out runs --name sac-hopper-s0':
    (cmd) => hopper(cmd, 'runs/sac-hopper-s0'),
  'node bin/rfm.mjs train --algo sac --env Hopper-v5 --steps 3000 --seed 1 --preset small --set train.evalEvery=500 --out runs --name sac-hopper-s1':
    (cmd) => hopper(cmd, 'runs/sac-hopper-s1'),
  'node bin/rfm.mjs eval runs/sac-hopper-s0 --record runs/sac-hopper-s0/eval.rollout.json': (
    cmd,
  ) => {
    const { out } = sh(cmd);
    assert.match(out, /return/);
    const rec = JSON.parse(readFileSync('runs/sac-hopper-s0/eval.rollout.json', 'utf8'));
    assert.ok(
      rec && typeof rec === 'object' && JSON.stringify(rec).length > 1000,
      'a recording with frames',
    );
    return 'recording written';
  },
  "node bin/rfm.mjs plot 'runs/sac-hopper-*' --out runs/curves.png": (cmd) => {
    rmSync('runs/curves.png', { force: true });
    const { out } = sh(cmd);
    assert.match(out, /Hopper-v5 \/ sac: 2 run\(s\)/);
    const png = readFileSync('runs/curves.png');
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.ok(
      rootPlotBefore || !existsSync('curves.png'),
      'nothing written to the repository root',
    );
    return `runs/curves.png, ${png.length} bytes`;
  },
  'node bin/rfm.mjs dashboard --runs runs': async (cmd) => {
    // a server: start it on a free port, fetch its page and the run list, stop it
    const child = spawn('bash', ['-c', cmd.replace('--runs runs', '--runs runs --port 0')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise((resolve, reject) => {
        let text = '';
        const t = setTimeout(() => reject(new Error(`dashboard did not start: ${text}`)), 30_000);
        const on = (d) => {
          text += d;
          const m = /http:\/\/[0-9.:]+\/?/.exec(text);
          if (m) {
            clearTimeout(t);
            resolve(m[0].replace(/\/?$/, '/'));
          }
        };
        child.stdout.on('data', on);
        child.stderr.on('data', on);
      });
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);
      return `served ${url}`;
    } finally {
      child.kill('SIGTERM');
    }
  },
  'node bin/rfm.mjs train --algo rfm --env MultimodalBandit-v0 --preset small --out runs --name rfm-bandit':
    (cmd) => {
      rmSync('runs/rfm-bandit', { recursive: true, force: true });
      const { seconds } = sh(cmd);
      const ret = lastEval('runs/rfm-bandit');
      assert.ok(seconds < 150, `README: one to two minutes; took ${seconds.toFixed(0)} s`);
      assert.ok(ret > 0.5, `README: evaluation return above 0.5; got ${ret}`);
      return `${seconds.toFixed(0)} s, eval return ${ret.toFixed(2)}`;
    },
  'node bin/rfm.mjs eval runs/rfm-bandit --samples runs/rfm-bandit/actions.samples.json': (cmd) => {
    sh(cmd);
    const file = JSON.parse(readFileSync('runs/rfm-bandit/actions.samples.json', 'utf8'));
    const pts = file.sets.find((s) => s.name === 'rfm actions').points;
    const n = pts.length / 2;
    const perMode = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const [x, y] = [pts[2 * i], pts[2 * i + 1]];
      const d2 = (Math.abs(x) - 0.5) ** 2 + (Math.abs(y) - 0.5) ** 2;
      if (Math.exp(-d2 / 0.02) >= 0.5) perMode[(x < 0 ? 1 : 0) + (y < 0 ? 2 : 0)]++;
    }
    const near = perMode.reduce((a, b) => a + b, 0);
    assert.ok(near >= 0.5 * n, `most samples on an optimum: ${near}/${n}`);
    for (const c of perMode)
      assert.ok(c >= 0.05 * n, `README: samples on all four optima; per optimum ${perMode}`);
    return `${near}/${n} samples on an optimum; per optimum ${perMode}`;
  },
};

// The Sweeps section: its grid file and the local-pool commands run as written in a temporary
// folder (`rfm` is this checkout's bin/rfm.mjs); the queue commands need Redis on other machines
// and are exercised, with a private redis-server, by test/sweep/queue.test.ts.
const sweepDir = mkdtempSync(join(tmpdir(), 'rfm-readme-sweep-'));
const rfmBin = resolve('bin/rfm.mjs');
const inSweepDir = (cmd) => sh(`cd '${sweepDir}' && node '${rfmBin}' ${cmd.replace(/^rfm /, '')}`);
let sweepRuns = 0;
const byQueueTest = () => {
  assert.ok(existsSync('test/sweep/queue.test.ts'));
  return 'needs Redis on a shared network: exercised by test/sweep/queue.test.ts (private redis-server, two workers, status)';
};
Object.assign(checks, {
  GRID: () => {
    assert.ok(gridYaml, 'the grid block');
    writeFileSync(join(sweepDir, 'grid.yaml'), gridYaml);
    return `grid.yaml written to ${sweepDir}`;
  },
  'rfm sweep grid.yaml --dry-run': (cmd) => {
    const { out } = inSweepDir(cmd);
    const n = Number(/(\d+) runs in .* \(dry run\)/.exec(out)?.[1]);
    assert.ok(n >= 11, `the grid's runs are listed:\n${out}`);
    assert.equal((out.match(/\[new\]/g) ?? []).length, n, 'every run new');
    sweepRuns = n;
    return `${n} runs listed, all new`;
  },
  'rfm sweep grid.yaml --workers 2': (cmd) => {
    const { out, seconds } = inSweepDir(cmd);
    assert.match(out, new RegExp(`${sweepRuns} of ${sweepRuns} done`));
    return `${sweepRuns} runs in ${seconds.toFixed(0)} s`;
  },
  'rfm sweep report sweeps/pendulum-sac': (cmd) => {
    inSweepDir(cmd);
    const report = JSON.parse(
      readFileSync(join(sweepDir, 'sweeps/pendulum-sac/report.json'), 'utf8'),
    );
    assert.ok(existsSync(join(sweepDir, 'sweeps/pendulum-sac/report.md')));
    return `report.json: ${JSON.stringify(report).length} bytes`;
  },
  'rfm plot sweeps/pendulum-sac --out curves.png': (cmd) => {
    const { out } = inSweepDir(cmd);
    assert.match(out, /Pendulum-v1 \/ sac: 10 run\(s\)/);
    assert.match(out, /Pendulum-v1 \/ td3: 5 run\(s\)/);
    assert.equal(readFileSync(join(sweepDir, 'curves.png')).subarray(1, 4).toString(), 'PNG');
    return 'curves.png drawn';
  },
  'rfm sweep grid.yaml --queue redis://redis-host:6379': byQueueTest,
  'rfm worker --queue redis://redis-host:6379 --out /shared/sweeps --concurrency 2': byQueueTest,
  'rfm sweep status --queue redis://redis-host:6379 --sweep pendulum-sac --watch 5': byQueueTest,
  'rfm dashboard --runs /shared/sweeps/pendulum-sac': byQueueTest,
});

function hopper(cmd, dir) {
  rmSync(dir, { recursive: true, force: true });
  const { seconds } = sh(cmd);
  assert.ok(existsSync(join(dir, 'metrics.jsonl')));
  assert.ok(Number.isFinite(lastEval(dir)));
  return `${seconds.toFixed(0)} s (README: seconds each), eval return ${lastEval(dir).toFixed(1)}`;
}
const rootPlotBefore = existsSync('curves.png');

const missing = commands.filter((c) => !(c in checks));
if (missing.length) {
  console.error(
    `README commands without a check in .ci/readme-examples.mjs:\n  ${missing.join('\n  ')}`,
  );
  process.exit(1);
}
let failed = 0;
for (const cmd of commands) {
  try {
    console.log(`ok   ${cmd}\n     ${await checks[cmd](cmd)}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${cmd}\n     ${String(e.message).split('\n').slice(0, 6).join('\n     ')}`);
  }
}
console.log(`${commands.length - failed}/${commands.length} README commands hold`);
process.exit(failed ? 1 : 0);
