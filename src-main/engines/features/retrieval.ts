/**
 * Historical retrieval for training sets, with Feast's point-in-time semantics: for each entity row
 * (join keys + event_timestamp) and each view, the feature row of the same key with the latest
 * event_timestamp ≤ the row's event_timestamp is taken, if it is not older than event_timestamp − ttl
 * (a value exactly ttl old is still served); among rows with the same event_timestamp the latest
 * created_timestamp wins. Entity rows without a match keep their row with nulls. Rows come back in the
 * order given, with every column of the entity input, then one column per feature.
 *
 * Columns are named `view__feature` (Feast's full_feature_names) by default, so a training set keeps
 * its column names whichever other views it adds, and two views may share a feature name
 * (taxi_activity__trips_1h, area_demand__trips_1h). `full_feature_names: false` gives bare names and
 * fails when two of them clash.
 *
 * One ASOF JOIN per view. Its inequality compares (event_timestamp, created_timestamp) pairs, which
 * picks the latest event and breaks ties on created time in the same pass, as fast as a plain ASOF
 * join; the ttl then nulls out matches that are too old.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBTimestampValue, type DuckDBAppender, type DuckDBConnection, type DuckDBResultReader } from '@duckdb/node-api';
import { z } from 'zod';
import { openEngineDb, queryOne, queryRows, runMonitored, sqlIdent, sqlNumber, sqlString, toNumber } from '../../platform/duckdb.js';
import { AppError, cancelled } from '../../platform/errors.js';
import type { Logger } from '../../platform/logging.js';
import type { Workspace } from '../../platform/workspace.js';
import { CREATED_TIMESTAMP, EVENT_TIMESTAMP, SQL_TYPE_OF, outputColumnOf, resolveFeatureRefs, type FeatureRequest, type ViewSelection } from './definitions.js';
import { viewRelationSql } from './offline.js';
import type { FeatureValue, ValueType } from './types.js';

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const HistoricalRequestSchema = z
  .object({
    entities: z.union([
      z.array(z.record(z.string(), Scalar)).min(1).describe('entity rows: join keys, event_timestamp (ISO text or epoch ms), any other columns'),
      z.object({ csv: z.string().min(1) }).strict(),
      z.object({ parquet: z.string().min(1) }).strict(),
    ]),
    features: z.union([z.array(z.string().min(1)).min(1), z.object({ feature_service: z.string().min(1) }).strict()]),
    output: z.union([z.object({ csv: z.string().min(1) }).strict(), z.object({ parquet: z.string().min(1) }).strict()]).optional(),
    full_feature_names: z.boolean().default(true),
    timestamp_column: z.string().min(1).default(EVENT_TIMESTAMP),
  })
  .strict();

export type EntityRow = Readonly<Record<string, string | number | boolean | Date | null | undefined>>;
export type EntitySource = readonly EntityRow[] | { csv: string } | { parquet: string };

export interface HistoricalRequest {
  entities: EntitySource;
  features: FeatureRequest;
  output?: { csv: string } | { parquet: string };
  /** `view__feature` column names (default) or bare feature names. */
  full_feature_names?: boolean;
  /** Column of the entity rows holding their time; default event_timestamp. */
  timestamp_column?: string;
}

export interface ResultColumn {
  name: string;
  /** DuckDB type of the column. */
  type: string;
  /** "view:feature" for feature columns, null for entity columns. */
  feature: string | null;
}

export interface HistoricalResult {
  columns: ResultColumn[];
  row_count: number;
  /** The rows, when no output file was asked for. Timestamps as epoch milliseconds. */
  rows?: Record<string, FeatureValue>[];
  /** The file written, when one was asked for. */
  output?: string;
  duration_ms: number;
}

/** What retrieval runs with: a JobContext fits; `conn` reuses an open DuckDB connection. */
export interface RetrievalEnv {
  workspace: Workspace;
  conn?: DuckDBConnection;
  signal?: AbortSignal;
  log?: Logger;
}

const ROW = '__entity_row';

// ---------- entity input ----------

interface KeyColumn {
  name: string;
  type: ValueType;
}

interface EntityTable {
  table: string;
  /** Columns of the entity input in order (the internal row number excluded). */
  columns: { name: string; type: string }[];
}

