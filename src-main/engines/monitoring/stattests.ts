/**
 * The drift tests, computed from aggregates (value counts, histogram counts, ECDF summaries) that the
 * SQL side produces, with Evidently's definitions and defaults so our verdicts match its verdicts:
 *
 * - method choice (no override): reference of at most 1,000 values → KS for numerical columns with more
 *   than 5 distinct values (over reference ∪ current), else chi-square for more than 2 distinct values,
 *   else the two-proportion Z-test; larger reference → normed Wasserstein for numerical columns with more
 *   than 5 distinct values, else Jensen–Shannon.
 * - binning for JS / PSI / KL: numerical columns with more than 20 distinct reference values use
 *   Sturges' rule over reference ∪ current (equal-width bins between the joint min and max, NumPy's
 *   `histogram_bin_edges`), everything else uses the union of the observed values as categories.
 *   PSI and KL replace empty cells by a small share (min non-zero share / 10⁶, or 10⁻⁴ when that is larger
 *   than 10⁻⁴); JS uses the raw shares.
 * - missing and infinite values are dropped from both sides before any test.
 */
import { chi2Sf, ksTwoSamplePValue, normalCdf } from './special.js';

export const STAT_TESTS = ['ks', 'wasserstein', 'jensenshannon', 'psi', 'kl_div', 'chisquare', 'z'] as const;
export type StatTestName = (typeof STAT_TESTS)[number];
export type ColumnType = 'numerical' | 'categorical';

export interface StatTestInfo {
  name: StatTestName;
  title: string;
  /** What the score is: a p-value (drift when small) or a distance (drift when large). */
  kind: 'p_value' | 'distance';
  defaultThreshold: number;
  types: readonly ColumnType[];
}

export const STAT_TEST_INFO: Readonly<Record<StatTestName, StatTestInfo>> = {
  ks: { name: 'ks', title: 'K-S p-value', kind: 'p_value', defaultThreshold: 0.05, types: ['numerical'] },
  wasserstein: { name: 'wasserstein', title: 'Wasserstein distance (normed)', kind: 'distance', defaultThreshold: 0.1, types: ['numerical'] },
  jensenshannon: { name: 'jensenshannon', title: 'Jensen-Shannon distance', kind: 'distance', defaultThreshold: 0.1, types: ['numerical', 'categorical'] },
  psi: { name: 'psi', title: 'PSI', kind: 'distance', defaultThreshold: 0.1, types: ['numerical', 'categorical'] },
  kl_div: { name: 'kl_div', title: 'Kullback-Leibler divergence', kind: 'distance', defaultThreshold: 0.1, types: ['numerical', 'categorical'] },
  chisquare: { name: 'chisquare', title: 'chi-square p-value', kind: 'p_value', defaultThreshold: 0.05, types: ['categorical', 'numerical'] },
  z: { name: 'z', title: 'Z-test p-value', kind: 'p_value', defaultThreshold: 0.05, types: ['categorical', 'numerical'] },
};

/** Reference sizes up to this use the hypothesis tests; larger ones the distances. */
export const SMALL_REFERENCE_ROWS = 1000;
/** Numerical columns with more distinct reference values than this are binned (Sturges) for JS/PSI/KL. */
export const HISTOGRAM_MIN_UNIQUE = 20;

/** Evidently's default test for a column. `nUnique` counts distinct values over reference ∪ current. */
export function defaultStatTest(type: ColumnType, referenceRows: number, nUnique: number): StatTestName {
  if (referenceRows <= SMALL_REFERENCE_ROWS) {
    if (type === 'numerical' && nUnique > 5) return 'ks';
    return nUnique > 2 ? 'chisquare' : 'z';
  }
  if (type === 'numerical' && nUnique > 5) return 'wasserstein';
  return 'jensenshannon';
}

/** Whether the test reads category/histogram shares (vs the raw sorted values). */
export function usesShares(test: StatTestName): boolean {
  return test === 'jensenshannon' || test === 'psi' || test === 'kl_div';
}

