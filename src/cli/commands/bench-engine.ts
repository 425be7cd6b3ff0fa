/**
 * `rfm bench engine [--json] [--seconds S] [--backend NAME] [--profile]`: the engine benchmark of
 * spec/BENCHMARKS.md section 2.
 *
 *  - GEMM GFLOP/s, C [M,N] = A [M,K] B [K,N], for M x K x N = 256x256x256, 8192x256x256,
 *    25600x279x256 (the backend's matmul on preallocated storage);
 *  - the training step of an MLP [23 -> 256 -> 256 -> 1] with ReLU (forward, MSE loss, backward,
 *    Adam) at 256 and 8192 rows, FLOPs counted as 3 x 2 x rows x (23*256 + 256*256 + 256).
 *
 * Each figure is the median over repeats (each repeat a timed run of at least ~50 ms) after a
 * warm-up; `--seconds` is the time spent measuring each figure. `--profile` splits the 256-row
 * step into forward / backward / optimiser and the time inside the backend's kernels.
 */
import {
  type Backend,
  type Storage,
  Rng,
  backward,
  getBackend,
  mean,
  randn,
  square,
  sub,
  tidy,
  tryBackend,
} from '../../engine/index.ts';
import { Adam } from '../../nn/optim.ts';
import { MLP } from '../../nn/layers.ts';
import { UsageError, optFlag, optNumber, optString, parseArgs } from '../args.ts';

export const GEMM_SHAPES: readonly [number, number, number][] = [
  [256, 256, 256],
  [8192, 256, 256],
  [25600, 279, 256],
];
export const MLP_ROWS = [256, 8192] as const;
export const MLP_SIZES = [23, 256, 256, 1] as const;

export interface EngineBenchResult {
  backend: string;
  /** The native backend's instruction-set tier (avx512, avx2, baseline, neon); absent on others. */
  isa?: string;
  gemmGflops: Record<string, number>;
  mlpTrainStepGflops: Record<string, number>;
}

