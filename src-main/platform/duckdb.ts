/**
 * DuckDB for engine work: an in-memory database whose spill files live under the workspace tmp folder,
 * with a memory cap so multi-GB imports stream instead of growing the process.
 *
 * SQL safety: values go in as parameters; the few things DuckDB cannot take as parameters (file paths in
 * COPY, identifiers) go through `sqlString` / `sqlIdent`. Nothing a user typed is concatenated raw.
 */
import fs from 'node:fs';
import os from 'node:os';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { AppError, cancelled } from './errors.js';
import { scratchPath } from './tmp-files.js';
import type { Workspace } from './workspace.js';

export type SqlParams = DuckDBValue[] | Record<string, DuckDBValue>;

export interface EngineDbOptions {
  /** DuckDB size string such as '2GB'; default: TAXI_DUCKDB_MEMORY or 30% of RAM capped at 4 GB. */
  memoryLimit?: string;
  /** Worker threads; default: TAXI_DUCKDB_THREADS or every core. */
  threads?: number;
}

export interface EngineDb {
  readonly instance: DuckDBInstance;
  readonly conn: DuckDBConnection;
  /** Spill folder of this instance; removed by close(). */
  readonly tempDir: string;
  close(): void;
}

const GIB = 1024 ** 3;

export function defaultMemoryLimit(): string {
  const fromEnv = process.env.TAXI_DUCKDB_MEMORY;
  if (fromEnv) return fromEnv;
  // Beyond this DuckDB spills to the workspace tmp folder, so a multi-GB import stays within it.
  const mb = Math.floor(Math.min(os.totalmem() * 0.3, 4 * GIB) / 1024 ** 2);
  return `${Math.max(mb, 256)}MB`;
}

export function defaultThreads(): number {
  const fromEnv = Number(process.env.TAXI_DUCKDB_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : os.availableParallelism();
}

/** Opens an in-memory DuckDB for one piece of work; close() it in a finally. */
export async function openEngineDb(ws: Workspace, opts: EngineDbOptions = {}): Promise<EngineDb> {
  const tempDir = scratchPath(ws, 'duckdb');
  fs.mkdirSync(tempDir, { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(':memory:', {
      temp_directory: tempDir,
      memory_limit: opts.memoryLimit ?? defaultMemoryLimit(),
      threads: String(opts.threads ?? defaultThreads()),
      // Row numbers of imported rows come from the scan order; this keeps it the file's order.
      preserve_insertion_order: 'true',
    });
  } catch (e) {
    fs.rmSync(tempDir, { recursive: true, force: true });
    throw new AppError('INTERNAL', `cannot start DuckDB: ${(e as Error).message}`, { tempDir }, { cause: e });
  }
  let conn: DuckDBConnection;
  try {
    conn = await instance.connect();
    // Progress is only tracked when the progress bar is on; printing it is not wanted in a library.
    await conn.run('SET enable_progress_bar = true');
    await conn.run('SET enable_progress_bar_print = false');
  } catch (e) {
    instance.closeSync();
    fs.rmSync(tempDir, { recursive: true, force: true });
    throw e;
  }
  let closed = false;
  return {
    instance,
    conn,
    tempDir,
    close(): void {
      if (closed) return;
      closed = true;
      conn.closeSync();
      instance.closeSync();
      fs.rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

/** A double-quoted SQL identifier. */
export function sqlIdent(name: string): string {
  if (name.includes('\0')) throw new AppError('INVALID_INPUT', 'identifier contains a NUL character', { name });
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted SQL string literal. */
export function sqlString(value: string): string {
  if (value.includes('\0')) throw new AppError('INVALID_INPUT', 'text contains a NUL character', { value: value.slice(0, 80) });
  return `'${value.replaceAll("'", "''")}'`;
}

/** A numeric SQL literal; only finite numbers can become SQL text. */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new AppError('INVALID_INPUT', `not a finite number: ${value}`);
  return String(value);
}

export async function runSql(conn: DuckDBConnection, sql: string, params?: SqlParams): Promise<number> {
  const result = await conn.run(sql, params);
  return result.rowsChanged;
}

/** Rows as plain objects (BIGINT as bigint, TIMESTAMP as Date — see `toNumber`). */
export async function queryRows<T extends Record<string, unknown>>(conn: DuckDBConnection, sql: string, params?: SqlParams): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql, params);
  return reader.getRowObjectsJS() as T[];
}

export async function queryOne<T extends Record<string, unknown>>(conn: DuckDBConnection, sql: string, params?: SqlParams): Promise<T> {
  const rows = await queryRows<T>(conn, sql, params);
  if (rows.length === 0) throw new AppError('INTERNAL', 'query returned no row', { sql: sql.slice(0, 200) });
  return rows[0]!;
}

export function toNumber(v: unknown): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return 0;
  return Number(v);
}

export interface QueryProgressReport {
  /** 0..1, or null while DuckDB has no estimate yet. */
  fraction: number | null;
  rows: number;
}

export interface MonitorOptions {
  signal?: AbortSignal;
  /** What was cancelled, for the CANCELLED message. */
  what?: string;
  onProgress?: (p: QueryProgressReport) => void;
  intervalMs?: number;
}

/**
 * Runs one statement while polling DuckDB's progress and interrupting it when `signal` aborts.
 * An interrupted statement surfaces as AppError CANCELLED.
 */
export async function runMonitored(conn: DuckDBConnection, sql: string, opts: MonitorOptions = {}, params?: SqlParams): Promise<number> {
  const { signal, onProgress } = opts;
  if (signal?.aborted) throw cancelled(opts.what ?? 'query');
  const onAbort = (): void => conn.interrupt();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = onProgress
    ? setInterval(() => {
        // A throw here would be uncaught (a timer), and in a job worker that ends the thread under the
        // running query; a progress report is not worth that, so a failed read skips one tick.
        let p: { percentage: number; rows_processed: bigint | number };
        try {
          p = conn.progress;
        } catch {
          return;
        }
        onProgress({ fraction: p.percentage >= 0 ? Math.min(p.percentage, 100) / 100 : null, rows: Number(p.rows_processed) });
      }, opts.intervalMs ?? 200)
    : undefined;
  try {
    return await runSql(conn, sql, params);
  } catch (e) {
    if (signal?.aborted) throw cancelled(opts.what ?? 'query');
    throw e;
  } finally {
    if (timer) clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Promise.all for DuckDB work: waits for every query to end before rejecting with the first failure.
 * With Promise.all, one failing query lets the caller close connections while the others still run,
 * and a query completing on a closed connection aborts the whole process (a C++ Napi::Error).
 */
export async function allQueries<T extends readonly unknown[]>(work: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(work as readonly Promise<unknown>[]);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
