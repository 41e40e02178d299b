/**
 * Each drift statistic and p-value against values computed with SciPy 1.17.1 / NumPy 2.4.6 (the versions
 * Evidently 0.7.23 installs), by this script, run once and pasted here:
 *
 *   def seq(n, a, b, m): return [((i * a + b) % m) / 7.0 for i in range(n)]
 *   x = seq(60, 37, 11, 101); y = [v + 0.8 for v in seq(45, 53, 5, 97)]; ys = [v + 3.0 for v in seq(45, 53, 5, 97)]
 *   x2 = seq(40, 37, 11, 101); y2 = [v + 0.5 for v in seq(40, 53, 5, 97)]
 *   x3 = seq(12000, 37, 11, 1009); y3 = [v * 1.02 for v in seq(900, 53, 5, 997)]; y3s = [v * 1.15 for ...]
 *   stats.ks_2samp(x, y), (x2, y2), (x, ys), (x3, y3), (x3, y3s); stats.kstwo.sf(d, n); stats.chi2.sf(x, k);
 *   stats.norm.cdf(z); 2 * stats.t.sf(|t|, df); stats.chisquare(cur, ref * sum(cur) / sum(ref));
 *   distance.jensenshannon(p, q); stats.entropy(p, q); sum((p - q) * log(p / q)); stats.wasserstein_distance(x, y);
 *   np.std(x); stats.ttest_ind(a, b, equal_var=False); np.histogram_bin_edges(x + y, bins='sturges')
 */
import { describe, expect, it } from 'vitest';
import { chi2Sf, kolmogorovSf, ksTwoSamplePValue, normalCdf, studentTTwoSided } from '../../src-main/engines/monitoring/special.js';
import { chiSquareTest, defaultStatTest, isDrifted, jensenShannon, klDivergence, psi, sharesOf, sturgesEdges, zTest } from '../../src-main/engines/monitoring/stattests.js';
import { welchTTest } from '../../src-main/engines/monitoring/performance.js';

const seq = (n: number, a: number, b: number, m: number): number[] => Array.from({ length: n }, (_, i) => ((i * a + b) % m) / 7.0);
const x = seq(60, 37, 11, 101);
const y = seq(45, 53, 5, 97).map((v) => v + 0.8);
const ys = seq(45, 53, 5, 97).map((v) => v + 3.0);
const x2 = seq(40, 37, 11, 101);
const y2 = seq(40, 53, 5, 97).map((v) => v + 0.5);
const x3 = seq(12000, 37, 11, 1009);
const y3 = seq(900, 53, 5, 997).map((v) => v * 1.02);
const y3s = seq(900, 53, 5, 997).map((v) => v * 1.15);

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);

/** The integer KS statistic max |c_a·n_b − c_b·n_a| over the pooled values, as the engine's SQL computes it. */
function dCount(a: number[], b: number[]): number {
  const vals = [...new Set([...a, ...b])].sort((p, q) => p - q);
  const sa = [...a].sort((p, q) => p - q);
  const sb = [...b].sort((p, q) => p - q);
  let ia = 0;
  let ib = 0;
  let best = 0;
  for (const v of vals) {
    while (ia < sa.length && sa[ia]! <= v) ia++;
    while (ib < sb.length && sb[ib]! <= v) ib++;
    best = Math.max(best, Math.abs(ia * b.length - ib * a.length));
  }
  return best;
}

/** scipy.stats.wasserstein_distance for 1-D samples. */
function wasserstein(a: number[], b: number[]): number {
  const vals = [...new Set([...a, ...b])].sort((p, q) => p - q);
  let w = 0;
  for (let i = 0; i < vals.length - 1; i++) {
    const v = vals[i]!;
    const fa = a.filter((t) => t <= v).length / a.length;
    const fb = b.filter((t) => t <= v).length / b.length;
    w += Math.abs(fa - fb) * (vals[i + 1]! - v);
  }
  return w;
}