/** Median seconds per call of fn: warm-up, then repeats of batches lasting at least minBatch seconds. */
export function timeMedian(fn: () => void, seconds: number, minBatch = 0.05): number {
  const now = (): number => performance.now() / 1000;
  // warm-up (also sizes the batches)
  let t0 = now();
  let calls = 0;
  while (calls < 2 || now() - t0 < Math.min(0.2, seconds / 4)) {
    fn();
    calls++;
  }
  const perCall = (now() - t0) / calls;
  const batch = Math.max(1, Math.ceil(minBatch / Math.max(perCall, 1e-7)));
  const samples: number[] = [];
  const start = now();
  while (samples.length < 3 || (now() - start < seconds && samples.length < 1000)) {
    t0 = now();
    for (let i = 0; i < batch; i++) fn();
    samples.push((now() - t0) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

export function gemmGflops(be: Backend, m: number, k: number, n: number, seconds: number): number {
  const rng = new Rng(1);
  const a = be.fromArray(rng.fillUniform(new Float32Array(m * k), -1, 1));
  const b = be.fromArray(rng.fillUniform(new Float32Array(k * n), -1, 1));
  const c: Storage = be.alloc(m * n);
  const t = timeMedian(() => be.matmul(a, b, c, m, n, k, false, false, false, 1, 0, 0, 0), seconds);
  be.free(a);
  be.free(b);
  be.free(c);
  return (2 * m * n * k) / t / 1e9;
}

export function mlpStepFlops(rows: number): number {
  let macs = 0;
  for (let i = 0; i + 1 < MLP_SIZES.length; i++) macs += MLP_SIZES[i] * MLP_SIZES[i + 1];
  return 3 * 2 * rows * macs;
}

/** A training-step closure for the benchmark MLP at `rows` rows (its tensors kept across steps). */
export function mlpTrainStep(
  be: Backend,
  rows: number,
  seed = 0,
): {
  step: () => void;
  parts: { forward: () => unknown; backward: (loss: unknown) => void; optimise: () => void };
} {
  const rng = new Rng(seed);
  const net = new MLP(MLP_SIZES, rng, { activation: 'relu', backend: be });
  const opt = new Adam(net.parameters(), { lr: 1e-4 });
  const x = randn([rows, MLP_SIZES[0]], rng, be).keep();
  const target = randn([rows, 1], rng, be).keep();
  const forward = () => mean(square(sub(net.forward(x), target)));
  const step = (): void => {
    tidy(() => {
      backward(forward());
    });
    opt.step();
  };
  return {
    step,
    parts: {
      forward,
      backward: (loss) => backward(loss as ReturnType<typeof forward>),
      optimise: () => opt.step(),
    },
  };
}

export function mlpGflops(be: Backend, rows: number, seconds: number): number {
  const { step } = mlpTrainStep(be, rows);
  return mlpStepFlops(rows) / timeMedian(step, seconds) / 1e9;
}

export function benchEngine(
  be: Backend,
  seconds: number,
  log: (line: string) => void = () => {},
): EngineBenchResult {
  const isa = (be as unknown as { isa?: string }).isa;
  const res: EngineBenchResult = {
    backend: be.name,
    ...(isa ? { isa } : {}),
    gemmGflops: {},
    mlpTrainStepGflops: {},
  };
  for (const [m, k, n] of GEMM_SHAPES) {
    const key = `${m}x${k}x${n}`;
    res.gemmGflops[key] = gemmGflops(be, m, k, n, seconds);
    log(`  GEMM ${key.padEnd(16)} ${res.gemmGflops[key].toFixed(1).padStart(8)} GFLOP/s`);
  }
  for (const rows of MLP_ROWS) {
    res.mlpTrainStepGflops[String(rows)] = mlpGflops(be, rows, seconds);
    const g = res.mlpTrainStepGflops[String(rows)];
    log(
      `  MLP step ${String(rows).padStart(5)} rows  ${g.toFixed(1).padStart(8)} GFLOP/s  (${((mlpStepFlops(rows) / g / 1e9) * 1e3).toFixed(3)} ms/step)`,
    );
  }
  return res;
}

/** Time of the 256-row step split into forward, backward, optimiser, and time spent in kernels. */
function profileStep(be: Backend, rows: number, seconds: number): void {
  const { parts } = mlpTrainStep(be, rows);
  const fwd = timeMedian(
    () =>
      tidy(() => {
        parts.forward();
      }),
    seconds,
  );
  const fb = timeMedian(
    () =>
      tidy(() => {
        parts.backward(parts.forward());
      }),
    seconds,
  );
  const opt = timeMedian(() => parts.optimise(), seconds);
  // time inside backend calls: wrap each method of this backend instance
  const inKernels = new Map<string, { calls: number; seconds: number }>();
  const proto = Object.getPrototypeOf(be) as Record<string, unknown>;
  const wrapped: string[] = [];
  for (let p: object | null = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const f = (be as unknown as Record<string, unknown>)[name];
      if (name === 'constructor' || typeof f !== 'function' || wrapped.includes(name)) continue;
      wrapped.push(name);
      (be as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        const t0 = performance.now();
        const r = (f as (...a: unknown[]) => unknown).apply(be, args);
        const e = inKernels.get(name) ?? { calls: 0, seconds: 0 };
        e.calls++;
        e.seconds += (performance.now() - t0) / 1000;
        inKernels.set(name, e);
        return r;
      };
    }
  }
  const steps = 50;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    tidy(() => {
      parts.backward(parts.forward());
    });
    parts.optimise();
  }
  const total = (performance.now() - t0) / 1000 / steps;
  for (const name of wrapped) delete (be as unknown as Record<string, unknown>)[name];
  const ms = (s: number): string => (s * 1e3).toFixed(3).padStart(8);
  console.log(
    `profile of the ${rows}-row step (median ms): forward ${ms(fwd)}  forward+backward ${ms(fb)}  optimiser ${ms(opt)}`,
  );
  let kern = 0;
  const lines = [...inKernels]
    .sort((a, b) => b[1].seconds - a[1].seconds)
    .map(([n, e]) => {
      kern += e.seconds;
      return `    ${n.padEnd(16)} ${String(e.calls / steps).padStart(6)} calls/step ${ms(e.seconds / steps)} ms/step`;
    });
  console.log(
    `  per step (instrumented, ${steps} steps): total ${ms(total)} ms, in backend calls ${ms(kern / steps)} ms, engine outside them ${ms(total - kern / steps)} ms`,
  );
  for (const l of lines) console.log(l);
}

export async function run(args: string[]): Promise<number> {
  const p = parseArgs(args, ['seconds', 'backend'], ['json', 'profile', 'help']);
  if (optFlag(p, 'help')) {
    console.log(
      'usage: rfm bench engine [--json] [--seconds S] [--backend ts|native] [--profile]\n' +
        'GEMM GFLOP/s (256x256x256, 8192x256x256, 25600x279x256; M x K x N) and the MLP [23-256-256-1] ReLU\n' +
        'training-step GFLOP/s at 256 and 8192 rows; medians after warm-up, S seconds per figure (default 1).',
    );
    return 0;
  }
  const seconds = optNumber(p, 'seconds', 1);
  if (!(seconds > 0)) throw new UsageError('--seconds must be positive');
  const name = optString(p, 'backend');
  const be = name ? tryBackend(name) : getBackend();
  if (!be) throw new UsageError(`backend '${name}' is not available`);
  const info = be as unknown as { threads?: number; isa?: string };
  console.log(
    `engine benchmark: backend ${be.name}${info.isa ? ` (${info.isa}, ${info.threads} threads)` : ''}, ${seconds} s per figure`,
  );
  if (optFlag(p, 'profile')) {
    profileStep(be, 256, seconds);
    profileStep(be, 8192, seconds);
    return 0;
  }
  const res = benchEngine(be, seconds, (l) => console.log(l));
  if (optFlag(p, 'json')) console.log(JSON.stringify(res));
  return 0;
}
