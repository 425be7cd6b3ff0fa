/**
 * Where the time of one RFM update goes: wraps every kernel of the active backend with a timer and
 * runs `rfm bench update`'s update on its synthetic batch. Kernel time is split by method (and by
 * shape for linear / matmul); what is left of the wall time is JavaScript (tape, views, pooling).
 * The timers cost time of their own (two clock reads and a closure per kernel call: about 0.5 ms
 * per update at the small preset, most of it counted as JavaScript), so the updates are first
 * timed without them: that CPU time, less the kernels' time, bounds the JavaScript better.
 * Through tsx the modules' exports are getters, which the compiled package (dist/, what `rfm`
 * runs) does not have: `node bench/update-cpu-time.mjs` times that.
 *
 *   npx tsx bench/profile-update.ts [--preset lite] [--updates 20]
 */
import { RfmAgent } from '../src/agents/rfm.ts';
import { PRESETS, type PresetName } from '../src/config/index.ts';
import { Rng, getBackend } from '../src/engine/index.ts';
import { syntheticBatch } from '../src/cli/commands/bench-update.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const preset = arg('preset', 'lite') as PresetName;
const updates = Number(arg('updates', '20'));
const p = PRESETS[preset];
const be = getBackend() as unknown as Record<string, unknown>;
const agent = new RfmAgent('rfm', 17, 6, p.rfm ?? {}, 0);
const batch = syntheticBatch(p.train?.batchSize ?? 256, new Rng(1));
for (let i = 0; i < 3; i++) agent.update(batch);
// the updates without timers first
const u0 = process.cpuUsage();
for (let i = 0; i < updates; i++) agent.update(batch);
const bare = process.cpuUsage(u0);
const bareMs = (bare.user + bare.system) / 1e3 / updates;
const times = new Map<string, { ms: number; calls: number }>();
let inKernel = false;
const proto = Object.getPrototypeOf(be) as Record<string, unknown>;
const names = new Set<string>();
for (let o = proto; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
  for (const k of Object.getOwnPropertyNames(o)) {
    const d = Object.getOwnPropertyDescriptor(o, k);
    if (k !== 'constructor' && d && typeof d.value === 'function') names.add(k);
  }
}
for (const k of names) {
  const f = be[k] as (...a: unknown[]) => unknown;
  be[k] = function (this: unknown, ...a: unknown[]) {
    if (inKernel) return f.apply(this, a);
    let key = k;
    if (k === 'linear') key = `linear ${a[5]}x${a[7]}->${a[6]} ${a[8]}`;
    else if (k === 'linearBackward')
      key = `linearBackward ${a[9]}x${a[11]}->${a[10]} ${a[5] ? 'gx' : ''}${a[6] ? 'gw' : ''}`;
    else if (k === 'matmul') key = `matmul ${a[3]}x${a[5]}x${a[4]} b${a[10]}`;
    else if (k === 'unary' || k === 'binary' || k === 'reduce') key = `${k} ${a[0]}`;
    inKernel = true;
    const t0 = performance.now();
    try {
      return f.apply(this, a);
    } finally {
      const dt = performance.now() - t0;
      inKernel = false;
      const e = times.get(key) ?? { ms: 0, calls: 0 };
      e.ms += dt;
      e.calls++;
      times.set(key, e);
    }
  };
}
for (let i = 0; i < 3; i++) agent.update(batch);
times.clear();
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < updates; i++) agent.update(batch);
const wall = (performance.now() - t0) / updates;
const cpu = process.cpuUsage(c0);
const cpuMs = (cpu.user + cpu.system) / 1e3 / updates;
let kernel = 0;
const rows = [...times]
  .map(([k, v]) => ({ k, ms: v.ms / updates, calls: v.calls / updates }))
  .sort((a, b) => b.ms - a.ms);
for (const r of rows) kernel += r.ms;
console.log(
  `preset ${preset}, backend ${getBackend().name}: ${wall.toFixed(2)} ms per update (CPU ${cpuMs.toFixed(2)} ms, all threads), kernels ${kernel.toFixed(2)} ms, rest (JS) ${(wall - kernel).toFixed(2)} ms`,
);
const calls = rows.reduce((n, r) => n + r.calls, 0);
console.log(
  `without the timers: ${bareMs.toFixed(2)} ms CPU per update (all threads); less the kernels, JS about ${(bareMs - kernel).toFixed(2)} ms (with one thread, RFM_THREADS=1, where CPU time is wall time); ${calls} backend calls per update`,
);
for (const r of rows.slice(0, 40))
  console.log(
    `${r.ms.toFixed(3).padStart(9)} ms ${((100 * r.ms) / wall).toFixed(1).padStart(5)}%  ${String(r.calls).padStart(5)} calls  ${r.k}`,
  );
