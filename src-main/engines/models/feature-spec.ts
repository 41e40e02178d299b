/**
 * The feature spec: how a model turns feature values into numbers, fitted on the training rows only and
 * saved with the model (feature_spec.json) so that serving encodes exactly as training did.
 *
 * Numerical features are clipped to the training 0.1–99.9% quantiles (the sample has trips of a thousand
 * miles that would otherwise dominate a standardized input), imputed with the training mean and
 * standardized. Categorical features are one-hot over a vocabulary of their frequent training values plus
 * one slot for anything else; a missing value takes the most frequent training value.
 */
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import type { FeatureView } from '../features/types.js';

export type Cell = string | number | boolean | null | undefined;
export type FeatureRow = Readonly<Record<string, Cell>>;

const NumericalSchema = z.object({
  name: z.string(),
  type: z.literal('numerical'),
  mean: z.number(),
  std: z.number().positive(),
  clip: z.tuple([z.number(), z.number()]),
  impute: z.number(),
});
const CategoricalSchema = z.object({
  name: z.string(),
  type: z.literal('categorical'),
  vocabulary: z.array(z.string()),
  impute: z.string().nullable(),
});
export const FeatureSpecSchema = z.object({
  format: z.literal('taxi-mlops/feature-spec@1'),
  feature_service: z.string(),
  task: z.enum(['fare', 'big_tipper']),
  label: z.string(),
  /** The label's training mean and std: the MLP learns the standardized label. */
  label_scale: z.object({ mean: z.number(), std: z.number().positive() }),
  features: z.array(z.discriminatedUnion('type', [NumericalSchema, CategoricalSchema])),
  input_dim: z.number().int().positive(),
});
export type FeatureSpec = z.infer<typeof FeatureSpecSchema>;
export type FeatureEncoding = FeatureSpec['features'][number];

const MAX_VOCABULARY = 60;
const MIN_CATEGORY_COUNT = 5;

/** Community areas are numbered codes, not quantities; time parts are cyclic: both are categories. */
export function isCategorical(f: { dtype: string; kind: string; column?: string }): boolean {
  return f.dtype === 'string' || f.dtype === 'bool' || f.kind === 'time_part' || (f.kind === 'column' && /community_area$/.test(f.column ?? ''));
}

/** The feature columns (view__feature) a feature service yields, with their encoding type. */
export function featureColumnsOf(views: readonly { view: FeatureView; features: FeatureView['features'] }[]): { name: string; type: 'numerical' | 'categorical' }[] {
  return views.flatMap((s) =>
    s.features.map((f) => ({ name: `${s.view.name}__${f.name}`, type: isCategorical({ dtype: f.dtype, kind: f.kind, column: f.kind === 'column' ? f.column : undefined }) ? ('categorical' as const) : ('numerical' as const) })),
  );
}

