/**
 * `rfm bench update --preset paper|lite|small [--seconds S] [--repeat N] [--algo rfm] [--json]`:
 * the canonical RFM update of spec/BENCHMARKS.md section 1, run by the agent's own update code
 * on a synthetic replay batch (observation dim 17, action dim 6, like HalfCheetah). With
 * --repeat N the measurement runs N rounds of S seconds and reports the median round (timings on
 * shared machines drift between rounds).
 */
import { RfmAgent, type RfmAlgo } from '../../agents/rfm.ts';
import { PRESETS, type PresetName } from '../../config/index.ts';
import type { Batch } from '../../agents/types.ts';
import { Rng, getBackend } from '../../engine/index.ts';
import { UsageError, optFlag, optNumber, optString, parseArgs } from '../args.ts';
import { NativeBackend, describeBackend } from '../../engine/backend-native.ts';
import { WasmBackend } from '../../engine/backend-wasm.ts';

const OBS = 17;
const ACT = 6;

export function syntheticBatch(size: number, rng: Rng): Batch {
  const f = (n: number, lo = -1, hi = 1) => rng.fillUniform(new Float32Array(n), lo, hi);
  return {
    size,
    obs: f(size * OBS),
    action: f(size * ACT, -0.99, 0.99),
    reward: f(size, 0, 1),
    nextObs: f(size * OBS),
    terminated: new Float32Array(size),
  };
}

export interface UpdateBenchResult {
  preset: string;
  backend: string;
  /** The native backend's instruction-set tier (avx512, avx2, baseline, neon), wasm-simd128 on the wasm backend; absent on ts. */
  isa?: string;
  algo: string;
  /** Updates per second: of the one round, or the median round with --repeat. */
  updatesPerSec: number;
  updates: number;
  seconds: number;
  /** Median seconds of one update (over every timed update). */
  medianUpdateSeconds: number;
  /** Updates per second of each round. */
  rounds: number[];
}

export function benchUpdate(
  preset: string,
  seconds: number,
  algo = 'rfm',
  seed = 0,
  repeat = 1,
): UpdateBenchResult {
  // the presets of BENCHMARKS.md section 1 live in src/config/presets.ts
  const p = PRESETS[preset as PresetName];
  if (!p)
    throw new UsageError(`unknown preset '${preset}' (known: ${Object.keys(PRESETS).join(', ')})`);
  const algos = ['rfm', 'rfm-diffusion'];
  if (!algos.includes(algo))
    throw new UsageError(`--algo must be one of ${algos.join(', ')}, got '${algo}'`);
  if (!(Number.isInteger(repeat) && repeat >= 1))
    throw new UsageError(`--repeat must be a positive integer, got ${repeat}`);
  if (!(seconds >= 0))
    throw new UsageError(`--seconds must be a non-negative number, got ${seconds}`);
  const batchSize = p.train?.batchSize ?? 256;
  const agent = new RfmAgent(algo as RfmAlgo, OBS, ACT, p.rfm ?? {}, seed);
  const batch = syntheticBatch(batchSize, new Rng(seed + 1));
  for (let i = 0; i < 3; i++) agent.update(batch); // warm-up
  const times: number[] = [];
  const rounds: number[] = [];
  let total = 0;
  for (let r = 0; r < repeat; r++) {
    let n = 0;
    const start = performance.now();
    while ((performance.now() - start) / 1000 < seconds || n < 3) {
      const t0 = performance.now();
      agent.update(batch);
      times.push((performance.now() - t0) / 1000);
      n++;
    }
    const elapsed = (performance.now() - start) / 1000;
    total += elapsed;
    rounds.push(n / elapsed);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const be = getBackend();
  return {
    preset,
    backend: be.name,
    ...(be instanceof NativeBackend || be instanceof WasmBackend ? { isa: be.isa } : {}),
    algo,
    updatesPerSec: median(rounds),
    updates: times.length,
    seconds: total,
    medianUpdateSeconds: median(times),
    rounds,
  };
}

export async function run(args: string[]): Promise<number> {
  const p = parseArgs(args, ['preset', 'seconds', 'algo', 'seed', 'repeat'], ['json', 'help']);
  if (optFlag(p, 'help')) {
    console.log(
      'usage: rfm bench update [--preset paper|lite|small] [--seconds S] [--repeat N] [--algo rfm|rfm-diffusion] [--json]\n' +
        "Times the RFM agent's own update on a synthetic batch (obs 17, action 6) after 3 warm-up updates;\n" +
        '--repeat N: N rounds of S seconds, reporting the median round.',
    );
    return 0;
  }
  const preset = optString(p, 'preset') ?? 'lite';
  const r = benchUpdate(
    preset,
    optNumber(p, 'seconds', 10),
    optString(p, 'algo') ?? 'rfm',
    optNumber(p, 'seed', 0),
    optNumber(p, 'repeat', 1),
  );
  console.log(`preset ${r.preset}  backend ${describeBackend(getBackend())}  algo ${r.algo}`);
  console.log(
    `${r.updates} updates in ${r.seconds.toFixed(2)} s: ${r.updatesPerSec.toFixed(2)} updates/s${r.rounds.length > 1 ? ` (median of ${r.rounds.length} rounds: ${r.rounds.map((x) => x.toFixed(2)).join(', ')})` : ''}, median ${(r.medianUpdateSeconds * 1000).toFixed(1)} ms per update`,
  );
  if (optFlag(p, 'json')) console.log(JSON.stringify(r));
  return 0;
}
