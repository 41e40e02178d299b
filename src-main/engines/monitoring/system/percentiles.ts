/**
 * Quantiles by linear interpolation between closest ranks (NumPy's default, "type 7"), so the console's
 * p50/p95/p99 match what an operator gets from numpy.percentile on the same latencies.
 */

/** q in [0, 1] of values already sorted ascending; null for no values. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (q <= 0) return sorted[0]!;
  if (q >= 1) return sorted[n - 1]!;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const frac = pos - lo;
  const a = sorted[lo]!;
  return frac === 0 ? a : a + (sorted[lo + 1]! - a) * frac;
}

export interface LatencySummary {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/**
 * Sorts numerically (typed arrays do, unlike Array#sort's default). A Float64Array is sorted in place — the
 * recorder hands over a scratch copy — anything else is copied first.
 */
export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = (values instanceof Float64Array ? values : Float64Array.from(values)).sort();
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return {
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    max: n ? sorted[n - 1]! : null,
    mean: n ? sum / n : null,
  };
}
