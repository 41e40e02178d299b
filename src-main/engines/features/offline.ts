/**
 * The Parquet offline store of feature rows: <offline>/features/<view>/date=YYYY-MM-DD/<part>.parquet
 * (date of event_timestamp), columns: join key, event_timestamp, created_timestamp, features.
 * This file reads it: folders, partitions, a SQL relation over a view, freshness.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne, sqlIdent, sqlString, toNumber } from '../../platform/duckdb.js';
import type { Workspace } from '../../platform/workspace.js';
import { CREATED_TIMESTAMP, EVENT_TIMESTAMP, SQL_TYPE_OF } from './definitions.js';
import type { FeatureView } from './types.js';

const DATE_DIR = /^date=(\d{4}-\d{2}-\d{2})$/;

export function featuresRootDir(ws: Workspace): string {
  return path.join(ws.paths.offlineDir, 'features');
}

export function viewDir(ws: Workspace, viewName: string): string {
  return path.join(featuresRootDir(ws), viewName);
}

export function partitionDirOf(ws: Workspace, viewName: string, date: string): string {
  return path.join(viewDir(ws, viewName), `date=${date}`);
}

export interface Partition {
  /** YYYY-MM-DD of the rows' event_timestamp. */
  date: string;
  dir: string;
  files: string[];
  bytes: number;
}

/** Date partitions of a view that hold at least one Parquet file, oldest first. */
export function listPartitions(ws: Workspace, viewName: string): Partition[] {
  const dir = viewDir(ws, viewName);
  if (!fs.existsSync(dir)) return [];
  const out: Partition[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const m = DATE_DIR.exec(d.name);
    if (!d.isDirectory() || !m) continue;
    const pdir = path.join(dir, d.name);
    const files = fs
      .readdirSync(pdir)
      .filter((f) => f.endsWith('.parquet'))
      .sort()
      .map((f) => path.join(pdir, f));
    if (files.length === 0) continue;
    out.push({ date: m[1]!, dir: pdir, files, bytes: files.reduce((s, f) => s + (fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0) });
  }
  return out.sort((a, b) => a.date.localeCompare(b.date));
}

export interface ViewColumn {
  name: string;
  sql: string;
}

/** The columns of a view's rows in layout order, with their DuckDB types. */
export function viewColumnsOf(view: FeatureView): ViewColumn[] {
  return [
    { name: view.entity.join_key, sql: SQL_TYPE_OF[view.entity.value_type] },
    { name: EVENT_TIMESTAMP, sql: 'TIMESTAMP' },
    { name: CREATED_TIMESTAMP, sql: 'TIMESTAMP' },
    ...view.features.map((f) => ({ name: f.name, sql: SQL_TYPE_OF[f.dtype] })),
  ];
}

function emptyRelationSql(columns: readonly ViewColumn[]): string {
  return `(SELECT ${columns.map((c) => `CAST(NULL AS ${c.sql}) AS ${sqlIdent(c.name)}`).join(', ')} WHERE false)`;
}

export interface RelationOptions {
  /** Only these date partitions (YYYY-MM-DD). */
  dates?: readonly string[];
}

/**
 * A relation (for FROM) over the stored rows of a view, with exactly the view's columns and types.
 * No data yet gives an empty relation of the same shape. Files written before a feature was added
 * lack its column; it reads as NULL there rather than failing the query.
 */
export function viewRelationSql(ws: Workspace, view: FeatureView, opts: RelationOptions = {}): string {
  const columns = viewColumnsOf(view);
  const wanted = opts.dates ? new Set(opts.dates) : null;
  const files = listPartitions(ws, view.name)
    .filter((p) => !wanted || wanted.has(p.date))
    .flatMap((p) => p.files);
  if (files.length === 0) return emptyRelationSql(columns);
  const scan = `read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true, hive_partitioning = false)`;
  // UNION ALL BY NAME with the typed empty relation supplies any column no file has.
  const select = columns.map((c) => `CAST(${sqlIdent(c.name)} AS ${c.sql}) AS ${sqlIdent(c.name)}`).join(', ');
  return `(SELECT ${select} FROM (SELECT * FROM ${emptyRelationSql(columns)} UNION ALL BY NAME SELECT * FROM ${scan}))`;
}

export interface ViewFreshness {
  view: string;
  rows: number;
  partitions: number;
  bytes: number;
  oldest_event: Date | null;
  newest_event: Date | null;
  /** When the rows of the newest partition were last written (their latest created_timestamp). */
  last_written: Date | null;
}

/** Rows, partitions and the newest event of a view; the newest comes from the last partition only. */
export async function viewFreshness(conn: DuckDBConnection, ws: Workspace, view: FeatureView): Promise<ViewFreshness> {
  const parts = listPartitions(ws, view.name);
  const base = { view: view.name, partitions: parts.length, bytes: parts.reduce((s, p) => s + p.bytes, 0) };
  if (parts.length === 0) return { ...base, rows: 0, oldest_event: null, newest_event: null, last_written: null };
  const first = parts[0]!.date;
  const last = parts[parts.length - 1]!.date;
  const rows = await queryOne<{ n: bigint }>(conn, `SELECT count(*) AS n FROM ${viewRelationSql(ws, view)}`);
  const oldest = await queryOne<{ t: Date | null }>(conn, `SELECT min(${EVENT_TIMESTAMP}) AS t FROM ${viewRelationSql(ws, view, { dates: [first] })}`);
  const newest = await queryOne<{ t: Date | null; w: Date | null }>(
    conn,
    `SELECT max(${EVENT_TIMESTAMP}) AS t, max(${CREATED_TIMESTAMP}) AS w FROM ${viewRelationSql(ws, view, { dates: [last] })}`,
  );
  return { ...base, rows: toNumber(rows.n), oldest_event: oldest.t, newest_event: newest.t, last_written: newest.w };
}
