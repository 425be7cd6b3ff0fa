/**
 * `rfm bench envs [--json] [--seconds S] [--env ID ...] [--repeats R] [--seed N]`
 * (spec/BENCHMARKS.md section 3).
 *
 * For each environment (all registered ones by default): env steps per second, single thread,
 * with uniform random actions in the action space, resets included (the env is built by the
 * registry, so episodes end at its TimeLimit as in training). The actions are drawn before the
 * clock starts, so the figure is the env's cost, not the generator's.
 *
 * For MuJoCo tasks, also the raw `mj_step` rate of the same model (`rawStepsPerSecond` from
 * src/envs/mujoco/runtime.ts: zero controls from the reset state) and the task's `frameSkip`.
 * stepsPerSec x frameSkip / rawMjStepsPerSec is only a rough share of time in the simulator: the
 * raw run and the task visit different states (contacts cost more than free flight; tasks that
 * terminate early may never reach the expensive ones), so it is not printed. A MuJoCo task is
 * recognised by `model` and `frameSkip` on its unwrapped env.
 *
 * Each figure is the median of R timed windows of S / R seconds each. With --json, one JSON
 * object on the last line: {"envs": {"Pendulum-v1": {"stepsPerSec": ...}, "HalfCheetah-v5":
 * {"stepsPerSec": ..., "rawMjStepsPerSec": ..., "frameSkip": 5}, ...}, "seconds": S, "repeats": R}.
 */
import { UsageError, optFlag, optNumber, parseArgs } from '../args.ts';
import type { Env } from '../../envs/core.ts';
import { envSpec, listEnvs, makeEnv } from '../../envs/registry.ts';
import { unwrap } from '../../envs/wrappers.ts';
import { Rng } from '../../engine/rng.ts';

const USAGE =
  'usage: rfm bench envs [--json] [--seconds S] [--env ID ...] [--repeats R] [--seed N]';

export interface EnvBenchResult {
  family: string;
  stepsPerSec: number;
  /** MuJoCo tasks only: mj_step calls per second on the bare model. */
  rawMjStepsPerSec?: number | null;
  /** MuJoCo tasks only: mj_step calls per env step. */
  frameSkip?: number;
  /** When the env could not be built or stepped. */
  error?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A pool of uniform random actions (infinite bounds are replaced by [-1, 1]). */
function actionPool(env: Env, rng: Rng, count: number): Float64Array[] {
  const { low, high } = env.actionSpace;
  const pool: Float64Array[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Float64Array(low.length);
    for (let i = 0; i < a.length; i++) {
      const lo = Number.isFinite(low[i]) ? low[i] : -1;
      const hi = Number.isFinite(high[i]) ? high[i] : 1;
      a[i] = lo + (hi - lo) * rng.uniform();
    }
    pool.push(a);
  }
  return pool;
}

/** Steps `env` with actions from `pool` for about `ms` milliseconds; returns steps per second. */
function timeSteps(env: Env, pool: Float64Array[], ms: number, state: { k: number }): number {
  let steps = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 64; i++) {
      const [, , terminated, truncated] = env.step(pool[state.k++ % pool.length]);
      if (terminated || truncated) env.reset();
    }
    steps += 64;
    elapsed = performance.now() - t0;
  } while (elapsed < ms);
  return (steps / elapsed) * 1000;
}

/**
 * Steps until the rate settles: 100 ms windows until two in a row agree within 10%, for at most
 * `maxMs` (twice the timed budget, clamped to [0.3 s, 4 s]).
 * A fixed short warm-up is not enough for MuJoCo tasks: V8 compiles wasm with a baseline compiler
 * first and optimises hot functions in the background, and on a busy machine the first second can
 * run ten times slower than the rest.
 */
function warmUp(env: Env, pool: Float64Array[], state: { k: number }, maxMs: number): void {
  const t0 = performance.now();
  let prev = timeSteps(env, pool, 100, state);
  while (performance.now() - t0 < maxMs) {
    const rate = timeSteps(env, pool, 100, state);
    if (Math.abs(rate - prev) <= 0.1 * prev) return;
    prev = rate;
  }
}

type RawRate = (model: unknown, seconds: number) => number;

