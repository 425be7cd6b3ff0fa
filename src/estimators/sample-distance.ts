/**
 * Distances between two sample sets (rows of dimension `dim`, flattened row-major), for judging a
 * sampler against exact samples of its target.
 *
 * Energy distance (Székely & Rizzo), the V-statistic form:
 *   D^2(X, Y) = 2 mean_ij |x_i - y_j| - mean_ij |x_i - x_j| - mean_ij |y_i - y_j|
 * (Euclidean norms; the within-set means include i = j). It is >= 0, exactly 0 for identical sets,
 * and is the squared distance between the two empirical distributions in the energy metric. For two
 * independent samples of the same distribution its expectation is O(1/n), not 0.
 *
 * MMD^2 with a Gaussian kernel k(x, y) = exp(-|x - y|^2 / (2 h^2)), the same V-statistic form:
 *   MMD^2 = mean k(x, x') + mean k(y, y') - 2 mean k(x, y).
 */

function checkShapes(x: ArrayLike<number>, y: ArrayLike<number>, dim: number): void {
  if (!(Number.isInteger(dim) && dim >= 1))
    throw new Error(`sample distance: dim must be a positive integer, got ${dim}`);
  if (x.length % dim !== 0 || y.length % dim !== 0)
    throw new Error(`sample distance: ${x.length} and ${y.length} values are not rows of ${dim}`);
  if (x.length === 0 || y.length === 0) throw new Error('sample distance: empty sample set');
}

/** mean over i, j of f(|a_i - b_j|^2). */
function meanPair(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dim: number,
  f: (d2: number) => number,
): number {
  const na = a.length / dim;
  const nb = b.length / dim;
  let s = 0;
  for (let i = 0; i < na; i++) {
    let row = 0;
    for (let j = 0; j < nb; j++) {
      let d2 = 0;
      for (let k = 0; k < dim; k++) {
        const d = a[i * dim + k] - b[j * dim + k];
        d2 += d * d;
      }
      row += f(d2);
    }
    s += row;
  }
  return s / (na * nb);
}

/** Squared energy distance between sample sets x and y (rows of `dim`). */
export function energyDistance(x: ArrayLike<number>, y: ArrayLike<number>, dim: number): number {
  checkShapes(x, y, dim);
  const f = Math.sqrt;
  const v = 2 * meanPair(x, y, dim, f) - meanPair(x, x, dim, f) - meanPair(y, y, dim, f);
  return Math.max(0, v);
}

/** Squared MMD with a Gaussian kernel of bandwidth h between x and y (rows of `dim`). */
export function mmdGaussian(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  dim: number,
  h: number,
): number {
  checkShapes(x, y, dim);
  if (!(h > 0)) throw new Error(`mmdGaussian: bandwidth must be > 0, got ${h}`);
  const f = (d2: number) => Math.exp(-d2 / (2 * h * h));
  return Math.max(0, meanPair(x, x, dim, f) + meanPair(y, y, dim, f) - 2 * meanPair(x, y, dim, f));
}
