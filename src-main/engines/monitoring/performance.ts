/**
 * Model performance over time: RMSE, MAE and R² per time window from (prediction, actual) pairs — the
 * stream's prediction_error messages or a version's evaluation set — compared with a baseline (the
 * version's evaluation RMSE). Model drift is declared when the window RMSE exceeds the baseline by more
 * than the configured share in the configured number of consecutive judged windows.
 * A/B: per-variant metrics and Welch's t-test on the absolute errors of champion vs challenger.
 */
import { studentTTwoSided } from './special.js';

export interface ErrorPoint {
  /** Milliseconds since the epoch (when the error became known, or the trip time offline). */
  time: number;
  prediction: number;
  actual: number;
  model_version?: string;
  variant?: string | null;
}

export interface Metrics {
  count: number;
  rmse: number | null;
  mae: number | null;
  r2: number | null;
  mean_abs_error: number | null;
}

export interface PerformanceWindow extends Metrics {
  start: string;
  end: string;
  /** RMSE / baseline − 1 (null without a baseline or data). */
  degradation: number | null;
  /** Judged (enough predictions) and beyond the allowed share. */
  degraded: boolean;
  judged: boolean;
}

export interface ModelDriftRule {
  degradationShare: number;
  windows: number;
  minCount: number;
}

export interface PerformanceResult {
  windows: PerformanceWindow[];
  overall: Metrics;
  baseline_rmse: number | null;
  model_drift: { detected: boolean; consecutive: number; needed: number; since: string | null; message: string };
}

export function metricsOf(points: readonly { prediction: number; actual: number }[]): Metrics {
  const n = points.length;
  if (n === 0) return { count: 0, rmse: null, mae: null, r2: null, mean_abs_error: null };
  let se = 0;
  let ae = 0;
  let mean = 0;
  for (const p of points) mean += p.actual;
  mean /= n;
  let st = 0;
  for (const p of points) {
    const e = p.prediction - p.actual;
    se += e * e;
    ae += Math.abs(e);
    st += (p.actual - mean) ** 2;
  }
  return { count: n, rmse: Math.sqrt(se / n), mae: ae / n, r2: st > 0 ? 1 - se / st : null, mean_abs_error: ae / n };
}

/** Windows of `windowMs` aligned to the epoch, from the first to the last point (empty windows included). */
export function performanceWindows(points: readonly ErrorPoint[], windowMs: number, baselineRmse: number | null, rule: ModelDriftRule): PerformanceResult {
  const sorted = [...points].sort((a, b) => a.time - b.time);
  const windows: PerformanceWindow[] = [];
  if (sorted.length > 0) {
    const first = Math.floor(sorted[0]!.time / windowMs) * windowMs;
    const last = Math.floor(sorted[sorted.length - 1]!.time / windowMs) * windowMs;
    let i = 0;
    for (let start = first; start <= last; start += windowMs) {
      const inWindow: ErrorPoint[] = [];
      while (i < sorted.length && sorted[i]!.time < start + windowMs) inWindow.push(sorted[i++]!);
      const m = metricsOf(inWindow);
      const degradation = baselineRmse && m.rmse !== null ? m.rmse / baselineRmse - 1 : null;
      const judged = m.count >= rule.minCount && degradation !== null;
      windows.push({
        ...m,
        start: new Date(start).toISOString(),
        end: new Date(start + windowMs).toISOString(),
        degradation,
        judged,
        degraded: judged && degradation! > rule.degradationShare,
      });
    }
  }
  // Consecutive degraded judged windows at the end; windows too small to judge neither break nor extend a run.
  let consecutive = 0;
  let since: string | null = null;
  for (let k = windows.length - 1; k >= 0; k--) {
    const w = windows[k]!;
    if (!w.judged) continue;
    if (!w.degraded) break;
    consecutive++;
    since = w.start;
  }
  const detected = baselineRmse !== null && consecutive >= rule.windows;
  const pct = Math.round(rule.degradationShare * 100);
  const message =
    baselineRmse === null
      ? 'no baseline RMSE (the version has no evaluation metric), so model drift cannot be judged'
      : detected
        ? `model drift: RMSE more than ${pct}% above the baseline ${baselineRmse.toFixed(3)} in the last ${consecutive} windows (since ${since})`
        : consecutive > 0
          ? `${consecutive} of ${rule.windows} degraded windows in a row so far (RMSE > ${pct}% above ${baselineRmse.toFixed(3)})`
          : `no model drift: the latest judged window is within ${pct}% of the baseline RMSE ${baselineRmse.toFixed(3)}`;
  return { windows, overall: metricsOf(sorted), baseline_rmse: baselineRmse, model_drift: { detected, consecutive, needed: rule.windows, since, message } };
}

