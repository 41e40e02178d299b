/**
 * Data quality of a data set (any monitoring source): rows, duplicate trips, per-column statistics
 * (count, missing, mean, std, min, quartiles, max, distinct, most common), values outside the trip
 * schema's ranges, constant and almost-constant columns, and — against a reference — categories that are
 * new in the current data or missing from it. All aggregates run in DuckDB.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, sqlIdent, toNumber } from '../../platform/duckdb.js';
import type { Workspace } from '../../platform/workspace.js';
import type { DriftColumnSpec } from './drift.js';

/** A column is almost constant when its most common value has at least this share of the values. */
export const ALMOST_CONSTANT_SHARE = 0.95;

export interface ColumnQuality {
  column: string;
  type: DriftColumnSpec['type'];
  count: number;
  missing: number;
  missing_share: number;
  unique: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  q25: number | null;
  median: number | null;
  q75: number | null;
  max: number | null;
  most_common: { value: string; count: number; share: number } | null;
  constant: boolean;
  almost_constant: boolean;
  /** Values outside the schema's allowed range (numerical columns with a known range). */
  out_of_range: { count: number; min: number; max: number } | null;
  /** Against the reference: categories only the current data has / only the reference has. */
  new_categories: string[] | null;
  missing_categories: string[] | null;
}

export interface QualityResult {
  rows: number;
  duplicates: { key: string; count: number } | null;
  columns: ColumnQuality[];
  problems: string[];
  duration_ms: number;
}

/** Allowed ranges of the monitored columns, from the import rules and the calendar. */
export function schemaRanges(ws: Workspace): Record<string, [number, number]> {
  const v = ws.config.data.validation;
  return {
    trip_features__trip_distance: [0, v.max_trip_distance_miles],
    trip_features__trip_seconds: [0, v.max_trip_seconds],
    trip_features__passenger_count: [0, v.max_passengers],
    trip_features__pickup_hour: [0, 23],
    trip_features__pickup_weekday: [0, 6],
    trip_features__pickup_month: [1, 12],
    trip_features__pickup_community_area: [1, 77],
    trip_features__dropoff_community_area: [1, 77],
    fare_amount: [0, v.max_fare],
  };
}

const MAX_LISTED = 50;

