/**
 * Push: feature rows computed elsewhere (the stream processor) written straight to the online store,
 * the offline store, or both — Feast's push.
 *
 * Every row is checked against the view before anything is written: the join key and each feature with
 * its type, an event_timestamp, nothing unknown. Offline, rows become one new Parquet part per date
 * partition, written to the workspace tmp folder and renamed into place, so a reader never sees half a
 * part. With 'both' the online write goes first: it is idempotent (newer wins), so a push that failed
 * on its offline half can simply be sent again without doubling rows offline.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { timestampValue, type DuckDBAppender } from '@duckdb/node-api';
import { openEngineDb, runSql, sqlIdent, sqlString } from '../../platform/duckdb.js';
import { AppError } from '../../platform/errors.js';
import { scratchPath } from '../../platform/tmp-files.js';
import type { Workspace } from '../../platform/workspace.js';
import { CREATED_TIMESTAMP, EVENT_TIMESTAMP, featureViewOf } from './definitions.js';
import { onlineViewOf } from './materialize.js';
import { partitionDirOf, viewColumnsOf, type ViewColumn } from './offline.js';
import { acquireOfflineWriteLock } from './transform.js';
import { entityKeyOf } from './online/codec.js';
import { openOnlineStore } from './online/index.js';
import type { OnlineRow } from './online/types.js';
import { MAX_PUSH_ROWS, PushInputSchema, instantMs, parseInput, type PushResult, type PushRows, type PushTarget } from './online-schemas.js';
import type { FeatureContext } from './serving.js';
import type { FeatureValue, FeatureView, ValueType } from './types.js';

interface CheckedRow {
  key: string;
  event_ts: number;
  created_ts: number;
  values: FeatureValue[];
  /** The join key as given, for the offline row. */
  entity: FeatureValue;
}

function rowsOf(rows: PushRows): Record<string, FeatureValue>[] {
  if (Array.isArray(rows)) return rows;
  const cols = Object.entries(rows);
  const n = cols[0]?.[1].length ?? 0;
  const bad = cols.find(([, v]) => v.length !== n);
  if (bad) throw new AppError('INVALID_INPUT', `push: column ${bad[0]} has ${bad[1].length} values, ${cols[0]![0]} has ${n}; columns need one value per row`, { column: bad[0] });
  return Array.from({ length: n }, (_, i) => Object.fromEntries(cols.map(([k, v]) => [k, v[i]!])));
}

function typeOk(v: FeatureValue, type: ValueType): boolean {
  if (v === null) return true;
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'int':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'double':
      return typeof v === 'number' && Number.isFinite(v);
    case 'bool':
      return typeof v === 'boolean';
  }
}

function tsOf(v: FeatureValue | undefined, column: string, row: number, view: string): number {
  const ms = typeof v === 'number' || typeof v === 'string' ? instantMs(v) : null;
  if (ms === null) {
    throw new AppError('INVALID_INPUT', `push to ${view}: row ${row}: ${column} is ${JSON.stringify(v ?? null)}; expected an ISO 8601 time or epoch milliseconds`, {
      view,
      row,
      column,
    });
  }
  return ms;
}

/** Every row checked against the view; the first problem fails the push naming row and column. */
export function checkPushRows(view: FeatureView, rows: readonly Record<string, FeatureValue>[], now: number): CheckedRow[] {
  const jk = view.entity.join_key;
  const known = new Set([jk, EVENT_TIMESTAMP, CREATED_TIMESTAMP, ...view.features.map((f) => f.name)]);
  return rows.map((r, i) => {
    const unknown = Object.keys(r).find((k) => !known.has(k));
    if (unknown) {
      throw new AppError('INVALID_INPUT', `push to ${view.name}: row ${i}: unknown column ${unknown} (the view has ${[...known].join(', ')})`, { view: view.name, row: i, column: unknown });
    }
    const key = entityKeyOf(r[jk], view.entity.value_type);
    if (key === null) {
      throw new AppError('INVALID_INPUT', `push to ${view.name}: row ${i}: ${jk} is ${JSON.stringify(r[jk] ?? null)}; expected ${view.entity.value_type === 'int' ? 'an integer' : `a ${view.entity.value_type}`}`, {
        view: view.name,
        row: i,
        column: jk,
      });
    }
    const values = view.features.map((f) => {
      if (!(f.name in r)) throw new AppError('INVALID_INPUT', `push to ${view.name}: row ${i} has no ${f.name} (use null for a missing value)`, { view: view.name, row: i, column: f.name });
      const v = r[f.name]!;
      if (!typeOk(v, f.dtype)) {
        throw new AppError('INVALID_INPUT', `push to ${view.name}: row ${i}: ${f.name} is ${JSON.stringify(v)}; expected ${f.dtype === 'int' ? 'an integer' : `a ${f.dtype}`} or null`, {
          view: view.name,
          row: i,
          column: f.name,
        });
      }
      return v;
    });
    const event = tsOf(r[EVENT_TIMESTAMP], EVENT_TIMESTAMP, i, view.name);
    const created = r[CREATED_TIMESTAMP] === undefined || r[CREATED_TIMESTAMP] === null ? now : tsOf(r[CREATED_TIMESTAMP], CREATED_TIMESTAMP, i, view.name);
    return { key, event_ts: event, created_ts: created, values, entity: r[jk]! };
  });
}

// ---------- offline ----------