describe('two-sample KS p-values match scipy.stats.ks_2samp', () => {
  it.each([
    ['exact, unequal sizes', x, y, 0.07777777777777778, 0.9947912666476942],
    ['exact, unequal sizes, shifted', x, ys, 0.22777777777777777, 0.121489833704199],
    ['exact, equal sizes', x2, y2, null, 0.9900193288833089],
    ['asymptotic (12,000 vs 900)', x3, y3, 0.008777777777777773, 0.9999998946430362],
    ['asymptotic, shifted', x3, y3s, 0.11888888888888893, 9.135423802237961e-11],
  ] as const)('%s', (_name, a, b, d, p) => {
    const r = ksTwoSamplePValue(a.length, b.length, dCount([...a], [...b]));
    if (d !== null) expect(rel(r.statistic, d)).toBeLessThan(1e-12);
    expect(rel(r.pvalue, p)).toBeLessThan(1e-6);
    expect(r.method).toBe(Math.max(a.length, b.length) <= 10_000 ? 'exact' : 'asymp');
  });

  it.each([
    [100, 0.1, 0.2526927570063874],
    [100, 0.2, 0.0005551927327988775],
    [500, 0.05, 0.15866260223815387],
    [1000, 0.06, 0.001428597887952891],
    [50, 0.3, 0.00017353260202718738],
  ])('kstwo.sf(%f; n=%i)', (n, d, p) => {
    expect(rel(kolmogorovSf(n, d), p)).toBeLessThan(1e-6);
  });

  it('kstwo.sf where SciPy uses the Pelz–Good series is close (exact method here)', () => {
    // scipy: kstwo.sf(0.03, 1000) = 0.3226902143914636 via Pelz–Good; ours is the exact matrix method.
    expect(rel(kolmogorovSf(1000, 0.03), 0.3226902143914636)).toBeLessThan(1e-4);
  });
});

describe('distributions', () => {
  it.each([
    [3.2, 2, 0.2018965179946554],
    [15.7, 7, 0.028003076462662077],
    [0.5, 1, 0.47950012218695337],
    [80.0, 30, 1.9756232434910563e-6],
    [250.0, 76, 2.0442958173023298e-20],
  ])('chi2.sf(%f, %i)', (v, k, p) => expect(rel(chi2Sf(v, k), p)).toBeLessThan(1e-9));

  it.each([
    [-3.1, 0.0009676032132183563],
    [-1.0, 0.15865525393145707],
    [0.0, 0.5],
    [0.7, 0.758036347776927],
    [2.5, 0.9937903346742238],
    [5.0, 0.9999997133484281],
  ])('norm.cdf(%f)', (z, p) => expect(rel(normalCdf(z), p)).toBeLessThan(1e-12));

  it.each([
    [2.1, 10, 0.06207724420221853],
    [0.5, 3.5, 0.6468504393225509],
    [4.0, 120.7, 0.00010962000839249466],
    [1.96, 1000, 0.050273184955748736],
  ])('Student t two-sided p(t=%f, df=%f)', (t, df, p) => expect(rel(studentTTwoSided(t, df), p)).toBeLessThan(1e-9));
});