export const categoryOf = (v: Cell): string | null => (v === null || v === undefined || v === '' ? null : typeof v === 'number' && Number.isInteger(v) ? String(v) : String(v));
export const numberOf = (v: Cell): number | null => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
};

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Fits the encodings on the training rows. */
export function fitFeatureSpec(
  rows: readonly FeatureRow[],
  columns: readonly { name: string; type: 'numerical' | 'categorical' }[],
  meta: { feature_service: string; task: FeatureSpec['task']; label: string; labels: Float64Array },
): FeatureSpec {
  const features: FeatureEncoding[] = columns.map((c) => {
    if (c.type === 'numerical') {
      const values: number[] = [];
      for (const r of rows) {
        const n = numberOf(r[c.name]);
        if (n !== null) values.push(n);
      }
      const sorted = Float64Array.from(values).sort();
      const clip: [number, number] = [quantile(sorted, 0.001), quantile(sorted, 0.999)];
      let sum = 0;
      for (const v of sorted) sum += Math.min(Math.max(v, clip[0]), clip[1]);
      const mean = sorted.length ? sum / sorted.length : 0;
      let sq = 0;
      for (const v of sorted) sq += (Math.min(Math.max(v, clip[0]), clip[1]) - mean) ** 2;
      const std = sorted.length > 1 ? Math.sqrt(sq / (sorted.length - 1)) : 0;
      return { name: c.name, type: 'numerical', mean, std: std > 1e-12 ? std : 1, clip, impute: mean };
    }
    const counts = new Map<string, number>();
    for (const r of rows) {
      const k = categoryOf(r[c.name]);
      if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const vocabulary = ranked
      .filter(([, n]) => n >= MIN_CATEGORY_COUNT)
      .slice(0, MAX_VOCABULARY)
      .map(([k]) => k);
    return { name: c.name, type: 'categorical', vocabulary, impute: ranked[0]?.[0] ?? null };
  });
  let sum = 0;
  for (const y of meta.labels) sum += y;
  const mean = meta.labels.length ? sum / meta.labels.length : 0;
  let sq = 0;
  for (const y of meta.labels) sq += (y - mean) ** 2;
  const std = meta.labels.length > 1 ? Math.sqrt(sq / (meta.labels.length - 1)) : 1;
  const input_dim = features.reduce((d, f) => d + (f.type === 'numerical' ? 1 : f.vocabulary.length + 1), 0);
  return {
    format: 'taxi-mlops/feature-spec@1',
    feature_service: meta.feature_service,
    task: meta.task,
    label: meta.label,
    label_scale: { mean, std: std > 1e-12 ? std : 1 },
    features,
    input_dim,
  };
}

/**
 * Encodes rows into a row-major Float64Array of input_dim columns. Built once per spec; the per-row path
 * does no allocation beyond the output, which keeps single predictions in microseconds.
 */
export class Encoder {
  readonly dim: number;
  private readonly plan: ({ kind: 0; name: string; mean: number; std: number; lo: number; hi: number; impute: number; at: number } | { kind: 1; name: string; index: Map<string, number>; impute: number; at: number })[];

  constructor(readonly spec: FeatureSpec) {
    let at = 0;
    this.plan = spec.features.map((f) => {
      if (f.type === 'numerical') {
        const p = { kind: 0 as const, name: f.name, mean: f.mean, std: f.std, lo: f.clip[0], hi: f.clip[1], impute: f.impute, at };
        at += 1;
        return p;
      }
      const index = new Map(f.vocabulary.map((v, i) => [v, i]));
      const other = f.vocabulary.length;
      const p = { kind: 1 as const, name: f.name, index, impute: f.impute === null ? other : (index.get(f.impute) ?? other), at };
      at += f.vocabulary.length + 1;
      return p;
    });
    this.dim = at;
    if (at !== spec.input_dim) throw new AppError('INVALID_FILE', `feature spec says input_dim ${spec.input_dim} but its features encode to ${at} columns`, { input_dim: spec.input_dim, encoded: at });
  }

  get featureNames(): string[] {
    return this.spec.features.map((f) => f.name);
  }

  encodeInto(row: FeatureRow, out: Float64Array, offset: number): void {
    for (const p of this.plan) {
      const v = row[p.name];
      if (p.kind === 0) {
        let n = numberOf(v);
        if (n === null) n = p.impute;
        else if (n < p.lo) n = p.lo;
        else if (n > p.hi) n = p.hi;
        out[offset + p.at] = (n - p.mean) / p.std;
      } else {
        const k = categoryOf(v);
        const slot = k === null ? p.impute : (p.index.get(k) ?? p.index.size);
        out[offset + p.at + slot] = 1;
      }
    }
  }

  encode(rows: readonly FeatureRow[]): Float64Array {
    const out = new Float64Array(rows.length * this.dim);
    for (let i = 0; i < rows.length; i++) this.encodeInto(rows[i]!, out, i * this.dim);
    return out;
  }
}