function appendCell(a: DuckDBAppender, col: ViewColumn, v: FeatureValue): void {
  if (v === null) return a.appendNull();
  switch (col.sql) {
    case 'VARCHAR':
      return a.appendVarchar(String(v));
    case 'INTEGER':
      return a.appendInteger(Number(v));
    case 'BIGINT':
      return a.appendBigInt(BigInt(v as number));
    case 'DOUBLE':
      return a.appendDouble(Number(v));
    case 'BOOLEAN':
      return a.appendBoolean(Boolean(v));
    default:
      throw new AppError('INTERNAL', `push: no appender for column ${col.name} of type ${col.sql}`);
  }
}

const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** How long a push waits for a transform (or another push) that holds the offline write lock. */
export const PUSH_LOCK_WAIT_MS = 60_000;

/**
 * Takes the offline write lock for the moment the parts move in: a transform swaps date folders and
 * carries the pushed parts it finds into the new ones, so a part moved in meanwhile would be lost.
 * Transforms hold the lock while they compute too, so a push waits for one (up to PUSH_LOCK_WAIT_MS)
 * rather than failing at once.
 */
async function withOfflineLock<T>(ws: Workspace, view: string, work: () => T, waitMs = PUSH_LOCK_WAIT_MS): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let release: () => void;
    try {
      release = acquireOfflineWriteLock(ws);
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== 'CONFLICT' || Date.now() >= deadline) {
        if (e instanceof AppError && e.code === 'CONFLICT') {
          throw new AppError('CONFLICT', `push to ${view}: the offline store stayed busy for ${Math.round(waitMs / 1000)} s (${e.message})`, { view, ...e.details }, { cause: e });
        }
        throw e;
      }
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    try {
      return work();
    } finally {
      release();
    }
  }
}

/** Writes the rows as new Parquet parts, one per date partition, all staged before any is moved in. */
async function writeOffline(ws: Workspace, view: FeatureView, rows: readonly CheckedRow[]): Promise<{ files: string[]; partitions: string[] }> {
  const columns = viewColumnsOf(view);
  const stage = scratchPath(ws, 'push');
  fs.mkdirSync(stage, { recursive: true });
  const engine = await openEngineDb(ws, { threads: 1, memoryLimit: '512MB' });
  const moved: string[] = [];
  try {
    await runSql(engine.conn, `CREATE TABLE push_rows (${columns.map((c) => `${sqlIdent(c.name)} ${c.sql}`).join(', ')})`);
    const a = await engine.conn.createAppender('push_rows');
    for (const r of rows) {
      appendCell(a, columns[0]!, r.entity);
      a.appendTimestamp(timestampValue(BigInt(r.event_ts) * 1000n));
      a.appendTimestamp(timestampValue(BigInt(r.created_ts) * 1000n));
      r.values.forEach((v, j) => appendCell(a, columns[3 + j]!, v));
      a.endRow();
    }
    a.closeSync();
    const dates = [...new Set(rows.map((r) => dateOf(r.event_ts)))].sort();
    const stamp = `${Date.now()}-${crypto.randomBytes(4).toString('hex')}`;
    const staged: { date: string; file: string; dest: string }[] = [];
    for (const date of dates) {
      const file = path.join(stage, `${date}.parquet`);
      await runSql(
        engine.conn,
        `COPY (SELECT * FROM push_rows WHERE CAST(${sqlIdent(EVENT_TIMESTAMP)} AS DATE) = DATE ${sqlString(date)}) TO ${sqlString(file)} (FORMAT parquet)`,
      );
      staged.push({ date, file, dest: path.join(partitionDirOf(ws, view.name, date), `push-${stamp}.parquet`) });
    }
    await withOfflineLock(ws, view.name, () => {
      try {
        for (const s of staged) {
          fs.mkdirSync(path.dirname(s.dest), { recursive: true });
          fs.renameSync(s.file, s.dest);
          moved.push(s.dest);
        }
      } catch (e) {
        // All parts or none: take back what was already moved in.
        for (const f of moved) fs.rmSync(f, { force: true });
        throw new AppError('INTERNAL', `push to ${view.name}: could not move a Parquet part into the offline store: ${(e as Error).message}`, { view: view.name }, { cause: e });
      }
    });
    return { files: moved, partitions: dates };
  } finally {
    engine.close();
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** Pushes feature rows of a view to the online store, the offline store, or both. */
export async function push(viewName: string, rows: PushRows, to: PushTarget, ctx: FeatureContext): Promise<PushResult> {
  const input = parseInput(PushInputSchema, { view: viewName, rows, to }, 'push');
  const view = featureViewOf(ctx.config ?? ctx.workspace.config, input.view);
  const raw = rowsOf(input.rows);
  if (raw.length > MAX_PUSH_ROWS) throw new AppError('INVALID_INPUT', `push to ${view.name}: ${raw.length} rows is more than ${MAX_PUSH_ROWS} per push; split it`, { rows: raw.length });
  const checked = checkPushRows(view, raw, (ctx.now ?? Date.now)());
  const result: PushResult = { view: view.name, rows: checked.length, online: null, offline: null };
  if (checked.length === 0) return result;
  if (input.to !== 'offline') {
    const store = ctx.store ?? (await openOnlineStore(ctx.workspace));
    try {
      const rowsOnline: OnlineRow[] = checked.map((r) => ({ key: r.key, event_ts: r.event_ts, created_ts: r.created_ts, values: r.values }));
      const w = await store.write(onlineViewOf(view), rowsOnline);
      result.online = { written: w.written, kept_newer: w.kept_newer };
    } finally {
      if (!ctx.store) await store.close();
    }
  }
  if (input.to !== 'online') result.offline = await writeOffline(ctx.workspace, view, checked);
  ctx.log?.info({ view: view.name, rows: checked.length, to: input.to }, 'pushed');
  return result;
}
