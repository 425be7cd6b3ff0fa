/**
 * Seeded noise for environment resets, drawn from the project's counter-based Philox generator
 * (src/engine/rng.ts). Same seed, same stream, on every platform.
 * This does not reproduce NumPy's PCG64 stream; only the distributions match Gymnasium's.
 */
import { Rng } from '../../engine/rng.ts';

/** The interface the MuJoCo envs draw their noise from. */
export interface NoiseSource {
  /** Uniform in [0, 1). */
  random(): number;
  /** Uniform in [low, high). */
  uniform(low: number, high: number): number;
  /** Gaussian with the given mean and standard deviation. */
  normal(mean?: number, std?: number): number;
}

export class SeededRng implements NoiseSource {
  private readonly rng: Rng;

  /** `seed`: any safe integer (as Gymnasium's `reset(seed=...)`). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed))
      throw new Error(`SeededRng: seed must be a safe integer, got ${seed}`);
    this.rng = new Rng(seed);
  }

  random(): number {
    return this.rng.uniform();
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.rng.uniform();
  }

  normal(mean = 0, std = 1): number {
    return mean + std * this.rng.normal();
  }
}

/** A seed from the operating system's entropy, for environments reset without a seed (as Gymnasium does). */
export function entropySeed(): number {
  const buf = new Uint32Array(2);
  globalThis.crypto.getRandomValues(buf);
  return (buf[0] & 0x1fffff) * 4294967296 + buf[1];
}
