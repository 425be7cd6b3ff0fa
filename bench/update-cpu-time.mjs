// CPU time of one RFM update on one thread (RFM_THREADS=1), builds side by side: each round runs
// every given repository root (its compiled dist/ and its build/Release addon) in a fresh process,
// one after the other (A B A B ...), so that other processes' load moves both alike. CPU time, not
// wall time: on a loaded machine wall-clock figures swing by 2x, CPU time of one thread little.
// Usage: RFM_ISA=avx2 node bench/update-cpu-time.mjs [--preset small] [--updates 400] [--rounds 3]
//          [--algo rfm] [--warmup 200] ROOT...   (default ROOT: this repository)
// Prints one line per process and the median and the least per root, in ms of CPU per update
// (other processes' load only adds: the least is the steadiest figure on a busy machine).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};

if (args[0] === '--child') {
  // one process: warm-up, then the timed updates
  const [, root, preset, updates, algo, warmup] = args;
  const dist = (p) => pathToFileURL(resolve(root, 'dist', p)).href;
  const { RfmAgent } = await import(dist('agents/rfm.js'));
  const { PRESETS } = await import(dist('config/index.js'));
  const { Rng, getBackend } = await import(dist('engine/index.js'));
  const { syntheticBatch } = await import(dist('cli/commands/bench-update.js'));
  const p = PRESETS[preset];
  const agent = new RfmAgent(algo, 17, 6, p.rfm ?? {}, 0);
  const batch = syntheticBatch(p.train?.batchSize ?? 256, new Rng(1));
  for (let i = 0; i < Number(warmup); i++) agent.update(batch); // warm-up (the JIT settles)
  const c0 = process.cpuUsage();
  for (let i = 0; i < Number(updates); i++) agent.update(batch);
  const c = process.cpuUsage(c0);
  const be = getBackend();
  console.log(
    JSON.stringify({ ms: (c.user + c.system) / 1e3 / Number(updates), isa: be.isa ?? be.name }),
  );
} else {
  const preset = opt('preset', 'small');
  const updates = opt('updates', '400');
  const rounds = Number(opt('rounds', '3'));
  const algo = opt('algo', 'rfm');
  const warmup = opt('warmup', '200');
  const roots = args.length > 0 ? args : ['.'];
  const env = { ...process.env, RFM_THREADS: process.env.RFM_THREADS ?? '1' };
  const seen = new Map(roots.map((r) => [r, []]));
  for (let r = 0; r < rounds; r++) {
    for (const root of roots) {
      const p = spawnSync(
        process.execPath,
        [new URL(import.meta.url).pathname, '--child', root, preset, updates, algo, warmup],
        { env, encoding: 'utf8' },
      );
      if (p.status !== 0) {
        console.error(`update-cpu-time: ${root} failed:\n${p.stderr}`);
        process.exit(1);
      }
      const o = JSON.parse(p.stdout.trim().split('\n').pop());
      seen.get(root).push(o.ms);
      console.log(`round ${r + 1}  ${o.isa}  ${o.ms.toFixed(3)} ms  ${root}`);
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  // each round's ratio to the first root's figure in the same round (the pairs run back to back)
  const base = seen.get(roots[0]);
  for (const root of roots.slice(1)) {
    const r = seen.get(root).map((v, i) => v / base[i]);
    console.log(
      `ratio to ${roots[0]}: median ${median(r).toFixed(3)} (${r.map((v) => v.toFixed(3)).join(', ')})  ${root}`,
    );
  }
  for (const [root, ms] of seen)
    console.log(
      `median ${median(ms).toFixed(3)} ms, least ${Math.min(...ms).toFixed(3)} ms CPU per ${preset} update (${ms.map((v) => v.toFixed(3)).join(', ')})  ${root}`,
    );
}
