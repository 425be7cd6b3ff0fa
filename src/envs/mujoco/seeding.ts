/**
 * A small seeded generator for environment reset noise (xoshiro128**, seeded through splitmix32).
 *
 * Same seed, same stream, on every platform: all arithmetic is 32-bit integer math (`Math.imul`, `>>> 0`).
 * Uniform floats carry 53 random bits (two 32-bit draws), normals use Box–Muller with the spare value cached.
 * This is not meant to reproduce NumPy's PCG64 stream; only the distributions match Gymnasium's.
 */

/** The interface the MuJoCo envs draw their noise from. */
export interface NoiseSource {
  /** Uniform in [0, 1). */
  random(): number;
  /** Uniform in [low, high). */
  uniform(low: number, high: number): number;
  /** Gaussian with the given mean and standard deviation. */
  normal(mean?: number, std?: number): number;
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

export class SeededRng implements NoiseSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  /** `seed` may be any finite number; integers up to 2^53 are mixed in full (high and low 32-bit halves). */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`SeededRng: seed must be a finite number, got ${seed}`);
    const s = Math.trunc(Math.abs(seed));
    const lo = s >>> 0;
    const hi = Math.floor(s / TWO_POW_32) >>> 0;
    const st = { s: (lo ^ Math.imul(hi, 0x27d4eb2d) ^ (seed < 0 ? 0x5bd1e995 : 0)) | 0 };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  normal(mean = 0, std = 1): number {
    let z: number;
    if (this.spare !== undefined) {
      z = this.spare;
      this.spare = undefined;
    } else {
      let u = 0;
      while (u === 0) u = this.random();
      const v = this.random();
      const r = Math.sqrt(-2 * Math.log(u));
      z = r * Math.cos(2 * Math.PI * v);
      this.spare = r * Math.sin(2 * Math.PI * v);
    }
    return mean + std * z;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A seed from the operating system's entropy, for environments reset without a seed (as Gymnasium does). */
export function entropySeed(): number {
  const buf = new Uint32Array(2);
  globalThis.crypto.getRandomValues(buf);
  return (buf[0] & 0x1fffff) * TWO_POW_32 + buf[1];
}
