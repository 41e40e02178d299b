/**
 * Special functions behind the drift tests' p-values: log-gamma, the regularized incomplete gamma and
 * beta functions, the normal, chi-square and Student t tails, and the Kolmogorov–Smirnov distributions
 * (exact two-sample lattice paths, the one-sample two-sided distribution for large samples).
 *
 * Where a p-value is defined as "1 − cdf" in the reference implementations (Evidently's Z-test, the KS
 * distribution for moderate statistics) it is computed the same way here, so the two agree to the last
 * few bits rather than one being "more exact" and the verdicts differing at the edges.
 */

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-16;
const TINY = 1e-300;

/** Series for P(a, x), good for x < a + 1. */
function gammaPSeries(a: number, x: number): number {
  let sum = 1 / a;
  let term = sum;
  for (let n = 1; n < 10_000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** Continued fraction (modified Lentz) for Q(a, x), good for x ≥ a + 1. */
function gammaQFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** Regularized lower incomplete gamma P(a, x). */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (!Number.isFinite(x)) return 1;
  return x < a + 1 ? gammaPSeries(a, x) : 1 - gammaQFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x), without cancellation in the tail. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  return x < a + 1 ? 1 - gammaPSeries(a, x) : gammaQFraction(a, x);
}

/** erfc(x) through Q(1/2, x²) (accurate in both tails). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 0) return gammaQ(0.5, x * x);
  return 1 + gammaP(0.5, x * x);
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** P(χ²_k ≥ x). */
export function chi2Sf(x: number, k: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  return gammaQ(k / 2, x / 2);
}

/** Continued fraction for the incomplete beta (Numerical Recipes' betacf, modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function betaInc(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** Two-sided p-value of Student's t with `df` degrees of freedom (df may be fractional: Welch). */
export function studentTTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || Number.isNaN(df)) return NaN;
  if (!Number.isFinite(t)) return 0;
  const x = df / (df + t * t);
  return betaInc(df / 2, 0.5, x);
}

// ---------- Kolmogorov–Smirnov ----------

/**
 * P(D ≥ d) for two samples of sizes m and n under the null, exactly: the share of monotone lattice
 * paths from (0,0) to (m,n) that touch |i/m − j/n| ≥ d. Walks the paths as a random walk (the next
 * step goes right with probability (m−i)/(m−i+n−j)), absorbing the mass that reaches the boundary, so
 * the tail probability is summed directly, never as 1 − (something close to 1).
 * `h` is the statistic in units of 1/lcm(m,n): the boundary is |i·n − j·m| ≥ h·gcd(m,n).
 */
export function ksTwoSampleExactSf(m: number, n: number, h: number, g: number): number {
  if (h <= 0) return 1;
  const bound = h * g;
  let cur = new Float64Array(n + 1);
  let next = new Float64Array(n + 1);
  let absorbed = 0;
  cur[0] = 1;
  let lo = 0;
  let hi = 0; // live j range of row i
  for (let i = 0; i <= m; i++) {
    let nlo = n + 1;
    let nhi = -1;
    for (let j = lo; j <= hi; j++) {
      const p = cur[j]!;
      if (p === 0) continue;
      cur[j] = 0;
      if (Math.abs(i * n - j * m) >= bound) {
        absorbed += p;
        continue;
      }
      const left = m - i + n - j;
      if (left === 0) continue;
      // Step along j (second sample) stays in this row.
      if (j < n) {
        const q = (p * (n - j)) / left;
        cur[j + 1] = cur[j + 1]! + q;
        if (j + 1 > hi) hi = j + 1;
      }
      if (i < m) {
        next[j] = next[j]! + (p * (m - i)) / left;
        if (j < nlo) nlo = j;
        if (j > nhi) nhi = j;
      }
    }
    const t = cur;
    cur = next;
    next = t;
    lo = nlo;
    hi = nhi;
    if (nhi < 0) break;
  }
  return Math.min(1, Math.max(0, absorbed));
}

/** P(D_{n,n} ≥ h/n) for equal sizes: the alternating reflection sum in nested (Horner-like) form. */
export function ksEqualSizesSf(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let a = 1;
    for (let j = 0; j < h; j++) a = ((n - k * h - j) * a) / (n + k * h + j + 1);
    p = a * (1 - p);
  }
  return 2 * p;
}

function logFactorial(n: number): number {
  return logGamma(n + 1);
}

/** Smirnov's one-sided exact tail P(D⁺_n ≥ d) (Birnbaum–Tingey), summed in log space. */
export function smirnovSf(n: number, d: number): number {
  if (d <= 0) return 1;
  if (d >= 1) return 0;
  const jmax = Math.floor(n * (1 - d));
  let sum = 0;
  for (let j = 0; j <= jmax; j++) {
    const a = d + j / n;
    const b = 1 - a;
    if (b <= 0 && n - j > 0) continue;
    const logTerm = logFactorial(n) - logFactorial(j) - logFactorial(n - j) + (j - 1) * Math.log(a) + (n - j > 0 ? (n - j) * Math.log(b) : 0);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, d * sum);
}

