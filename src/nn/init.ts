/** Parameter initialisers. Each draws from an explicit generator and returns host numbers. */
import type { Rng } from '../engine/index.ts';

/**
 * A (semi-)orthogonal matrix [rows, cols] times `gain` (Saxe et al. 2014): QR of a Gaussian
 * matrix by modified Gram-Schmidt, with the signs fixed by R's diagonal so the result is
 * uniformly distributed over orthogonal matrices.
 */
export function orthogonal(rng: Rng, rows: number, cols: number, gain = 1): Float32Array {
  const tall = rows >= cols;
  const [r, c] = tall ? [rows, cols] : [cols, rows]; // orthonormal columns of an r x c matrix, r >= c
  const a = rng.fillNormal(new Float64Array(r * c)); // column-major: column j at a[j*r .. j*r+r)
  for (let j = 0; j < c; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < r; i++) dot += a[p * r + i] * a[j * r + i];
      for (let i = 0; i < r; i++) a[j * r + i] -= dot * a[p * r + i];
    }
    let norm = 0;
    for (let i = 0; i < r; i++) norm += a[j * r + i] ** 2;
    norm = Math.sqrt(norm);
    // dividing by the norm (positive diagonal of R) is the sign fix
    for (let i = 0; i < r; i++) a[j * r + i] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) {
      const v = gain * a[j * r + i];
      if (tall) out[i * cols + j] = v;
      else out[j * cols + i] = v;
    }
  return out;
}

/** LeCun normal (flax's default kernel init): truncated-free N(0, 1/fanIn). */
export function lecunNormal(rng: Rng, fanOut: number, fanIn: number): Float32Array {
  return rng.fillNormal(new Float32Array(fanOut * fanIn), 0, Math.sqrt(1 / fanIn));
}

/** PyTorch's nn.Linear default: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function torchUniform(rng: Rng, n: number, fanIn: number): Float32Array {
  const b = 1 / Math.sqrt(fanIn);
  return rng.fillUniform(new Float32Array(n), -b, b);
}

export type InitName = 'orthogonal' | 'lecun' | 'torch';
