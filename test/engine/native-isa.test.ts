// The native addon's instruction-set tiers: chosen from the CPU, forced with RFM_ISA, and a tier
// that the CPU or the build lacks is an error with one line, not a silent fall-back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NATIVE_ADDON_PATH } from '../../src/engine/backend-native.ts';

const TIERS = ['avx512', 'avx2', 'baseline', 'neon'];
/** The addon loaded in a child process with RFM_ISA = isa: its tier, or the load error's message. */
function load(isa: string | undefined): { isa?: string; error?: string } {
  const env = { ...process.env };
  delete env.RFM_ISA;
  if (isa !== undefined) env.RFM_ISA = isa;
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `try { console.log(require(${JSON.stringify(NATIVE_ADDON_PATH)}).isa()) } catch (e) { console.log('ERR ' + e.message) }`,
    ],
    { env, encoding: 'utf8' },
  );
  const out = r.stdout.trim();
  return out.startsWith('ERR ') ? { error: out.slice(4) } : { isa: out };
}

describe('native instruction-set tiers', () => {
  it('the CPU picks the best tier; every tier it has can be forced; others fail with one line', (t) => {
    if (!existsSync(NATIVE_ADDON_PATH)) {
      t.skip('the native addon is not built');
      return;
    }
    const best = load(undefined).isa;
    assert.ok(best && TIERS.includes(best), `default tier ${best}`);
    const forced = TIERS.map((isa) => ({ isa, got: load(isa) }));
    // the default is the first tier (best first) that loads
    assert.equal(forced.find((f) => f.got.isa)?.isa, best);
    for (const { isa, got } of forced) {
      if (got.isa) assert.equal(got.isa, isa);
      else
        assert.match(
          got.error!,
          new RegExp(
            `^RFM_ISA=${isa}: (this CPU lacks .+|not a tier of this build \\(it has: [a-z0-9 ]+\\))$`,
          ),
        );
    }
    assert.equal(load('baseline').isa ?? load('neon').isa, best === 'neon' ? 'neon' : 'baseline');
    assert.match(
      load('sse9').error!,
      /^RFM_ISA=sse9: not a tier of this build \(it has: [a-z0-9 ]+\)$/,
    );
  });
  it('the engine reports a forced tier it cannot load as an error, not a fall-back to TypeScript', (t) => {
    if (!existsSync(NATIVE_ADDON_PATH)) {
      t.skip('the native addon is not built');
      return;
    }
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "import('./src/engine/index.ts').then((E) => console.log(E.getBackend().name))",
      ],
      {
        env: { ...process.env, RFM_ISA: 'sse9' },
        encoding: 'utf8',
      },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Error: native backend: RFM_ISA=sse9: not a tier of this build/);
  });
});