function describeValue(v: unknown): string {
  return v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : `${typeof v} ${String(v)}`;
}

function wrongValue(where: string, column: string, expected: string, value: unknown, details: Record<string, unknown>): AppError {
  return new AppError('INVALID_INPUT', `${where}: column ${column}: expected ${expected}, got ${describeValue(value)}`, { column, ...details });
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/** Epoch milliseconds of an entity row's time; date-times without a zone are UTC-labelled like the trip store. */
function timeOf(v: unknown): number | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.getTime();
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || !ISO_DATE.test(v.trim())) return null;
  const t = v.trim().replace(' ', 'T');
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(t) || t.length === 10;
  const ms = Date.parse(zoned ? t : `${t}Z`);
  return Number.isNaN(ms) ? null : ms;
}

type Extra = 'VARCHAR' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP';

function extraTypeOf(v: unknown): Extra | null {
  if (typeof v === 'string') return 'VARCHAR';
  if (typeof v === 'number') return 'DOUBLE';
  if (typeof v === 'boolean') return 'BOOLEAN';
  if (v instanceof Date) return 'TIMESTAMP';
  return null;
}

function keyMatches(type: ValueType, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'int':
      return typeof v === 'number' && Number.isSafeInteger(v) && Math.abs(v) <= 2 ** 31 - 1;
    case 'double':
      return typeof v === 'number' && Number.isFinite(v);
    case 'bool':
      return typeof v === 'boolean';
  }
}

const EXPECTED: Record<ValueType, string> = { string: 'a string', int: 'a 32-bit integer', double: 'a number', bool: 'true or false' };

/** The column plan of a list input: keys and time first as asked, other columns typed by their first value. */
function listColumns(rows: readonly EntityRow[], keys: readonly KeyColumn[], tsColumn: string): { name: string; type: string }[] {
  const keyNames = new Set([...keys.map((k) => k.name), tsColumn]);
  const extras = new Map<string, Extra>();
  const seen = new Set<string>();
  for (const row of rows) {
    for (const [name, v] of Object.entries(row)) {
      if (keyNames.has(name) || seen.has(name)) continue;
      if (v === null || v === undefined) continue;
      seen.add(name);
      const t = extraTypeOf(v);
      if (!t) throw new AppError('INVALID_INPUT', `entities: column ${name} holds a ${typeof v}; columns hold text, numbers, booleans or dates`, { column: name });
      extras.set(name, t);
    }
  }
  for (const row of rows) for (const name of Object.keys(row)) if (!keyNames.has(name) && !extras.has(name)) extras.set(name, 'VARCHAR');
  const ordered = Object.keys(rows[0] ?? {}).filter((n) => extras.has(n));
  const rest = [...extras.keys()].filter((n) => !ordered.includes(n));
  return [
    ...keys.map((k) => ({ name: k.name, type: SQL_TYPE_OF[k.type] })),
    { name: tsColumn, type: 'TIMESTAMP' },
    ...[...ordered, ...rest].map((n) => ({ name: n, type: extras.get(n)! })),
  ];
}

function appendTyped(a: DuckDBAppender, type: string, v: unknown): void {
  if (v === null || v === undefined) return a.appendNull();
  switch (type) {
    case 'VARCHAR':
      return a.appendVarchar(v as string);
    case 'INTEGER':
      return a.appendInteger(v as number);
    case 'DOUBLE':
      return a.appendDouble(v as number);
    case 'BOOLEAN':
      return a.appendBoolean(v as boolean);
    case 'TIMESTAMP':
      return a.appendTimestamp(new DuckDBTimestampValue(BigInt(Math.round((v as number) * 1000))));
    default:
      throw new AppError('INTERNAL', `no appender for ${type}`);
  }
}