// ---------- A/B ----------

export interface WelchResult {
  t: number;
  df: number;
  p_value: number;
  mean_a: number;
  mean_b: number;
}

/** Welch's unequal-variance t-test (two-sided). */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchResult | null {
  if (a.length < 2 || b.length < 2) return null;
  const mean = (x: readonly number[]): number => x.reduce((s, v) => s + v, 0) / x.length;
  const variance = (x: readonly number[], m: number): number => x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1);
  const ma = mean(a);
  const mb = mean(b);
  const va = variance(a, ma) / a.length;
  const vb = variance(b, mb) / b.length;
  if (va + vb === 0) return { t: ma === mb ? 0 : Infinity, df: a.length + b.length - 2, p_value: ma === mb ? 1 : 0, mean_a: ma, mean_b: mb };
  const t = (ma - mb) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  return { t, df, p_value: studentTTwoSided(t, df), mean_a: ma, mean_b: mb };
}

export interface VariantMetrics extends Metrics {
  variant: string;
  model_versions: string[];
}

export interface AbResult {
  variants: VariantMetrics[];
  test: (WelchResult & { a: string; b: string; alpha: number }) | null;
  verdict: string;
}

/** Per-variant metrics and the Welch test of |error| between the two largest variants (champion first). */
export function abCompare(points: readonly ErrorPoint[], alpha = 0.05): AbResult {
  const groups = new Map<string, ErrorPoint[]>();
  for (const p of points) {
    const v = p.variant ?? 'unassigned';
    if (!groups.has(v)) groups.set(v, []);
    groups.get(v)!.push(p);
  }
  const variants: VariantMetrics[] = [...groups.entries()]
    .map(([variant, ps]) => ({ variant, model_versions: [...new Set(ps.map((p) => p.model_version ?? '?'))].sort(), ...metricsOf(ps) }))
    .sort((x, y) => (x.variant === 'champion' ? -1 : y.variant === 'champion' ? 1 : y.count - x.count));
  const [a, b] = variants.filter((v) => v.variant !== 'unassigned');
  if (!a || !b) {
    return { variants, test: null, verdict: `not enough variants to compare (have ${variants.map((v) => `${v.variant}: ${v.count}`).join(', ') || 'no predictions with known fares'})` };
  }
  const errs = (v: string): number[] => groups.get(v)!.map((p) => Math.abs(p.prediction - p.actual));
  const w = welchTTest(errs(a.variant), errs(b.variant));
  if (!w) return { variants, test: null, verdict: `too few predictions with known fares to compare (${a.variant}: ${a.count}, ${b.variant}: ${b.count}; need 2 each)` };
  const better = w.mean_a < w.mean_b ? a.variant : b.variant;
  const worse = better === a.variant ? b.variant : a.variant;
  const diff = Math.abs(w.mean_a - w.mean_b);
  const verdict =
    w.p_value < alpha
      ? `${better} is better: its mean absolute error is ${diff.toFixed(3)} lower than ${worse}'s (Welch t = ${w.t.toFixed(2)}, p = ${w.p_value.toPrecision(3)} < ${alpha}, ${a.count} vs ${b.count} predictions).`
      : `No significant difference between ${a.variant} and ${b.variant}: mean absolute errors ${w.mean_a.toFixed(3)} vs ${w.mean_b.toFixed(3)} (Welch t = ${w.t.toFixed(2)}, p = ${w.p_value.toPrecision(3)} ≥ ${alpha}); keep collecting or keep the champion.`;
  return { variants, test: { ...w, a: a.variant, b: b.variant, alpha }, verdict };
}