describe('drift scores match SciPy / NumPy', () => {
  const p = [0.1, 0.4, 0.5];
  const q = [0.3, 0.3, 0.4];
  it('Jensen–Shannon distance', () => expect(rel(jensenShannon(p, q), 0.18035965602712561)).toBeLessThan(1e-12));
  it('KL divergence (scipy.stats.entropy)', () => expect(rel(klDivergence(p, q), 0.11678337577100631)).toBeLessThan(1e-12));
  it('PSI', () => expect(rel(psi(p, q), 0.270805020110221)).toBeLessThan(1e-12));
  it('chi-square against reference shares scaled to the current size', () => {
    expect(rel(chiSquareTest([30, 50, 20], [25, 40, 35], 100, 100).pvalue, 0.0008746675674878502)).toBeLessThan(1e-9);
  });
  it('Z-test for two proportions (pooled), p = 2(1 − Φ(|z|))', () => {
    // 400 reference values with 120 of "b" (not the smallest key "a"), 300 current values with 120.
    const r = zTest(['a', 'b'], [280, 120], [180, 120], 400, 300);
    expect(rel(r.statistic, -2.758386421836853)).toBeLessThan(1e-12);
    expect(rel(r.pvalue, 0.005808748696671806)).toBeLessThan(1e-9);
    expect(zTest(['a'], [10], [7], 10, 7).pvalue).toBe(1);
  });
  it('Wasserstein-1 and the reference std (population) for the norm', () => {
    expect(rel(wasserstein(x, y), 0.457619047619048)).toBeLessThan(1e-12);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    expect(rel(Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length), 4.162457057176022)).toBeLessThan(1e-12);
  });
  it("Sturges bin edges as numpy.histogram_bin_edges(bins='sturges')", () => {
    const all = [...x, ...y];
    const edges = sturgesEdges(Math.min(...all), Math.max(...all), all.length);
    const expected = [0.0, 1.8142857142857143, 3.6285714285714286, 5.442857142857143, 7.257142857142857, 9.071428571428571, 10.885714285714286, 12.7, 14.514285714285714];
    expect(edges).toEqual(expected);
  });
  it('empty cells are filled like Evidently (PSI/KL) and left as zero for JS', () => {
    expect(sharesOf([0, 5, 5], 10, true)).toEqual([0.0001, 0.5, 0.5]);
    expect(sharesOf([0, 1, 99_999], 100_000, true)[0]).toBeCloseTo(1e-5 / 1e6, 20);
    expect(sharesOf([0, 5, 5], 10, false)).toEqual([0, 0.5, 0.5]);
  });
  it("Welch's t-test matches scipy.stats.ttest_ind(equal_var=False)", () => {
    const a = seq(30, 37, 11, 101);
    const b = seq(25, 53, 5, 97).map((v) => v + 0.3);
    const w = welchTTest(a, b)!;
    expect(rel(w.t, -0.028562287951388116)).toBeLessThan(1e-9);
    expect(rel(w.df, 51.58894219590754)).toBeLessThan(1e-9);
    expect(rel(w.p_value, 0.977323897856385)).toBeLessThan(1e-9);
  });
});

describe("Evidently's default method choice and verdict directions", () => {
  it('small reference: KS for numbers with > 5 values, chi-square for > 2, else Z', () => {
    expect(defaultStatTest('numerical', 1000, 6)).toBe('ks');
    expect(defaultStatTest('numerical', 1000, 5)).toBe('chisquare');
    expect(defaultStatTest('numerical', 1000, 2)).toBe('z');
    expect(defaultStatTest('categorical', 800, 30)).toBe('chisquare');
    expect(defaultStatTest('categorical', 800, 2)).toBe('z');
  });
  it('large reference: Wasserstein for numbers with > 5 values, else Jensen–Shannon', () => {
    expect(defaultStatTest('numerical', 1001, 6)).toBe('wasserstein');
    expect(defaultStatTest('numerical', 1001, 5)).toBe('jensenshannon');
    expect(defaultStatTest('categorical', 50_000, 77)).toBe('jensenshannon');
  });
  it('p-values drift below the threshold (KS at ≤), distances at ≥', () => {
    expect(isDrifted('ks', 0.05, 0.05)).toBe(true);
    expect(isDrifted('chisquare', 0.05, 0.05)).toBe(false);
    expect(isDrifted('z', 0.049, 0.05)).toBe(true);
    expect(isDrifted('wasserstein', 0.1, 0.1)).toBe(true);
    expect(isDrifted('jensenshannon', 0.0999, 0.1)).toBe(false);
    expect(isDrifted('psi', Number.NaN, 0.1)).toBe(false);
  });
});