function checkListRow(row: EntityRow, i: number, columns: readonly { name: string; type: string }[], keyType: ReadonlyMap<string, ValueType>, tsColumn: string): unknown[] {
  return columns.map(({ name, type }) => {
    const v = row[name];
    const where = `entities[${i}]`;
    if (name === tsColumn) {
      const ms = timeOf(v);
      if (ms === null) throw wrongValue(where, name, 'a date-time (ISO 8601 text or epoch milliseconds)', v ?? null, { row: i });
      return ms;
    }
    if (v === null || v === undefined) return null;
    const kt = keyType.get(name);
    if (kt !== undefined) {
      if (!keyMatches(kt, v)) throw wrongValue(where, name, `${EXPECTED[kt]} (entity key ${name} is ${kt})`, v, { row: i });
      return v;
    }
    const t = extraTypeOf(v);
    if (t !== type) throw wrongValue(where, name, `${type === 'VARCHAR' ? 'text' : type.toLowerCase()} like the rows before`, v, { row: i });
    return t === 'TIMESTAMP' ? (v as Date).getTime() : v;
  });
}

async function loadList(conn: DuckDBConnection, table: string, rows: readonly EntityRow[], keys: readonly KeyColumn[], tsColumn: string): Promise<EntityTable> {
  const columns = listColumns(rows, keys, tsColumn);
  await conn.run(`CREATE TEMP TABLE ${sqlIdent(table)} (${ROW} BIGINT, ${columns.map((c) => `${sqlIdent(c.name)} ${c.type}`).join(', ')})`);
  const a = await conn.createAppender(table, 'main', 'temp');
  const keyType = new Map(keys.map((k) => [k.name, k.type]));
  try {
    rows.forEach((row, i) => {
      const values = checkListRow(row, i, columns, keyType, tsColumn);
      a.appendBigInt(BigInt(i));
      values.forEach((v, j) => appendTyped(a, columns[j]!.type, v));
      a.endRow();
    });
  } finally {
    a.closeSync();
  }
  return { table, columns };
}