export async function computeQuality(
  ws: Workspace,
  conn: DuckDBConnection,
  sql: string,
  columns: readonly DriftColumnSpec[],
  reference?: { sql: string; columns: readonly DriftColumnSpec[] },
): Promise<QualityResult> {
  const t0 = performance.now();
  await conn.run(`CREATE OR REPLACE TABLE quality_cur AS SELECT * FROM ${sql}`);
  const [{ n }] = (await queryRows<{ n: bigint }>(conn, 'SELECT count(*) AS n FROM quality_cur')) as [{ n: bigint }];
  const rows = toNumber(n);
  const described = await queryRows<{ column_name: string }>(conn, 'DESCRIBE quality_cur');
  let duplicates: QualityResult['duplicates'] = null;
  if (described.some((d) => d.column_name === 'trip_id')) {
    const [d] = await queryRows<{ d: bigint }>(conn, 'SELECT count(*) - count(DISTINCT trip_id) AS d FROM quality_cur');
    duplicates = { key: 'trip_id', count: toNumber(d!.d) };
  } else {
    const [d] = await queryRows<{ d: bigint }>(conn, 'SELECT (SELECT count(*) FROM quality_cur) - (SELECT count(*) FROM (SELECT DISTINCT * FROM quality_cur)) AS d');
    duplicates = { key: 'all columns', count: toNumber(d!.d) };
  }
  const ranges = schemaRanges(ws);
  const refCats = new Map<string, Set<string>>();
  if (reference) {
    for (const c of reference.columns.filter((x) => x.type === 'categorical' && columns.some((y) => y.name === x.name))) {
      const vals = await queryRows<{ v: string }>(conn, `SELECT DISTINCT CAST(${sqlIdent(c.name)} AS VARCHAR) AS v FROM ${reference.sql} WHERE ${sqlIdent(c.name)} IS NOT NULL`);
      refCats.set(c.name, new Set(vals.map((x) => x.v)));
    }
  }
  const out: ColumnQuality[] = [];
  for (const c of columns) {
    const id = sqlIdent(c.name);
    const num = c.type === 'numerical';
    const x = num ? `CAST(${id} AS DOUBLE)` : `CAST(${id} AS VARCHAR)`;
    const validX = num ? `isfinite(${x})` : `${x} IS NOT NULL`;
    const range = ranges[c.name];
    const [s] = await queryRows<Record<string, unknown>>(
      conn,
      `SELECT count(*) FILTER (WHERE ${validX}) AS cnt, count(DISTINCT ${x}) FILTER (WHERE ${validX}) AS uniq
       ${num ? `, avg(${x}) FILTER (WHERE ${validX}) AS mean, stddev_samp(${x}) FILTER (WHERE ${validX}) AS std, min(${x}) FILTER (WHERE ${validX}) AS lo, max(${x}) FILTER (WHERE ${validX}) AS hi,
          quantile_cont(${x}, [0.25, 0.5, 0.75]) FILTER (WHERE ${validX}) AS q` : ''}
       ${num && range ? `, count(*) FILTER (WHERE ${validX} AND (${x} < ${range[0]} OR ${x} > ${range[1]})) AS oor` : ''}
       FROM quality_cur`,
    );
    const top = await queryRows<{ v: string; k: bigint }>(conn, `SELECT CAST(${x} AS VARCHAR) AS v, count(*) AS k FROM quality_cur WHERE ${validX} GROUP BY 1 ORDER BY k DESC, v LIMIT 1`);
    const count = toNumber(s!.cnt);
    const unique = toNumber(s!.uniq);
    const q = (s!.q as number[] | null | undefined) ?? null;
    const mc = top[0] ? { value: top[0].v, count: toNumber(top[0].k), share: count ? toNumber(top[0].k) / count : 0 } : null;
    let newCats: string[] | null = null;
    let missingCats: string[] | null = null;
    const ref = refCats.get(c.name);
    if (ref) {
      const curVals = new Set((await queryRows<{ v: string }>(conn, `SELECT DISTINCT ${x} AS v FROM quality_cur WHERE ${validX}`)).map((r) => r.v));
      newCats = [...curVals].filter((v) => !ref.has(v)).sort().slice(0, MAX_LISTED);
      missingCats = [...ref].filter((v) => !curVals.has(v)).sort().slice(0, MAX_LISTED);
    }
    const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v));
    out.push({
      column: c.name,
      type: c.type,
      count,
      missing: rows - count,
      missing_share: rows ? (rows - count) / rows : 0,
      unique,
      mean: num ? numOrNull(s!.mean) : null,
      std: num ? numOrNull(s!.std) : null,
      min: num ? numOrNull(s!.lo) : null,
      q25: q ? q[0]! : null,
      median: q ? q[1]! : null,
      q75: q ? q[2]! : null,
      max: num ? numOrNull(s!.hi) : null,
      most_common: mc,
      constant: count > 0 && unique <= 1,
      almost_constant: count > 0 && unique > 1 && mc !== null && mc.share >= ALMOST_CONSTANT_SHARE,
      out_of_range: num && range ? { count: toNumber(s!.oor), min: range[0], max: range[1] } : null,
      new_categories: newCats,
      missing_categories: missingCats,
    });
  }
  await conn.run('DROP TABLE IF EXISTS quality_cur');
  const problems: string[] = [];
  if (duplicates && duplicates.count > 0) problems.push(`${duplicates.count} duplicate rows (by ${duplicates.key})`);
  for (const c of out) {
    if (c.count === 0) problems.push(`${c.column}: every value is missing`);
    else if (c.missing_share > 0.05) problems.push(`${c.column}: ${(c.missing_share * 100).toFixed(1)}% missing`);
    if (c.constant) problems.push(`${c.column}: constant (${c.most_common?.value})`);
    if (c.almost_constant) problems.push(`${c.column}: almost constant (${c.most_common!.value} is ${(c.most_common!.share * 100).toFixed(1)}% of the values)`);
    if (c.out_of_range && c.out_of_range.count > 0) problems.push(`${c.column}: ${c.out_of_range.count} values outside ${c.out_of_range.min}..${c.out_of_range.max}`);
    if (c.new_categories && c.new_categories.length > 0) problems.push(`${c.column}: new categories ${c.new_categories.slice(0, 5).join(', ')}${c.new_categories.length > 5 ? '…' : ''}`);
    if (c.missing_categories && c.missing_categories.length > 0) problems.push(`${c.column}: ${c.missing_categories.length} reference categories absent`);
  }
  return { rows, duplicates, columns: out, problems, duration_ms: Math.round(performance.now() - t0) };
}
