/**
 * Per-feature statistics of a view's offline rows, for the Features tab: count, nulls, range, mean,
 * std, quantiles and a histogram for numbers; top categories for text and booleans; and the view's
 * freshness (newest event, and how far a materialization watermark lags behind it).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { openEngineDb, queryOne, queryRows, sqlIdent, sqlNumber, toNumber } from '../../platform/duckdb.js';
import { AppError } from '../../platform/errors.js';
import type { Workspace } from '../../platform/workspace.js';
import { featureViewOf, featureViewsOf } from './definitions.js';
import { viewFreshness, viewRelationSql } from './offline.js';
import type { FeatureDef, FeatureView, ValueType } from './types.js';

export const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
const DEFAULT_BINS = 20;
const TOP = 10;

export interface HistogramBin {
  /** Lower edge, inclusive. */
  lo: number;
  /** Upper edge, exclusive except for the last bin of a continuous range (one-value bins are [v, v + 1)). */
  hi: number;
  count: number;
}

export interface FeatureStats {
  feature: string;
  dtype: ValueType;
  kind: FeatureDef['kind'];
  /** Non-null values. */
  count: number;
  nulls: number;
  null_fraction: number;
  distinct: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  quantiles: { p5: number; p25: number; p50: number; p75: number; p95: number } | null;
  histogram: HistogramBin[] | null;
  top: { value: string; count: number }[] | null;
}

export interface ViewStats {
  view: string;
  entity: string;
  ttl_seconds: number;
  rows: number;
  partitions: number;
  bytes: number;
  /** ISO times. */
  oldest_event: string | null;
  newest_event: string | null;
  last_written: string | null;
  watermark: string | null;
  /** Seconds the watermark is behind the newest event (0 when it is at or past it); null without both. */
  watermark_lag_seconds: number | null;
  features: FeatureStats[];
}

export interface StatsOptions {
  /** The view's materialization watermark, when the caller knows it (ISO text, Date or epoch ms). */
  watermark?: string | number | Date | null;
  /** Only these features. */
  features?: readonly string[];
  bins?: number;
  conn?: DuckDBConnection;
}

const isNumeric = (t: ValueType): boolean => t === 'int' || t === 'double';
const iso = (d: Date | null): string | null => (d instanceof Date ? d.toISOString() : null);
const num = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v));

function watermarkMs(w: StatsOptions['watermark']): number | null {
  if (w === null || w === undefined) return null;
  const ms = w instanceof Date ? w.getTime() : typeof w === 'number' ? w : Date.parse(/(?:Z|[+-]\d{2}:?\d{2})$/i.test(w) || w.length === 10 ? w : `${w}Z`);
  if (!Number.isFinite(ms)) throw new AppError('INVALID_INPUT', `watermark: not a date-time: ${String(w)}`, { field: 'watermark' });
  return ms;
}

interface Summary {
  count: number;
  distinct: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  q: number[] | null;
}

/** One pass over the view for every feature's count, distinct count and (numbers) moments and quantiles. */
async function summaries(conn: DuckDBConnection, rel: string, features: readonly FeatureDef[]): Promise<{ rows: number; by: Map<string, Summary> }> {
  const parts = features.flatMap((f, i) => {
    const c = sqlIdent(f.name);
    const base = [`count(${c}) AS c${i}`, `approx_count_distinct(${c}) AS d${i}`];
    if (!isNumeric(f.dtype)) return base;
    const x = `CAST(${c} AS DOUBLE)`;
    return [...base, `min(${x}) AS mn${i}`, `max(${x}) AS mx${i}`, `avg(${x}) AS av${i}`, `stddev_samp(${x}) AS sd${i}`, `quantile_cont(${x}, [${QUANTILES.join(', ')}]) AS q${i}`];
  });
  const r = await queryOne<Record<string, unknown>>(conn, `SELECT count(*) AS n${parts.length ? `, ${parts.join(', ')}` : ''} FROM ${rel}`);
  const by = new Map<string, Summary>();
  features.forEach((f, i) => {
    const q = r[`q${i}`];
    by.set(f.name, {
      count: toNumber(r[`c${i}`]),
      distinct: toNumber(r[`d${i}`]),
      min: num(r[`mn${i}`]),
      max: num(r[`mx${i}`]),
      mean: num(r[`av${i}`]),
      std: num(r[`sd${i}`]),
      q: Array.isArray(q) ? q.map((v) => toNumber(v)) : null,
    });
  });
  return { rows: toNumber(r.n), by };
}

/**
 * Equal-width bins over [min, max]. Integers with up to twice `bins` distinct values get one bin per
 * value, so an hour of day reads as 24 bars, not 20 uneven ones.
 */
async function histogram(conn: DuckDBConnection, rel: string, f: FeatureDef, s: Summary, bins: number): Promise<HistogramBin[] | null> {
  if (s.min === null || s.max === null || s.count === 0) return null;
  const span = s.max - s.min;
  const perValue = f.dtype === 'int' && span + 1 <= 2 * bins;
  const n = perValue ? span + 1 : span === 0 ? 1 : bins;
  const width = perValue || span === 0 ? 1 : span / n;
  const x = `CAST(${sqlIdent(f.name)} AS DOUBLE)`;
  const counts = await queryRows<{ b: number; n: bigint }>(
    conn,
    `SELECT least(CAST(floor((${x} - ${sqlNumber(s.min)}) / ${sqlNumber(width)}) AS INTEGER), ${n - 1}) AS b, count(*) AS n
     FROM ${rel} WHERE ${sqlIdent(f.name)} IS NOT NULL GROUP BY 1`,
  );
  const out = Array.from({ length: n }, (_, i): HistogramBin => ({ lo: s.min! + i * width, hi: i === n - 1 && !perValue ? s.max! : s.min! + (i + 1) * width, count: 0 }));
  for (const c of counts) out[Math.max(0, Math.min(n - 1, c.b))]!.count += toNumber(c.n);
  return out;
}

