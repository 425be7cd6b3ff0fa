// `rfm bench update` on each instruction-set tier beside the JAX peer restricted to the same
// instruction set, interleaved in one run (the machine's load changes over time: every round runs
// every entry once, in the same order), with the current build beside an older one when given.
//
// Usage: node bench/isa-vs-jax.mjs [--presets small,lite] [--seconds 10] [--rounds 2]
//          [--python /work/jaxenv/bin/python] [--peer ../shared/peers/rfm_update_jax.py]
//          [--tiers avx512,avx2] [--old DIR]   (DIR: a checkout whose bin/rfm.mjs loads the older build)
// Prints a markdown table (median and every round, updates/s) and writes the raw numbers as JSON
// to stdout's last line.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const presets = opt('presets', 'small,lite').split(',');
const seconds = Number(opt('seconds', '10'));
const rounds = Number(opt('rounds', '2'));
const python = opt('python', '/work/jaxenv/bin/python');
const peer = opt('peer', '../shared/peers/rfm_update_jax.py');
const tiers = opt('tiers', 'avx512,avx2').split(',');
const old = opt('old', '');
if (!(seconds > 0) || !(rounds >= 1)) {
  console.error('isa-vs-jax: --seconds must be positive and --rounds at least 1');
  process.exit(1);
}

/** XLA's name for a tier's instruction set (--xla_cpu_max_isa). */
const XLA_ISA = { avx512: 'AVX512', avx2: 'AVX2', baseline: 'SSE4_2' };

function ours(preset, isa, cwd = '.') {
  const env = { ...process.env };
  if (isa) env.RFM_ISA = isa;
  else delete env.RFM_ISA;
  const r = spawnSync(
    process.execPath,
    ['bin/rfm.mjs', 'bench', 'update', '--preset', preset, '--seconds', String(seconds), '--json'],
    { cwd, env, encoding: 'utf8' },
  );
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(last);
    return { value: j.updatesPerSec, isa: j.isa };
  } catch {
    throw new Error(
      `rfm bench update failed (${isa ?? 'default'}, ${cwd}): ${r.stderr.slice(-400)}`,
    );
  }
}
function jax(preset, isa) {
  const env = { ...process.env };
  if (isa) env.XLA_FLAGS = `--xla_cpu_max_isa=${XLA_ISA[isa]}`;
  const r = spawnSync(python, [peer, preset, String(seconds)], { env, encoding: 'utf8' });
  const m = /updates\/s\s+([0-9.eE+-]+)\s*$/.exec(r.stdout.trim());
  if (!m)
    throw new Error(
      `JAX peer failed (${isa ?? 'unrestricted'}): ${(r.stderr || r.stdout).slice(-400)}`,
    );
  return { value: Number(m[1]) };
}

const entries = [];
for (const t of tiers) entries.push({ name: `rfm-rl ${t}`, run: (p) => ours(p, t) });
for (const t of tiers) entries.push({ name: `JAX max ISA ${XLA_ISA[t]}`, run: (p) => jax(p, t) });
if (old) entries.push({ name: 'rfm-rl older build', run: (p) => ours(p, undefined, old) });
const results = {};
const loads = [loadavg()[0]];
for (const p of presets) {
  results[p] = Object.fromEntries(entries.map((e) => [e.name, []]));
  for (let r = 0; r < rounds; r++)
    for (const e of entries) {
      const v = e.run(p).value;
      results[p][e.name].push(v);
      loads.push(loadavg()[0]);
      console.error(
        `[${p} round ${r + 1}] ${e.name}: ${v.toFixed(3)} updates/s (load average ${loadavg()[0].toFixed(1)})`,
      );
    }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
console.log(
  `${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores (1-minute load average ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} during the run); ${seconds} s per figure, ${rounds} rounds interleaved; updates/s (median; every round)\n`,
);
console.log(
  `| preset | ${entries.map((e) => e.name).join(' | ')} | ${tiers.map((t) => `${t} / JAX ${XLA_ISA[t]}`).join(' | ')} |`,
);
console.log(`|---|${entries.map(() => '---').join('|')}|${tiers.map(() => '---').join('|')}|`);
for (const p of presets) {
  const cells = entries.map(
    (e) =>
      `${median(results[p][e.name]).toPrecision(3)} (${results[p][e.name].map((v) => v.toPrecision(3)).join(', ')})`,
  );
  const ratios = tiers.map(
    (t) =>
      `${(median(results[p][`rfm-rl ${t}`]) / median(results[p][`JAX max ISA ${XLA_ISA[t]}`])).toFixed(2)}x`,
  );
  console.log(`| ${p} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
}
console.log(JSON.stringify({ seconds, rounds, loads, results }));
