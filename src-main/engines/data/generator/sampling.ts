/**
 * The two samplers the generator is built from: alias tables for categorical mixes (O(1) per draw,
 * one uniform) and inverse CDFs read off quantile tables (O(1) per draw after resampling the table onto
 * a uniform grid).
 */

/** Vose's alias method. */
export class AliasTable {
  readonly size: number;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`alias weight ${i} is ${w}`);
      total += w;
    }
    if (n === 0 || total <= 0) throw new RangeError('alias table needs a positive weight');
    this.size = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = Float64Array.from(weights, (w) => (w * n) / total);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = n - 1; i >= 0; i--) (scaled[i]! < 1 ? small : large).push(i);
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.prob[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    // Leftovers are 1 up to rounding error.
    for (const i of [...small, ...large]) {
      this.prob[i] = 1;
      this.alias[i] = i;
    }
  }

  /** Index drawn with probability weight/total, from one uniform in [0, 1). */
  sample(u: number): number {
    const x = u * this.size;
    const i = x | 0;
    return x - i < this.prob[i]! ? i : this.alias[i]!;
  }
}

/**
 * A quantile function given at knots (probs[i] -> values[i]), interpolated linearly, resampled onto
 * `resolution` equal steps so a draw is one multiply and one lerp. Knots at multiples of 1/resolution
 * are reproduced exactly.
 */
export class InverseCdf {
  private readonly grid: Float64Array;
  private readonly steps: number;

  constructor(probs: readonly number[], values: readonly number[], resolution = 4000) {
    if (probs.length !== values.length || probs.length < 2) throw new RangeError('quantile table needs matching probs and values');
    this.steps = resolution;
    this.grid = new Float64Array(resolution + 1);
    let k = 0;
    for (let g = 0; g <= resolution; g++) {
      const p = g / resolution;
      while (k < probs.length - 2 && probs[k + 1]! < p) k++;
      const p0 = probs[k]!;
      const p1 = probs[k + 1]!;
      const t = p1 > p0 ? Math.min(Math.max((p - p0) / (p1 - p0), 0), 1) : 0;
      this.grid[g] = values[k]! + t * (values[k + 1]! - values[k]!);
    }
  }

  sample(u: number): number {
    const x = u * this.steps;
    const i = x | 0;
    const lo = this.grid[i]!;
    return lo + (x - i) * (this.grid[i + 1]! - lo);
  }
}