async function topValues(conn: DuckDBConnection, rel: string, f: FeatureDef): Promise<{ value: string; count: number }[]> {
  const c = sqlIdent(f.name);
  const rows = await queryRows<{ v: string; n: bigint }>(
    conn,
    `SELECT CAST(${c} AS VARCHAR) AS v, count(*) AS n FROM ${rel} WHERE ${c} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${TOP}`,
  );
  return rows.map((r) => ({ value: r.v, count: toNumber(r.n) }));
}

async function featureStatsOf(conn: DuckDBConnection, rel: string, f: FeatureDef, rows: number, s: Summary, bins: number): Promise<FeatureStats> {
  const numeric = isNumeric(f.dtype);
  const q = numeric && s.q && s.q.length === QUANTILES.length ? s.q : null;
  return {
    feature: f.name,
    dtype: f.dtype,
    kind: f.kind,
    count: s.count,
    nulls: rows - s.count,
    null_fraction: rows === 0 ? 0 : (rows - s.count) / rows,
    distinct: s.distinct,
    min: numeric ? s.min : null,
    max: numeric ? s.max : null,
    mean: numeric ? s.mean : null,
    std: numeric ? s.std : null,
    quantiles: q ? { p5: q[0]!, p25: q[1]!, p50: q[2]!, p75: q[3]!, p95: q[4]! } : null,
    histogram: numeric ? await histogram(conn, rel, f, s, bins) : null,
    top: numeric ? null : await topValues(conn, rel, f),
  };
}

function selectedFeatures(view: FeatureView, names: readonly string[] | undefined): FeatureDef[] {
  if (!names) return view.features;
  return names.map((n) => {
    const f = view.features.find((x) => x.name === n);
    if (!f) throw new AppError('INVALID_INPUT', `${view.name} has no feature "${n}" (have: ${view.features.map((x) => x.name).join(', ')})`, { view: view.name, feature: n });
    return f;
  });
}

async function statsWith(conn: DuckDBConnection, ws: Workspace, view: FeatureView, opts: StatsOptions): Promise<ViewStats> {
  const features = selectedFeatures(view, opts.features);
  const rel = viewRelationSql(ws, view);
  const fresh = await viewFreshness(conn, ws, view);
  const { rows, by } = features.length ? await summaries(conn, rel, features) : { rows: fresh.rows, by: new Map<string, Summary>() };
  const stats: FeatureStats[] = [];
  for (const f of features) stats.push(await featureStatsOf(conn, rel, f, rows, by.get(f.name)!, opts.bins ?? DEFAULT_BINS));
  const wm = watermarkMs(opts.watermark);
  const newest = fresh.newest_event?.getTime() ?? null;
  return {
    view: view.name,
    entity: view.entity.name,
    ttl_seconds: view.ttl_seconds,
    rows,
    partitions: fresh.partitions,
    bytes: fresh.bytes,
    oldest_event: iso(fresh.oldest_event),
    newest_event: iso(fresh.newest_event),
    last_written: iso(fresh.last_written),
    watermark: wm === null ? null : new Date(wm).toISOString(),
    watermark_lag_seconds: wm === null || newest === null ? null : Math.max(0, (newest - wm) / 1000),
    features: stats,
  };
}

/** Statistics of one view's offline rows. */
export async function featureStats(ws: Workspace, viewName: string, opts: StatsOptions = {}): Promise<ViewStats> {
  const view = featureViewOf(ws.config, viewName);
  if (opts.conn) return statsWith(opts.conn, ws, view, opts);
  const db = await openEngineDb(ws, { memoryLimit: '1GB' });
  try {
    return await statsWith(db.conn, ws, view, opts);
  } finally {
    db.close();
  }
}

export interface StoreStatsOptions {
  /** Maps a view to its materialization watermark. */
  watermarks?: Readonly<Record<string, StatsOptions['watermark']>>;
  bins?: number;
  /** Only these views, in the configured order; NOT_FOUND names any the config lacks. */
  views?: readonly string[];
  /** false: view-level facts only (rows, partitions, freshness, watermark), `features` empty. */
  features?: boolean;
}

function viewsWanted(ws: Workspace, names: readonly string[] | undefined): FeatureView[] {
  const all = featureViewsOf(ws.config);
  if (!names) return all;
  const unknown = names.filter((n) => !all.some((v) => v.name === n));
  if (unknown.length) {
    throw new AppError('NOT_FOUND', `unknown feature view ${unknown.map((u) => `"${u}"`).join(', ')} (have: ${all.map((v) => v.name).join(', ')})`, { views: unknown });
  }
  return all.filter((v) => names.includes(v.name));
}

/** Statistics of every view (or of `opts.views`). */
export async function featureStoreStats(ws: Workspace, opts: StoreStatsOptions = {}): Promise<ViewStats[]> {
  const views = viewsWanted(ws, opts.views);
  const db = await openEngineDb(ws, { memoryLimit: '1GB' });
  try {
    const out: ViewStats[] = [];
    for (const v of views) {
      const features = opts.features === false ? [] : undefined;
      out.push(await statsWith(db.conn, ws, v, { watermark: opts.watermarks?.[v.name] ?? null, bins: opts.bins, features, conn: db.conn }));
    }
    return out;
  } finally {
    db.close();
  }
}
