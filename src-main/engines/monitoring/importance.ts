/**
 * Permutation importance of a registered model on its evaluation set: the rise in RMSE when one feature's
 * values are shuffled across rows (breaking its link with the fare while keeping its distribution),
 * averaged over a few seeded shuffles. Reads the evaluation set the models engine saved with the version.
 */
import { openEngineDb, queryRows, sqlString } from '../../platform/duckdb.js';
import { throwIfCancelled, type JobContext } from '../../platform/jobs/context.js';
import type { Workspace } from '../../platform/workspace.js';
import { Mulberry32 } from '../data/generator/prng.js';
import { loadPredictingModel, modelReferenceOf, resolveVersion, type PredictingModel } from './model-reference.js';
import { LABEL } from './sources.js';

export interface ImportanceInput {
  model: string;
  version?: string | number;
  alias?: string;
  /** Most evaluation rows used (a seeded sample beyond it). */
  rows?: number;
  repeats?: number;
  seed?: number;
}

export interface FeatureImportance {
  feature: string;
  /** Mean RMSE increase over the shuffles. */
  importance: number;
  std: number;
  /** importance / baseline RMSE. */
  relative: number;
}

export interface ImportanceResult {
  model: string;
  version: string;
  rows: number;
  repeats: number;
  baseline_rmse: number;
  features: FeatureImportance[];
  duration_ms: number;
}

type Row = Record<string, string | number | boolean | null>;

function rmse(pred: Float64Array, actual: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += (pred[i]! - actual[i]!) ** 2;
  return Math.sqrt(s / actual.length);
}

/** Importance given a model and rows (exported for tests with any model exposing predictRows). */
export function permutationImportance(model: Pick<PredictingModel, 'featureNames' | 'predictRows'>, rows: Row[], actual: number[], repeats: number, seed: number, onFeature?: (i: number) => void): { baseline: number; features: FeatureImportance[] } {
  const baseline = rmse(model.predictRows(rows), actual);
  const rng = new Mulberry32(seed);
  const features: FeatureImportance[] = [];
  model.featureNames.forEach((f, fi) => {
    const rises: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const perm = rows.map((_, i) => i);
      for (let i = perm.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      const shuffled = rows.map((row, i) => ({ ...row, [f]: rows[perm[i]!]![f] ?? null }));
      rises.push(rmse(model.predictRows(shuffled), actual) - baseline);
    }
    const mean = rises.reduce((a, b) => a + b, 0) / rises.length;
    const std = Math.sqrt(rises.reduce((a, b) => a + (b - mean) ** 2, 0) / rises.length);
    features.push({ feature: f, importance: mean, std, relative: baseline > 0 ? mean / baseline : 0 });
    onFeature?.(fi + 1);
  });
  features.sort((a, b) => b.importance - a.importance);
  return { baseline, features };
}

export async function runImportance(ws: Workspace, input: ImportanceInput, ctx: Pick<JobContext, 'signal' | 'progress' | 'log'>): Promise<ImportanceResult> {
  const t0 = performance.now();
  const version = await resolveVersion(ws, input.model, input);
  const model = await loadPredictingModel(ws, input.model, version);
  const ref = await modelReferenceOf(ws)(input.model, version);
  const limit = input.rows ?? 5000;
  const db = await openEngineDb(ws);
  let data: Row[];
  try {
    const cols = [...model.featureNames, LABEL].map((c) => `"${c.replaceAll('"', '""')}"`).join(', ');
    data = await queryRows<Row>(
      db.conn,
      `SELECT ${cols} FROM read_parquet(${sqlString(ref.evalParquet)}) WHERE ${LABEL} IS NOT NULL USING SAMPLE reservoir(${Math.max(1, Math.floor(limit))} ROWS) REPEATABLE (${input.seed ?? 7})`,
    );
  } finally {
    db.close();
  }
  const actual = data.map((r) => Number(r[LABEL]));
  const rows = data.map((r) => {
    const o: Row = {};
    for (const f of model.featureNames) o[f] = typeof r[f] === 'bigint' ? Number(r[f]) : (r[f] ?? null);
    return o;
  });
  const repeats = input.repeats ?? 3;
  const total = model.featureNames.length;
  const r = permutationImportance(model, rows, actual, repeats, input.seed ?? 7, (i) => {
    throwIfCancelled(ctx, 'permutation importance');
    ctx.progress({ done: i, total, unit: 'features', message: `shuffled ${model.featureNames[i - 1]}` });
  });
  ctx.log.info({ model: input.model, version, rows: rows.length, top: r.features.slice(0, 3).map((f) => f.feature) }, 'permutation importance computed');
  return { model: input.model, version, rows: rows.length, repeats, baseline_rmse: r.baseline, features: r.features, duration_ms: Math.round(performance.now() - t0) };
}
