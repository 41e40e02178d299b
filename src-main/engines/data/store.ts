/**
 * The Parquet trip store: workspace/offline/trips/month=YYYY-MM/*.parquet (month of pickup), columns
 * TRIP_COLUMNS in order, then `source` and `imported_at`.
 *
 * Writes are append-only and atomic per file: DuckDB writes into the workspace tmp folder, and finished
 * files are renamed into their partition folders, so a reader never sees half a file and a crash or
 * cancel before the rename leaves the store as it was. Appends skip trip ids the store already holds,
 * so running the same import twice adds nothing; a lock file serialises appends between threads and
 * processes so two of them cannot both add the same id.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DataSummary } from '../../api/contract.js';
import { openEngineDb, queryOne, queryRows, runMonitored, sqlIdent, sqlString, toNumber, type MonitorOptions } from '../../platform/duckdb.js';
import { AppError, cancelled } from '../../platform/errors.js';
import { pidAlive } from '../../platform/pid.js';
import { scratchPath } from '../../platform/tmp-files.js';
import { failpoint } from '../../platform/failpoints.js';
import type { Workspace } from '../../platform/workspace.js';
import { TRIP_COLUMNS } from './trip.js';

export const STORE_EXTRA_COLUMNS = [
  { name: 'source', sql: 'VARCHAR' },
  { name: 'imported_at', sql: 'TIMESTAMP' },
] as const;

const PARTITION = 'month';
const MONTH_DIR = /^month=(\d{4}-\d{2})$/;

export interface AppendOptions {
  /** Recorded in the `source` column (file name, or e.g. 'generated:<seed>:<drift>'). */
  source: string;
  signal?: AbortSignal;
  /** Progress of the write (DuckDB's estimate). */
  onProgress?: MonitorOptions['onProgress'];
  /** The caller guarantees trip ids are unique within the table, which skips checking it. */
  uniqueIds?: boolean;
}

export interface AppendResult {
  written: number;
  duplicates: number;
  /** Months that received rows, ascending. */
  months: string[];
}

/** Glob of every stored trip file. */
export function tripStoreGlob(ws: Workspace): string {
  return path.join(ws.paths.tripsDir, `${PARTITION}=*`, '*.parquet');
}

/** Stored trip files, optionally of some months only. */
export function tripStoreFiles(ws: Workspace, months?: readonly string[]): string[] {
  const dir = ws.paths.tripsDir;
  if (!fs.existsSync(dir)) return [];
  const wanted = months ? new Set(months) : null;
  const files: string[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const m = MONTH_DIR.exec(d.name);
    if (!d.isDirectory() || !m || (wanted && !wanted.has(m[1]!))) continue;
    for (const f of fs.readdirSync(path.join(dir, d.name))) {
      if (f.endsWith('.parquet')) files.push(path.join(dir, d.name, f));
    }
  }
  return files.sort();
}

function emptyStoreSql(): string {
  const cols = [...TRIP_COLUMNS, ...STORE_EXTRA_COLUMNS, { name: PARTITION, sql: 'VARCHAR' }].map(
    (c) => `CAST(NULL AS ${c.sql}) AS ${sqlIdent(c.name)}`,
  );
  return `(SELECT ${cols.join(', ')} WHERE false)`;
}

/**
 * A SQL relation over stored trips (TRIP_COLUMNS, source, imported_at, month), usable in FROM.
 * An empty store (or no file in the months asked for) gives an empty relation with the same columns.
 */
export function tripStoreRelation(ws: Workspace, opts: { months?: readonly string[] } = {}): string {
  const files = tripStoreFiles(ws, opts.months);
  if (files.length === 0) return emptyStoreSql();
  const source = opts.months ? `[${files.map(sqlString).join(', ')}]` : sqlString(tripStoreGlob(ws));
  return `read_parquet(${source}, hive_partitioning = true, hive_types = {'${PARTITION}': VARCHAR}, union_by_name = true)`;
}

