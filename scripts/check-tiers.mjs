// Checks the built tiers of the native addon (see native/src/common.h): code compiled for one
// instruction-set tier must never run on a CPU without it, so a tier's objects may define no
// symbol outside their own namespace (rfm::<tier>) that the linker could pick for the baseline
// code too (an inline function or template instance of the standard library), and no static
// initialiser (which would run at load, before the tier is chosen).
// Usage: node scripts/check-tiers.mjs [build/Release]   (needs binutils' nm and objdump)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = process.argv[2] ?? 'build/Release';
const archives = readdirSync(dir).filter((f) => /^rfm_tier_\w+\.a$/.test(f));
if (archives.length === 0) {
  console.error(
    `check-tiers: no rfm_tier_*.a under ${dir} (build with npm run build:native first)`,
  );
  process.exit(1);
}
let bad = 0;
for (const a of archives) {
  const tier = a.slice('rfm_tier_'.length, -2);
  const path = join(dir, a);
  const nm = spawnSync('nm', ['-C', '--defined-only', path], { encoding: 'utf8' });
  if (nm.status !== 0) {
    console.error(`check-tiers: nm failed on ${path}: ${nm.stderr.trim()}`);
    process.exit(1);
  }
  // external symbols (global, weak, unique) that do not belong to this tier
  const foreign = nm.stdout
    .split('\n')
    .filter((l) => / [TDBRWVuiG] /.test(l) && !l.includes(`rfm::${tier}`))
    .map((l) => l.replace(/^[0-9a-f]* /, ''));
  const objdump = spawnSync('objdump', ['-h', path], { encoding: 'utf8' });
  const inits = objdump.stdout.split('\n').filter((l) => /\.(init_array|ctors)\b/.test(l));
  for (const s of new Set(foreign)) console.error(`${a}: symbol outside rfm::${tier}: ${s}`);
  for (const s of inits) console.error(`${a}: static initialiser section: ${s.trim()}`);
  bad += new Set(foreign).size + inits.length;
  if (foreign.length === 0 && inits.length === 0)
    console.log(`${a}: ok (only rfm::${tier} symbols, no static initialisers)`);
}
process.exit(bad ? 1 : 0);