async function loadRawRate(): Promise<RawRate | undefined> {
  try {
    const mod = (await import('../../envs/mujoco/runtime.ts')) as { rawStepsPerSecond?: RawRate };
    return typeof mod.rawStepsPerSecond === 'function' ? mod.rawStepsPerSecond : undefined;
  } catch {
    return undefined;
  }
}

export async function benchEnv(
  id: string,
  seconds: number,
  repeats: number,
  seed: number,
): Promise<EnvBenchResult> {
  const spec = envSpec(id);
  const env = await makeEnv(id);
  try {
    const rng = new Rng(seed);
    const pool = actionPool(env, rng, 4096);
    env.reset({ seed });
    const state = { k: 0 };
    const windowMs = (seconds * 1000) / repeats;
    warmUp(env, pool, state, Math.min(4000, Math.max(300, 2000 * seconds)));
    const rates: number[] = [];
    for (let r = 0; r < repeats; r++) rates.push(timeSteps(env, pool, windowMs, state));
    const result: EnvBenchResult = { family: spec.family, stepsPerSec: median(rates) };
    const inner = unwrap(env) as Env & { model?: unknown; frameSkip?: unknown };
    if (inner.model !== undefined && typeof inner.frameSkip === 'number') {
      result.frameSkip = inner.frameSkip;
      const raw = await loadRawRate();
      if (raw) {
        const rawRates: number[] = [];
        for (let r = 0; r < repeats; r++) rawRates.push(raw(inner.model, seconds / repeats));
        result.rawMjStepsPerSec = median(rawRates);
      } else {
        result.rawMjStepsPerSec = null;
      }
    }
    return result;
  } finally {
    env.close();
  }
}

function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  return x >= 1e6
    ? `${(x / 1e6).toFixed(2)}M`
    : x >= 1e3
      ? `${(x / 1e3).toFixed(1)}k`
      : x.toFixed(0);
}

export async function run(args: string[]): Promise<number> {
  const p = parseArgs(args, ['seconds', 'env', 'repeats', 'seed'], ['json', 'help']);
  if (optFlag(p, 'help')) {
    console.log(USAGE);
    return 0;
  }
  if (p.positionals.length)
    throw new UsageError(`unexpected arguments '${p.positionals.join(' ')}' (${USAGE})`);
  const seconds = optNumber(p, 'seconds', 1);
  const repeats = optNumber(p, 'repeats', 3);
  const seed = optNumber(p, 'seed', 0);
  if (!(seconds > 0)) throw new UsageError('--seconds must be > 0');
  if (!(Number.isInteger(repeats) && repeats >= 1))
    throw new UsageError('--repeats must be a positive integer');
  if (!(Number.isSafeInteger(seed) && seed >= 0))
    throw new UsageError('--seed must be a non-negative integer');
  const ids = p.options.get('env') ?? listEnvs().map((s) => s.id);
  for (const id of ids) {
    try {
      envSpec(id);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const json = optFlag(p, 'json');
  const results: Record<string, EnvBenchResult> = {};
  if (!json) {
    console.log(
      `env steps/s, uniform random actions, resets included; median of ${repeats} windows over ${seconds} s per env`,
    );
    console.log(
      `${'id'.padEnd(28)} ${'family'.padEnd(16)} ${'steps/s'.padStart(9)} ${'raw mj/s'.padStart(9)} ${'skip'.padStart(4)}`,
    );
  }
  for (const id of ids) {
    let r: EnvBenchResult;
    try {
      r = await benchEnv(id, seconds, repeats, seed);
    } catch (e) {
      r = { family: envSpec(id).family, stepsPerSec: 0, error: (e as Error).message };
    }
    results[id] = r;
    if (!json) {
      const line = `${id.padEnd(28)} ${r.family.padEnd(16)} ${fmt(r.stepsPerSec).padStart(9)} ${fmt(r.rawMjStepsPerSec).padStart(9)} ${String(r.frameSkip ?? '-').padStart(4)}`;
      console.log(r.error ? `${id.padEnd(28)} ${r.family.padEnd(16)} error: ${r.error}` : line);
    }
  }
  if (json) console.log(JSON.stringify({ envs: results, seconds, repeats }));
  return Object.values(results).some((r) => r.error) ? 1 : 0;
}
