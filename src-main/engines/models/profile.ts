/**
 * The reference profile of a model version: per feature (and the label and prediction) the statistics a
 * drift check compares the current data with — counts, missing values, mean and spread, quantiles and a
 * histogram for numbers; value counts for categories. Computed from the training rows at training time.
 */
import type { Cell, FeatureRow } from './feature-spec.js';
import { categoryOf, numberOf } from './feature-spec.js';

export interface NumericalProfile {
  name: string;
  type: 'numerical';
  count: number;
  missing: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  quantiles: { p1: number; p5: number; p25: number; p50: number; p75: number; p95: number; p99: number } | null;
  /** Equal-width bins over [p1, p99] plus one open bin on each side. */
  histogram: { edges: number[]; counts: number[] } | null;
}

export interface CategoricalProfile {
  name: string;
  type: 'categorical';
  count: number;
  missing: number;
  distinct: number;
  /** Most frequent values first (at most 100; the rest summed under "__other__"). */
  categories: { value: string; count: number }[];
}

export type FeatureProfileEntry = NumericalProfile | CategoricalProfile;

export interface FeatureProfile {
  format: 'taxi-mlops/profile@1';
  rows: number;
  /** Pickup-time range of the rows profiled (ISO). */
  start: string | null;
  end: string | null;
  features: FeatureProfileEntry[];
  label: FeatureProfileEntry;
}

const BINS = 20;
const MAX_CATEGORIES = 100;

function q(sorted: Float64Array, p: number): number {
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function numericalProfile(name: string, values: readonly Cell[]): NumericalProfile {
  const xs: number[] = [];
  for (const v of values) {
    const n = numberOf(v);
    if (n !== null) xs.push(n);
  }
  const base = { name, type: 'numerical' as const, count: values.length, missing: values.length - xs.length };
  if (xs.length === 0) return { ...base, mean: null, std: null, min: null, max: null, quantiles: null, histogram: null };
  const s = Float64Array.from(xs).sort();
  let sum = 0;
  for (const v of s) sum += v;
  const mean = sum / s.length;
  let sq = 0;
  for (const v of s) sq += (v - mean) ** 2;
  const quantiles = { p1: q(s, 0.01), p5: q(s, 0.05), p25: q(s, 0.25), p50: q(s, 0.5), p75: q(s, 0.75), p95: q(s, 0.95), p99: q(s, 0.99) };
  const lo = quantiles.p1;
  const hi = quantiles.p99 > lo ? quantiles.p99 : lo + 1;
  const edges = Array.from({ length: BINS + 1 }, (_, i) => lo + ((hi - lo) * i) / BINS);
  const counts = new Array<number>(BINS + 2).fill(0);
  for (const v of s) {
    const bin = v < lo ? 0 : v >= hi ? BINS + 1 : 1 + Math.min(BINS - 1, Math.floor(((v - lo) / (hi - lo)) * BINS));
    counts[bin]!++;
  }
  return { ...base, mean, std: s.length > 1 ? Math.sqrt(sq / (s.length - 1)) : 0, min: s[0]!, max: s[s.length - 1]!, quantiles, histogram: { edges, counts } };
}

export function categoricalProfile(name: string, values: readonly Cell[]): CategoricalProfile {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const v of values) {
    const k = categoryOf(v);
    if (k === null) missing++;
    else counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const categories = ranked.slice(0, MAX_CATEGORIES).map(([value, count]) => ({ value, count }));
  const rest = ranked.slice(MAX_CATEGORIES).reduce((s, [, c]) => s + c, 0);
  if (rest > 0) categories.push({ value: '__other__', count: rest });
  return { name, type: 'categorical', count: values.length, missing, distinct: counts.size, categories };
}

export function profileOf(rows: readonly FeatureRow[], features: readonly { name: string; type: 'numerical' | 'categorical' }[], label: string): FeatureProfile {
  const column = (name: string): Cell[] => rows.map((r) => r[name]);
  let first = Infinity;
  let last = -Infinity;
  for (const r of rows) {
    const t = numberOf(r.event_timestamp);
    if (t !== null && t < first) first = t;
    if (t !== null && t > last) last = t;
  }
  return {
    format: 'taxi-mlops/profile@1',
    rows: rows.length,
    start: Number.isFinite(first) ? new Date(first).toISOString() : null,
    end: Number.isFinite(last) ? new Date(last).toISOString() : null,
    features: features.map((f) => (f.type === 'numerical' ? numericalProfile(f.name, column(f.name)) : categoricalProfile(f.name, column(f.name)))),
    label: numericalProfile(label, column(label)),
  };
}
