/**
 * Where the time of one RFM update goes: wraps every kernel of the active backend with a timer and
 * runs `rfm bench update`'s update on its synthetic batch. Kernel time is split by method (and by
 * shape for linear / matmul); what is left of the wall time is JavaScript (tape, views, pooling).
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
const agent = new RfmAgent('rfm', 17, 6, p.rfm ?? {}, 0);
const batch = syntheticBatch(p.train?.batchSize ?? 256, new Rng(1));
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
for (const r of rows.slice(0, 40))
  console.log(
    `${r.ms.toFixed(3).padStart(9)} ms ${((100 * r.ms) / wall).toFixed(1).padStart(5)}%  ${String(r.calls).padStart(5)} calls  ${r.k}`,
  );
