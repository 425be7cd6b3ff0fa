/**
 * How environments get their random numbers. Every env owns one generator (src/engine/rng.ts,
 * Philox) created by `envRng(seed)`:
 *   - `reset({ seed })` replaces the generator with `envRng(seed)`; same seed, same episode;
 *   - `reset()` without a seed keeps drawing from the current generator;
 *   - an env that was never seeded draws its key from the OS (node:crypto), like Gymnasium's
 *     unseeded `np_random`. Runs that must be reproducible pass a seed to the first reset.
 */
import { randomBytes } from 'node:crypto';
import { Rng } from '../engine/rng.ts';

export { Rng };

/** A generator for `seed`, or one with an OS-random key when `seed` is undefined. */
export function envRng(seed?: number): Rng {
  if (seed === undefined) {
    const b = randomBytes(8);
    return new Rng([b.readUInt32LE(0), b.readUInt32LE(4)]);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`seed must be a non-negative safe integer, got ${seed}`);
  }
  return new Rng(seed);
}
