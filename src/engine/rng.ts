/**
 * Seeded, counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers:
 * as easy as 1, 2, 3", SC 2011). Every draw is a pure function of (key, counter), so a run is
 * reproducible whatever the batch sizes or thread counts: the numbers are produced here, on the
 * host, in one order, and only then handed to a backend.
 *
 * `split()` derives independent child generators (a different key each) without consuming draws
 * from the parent's stream, so adding a consumer never shifts another consumer's numbers.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO32 = 4294967296;

/** High 32 bits of the 64-bit product of two uint32 (exact: 16-bit halves keep to small integers). */
function mulhi32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const hl = ah * bl;
  const lh = al * bh;
  const hh = ah * bh;
  const cross = (ll >>> 16) + (hl & 0xffff) + lh;
  return (hh + (hl >>> 16) + Math.floor(cross / 65536)) >>> 0;
}

/** One Philox4x32-10 block: 4 uint32 outputs for counter c and key k. Writes into `out`. */
export function philox4x32(c: ArrayLike<number>, k0: number, k1: number, out: Uint32Array): void {
  let c0 = c[0] >>> 0,
    c1 = c[1] >>> 0,
    c2 = c[2] >>> 0,
    c3 = c[3] >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/**
 * n consecutive Philox blocks for counters (lo + i, hi + carry, 0, 0) into out[4i .. 4i+3]. The
 * native backend registers its own (the same integer function, faster); this is the fallback.
 */
export type PhiloxBulk = (
  out: Uint32Array,
  k0: number,
  k1: number,
  lo: number,
  hi: number,
  n: number,
) => void;

const philoxBulkTs: PhiloxBulk = (out, k0, k1, lo, hi, n) => {
  const c = [lo, hi, 0, 0];
  const block = new Uint32Array(4);
  for (let i = 0; i < n; i++) {
    philox4x32(c, k0, k1, block);
    out.set(block, 4 * i);
    c[0] = (c[0] + 1) >>> 0;
    if (c[0] === 0) c[1] = (c[1] + 1) >>> 0;
  }
};
let philoxBulk: PhiloxBulk = philoxBulkTs;

/** Installs a faster bulk block generator (it must compute exactly philox4x32); null restores the default. */
export function setPhiloxBulk(fn: PhiloxBulk | null): void {
  philoxBulk = fn ?? philoxBulkTs;
}

/**
 * out.length normals N(mean, std^2), a pair per Philox block from counter (lo, hi) on, by the
 * Box-Muller formula of Rng.fillNormal (in double, rounded to float32 at the end). The native
 * backend registers one; without it fillNormal transforms the blocks itself.
 */
export type NormalBulk = (
  out: Float32Array,
  k0: number,
  k1: number,
  lo: number,
  hi: number,
  mean: number,
  std: number,
) => void;
let normalBulk: NormalBulk | null = null;

/**
 * Installs a bulk normal generator (null removes it). It must compute Rng.fillNormal's formula
 * in double: the native one's log, cos and sin (vectorised) may differ from JavaScript's in the
 * last bit or two of a double; the float32 results then differ only where those bits decide a
 * float32 rounding (2 draws of 300 million in a check, by one float ulp).
 */
export function setNormalBulk(fn: NormalBulk | null): void {
  normalBulk = fn;
}

let bulkBlocks = new Uint32Array(4 * 1024);

/** The full state of a generator, JSON-serialisable (for checkpoints). */
export interface RngState {
  readonly key: [number, number];
  /** 64-bit block counter as [low, high] uint32. */
  readonly counter: [number, number];
  readonly splits: number;
  /**
   * Outputs of the current block already used (0-3), when the state was taken inside a block
   * (`counter` then points past that block). Absent or 4: at a block boundary.
   */
  readonly used?: number;
}

export class Rng {
  private k0: number;
  private k1: number;
  private ctrLo = 0;
  private ctrHi = 0;
  private splits = 0;
  private readonly block = new Uint32Array(4);
  private used = 4; // outputs of `block` already consumed
  private readonly cnt = new Uint32Array(4);
  /** categorical()'s exponentials (made at its first call, reused while large enough). */
  private expScratch: Float64Array | null = null;

  /** A generator seeded by an integer (any safe integer) or an explicit 64-bit key. */
  constructor(seed: number | [number, number] = 0) {
    if (Array.isArray(seed)) {
      this.k0 = seed[0] >>> 0;
      this.k1 = seed[1] >>> 0;
    } else {
      if (!Number.isSafeInteger(seed))
        throw new Error(`Rng: seed must be a safe integer, got ${seed}`);
      const s = seed < 0 ? -seed + 2 ** 52 : seed;
      this.k0 = (s % TWO32) >>> 0;
      this.k1 = Math.floor(s / TWO32) >>> 0;
    }
  }

  static fromState(s: RngState): Rng {
    const r = new Rng(s.key);
    r.setState(s);
    return r;
  }

  /** Continues from a saved state (in place, so holders of this generator follow). */
  setState(s: RngState): void {
    this.k0 = s.key[0] >>> 0;
    this.k1 = s.key[1] >>> 0;
    this.ctrLo = s.counter[0];
    this.ctrHi = s.counter[1];
    this.splits = s.splits;
    this.used = 4;
    if (s.used !== undefined && s.used < 4) {
      // Regenerate the partly used block: step the counter back one block and refill from it.
      if (this.ctrLo === 0) this.ctrHi = (this.ctrHi - 1) >>> 0;
      this.ctrLo = (this.ctrLo - 1) >>> 0;
      this.refill();
      this.used = s.used;
    }
  }

  /**
   * The exact position of the stream (taking it changes nothing: a generator that saved its
   * state draws the same numbers as one that did not, which is what exact resume needs).
   */
  state(): RngState {
    const base = {
      key: [this.k0, this.k1] as [number, number],
      counter: [this.ctrLo, this.ctrHi] as [number, number],
      splits: this.splits,
    };
    return this.used < 4 ? { ...base, used: this.used } : base;
  }

  private refill(): void {
    this.cnt[0] = this.ctrLo;
    this.cnt[1] = this.ctrHi;
    this.cnt[2] = 0;
    this.cnt[3] = 0;
    philox4x32(this.cnt, this.k0, this.k1, this.block);
    this.ctrLo = (this.ctrLo + 1) >>> 0;
    if (this.ctrLo === 0) this.ctrHi = (this.ctrHi + 1) >>> 0;
    this.used = 0;
  }

  /** Uniform uint32. */
  nextUint32(): number {
    if (this.used === 4) this.refill();
    return this.block[this.used++];
  }

  /** Uniform float64 in [0, 1), 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Standard normal (Box-Muller on two uniforms; the second value is not cached). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    if (!(n >= 1 && Number.isSafeInteger(n)))
      throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Fills `out` with uniform values in [low, high). */
  fillUniform<T extends Float32Array | Float64Array>(out: T, low = 0, high = 1): T {
    const w = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + w * this.uniform();
    return out;
  }

  /** Fills `out` with normal values (pairs from one Box-Muller draw). */
  fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    const n = out.length;
    let i = 0;
    // unaligned: pairs from uniform() until the next block boundary
    while (i < n && this.used !== 4) {
      this.normalPair(out, i, mean, std, 1 - this.uniform(), this.uniform());
      i += 2;
    }
    // aligned: a pair takes exactly one block (the same draws as two uniform() calls), made in bulk
    const pairs = Math.ceil((n - i) / 2);
    if (pairs > 0 && normalBulk && out instanceof Float32Array) {
      normalBulk(
        i === 0 ? out : out.subarray(i),
        this.k0,
        this.k1,
        this.ctrLo,
        this.ctrHi,
        mean,
        std,
      );
      const lo = this.ctrLo + pairs;
      this.ctrHi = (this.ctrHi + Math.floor(lo / TWO32)) >>> 0;
      this.ctrLo = lo >>> 0;
    } else if (pairs > 0) {
      if (bulkBlocks.length < 4 * pairs) bulkBlocks = new Uint32Array(4 * pairs);
      const b = bulkBlocks;
      philoxBulk(b, this.k0, this.k1, this.ctrLo, this.ctrHi, pairs);
      const lo = this.ctrLo + pairs;
      this.ctrHi = (this.ctrHi + Math.floor(lo / TWO32)) >>> 0;
      this.ctrLo = lo >>> 0;
      for (let p = 0; p < pairs; p++, i += 2) {
        const u1 = 1 - ((b[4 * p] >>> 5) * 67108864 + (b[4 * p + 1] >>> 6)) / 9007199254740992;
        const u2 = ((b[4 * p + 2] >>> 5) * 67108864 + (b[4 * p + 3] >>> 6)) / 9007199254740992;
        this.normalPair(out, i, mean, std, u1, u2);
      }
    }
    return out;
  }

  /** Box-Muller: out[i], out[i + 1] (if inside) from u1 in (0, 1] and u2 in [0, 1). */
  private normalPair(
    out: Float32Array | Float64Array,
    i: number,
    mean: number,
    std: number,
    u1: number,
    u2: number,
  ): void {
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
  }

  /** Index drawn with probability proportional to exp(logits[i]) (numerically stable). */
  categorical(logits: ArrayLike<number>, offset = 0, length = logits.length - offset): number {
    let m = -Infinity;
    for (let i = 0; i < length; i++) m = Math.max(m, logits[offset + i]);
    if (!Number.isFinite(m)) throw new Error('Rng.categorical: logits have no finite maximum');
    // each exponential once (the same numbers as evaluating it in both loops)
    if (!this.expScratch || this.expScratch.length < length)
      this.expScratch = new Float64Array(Math.max(length, 16));
    const e = this.expScratch;
    let z = 0;
    for (let i = 0; i < length; i++) z += e[i] = Math.exp(logits[offset + i] - m);
    let u = this.uniform() * z;
    for (let i = 0; i < length; i++) {
      u -= e[i];
      if (u < 0) return i;
    }
    return length - 1;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): typeof a {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t as never;
    }
    return a;
  }

  /**
   * A child generator with its own key, derived from this key and a split index. The parent's
   * draw stream is untouched. `split(i)` with an explicit index is a pure function of the key.
   */
  split(index?: number): Rng {
    const i = index ?? this.splits++;
    const out = new Uint32Array(4);
    philox4x32(
      [i >>> 0, Math.floor(i / TWO32) >>> 0, 0x5eed5eed, 0x0f0f0f0f],
      this.k0,
      this.k1,
      out,
    );
    return new Rng([out[0], out[1]]);
  }
}

/** A 32-bit hash of a float array's bits (FNV-1a over the float64 bytes): seeds per-state noise. */
export function hashFloats(x: ArrayLike<number>, salt = 0): number {
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < x.length; i++) {
    f[0] = x[i];
    for (const w of [u[0], u[1]]) {
      for (let b = 0; b < 4; b++) {
        h ^= (w >>> (8 * b)) & 0xff;
        h = Math.imul(h, 0x01000193) >>> 0;
      }
    }
  }
  return h;
}