/** P(D_n < d) for the one-sample two-sided statistic, exactly (Durbin's matrix, Marsaglia–Tsang–Wang). */
export function kolmogorovCdfExact(n: number, d: number): number {
  const k = Math.floor(n * d) + 1;
  const size = 2 * k - 1;
  const h = k - n * d;
  const H = new Float64Array(size * size);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) H[i * size + j] = i - j + 1 >= 0 ? 1 : 0;
  for (let i = 0; i < size; i++) {
    H[i * size] = H[i * size]! - h ** (i + 1);
    H[(size - 1) * size + i] = H[(size - 1) * size + i]! - h ** (size - i);
  }
  if (2 * h - 1 > 0) H[(size - 1) * size] = H[(size - 1) * size]! + (2 * h - 1) ** size;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const f = i - j + 1;
      if (f > 0) for (let g = 1; g <= f; g++) H[i * size + j] = H[i * size + j]! / g;
    }
  }
  // H^n by squaring, tracking a power-of-ten exponent so nothing overflows.
  const mul = (a: Float64Array, b: Float64Array): Float64Array<ArrayBuffer> => {
    const c = new Float64Array(size * size);
    for (let i = 0; i < size; i++) {
      for (let l = 0; l < size; l++) {
        const ail = a[i * size + l]!;
        if (ail === 0) continue;
        for (let j = 0; j < size; j++) c[i * size + j] = c[i * size + j]! + ail * b[l * size + j]!;
      }
    }
    return c;
  };
  let result: Float64Array<ArrayBuffer> | null = null;
  let resultExp = 0;
  let base: Float64Array<ArrayBuffer> = H;
  let baseExp = 0;
  let e = n;
  const rescale = (m: Float64Array): number => {
    const center = m[(k - 1) * size + (k - 1)]!;
    let maxAbs = 0;
    for (const v of m) maxAbs = Math.max(maxAbs, Math.abs(v));
    const ref = center > 1e-140 ? center : maxAbs;
    if (ref > 1e140 || (ref > 0 && ref < 1e-140)) {
      const p = Math.floor(Math.log10(ref));
      const f = 10 ** -p;
      for (let i = 0; i < m.length; i++) m[i] = m[i]! * f;
      return p;
    }
    return 0;
  };
  while (e > 0) {
    if (e & 1) {
      if (result === null) {
        result = Float64Array.from(base);
        resultExp = baseExp;
      } else {
        result = mul(result, base);
        resultExp += baseExp;
        resultExp += rescale(result);
      }
    }
    e >>= 1;
    if (e > 0) {
      base = mul(base, base);
      baseExp *= 2;
      baseExp += rescale(base);
    }
  }
  const center = result![(k - 1) * size + (k - 1)]!;
  // n!/n^n · (H^n)[k-1][k-1]
  const logP = logFactorial(n) - n * Math.log(n) + Math.log(center) + resultExp * Math.LN10;
  return Math.min(1, Math.max(0, Math.exp(logP)));
}

/**
 * P(D_n ≥ d) for the one-sample two-sided KS statistic, choosing the formula by (n, d) the way SciPy's
 * `kstwo.sf` does, so the large-sample two-sample p-values agree with it. Where SciPy switches to the
 * Pelz–Good asymptotic series (n > 140, n·d^1.5 > 1.4 and n·d² < 2.2) this uses the exact matrix
 * method instead; the two differ only in late digits there.
 */
export function kolmogorovSf(n: number, d: number): number {
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    const logP = logFactorial(n) - n * Math.log(n) + n * Math.log(2 * t - 1);
    return 1 - Math.exp(logP);
  }
  if (t >= n - 1) return 2 * (1 - d) ** n;
  if (d >= 0.5) return 2 * smirnovSf(n, d);
  const nx2 = t * d;
  if (n <= 140) {
    if (nx2 <= 4) return Math.max(0, 1 - kolmogorovCdfExact(n, d));
    return Math.min(1, 2 * smirnovSf(n, d));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return Math.min(1, 2 * smirnovSf(n, d));
  return Math.max(0, 1 - kolmogorovCdfExact(n, d));
}

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Two-sided two-sample KS p-value for statistic `dCount / (n1·n2)` (dCount = max |c1·n2 − c2·n1|, exact
 * integers): exact lattice paths when both samples have at most 10,000 values, else the one-sample
 * distribution at n1·n2/(n1+n2) — SciPy's `ks_2samp(method='auto')` rule.
 */
export function ksTwoSamplePValue(n1: number, n2: number, dCount: number): { statistic: number; pvalue: number; method: 'exact' | 'asymp' } {
  const g = gcd(n1, n2);
  const d = dCount / (n1 * n2);
  if (Math.max(n1, n2) <= 10_000) {
    const lcm = (n1 / g) * n2;
    // dCount/(n1·n2) · lcm = dCount/g, an integer already.
    const h = Math.round(d * lcm);
    if (h === 0) return { statistic: 0, pvalue: 1, method: 'exact' };
    const p = n1 === n2 ? ksEqualSizesSf(n1, h) : ksTwoSampleExactSf(Math.max(n1, n2), Math.min(n1, n2), h, g);
    return { statistic: h / lcm, pvalue: Math.min(1, Math.max(0, p)), method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = Math.round((m * n) / (m + n));
  return { statistic: d, pvalue: Math.min(1, Math.max(0, kolmogorovSf(en, d))), method: 'asymp' };
}
