/**
 * Helpers shared by the Gymnasium MuJoCo v5 environments: keyword options, NumPy-compatible sums, small vector math.
 */
import { Box } from '../core.ts';
import { loadModel } from '../mujoco/runtime.ts';
import type { MujocoModel } from '../mujoco/runtime.ts';
import { GYM_MODEL_XML } from './models/index.ts';

/** The compiled model of one of the nine reference robots (compiled once per process). */
export function gymModel(name: keyof typeof GYM_MODEL_XML & string): Promise<MujocoModel> {
  const xml = GYM_MODEL_XML[name];
  if (xml === undefined) throw new Error(`no Gymnasium MuJoCo model named '${name}'`);
  return loadModel(name, xml);
}

export type OptionValue = number | boolean | readonly [number, number];

function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Merges user options into the env's defaults. Keys may be written as Gymnasium spells them
 * (`reset_noise_scale`) or in camelCase (`resetNoiseScale`). Unknown keys and values of the wrong type are errors.
 */
export function parseOptions<T extends Record<string, OptionValue>>(
  envId: string,
  options: Record<string, unknown> | undefined,
  defaults: T,
): T {
  const out: Record<string, OptionValue> = { ...defaults };
  for (const [rawKey, value] of Object.entries(options ?? {})) {
    if (value === undefined) continue;
    const key = camel(rawKey);
    if (!(key in defaults)) {
      throw new Error(
        `${envId}: unknown option '${rawKey}'; known options: ${Object.keys(defaults).join(', ')}`,
      );
    }
    const d = defaults[key];
    if (typeof d === 'number') {
      if (typeof value !== 'number' || Number.isNaN(value))
        throw new Error(`${envId}: option '${rawKey}' must be a number, got ${String(value)}`);
      if (key === 'frameSkip' && !(Number.isInteger(value) && value >= 1)) {
        throw new Error(`${envId}: option '${rawKey}' must be a positive integer, got ${value}`);
      }
    } else if (typeof d === 'boolean') {
      if (typeof value !== 'boolean')
        throw new Error(`${envId}: option '${rawKey}' must be a boolean, got ${String(value)}`);
    } else {
      const ok =
        Array.isArray(value) &&
        value.length === 2 &&
        value.every((v) => typeof v === 'number' && !Number.isNaN(v)) &&
        value[0] <= value[1];
      if (!ok)
        throw new Error(
          `${envId}: option '${rawKey}' must be a [low, high] pair of numbers with low <= high`,
        );
      out[key] = [value[0] as number, value[1] as number];
      continue;
    }
    out[key] = value as OptionValue;
  }
  return out as T;
}

/** An unbounded float64 observation box of the given size. */
export function unboundedBox(n: number): Box {
  return new Box(-Infinity, Infinity, [n]);
}

/**
 * Σ x_i² summed the way NumPy's `np.sum(np.square(x))` does for a 1-D contiguous array: pairwise summation
 * (sequential below 8 elements, 8 interleaved accumulators up to 128 elements, split in halves above).
 * With `float32`, every operation rounds to float32, as for the float32 action arrays Gymnasium's control costs use.
 */
export function numpySumSquares(x: ArrayLike<number>, float32: boolean): number {
  const n = x.length;
  if (n === 0) return 0;
  const r = float32 ? Math.fround : (v: number) => v;
  const sq = (i: number) => r(x[i] * x[i]);
  const pairwise = (start: number, len: number): number => {
    if (len < 8) {
      let s = 0;
      for (let i = 0; i < len; i++) s = r(s + sq(start + i));
      return s;
    }
    if (len <= 128) {
      const acc = [0, 0, 0, 0, 0, 0, 0, 0].map((_, j) => sq(start + j));
      let i = 8;
      for (; i < len - (len % 8); i += 8)
        for (let j = 0; j < 8; j++) acc[j] = r(acc[j] + sq(start + i + j));
      let s = r(
        r(r(acc[0] + acc[1]) + r(acc[2] + acc[3])) + r(r(acc[4] + acc[5]) + r(acc[6] + acc[7])),
      );
      for (; i < len; i++) s = r(s + sq(start + i));
      return s;
    }
    let half = len >> 1;
    half -= half % 8;
    return r(pairwise(start, half) + pairwise(start + half, len - half));
  };
  return pairwise(0, n);
}

/** `weight * Σ a²` with NumPy's rules for a float32 action: the Python-float weight is cast to float32 (NEP 50). */
export function controlCostF32(action: ArrayLike<number>, weight: number): number {
  return Math.fround(Math.fround(weight) * numpySumSquares(action, true));
}

export function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

export function hypot2(x: number, y: number): number {
  return Math.sqrt(x * x + y * y);
}

export function allFinite(x: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}