// ---------- lock ----------

const LOCK_FILE = '.append.lock';
const STALE_LOCK_MS = 6 * 60 * 60 * 1000;

function lockIsStale(file: string): boolean {
  try {
    const { pid, at } = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; at: number };
    return !pidAlive(pid) || Date.now() - at > STALE_LOCK_MS;
  } catch {
    // Unreadable: either being written right now or garbage; only garbage stays unreadable.
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st !== undefined && Date.now() - st.mtimeMs > 5_000;
  }
}

/** Waits for the store's append lock; the returned function releases it. */
async function acquireStoreLock(ws: Workspace, signal: AbortSignal | undefined, timeoutMs = 30 * 60 * 1000): Promise<() => void> {
  fs.mkdirSync(ws.paths.tripsDir, { recursive: true });
  const file = path.join(ws.paths.tripsDir, LOCK_FILE);
  const token = crypto.randomBytes(8).toString('hex');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, at: Date.now(), token }), { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').includes(token)) fs.rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (lockIsStale(file)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (signal?.aborted) throw cancelled('append to the trip store');
    if (Date.now() > deadline) {
      throw new AppError('CONFLICT', `the trip store is busy (another import or generation holds ${file})`, { file });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------- append ----------

async function assertTripColumns(conn: DuckDBConnection, table: string): Promise<void> {
  const cols = await queryRows<{ column_name: string }>(conn, `DESCRIBE SELECT * FROM ${sqlIdent(table)}`);
  const have = new Set(cols.map((c) => c.column_name));
  const missing = TRIP_COLUMNS.filter((c) => !have.has(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    throw new AppError('INVALID_INPUT', `table ${table} lacks trip column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, { table, missing });
  }
}

interface BatchFacts {
  rows: number;
  /** Rows that repeat a trip id of an earlier row of the same batch. */
  repeatedIds: number;
  months: string[];
}

const monthOf = (d: Date): string => d.toISOString().slice(0, 7);

async function batchFacts(conn: DuckDBConnection, table: string, uniqueIds: boolean): Promise<BatchFacts> {
  const r = await queryOne<{ n: bigint; ids: bigint | null; unkeyed: bigint; months: (Date | null)[] | null }>(
    conn,
    `SELECT count(*) AS n, ${uniqueIds ? 'NULL' : 'count(DISTINCT trip_id)'} AS ids,
       count(*) FILTER (WHERE trip_id IS NULL OR pickup_datetime IS NULL) AS unkeyed,
       list(DISTINCT date_trunc('month', pickup_datetime)) AS months
     FROM ${sqlIdent(table)}`,
  );
  if (toNumber(r.unkeyed) > 0) {
    throw new AppError('INVALID_INPUT', `${toNumber(r.unkeyed)} row(s) of ${table} have no trip_id or no pickup_datetime; they cannot be stored`, { table });
  }
  const rows = toNumber(r.n);
  return {
    rows,
    repeatedIds: r.ids === null ? 0 : rows - toNumber(r.ids),
    months: (r.months ?? []).filter((m): m is Date => m instanceof Date).map(monthOf),
  };
}

function tripColumnsSql(alias: string): string {
  return TRIP_COLUMNS.map((c) => `CAST(${alias}.${sqlIdent(c.name)} AS ${c.sql}) AS ${sqlIdent(c.name)}`).join(', ');
}

function newRowsSql(table: string, ws: Workspace, facts: BatchFacts, source: string, importedAt: Date): string {
  const stamp = importedAt.toISOString().replace('T', ' ').replace('Z', '');
  const existing = tripStoreRelation(ws, { months: facts.months });
  // A trip's month follows from its pickup time, so its id can only already be stored in that month.
  const sameBatchDuplicates = facts.repeatedIds > 0 ? 'QUALIFY row_number() OVER (PARTITION BY b.trip_id) = 1' : '';
  return `SELECT ${tripColumnsSql('b')}, ${sqlString(source)} AS source, TIMESTAMP ${sqlString(stamp)} AS imported_at,
      strftime(b.pickup_datetime, '%Y-%m') AS ${PARTITION}
    FROM ${sqlIdent(table)} b
    WHERE NOT EXISTS (SELECT 1 FROM ${existing} s WHERE s.trip_id = b.trip_id)
    ${sameBatchDuplicates}`;
}

/** Files DuckDB wrote under `stageDir`, by month. */
function stagedFiles(stageDir: string): { month: string; file: string }[] {
  if (!fs.existsSync(stageDir)) return [];
  const out: { month: string; file: string }[] = [];
  for (const d of fs.readdirSync(stageDir)) {
    const m = MONTH_DIR.exec(d);
    if (!m) continue;
    for (const f of fs.readdirSync(path.join(stageDir, d))) if (f.endsWith('.parquet')) out.push({ month: m[1]!, file: path.join(stageDir, d, f) });
  }
  return out;
}

/** Moves a finished file into place in one step; across file systems it is copied beside the target first. */
function publish(file: string, target: string): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  try {
    fs.renameSync(file, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    const beside = path.join(path.dirname(target), `.${path.basename(target)}.partial`);
    fs.copyFileSync(file, beside);
    fs.renameSync(beside, target);
    fs.rmSync(file, { force: true });
  }
}

const UNITS: Record<string, number> = { bytes: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };

/** DuckDB's memory_limit setting ('3.7 GiB') in bytes; null when it cannot be read. */
export function parseMemorySetting(text: string): number | null {
  const m = /^\s*([\d.]+)\s*([a-z]+)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  return m && unit ? Number(m[1]) * unit : null;
}

/** Approximate bytes a buffered store row takes while DuckDB partitions a write. */
const BUFFERED_ROW_BYTES = 600;

/**
 * Runs a partitioned write with DuckDB free to reorder rows (the store has no row order) and with
 * partition buffers as large as the memory limit allows: each flush adds a row group to every month's
 * file, so small buffers mean many small row groups, slower to write and to read.
 */
async function withWriteSettings<T>(conn: DuckDBConnection, months: number, work: () => Promise<T>): Promise<T> {
  const names = ['preserve_insertion_order', 'partitioned_write_flush_threshold', 'partitioned_write_max_open_files'];
  const before = await queryRows<{ name: string; value: string }>(
    conn,
    `SELECT name, value FROM duckdb_settings() WHERE name IN (${names.map(sqlString).join(', ')})`,
  );
  const env = await queryOne<{ memory: string; threads: bigint }>(conn, `SELECT current_setting('memory_limit') AS memory, current_setting('threads') AS threads`);
  const memory = parseMemorySetting(env.memory) ?? 1024 ** 3;
  const flushRows = Math.round(Math.min(Math.max(memory / 2 / toNumber(env.threads) / BUFFERED_ROW_BYTES, 20_000), 2_000_000));
  await conn.run('SET preserve_insertion_order = false');
  await conn.run(`SET partitioned_write_flush_threshold = ${flushRows}`);
  // One open file per month of the batch, so no month is split over several files.
  await conn.run(`SET partitioned_write_max_open_files = ${Math.max(100, months + 1)}`);
  try {
    return await work();
  } finally {
    for (const { name, value } of before) await conn.run(`SET ${sqlIdent(name)} = ${sqlString(value)}`);
  }
}

/**
 * Appends the rows of `table` (a table or view in `conn` with TRIP_COLUMNS) to the trip store.
 * Rows whose trip_id the store already holds, or that repeat an id within `table`, are counted as
 * duplicates and not written. `table` is read twice: pass a table, not an expensive view.
 */
export async function appendTripsFromTable(
  conn: DuckDBConnection,
  table: string,
  ws: Workspace,
  opts: AppendOptions,
): Promise<AppendResult> {
  await assertTripColumns(conn, table);
  const release = await acquireStoreLock(ws, opts.signal);
  const stageDir = scratchPath(ws, 'append');
  try {
    const facts = await batchFacts(conn, table, opts.uniqueIds ?? false);
    if (facts.rows === 0) return { written: 0, duplicates: 0, months: [] };
    const copy = `COPY (${newRowsSql(table, ws, facts, opts.source, new Date())}) TO ${sqlString(stageDir)}
      (FORMAT parquet, PARTITION_BY (${PARTITION}), FILENAME_PATTERN 'trips-{uuid}')`;
    const written = await withWriteSettings(conn, facts.months.length, () =>
      runMonitored(conn, copy, { signal: opts.signal, what: 'append to the trip store', onProgress: opts.onProgress }),
    );
    // Last point where a cancel leaves the store untouched; the renames below take milliseconds.
    if (opts.signal?.aborted) throw cancelled('append to the trip store');
    failpoint('store.staged');
    const files = stagedFiles(stageDir);
    for (const { month, file } of files) {
      publish(file, path.join(ws.paths.tripsDir, `${PARTITION}=${month}`, path.basename(file)));
      failpoint('store.published');
    }
    const months = [...new Set(files.map((f) => f.month))].sort();
    return { written, duplicates: facts.rows - written, months };
  } finally {
    fs.rmSync(stageDir, { recursive: true, force: true });
    release();
  }
}

// ---------- summary ----------

const isoOf = (d: unknown): string | null => (d instanceof Date ? d.toISOString() : null);

function rejectFiles(ws: Workspace): string[] {
  if (!fs.existsSync(ws.paths.rejectsDir)) return [];
  return fs
    .readdirSync(ws.paths.rejectsDir)
    .filter((f) => f.endsWith('.rejects.csv'))
    .map((f) => path.join(ws.paths.rejectsDir, f));
}

async function countRejectRows(conn: DuckDBConnection, files: readonly string[]): Promise<number> {
  let rows = 0;
  for (const f of files) {
    const r = await queryOne<{ n: bigint }>(
      conn,
      `SELECT count(*) AS n FROM read_csv(${sqlString(f)}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`,
    );
    rows += toNumber(r.n);
  }
  return rows;
}

/** What the store holds: rows per month and source, first and last pickup, and the rejects kept. */
export async function summarizeTripStore(ws: Workspace): Promise<DataSummary> {
  const db = await openEngineDb(ws, { memoryLimit: '512MB' });
  try {
    const rel = tripStoreRelation(ws);
    const months = await queryRows<{ month: string; rows: bigint; first: Date | null; last: Date | null }>(
      db.conn,
      `SELECT ${PARTITION} AS month, count(*) AS rows, min(pickup_datetime) AS first, max(pickup_datetime) AS last FROM ${rel} GROUP BY 1 ORDER BY 1`,
    );
    const sources = await queryRows<{ source: string; rows: bigint }>(
      db.conn,
      `SELECT source, count(*) AS rows FROM ${rel} GROUP BY 1 ORDER BY 2 DESC, 1`,
    );
    const files = rejectFiles(ws);
    const firsts = months.map((m) => m.first).filter((d): d is Date => d instanceof Date);
    const lasts = months.map((m) => m.last).filter((d): d is Date => d instanceof Date);
    return {
      trips: months.reduce((s, m) => s + toNumber(m.rows), 0),
      first_pickup: isoOf(firsts.sort((a, b) => a.getTime() - b.getTime())[0]),
      last_pickup: isoOf(lasts.sort((a, b) => b.getTime() - a.getTime())[0]),
      months: months.map((m) => ({ month: m.month, rows: toNumber(m.rows) })),
      sources: sources.map((s) => ({ source: s.source ?? '(unknown)', rows: toNumber(s.rows) })),
      rejects: { files: files.length, rows: await countRejectRows(db.conn, files) },
      store_path: ws.paths.tripsDir,
    };
  } finally {
    db.close();
  }
}
