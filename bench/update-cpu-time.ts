/**
 * CPU time of one RFM update (`rfm bench update`'s update on its synthetic batch), for comparing
 * backends or two checkouts side by side on a loaded machine: CPU time of the process moves far
 * less with other processes' load than wall time does. With several roots the runs interleave
 * (A B A B ...), each in this one process: every root's engine is its own module instance.
 *
 *   RFM_BACKEND=wasm npx tsx bench/update-cpu-time.ts [--preset small] [--updates 200] [--rounds 3] [ROOT...]
 *
 * ROOT: a checkout of this repository (default: the one this script is in). Prints one line per
 * run (root, CPU ms and wall ms per update, the 1-minute load) and the median CPU ms per root.
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const preset = opt('preset', 'small');
const updates = Number(opt('updates', '200'));
const rounds = Number(opt('rounds', '3'));
if (!(updates >= 1 && rounds >= 1)) throw new Error('--updates and --rounds must be at least 1');
const roots = argv.length
  ? argv.map((r) => resolve(r))
  : [resolve(fileURLToPath(import.meta.url), '../..')];

interface Bench {
  root: string;
  update: () => void;
  backend: string;
}
async function load(root: string): Promise<Bench> {
  const at = (p: string) => pathToFileURL(resolve(root, p)).href;
  const { RfmAgent } = await import(at('src/agents/rfm.ts'));
  const { PRESETS } = await import(at('src/config/index.ts'));
  const { Rng, getBackend } = await import(at('src/engine/index.ts'));
  const { syntheticBatch } = await import(at('src/cli/commands/bench-update.ts'));
  const p = PRESETS[preset];
  if (!p) throw new Error(`unknown preset '${preset}'`);
  const agent = new RfmAgent('rfm', 17, 6, p.rfm ?? {}, 0);
  const batch = syntheticBatch(p.train?.batchSize ?? 256, new Rng(1));
  for (let i = 0; i < 3; i++) agent.update(batch); // warm-up
  return { root, update: () => agent.update(batch), backend: getBackend().name };
}

const benches: Bench[] = [];
for (const r of roots) benches.push(await load(r));
const cpu = new Map<string, number[]>();
for (let k = 0; k < rounds; k++) {
  for (const b of benches) {
    const load1 = loadavg()[0];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < updates; i++) b.update();
    const wall = (performance.now() - t0) / updates;
    const c = process.cpuUsage(c0);
    const ms = (c.user + c.system) / 1e3 / updates;
    if (!cpu.has(b.root)) cpu.set(b.root, []);
    cpu.get(b.root)!.push(ms);
    console.log(
      `round ${k + 1} ${b.root} (${b.backend}, ${preset}): CPU ${ms.toFixed(2)} ms, wall ${wall.toFixed(2)} ms per update, load ${load1.toFixed(2)}`,
    );
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [root, xs] of cpu)
  console.log(
    `median ${root}: CPU ${median(xs).toFixed(2)} ms per update (${(1000 / median(xs)).toFixed(1)} updates per CPU-second)`,
  );