/** Key and time checks of a file input; `line` turns a row number into the place a person finds it. */
async function checkFileColumns(
  conn: DuckDBConnection,
  raw: string,
  file: string,
  keys: readonly KeyColumn[],
  tsColumn: string,
  line: (row: number) => string,
): Promise<{ name: string; type: string }[]> {
  const described = await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE SELECT * EXCLUDE (${ROW}) FROM ${raw}`);
  const have = new Map(described.map((d) => [d.column_name, d.column_type]));
  const missing = [...keys.map((k) => k.name), tsColumn].filter((n) => !have.has(n));
  if (missing.length > 0) {
    throw new AppError('INVALID_INPUT', `${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (have: ${[...have.keys()].join(', ')})`, {
      file,
      missing,
    });
  }
  const firstBad = async (column: string, badSql: string, expected: string): Promise<void> => {
    if (badSql === 'false') return;
    const c = sqlIdent(column);
    const bad = await queryRows<{ r: bigint; v: string | null }>(
      conn,
      `SELECT ${ROW} AS r, CAST(${c} AS VARCHAR) AS v FROM ${raw} WHERE ${badSql} ORDER BY ${ROW} LIMIT 1`,
    );
    if (bad.length > 0) throw wrongValue(`${file}: ${line(toNumber(bad[0]!.r))}`, column, expected, bad[0]!.v, { file, row: toNumber(bad[0]!.r) + 1 });
  };
  for (const k of keys) {
    const c = sqlIdent(k.name);
    const type = have.get(k.name)!;
    const text = type === 'VARCHAR';
    let bad: string;
    if (k.type === 'string') bad = text ? 'false' : `${c} IS NOT NULL`;
    else if (k.type !== 'int') bad = `${c} IS NOT NULL AND TRY_CAST(${c} AS ${SQL_TYPE_OF[k.type]}) IS NULL`;
    else if (SMALL_INTEGERS.has(type)) bad = 'false';
    else if (text) bad = `${c} IS NOT NULL AND (NOT regexp_full_match(trim(${c}), '[+-]?[0-9]+') OR TRY_CAST(trim(${c}) AS INTEGER) IS NULL)`;
    else bad = `${c} IS NOT NULL AND (TRY_CAST(${c} AS INTEGER) IS NULL OR TRY_CAST(${c} AS DOUBLE) <> TRY_CAST(${c} AS INTEGER))`;
    await firstBad(k.name, bad, `${EXPECTED[k.type]} (entity key ${k.name} is ${k.type})`);
  }
  const ts = sqlIdent(tsColumn);
  const tsType = have.get(tsColumn)!;
  const tsBad = tsType.startsWith('TIMESTAMP') || tsType === 'DATE' ? `${ts} IS NULL` : `${ts} IS NULL OR TRY_CAST(${ts} AS TIMESTAMPTZ) IS NULL`;
  await firstBad(tsColumn, tsBad, 'a date-time such as 2016-03-01T10:15:00');
  return described.map((d) => {
    const key = keys.find((k) => k.name === d.column_name);
    if (key) return { name: d.column_name, type: SQL_TYPE_OF[key.type] };
    return { name: d.column_name, type: d.column_name === tsColumn ? 'TIMESTAMP' : d.column_type };
  });
}

/** Integer types that always fit an int key, so their values need no check. */
const SMALL_INTEGERS = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT']);

function castColumnSql(c: { name: string; type: string }, keys: readonly KeyColumn[], tsColumn: string): string {
  const id = sqlIdent(c.name);
  if (c.name === tsColumn) return `CAST(CAST(${id} AS TIMESTAMPTZ) AS TIMESTAMP) AS ${id}`;
  if (keys.some((k) => k.name === c.name)) return `CAST(${c.type === 'INTEGER' ? `trim(CAST(${id} AS VARCHAR))` : id} AS ${c.type}) AS ${id}`;
  return id;
}

/** Keys and time are read as text from CSV so that a bad cell is reported, not guessed around. */
async function csvScanSql(conn: DuckDBConnection, file: string, textColumns: readonly string[]): Promise<string> {
  const header = await queryRows<{ column_name: string }>(conn, `DESCRIBE SELECT * FROM read_csv(${sqlString(file)}, header = true)`);
  const present = new Set(header.map((h) => h.column_name));
  const types = textColumns.filter((c) => present.has(c)).map((n) => `${sqlString(n)}: 'VARCHAR'`);
  return `read_csv(${sqlString(file)}, header = true${types.length ? `, types = {${types.join(', ')}}` : ''})`;
}

/**
 * A Parquet file is read in place (its own row numbers keep the order); a CSV is loaded into a table
 * first, since its rows are numbered as they are read.
 */
async function loadFile(conn: DuckDBConnection, table: string, source: { csv: string } | { parquet: string }, keys: readonly KeyColumn[], tsColumn: string): Promise<EntityTable> {
  const isCsv = 'csv' in source;
  const file = path.resolve(isCsv ? source.csv : source.parquet);
  if (!fs.existsSync(file)) throw new AppError('NOT_FOUND', `entity file not found: ${file}`, { file });
  const raw = `${table}_raw`;
  let rel: string;
  try {
    if (isCsv) {
      const scan = await csvScanSql(conn, file, [...keys.map((k) => k.name), tsColumn]);
      await conn.run(`CREATE TEMP TABLE ${sqlIdent(raw)} AS SELECT row_number() OVER () - 1 AS ${ROW}, * FROM ${scan}`);
      rel = sqlIdent(raw);
    } else {
      rel = `(SELECT file_row_number AS ${ROW}, * EXCLUDE (file_row_number) FROM read_parquet(${sqlString(file)}, file_row_number = true))`;
      await conn.run(`DESCRIBE SELECT * FROM ${rel}`);
    }
  } catch (e) {
    throw new AppError('INVALID_FILE', `${file}: cannot read entity rows: ${(e as Error).message.split('\n')[0]}`, { file }, { cause: e });
  }
  try {
    const line = (row: number): string => (isCsv ? `line ${row + 2}` : `row ${row + 1}`);
    const columns = await checkFileColumns(conn, rel, file, keys, tsColumn, line);
    const select = `SELECT ${ROW}, ${columns.map((c) => castColumnSql(c, keys, tsColumn)).join(', ')} FROM ${rel}`;
    await conn.run(isCsv ? `CREATE TEMP TABLE ${sqlIdent(table)} AS ${select}` : `CREATE TEMP VIEW ${sqlIdent(table)} AS ${select}`);
    return { table, columns };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${sqlIdent(raw)}`);
  }
}

async function dropRelation(conn: DuckDBConnection, name: string): Promise<void> {
  const found = await queryRows<{ t: string }>(conn, `SELECT table_type AS t FROM information_schema.tables WHERE table_name = ?`, [name]);
  for (const { t } of found) await conn.run(`DROP ${t === 'VIEW' ? 'VIEW' : 'TABLE'} IF EXISTS ${sqlIdent(name)}`);
}