/** A score against a threshold, in the direction (and with the strictness) Evidently uses per test. */
export function isDrifted(test: StatTestName, score: number, threshold: number): boolean {
  if (Number.isNaN(score)) return false;
  switch (test) {
    case 'ks':
      return score <= threshold;
    case 'chisquare':
    case 'z':
      return score < threshold;
    default:
      return score >= threshold;
  }
}

// ---------- binning ----------

/** NumPy's Sturges bin edges over data of `size` values spanning [min, max]. */
export function sturgesEdges(min: number, max: number, size: number): number[] {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const ptp = max - min;
  let bins = 1;
  if (ptp > 0) {
    const width = ptp / (Math.log2(size) + 1);
    bins = Math.max(1, Math.ceil((last - first) / width));
  }
  // linspace(first, last, bins + 1): i·step + first, the last edge pinned to `last`.
  const step = (last - first) / bins;
  const edges = new Array<number>(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = i * step + first;
  edges[bins] = last;
  return edges;
}

/** Shares (count / n), with empty cells filled the way Evidently's binning does for PSI and KL. */
export function sharesOf(counts: readonly number[], n: number, fillZeroes: boolean): number[] {
  const shares = counts.map((c) => c / n);
  if (!fillZeroes) return shares;
  let minNonZero = Infinity;
  for (const s of shares) if (s !== 0 && s < minNonZero) minNonZero = s;
  const fill = minNonZero <= 0.0001 ? minNonZero / 1e6 : 0.0001;
  return shares.map((s) => (s === 0 ? fill : s));
}

const relEntr = (p: number, q: number): number => (p === 0 ? 0 : p > 0 && q > 0 ? p * Math.log(p / q) : Infinity);

/** SciPy's `distance.jensenshannon` (natural log): sqrt((KL(p‖m) + KL(q‖m)) / 2), m the mean. */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const m = (pi + qi) / 2;
    left += relEntr(pi, m);
    right += relEntr(qi, m);
  }
  return Math.sqrt(Math.max(0, (left + right) / 2));
}

export function psi(ref: readonly number[], cur: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < ref.length; i++) s += (ref[i]! - cur[i]!) * Math.log(ref[i]! / cur[i]!);
  return s;
}

/** SciPy's `stats.entropy(p, q)`: both normalised to sum 1, then Σ p·ln(p/q). */
export function klDivergence(p: readonly number[], q: readonly number[]): number {
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += relEntr(p[i]! / sp, q[i]! / sq);
  return s;
}

/** Chi-square goodness of fit of current counts against reference counts scaled to the current size. */
export function chiSquareTest(refCounts: readonly number[], curCounts: readonly number[], nRef: number, nCur: number): { statistic: number; pvalue: number } {
  const k = nCur / nRef;
  let stat = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const exp = refCounts[i]! * k;
    const d = curCounts[i]! - exp;
    stat += exp === 0 ? (d === 0 ? NaN : Infinity) : (d * d) / exp;
  }
  return { statistic: stat, pvalue: chi2Sf(stat, refCounts.length - 1) };
}

/**
 * Two-proportion Z-test (pooled variance), two-sided, p = 2·(1 − Φ(|z|)). The proportion is of values
 * other than the smallest key; with one key on both sides the p-value is 1.
 */
export function zTest(keys: readonly string[], refCounts: readonly number[], curCounts: readonly number[], nRef: number, nCur: number): { statistic: number; pvalue: number } {
  const refKeys = refCounts.filter((c) => c > 0).length;
  const curKeys = curCounts.filter((c) => c > 0).length;
  if (keys.length === 1 && refKeys === 1 && curKeys === 1) return { statistic: 0, pvalue: 1 };
  let first = 0;
  for (let i = 1; i < keys.length; i++) if (keys[i]! < keys[first]!) first = i;
  const p1 = (nRef - refCounts[first]!) / nRef;
  const p2 = (nCur - curCounts[first]!) / nCur;
  const pooled = (p1 * nRef + p2 * nCur) / (nRef + nCur);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / nRef + 1 / nCur));
  return { statistic: z, pvalue: 2 * (1 - normalCdf(Math.abs(z))) };
}

export { ksTwoSamplePValue };
