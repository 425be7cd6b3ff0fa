/**
 * How environments get their random numbers. Every env owns one generator (src/engine/rng.ts,
 * Philox) created by `envRng(seed)`:
 *   - `reset({ seed })` replaces the generator with `envRng(seed)`; same seed, same episode;
 *   - `reset()` without a seed keeps drawing from the current generator;
 *   - an env that was never seeded draws its key from the OS (Web Crypto), like Gymnasium's
 *     unseeded `np_random`. Runs that must be reproducible pass a seed to the first reset.
 */
import { Rng } from '../engine/rng.ts';

export { Rng };

/** A generator for `seed`, or one with an OS-random key when `seed` is undefined. */
export function envRng(seed?: number): Rng {
  if (seed === undefined) {
    const key = globalThis.crypto.getRandomValues(new Uint32Array(2));
    return new Rng([key[0], key[1]]);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`seed must be a non-negative safe integer, got ${seed}`);
  }
  return new Rng(seed);
}