// ---------- query ----------

interface FeatureColumn {
  selection: ViewSelection;
  feature: string;
  output: string;
  dtype: ValueType;
}

function featureColumnsOf(views: readonly ViewSelection[], fullNames: boolean, entityColumns: readonly string[]): FeatureColumn[] {
  const cols = views.flatMap((s) => s.features.map((f) => ({ selection: s, feature: f.name, output: outputColumnOf(s.view.name, f.name, fullNames), dtype: f.dtype })));
  const taken = new Map<string, string>(entityColumns.map((c) => [c, 'an entity column']));
  for (const c of cols) {
    const other = taken.get(c.output);
    if (other) {
      throw new AppError(
        'INVALID_INPUT',
        `feature ${c.selection.view.name}:${c.feature} would be column "${c.output}", which is already ${other}${fullNames ? '' : '; use full feature names (view__feature)'}`,
        { column: c.output },
      );
    }
    taken.set(c.output, `${c.selection.view.name}:${c.feature}`);
  }
  return cols;
}

function pointInTimeSql(ws: Workspace, entities: EntityTable, views: readonly ViewSelection[], features: readonly FeatureColumn[], tsColumn: string): string {
  const ts = `e.${sqlIdent(tsColumn)}`;
  const joins = views.map((s, i) => {
    const alias = `v${i}`;
    const key = sqlIdent(s.view.entity.join_key);
    const cols = s.features.map((f) => sqlIdent(f.name)).join(', ');
    // created_timestamp may be missing on pushed rows; such a row loses every tie.
    const rel = `(SELECT ${key} AS k, ${EVENT_TIMESTAMP} AS t, {'t': ${EVENT_TIMESTAMP}, 'c': coalesce(${CREATED_TIMESTAMP}, TIMESTAMP '-infinity')} AS tc, ${cols}
      FROM ${viewRelationSql(ws, s.view)})`;
    return `ASOF LEFT JOIN ${rel} ${alias} ON e.${key} = ${alias}.k AND {'t': ${ts}, 'c': TIMESTAMP 'infinity'} >= ${alias}.tc`;
  });
  const index = new Map(views.map((s, i) => [s, i]));
  const selected = features.map((f) => {
    const alias = `v${index.get(f.selection)!}`;
    const fresh = `${alias}.t >= ${ts} - INTERVAL ${sqlNumber(f.selection.view.ttl_seconds)} SECONDS`;
    return `CASE WHEN ${fresh} THEN ${alias}.${sqlIdent(f.feature)} END AS ${sqlIdent(f.output)}`;
  });
  const entityCols = entities.columns.map((c) => `e.${sqlIdent(c.name)}`);
  return `SELECT ${[...entityCols, ...selected].join(', ')}
    FROM ${sqlIdent(entities.table)} e
    ${joins.join('\n    ')}
    ORDER BY e.${ROW}`;
}

// ---------- output ----------

function jsValue(v: unknown): FeatureValue {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return String(v);
}

/** Rows as plain objects, built column by column (twice as fast as DuckDB's row objects). */
async function rowsOf(conn: DuckDBConnection, sql: string, columns: readonly ResultColumn[], signal: AbortSignal | undefined): Promise<Record<string, FeatureValue>[]> {
  if (signal?.aborted) throw cancelled('historical retrieval');
  const onAbort = (): void => conn.interrupt();
  signal?.addEventListener('abort', onAbort, { once: true });
  let reader: DuckDBResultReader;
  try {
    reader = await conn.runAndReadAll(sql);
  } catch (e) {
    if (signal?.aborted) throw cancelled('historical retrieval');
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const data = reader.getColumnsJS();
  const n = reader.currentRowCount;
  const rows: Record<string, FeatureValue>[] = Array.from({ length: n }, () => ({}));
  columns.forEach((c, j) => {
    const values = data[j]!;
    for (let i = 0; i < n; i++) rows[i]![c.name] = jsValue(values[i]);
  });
  return rows;
}

async function writeOutput(conn: DuckDBConnection, sql: string, output: { csv: string } | { parquet: string }, signal: AbortSignal | undefined): Promise<{ file: string; rows: number }> {
  const isCsv = 'csv' in output;
  const file = path.resolve(isCsv ? output.csv : output.parquet);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.partial`);
  const format = isCsv ? 'FORMAT csv, HEADER true' : 'FORMAT parquet';
  try {
    const rows = await runMonitored(conn, `COPY (${sql}) TO ${sqlString(tmp)} (${format})`, { signal, what: 'historical retrieval' });
    fs.renameSync(tmp, file);
    return { file, rows };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

// ---------- entry ----------

function entityKeysOf(views: readonly ViewSelection[]): KeyColumn[] {
  const keys = new Map<string, ValueType>();
  for (const s of views) {
    const { join_key, value_type } = s.view.entity;
    const before = keys.get(join_key);
    if (before && before !== value_type) {
      throw new AppError('INVALID_CONFIG', `entity key ${join_key} is ${before} in one view and ${value_type} in ${s.view.name}`, { column: join_key });
    }
    keys.set(join_key, value_type);
  }
  return [...keys.entries()].map(([name, type]) => ({ name, type }));
}

async function withTimeZoneUtc<T>(conn: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  const before = await queryOne<{ tz: string }>(conn, `SELECT current_setting('TimeZone') AS tz`);
  await conn.run(`SET TimeZone = 'UTC'`);
  try {
    return await work();
  } finally {
    await conn.run(`SET TimeZone = ${sqlString(before.tz)}`);
  }
}

async function retrieve(conn: DuckDBConnection, req: HistoricalRequest, env: RetrievalEnv): Promise<Omit<HistoricalResult, 'duration_ms'>> {
  const ws = env.workspace;
  const tsColumn = req.timestamp_column ?? EVENT_TIMESTAMP;
  const resolved = resolveFeatureRefs(ws.config, req.features);
  const keys = entityKeysOf(resolved.views);
  const table = `entities_${crypto.randomBytes(6).toString('hex')}`;
  try {
    const entities = Array.isArray(req.entities)
      ? await loadList(conn, table, req.entities as readonly EntityRow[], keys, tsColumn)
      : await loadFile(conn, table, req.entities as { csv: string } | { parquet: string }, keys, tsColumn);
    const features = featureColumnsOf(resolved.views, req.full_feature_names ?? true, entities.columns.map((c) => c.name));
    const sql = pointInTimeSql(ws, entities, resolved.views, features, tsColumn);
    const columns: ResultColumn[] = [
      ...entities.columns.map((c) => ({ name: c.name, type: c.type, feature: null })),
      ...features.map((f) => ({ name: f.output, type: SQL_TYPE_OF[f.dtype], feature: `${f.selection.view.name}:${f.feature}` })),
    ];
    if (req.output) {
      const { file, rows } = await writeOutput(conn, sql, req.output, env.signal);
      return { columns, row_count: rows, output: file };
    }
    const rows = await rowsOf(conn, sql, columns, env.signal);
    return { columns, row_count: rows.length, rows };
  } finally {
    await dropRelation(conn, table);
  }
}

/**
 * A point-in-time correct training set: entity rows (a list, or a CSV or Parquet file) joined with
 * the asked features (references or a feature service), into memory or a CSV / Parquet file written
 * atomically (beside the target, then renamed).
 */
export async function getHistoricalFeatures(request: HistoricalRequest, env: RetrievalEnv): Promise<HistoricalResult> {
  const started = performance.now();
  if (Array.isArray(request.entities) && request.entities.length === 0) {
    throw new AppError('INVALID_INPUT', 'entities: no rows given', { field: 'entities' });
  }
  const run = async (conn: DuckDBConnection): Promise<HistoricalResult> => {
    const result = await withTimeZoneUtc(conn, () => retrieve(conn, request, env));
    const duration_ms = Math.round(performance.now() - started);
    env.log?.info({ rows: result.row_count, columns: result.columns.length, output: result.output ?? null, duration_ms }, 'historical features retrieved');
    return { ...result, duration_ms };
  };
  if (env.conn) return run(env.conn);
  const db = await openEngineDb(env.workspace);
  try {
    return await run(db.conn);
  } finally {
    db.close();
  }
}
