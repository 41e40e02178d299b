/**
 * The transform step (the platform guide's "TFX Transform output"): stored trips → feature rows per
 * view, in DuckDB SQL, written as Parquet partitioned by the date of event_timestamp.
 *
 * Rows and times:
 * - A view without aggregates has one row per trip, at the trip's pickup time.
 * - A view with aggregates has one row per entity and pickup time of its trips (trips of the same
 *   entity starting at the same moment share a row: their windows are the same). Each aggregate is as
 *   of that moment over RANGE windows [t − window, t] per entity: `count` counts trips started in the
 *   window; aggregates of a column see a trip only once its values are known, at dropoff, so a trip's
 *   own fare never leaks into the features of its own pickup.
 * - created_timestamp is when the run started, the same for every row it writes.
 *
 * A run covers trips picked up in [start, end), widened to whole UTC days because a day is the unit
 * the store replaces; windows still look back before start. Each view is written into the workspace
 * tmp folder first; only when every view is done are its date folders swapped in by renames (old
 * folder out, new folder in), so readers never see duplicates or half-written files and a failed or
 * cancelled run leaves the old partitions as they were. Dates in the range that no longer have rows
 * are removed; a run without a range rebuilds every partition of its views.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { openEngineDb, runMonitored, sqlIdent, sqlNumber, sqlString } from '../../platform/duckdb.js';
import { AppError, cancelled } from '../../platform/errors.js';
import { scratchPath } from '../../platform/tmp-files.js';
import type { JobContext } from '../../platform/jobs/context.js';
import type { Workspace } from '../../platform/workspace.js';
import { tripStoreRelation } from '../data/store.js';
import { CREATED_TIMESTAMP, EVENT_TIMESTAMP, SOURCES, SQL_TYPE_OF, featureViewOf, featureViewsOf, type SourceDef } from './definitions.js';
import { featuresRootDir, viewDir } from './offline.js';
import type { FeatureDef, FeatureView } from './types.js';
import { pidAlive } from '../../platform/pid.js';

export const TransformRequestSchema = z
  .object({
    views: z.array(z.string().min(1)).min(1).optional().describe('feature views to transform; default: all'),
    start: z.string().optional().describe('first pickup time (ISO date or date-time, UTC-labelled); default: the first stored trip'),
    end: z.string().optional().describe('pickup times before this one (exclusive); default: after the last stored trip'),
  })
  .strict();
export type TransformRequest = z.infer<typeof TransformRequestSchema>;

export interface TransformViewSummary {
  view: string;
  rows: number;
  /** Date partitions written, ascending. */
  partitions: string[];
  /** Date partitions that were in the range and now have no rows, removed. */
  removed: string[];
  duration_ms: number;
}

export interface TransformSummary {
  /** The range actually replaced (whole days), or null for a full rebuild. */
  start: string | null;
  end: string | null;
  created_timestamp: string;
  rows: number;
  views: TransformViewSummary[];
  duration_ms: number;
}

const DAY_MS = 86_400_000;

// ---------- range ----------

interface DayRange {
  /** Inclusive, midnight UTC. */
  startMs: number | null;
  /** Exclusive, midnight UTC. */
  endMs: number | null;
}

function instantOf(text: string, field: 'start' | 'end'): number {
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const ms = Date.parse(zoned || dateOnly ? text : `${text}Z`);
  if (Number.isNaN(ms)) throw new AppError('INVALID_INPUT', `${field}: not a date or date-time: ${JSON.stringify(text)}`, { field, value: text });
  return ms;
}

export function dayRangeOf(req: Pick<TransformRequest, 'start' | 'end'>): DayRange {
  const startMs = req.start === undefined ? null : Math.floor(instantOf(req.start, 'start') / DAY_MS) * DAY_MS;
  const endMs = req.end === undefined ? null : Math.ceil(instantOf(req.end, 'end') / DAY_MS) * DAY_MS;
  if (startMs !== null && endMs !== null && endMs <= startMs) {
    throw new AppError('INVALID_INPUT', `end (${req.end}) must be after start (${req.start})`, { start: req.start, end: req.end });
  }
  return { startMs, endMs };
}

const tsLiteral = (ms: number): string => `TIMESTAMP ${sqlString(new Date(ms).toISOString().replace('T', ' ').replace('Z', ''))}`;

/** Months (YYYY-MM) from the one holding `fromMs` to the one holding `toMs` − 1 ms. */
function monthsBetween(fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  const d = new Date(fromMs);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth();
  const last = new Date(toMs - 1);
  while (y < last.getUTCFullYear() || (y === last.getUTCFullYear() && m <= last.getUTCMonth())) {
    out.push(`${y}-${String(m + 1).padStart(2, '0')}`);
    if (++m === 12) [y, m] = [y + 1, 0];
  }
  return out;
}

// ---------- SQL ----------

const isAggregate = (f: FeatureDef): f is Extract<FeatureDef, { kind: 'aggregate' }> => f.kind === 'aggregate';
/** Aggregates of a column count a trip from when its values are known; a bare count from its start. */
const usesKnownValues = (f: Extract<FeatureDef, { kind: 'aggregate' }>): boolean => f.column !== undefined || f.ratio_of !== undefined;

const TIME_PART_SQL: Record<Extract<FeatureDef, { kind: 'time_part' }>['part'], (c: string) => string> = {
  hour: (c) => `hour(${c})`,
  // 0 = Monday … 6 = Sunday, like Python's datetime.weekday() and pandas' dayofweek.
  weekday: (c) => `isodow(${c}) - 1`,
  month: (c) => `month(${c})`,
  day: (c) => `day(${c})`,
  minute: (c) => `minute(${c})`,
};

function rowFeatureSql(f: Exclude<FeatureDef, { kind: 'aggregate' }>): string {
  const value = f.kind === 'column' ? sqlIdent(f.column) : TIME_PART_SQL[f.part](sqlIdent(f.of));
  return `CAST(${value} AS ${SQL_TYPE_OF[f.dtype]}) AS ${sqlIdent(f.name)}`;
}

const windowName = (seconds: number): string => `w${seconds}`;

function aggregateSql(f: Extract<FeatureDef, { kind: 'aggregate' }>): string {
  const over = `OVER ${windowName(f.window_seconds)}`;
  let value: string;
  if (f.ratio_of) {
    const [n, d] = [sqlIdent(f.ratio_of.numerator), sqlIdent(f.ratio_of.denominator)];
    const both = `FILTER (WHERE kind = 1 AND ${n} IS NOT NULL AND ${d} IS NOT NULL)`;
    value = `sum(${n}) ${both} ${over} / NULLIF(sum(${d}) ${both} ${over}, 0)`;
  } else if (f.column === undefined) {
    value = `count(*) FILTER (WHERE kind = 0) ${over}`;
  } else {
    value = `${f.fn}(${sqlIdent(f.column)}) FILTER (WHERE kind = 1) ${over}`;
  }
  return `CAST(${value} AS ${SQL_TYPE_OF[f.dtype]}) AS ${sqlIdent(f.name)}`;
}

interface ViewQueryParts {
  view: FeatureView;
  source: SourceDef;
  trips: string;
  range: DayRange;
  createdMs: number;
}

function rangeFilter(column: string, range: DayRange, lookbackSeconds = 0): string {
  const c = sqlIdent(column);
  const conds = [`${c} IS NOT NULL`];
  if (range.startMs !== null) conds.push(`${c} >= ${tsLiteral(range.startMs - lookbackSeconds * 1000)}`);
  if (range.endMs !== null) conds.push(`${c} < ${tsLiteral(range.endMs)}`);
  return conds.join(' AND ');
}

const dateColumnSql = `strftime(${sqlIdent(EVENT_TIMESTAMP)}, '%Y-%m-%d') AS date`;

function perRowViewSql({ view, source, trips, range, createdMs }: ViewQueryParts): string {
  const key = view.entity.join_key;
  const features = view.features.map((f) => rowFeatureSql(f as Exclude<FeatureDef, { kind: 'aggregate' }>));
  return `SELECT CAST(${sqlIdent(key)} AS ${SQL_TYPE_OF[view.entity.value_type]}) AS ${sqlIdent(key)},
      ${sqlIdent(source.timestamp_field)} AS ${EVENT_TIMESTAMP}, ${tsLiteral(createdMs)} AS ${CREATED_TIMESTAMP},
      ${[...features, dateColumnSql].join(', ')}
    FROM ${trips} t
    WHERE ${sqlIdent(key)} IS NOT NULL AND ${rangeFilter(source.timestamp_field, range)}`;
}

function aggregateViewSql({ view, source, trips, range, createdMs }: ViewQueryParts, lookbackSeconds: number): string {
  const key = sqlIdent(view.entity.join_key);
  const ts = sqlIdent(source.timestamp_field);
  const aggregates = view.features.filter(isAggregate);
  const rowFeatures = view.features.filter((f): f is Exclude<FeatureDef, { kind: 'aggregate' }> => f.kind !== 'aggregate');
  const valueColumns = [...new Set(aggregates.flatMap((f) => (f.ratio_of ? [f.ratio_of.numerator, f.ratio_of.denominator] : f.column ? [f.column] : [])))];
  const starts = `SELECT ${key}, ${ts} AS ts, 0 AS kind, ${sqlIdent(source.id_field)} AS row_id${rowFeatures.map((f) => `, ${rowFeatureSql(f)}`).join('')}
    FROM base`;
  // A value is never known at the moment its trip starts, even for a zero-second trip.
  const knownAt = `greatest(${sqlIdent(source.known_at_field)}, ${ts} + INTERVAL 1 SECOND)`;
  const ends = aggregates.some(usesKnownValues)
    ? `UNION ALL BY NAME SELECT ${key}, ${knownAt} AS ts, 1 AS kind${valueColumns.map((c) => `, ${sqlIdent(c)}`).join('')} FROM base`
    : '';
  const windows = [...new Set(aggregates.map((f) => f.window_seconds))].map(
    (s) => `${windowName(s)} AS (PARTITION BY ${key} ORDER BY ts RANGE BETWEEN INTERVAL ${sqlNumber(s)} SECONDS PRECEDING AND CURRENT ROW)`,
  );
  const outRange = rangeFilter('ts', range);
  const names = view.features.map((f) => sqlIdent(f.name));
  return `WITH base AS (
      SELECT * FROM ${trips} t WHERE ${key} IS NOT NULL AND ${rangeFilter(source.timestamp_field, range, lookbackSeconds)}
    ),
    events AS (${starts} ${ends}),
    windowed AS (
      SELECT ${key}, ts, kind, row_id${rowFeatures.map((f) => `, ${sqlIdent(f.name)}`).join('')}${aggregates.map((f) => `, ${aggregateSql(f)}`).join('')}
      FROM events
      WINDOW ${windows.join(', ')}
    )
    SELECT DISTINCT ON (${key}, ts) CAST(${key} AS ${SQL_TYPE_OF[view.entity.value_type]}) AS ${key}, ts AS ${EVENT_TIMESTAMP},
      ${tsLiteral(createdMs)} AS ${CREATED_TIMESTAMP}, ${[...names, dateColumnSql].join(', ')}
    FROM windowed
    WHERE kind = 0 AND ${outRange}
    -- DISTINCT ON rather than QUALIFY row_number(): DuckDB 1.5's top-n window optimizer fails on the latter with a range filter.
    ORDER BY ${key}, ts, row_id`;
}

/** How far before `start` trips are read: the longest window, plus the longest trip for values known at dropoff. */
function lookbackSecondsOf(view: FeatureView, maxTripSeconds: number): number {
  const aggregates = view.features.filter(isAggregate);
  if (aggregates.length === 0) return 0;
  const longest = Math.max(...aggregates.map((f) => f.window_seconds));
  return aggregates.some(usesKnownValues) ? longest + maxTripSeconds : longest;
}

export function viewTransformSql(ws: Workspace, view: FeatureView, range: DayRange, createdMs: number): string {
  const source = SOURCES[view.source];
  if (!source) throw new AppError('INVALID_CONFIG', `feature view ${view.name}: unknown source "${view.source}"`, { view: view.name });
  const lookback = lookbackSecondsOf(view, ws.config.data.validation.max_trip_seconds);
  const months = range.startMs !== null && range.endMs !== null ? monthsBetween(range.startMs - lookback * 1000, range.endMs) : undefined;
  const parts: ViewQueryParts = { view, source, trips: tripStoreRelation(ws, months ? { months } : {}), range, createdMs };
  return view.features.some(isAggregate) ? aggregateViewSql(parts, lookback) : perRowViewSql(parts);
}

// ---------- lock ----------

const LOCK_FILE = '.transform.lock';

/**
 * One writer of the feature folders at a time per workspace: two transforms would swap the same
 * folders, and a file pushed into a date folder while it is swapped out would be lost. Fails at once
 * with CONFLICT when held by a live process; the returned function releases it.
 */
export function acquireOfflineWriteLock(ws: Workspace): () => void {
  const root = featuresRootDir(ws);
  fs.mkdirSync(root, { recursive: true });
  const file = path.join(root, LOCK_FILE);
  const token = crypto.randomBytes(8).toString('hex');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, token, at: new Date().toISOString() }), { flag: 'wx' });
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
    let holder: { pid?: number; at?: string } = {};
    try {
      holder = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof holder;
    } catch {
      /* half-written by its owner, or garbage: treated as held */
    }
    if (typeof holder.pid === 'number' && !pidAlive(holder.pid)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    throw new AppError('CONFLICT', `another writer of the offline feature store is running (pid ${holder.pid ?? '?'} since ${holder.at ?? '?'}; lock ${file})`, {
      lock: file,
      pid: holder.pid ?? null,
    });
  }
  throw new AppError('CONFLICT', `cannot take the transform lock ${file}`, { lock: file });
}

// ---------- staging and swap ----------

interface Staged {
  view: FeatureView;
  dir: string;
  rows: number;
  dates: string[];
  duration_ms: number;
}

function stagedDates(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((d) => /^date=(\d{4}-\d{2}-\d{2})$/.exec(d)?.[1])
    .filter((d): d is string => d !== undefined)
    .sort();
}

async function stageView(conn: DuckDBConnection, ws: Workspace, view: FeatureView, range: DayRange, createdMs: number, dir: string, step: (fraction: number) => void, signal: AbortSignal): Promise<Staged> {
  const started = performance.now();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const copy = `COPY (${viewTransformSql(ws, view, range, createdMs)}) TO ${sqlString(dir)}
    (FORMAT parquet, PARTITION_BY (date), FILENAME_PATTERN 'part-{uuid}')`;
  const rows = await runMonitored(conn, copy, { signal, what: `transform of ${view.name}`, onProgress: (p) => step(p.fraction ?? 0) });
  return { view, dir, rows, dates: stagedDates(dir), duration_ms: Math.round(performance.now() - started) };
}

/** Dates a run replaces: the staged ones, and every existing one inside the range. */
function datesToReplace(ws: Workspace, s: Staged, range: DayRange): string[] {
  const inRange = (d: string): boolean => {
    const ms = Date.parse(`${d}T00:00:00Z`);
    return (range.startMs === null || ms >= range.startMs) && (range.endMs === null || ms < range.endMs);
  };
  const existing = listPartitionDirs(ws, s.view.name).filter(inRange);
  return [...new Set([...existing, ...s.dates])].sort();
}

/** Files `push` wrote into a date folder: rows that came from outside the trip store. */
export const PUSHED_FILE = /^push-.*\.parquet$/;

/**
 * Pushed rows are not computed from trips, so a transform cannot recompute them: each replaced date
 * folder's pushed parts are linked into its new folder (created if the run has none for that date)
 * before the swap, so they stay readable throughout and survive it. Runs under the offline write lock,
 * which push takes too, so no part lands in a folder after it was looked at.
 */
function carryPushes(ws: Workspace, s: Staged, replace: readonly string[]): void {
  const live = viewDir(ws, s.view.name);
  for (const date of replace) {
    const from = path.join(live, `date=${date}`);
    if (!fs.existsSync(from)) continue;
    const pushed = fs.readdirSync(from).filter((f) => PUSHED_FILE.test(f));
    if (pushed.length === 0) continue;
    const to = path.join(s.dir, `date=${date}`);
    fs.mkdirSync(to, { recursive: true });
    for (const f of pushed) {
      try {
        fs.linkSync(path.join(from, f), path.join(to, f));
      } catch {
        fs.copyFileSync(path.join(from, f), path.join(to, f));
      }
    }
  }
}

/** Every date folder of a view, even empty ones (listPartitions only returns folders with files). */
function listPartitionDirs(ws: Workspace, viewName: string): string[] {
  const dir = viewDir(ws, viewName);
  return fs.existsSync(dir) ? stagedDates(dir) : [];
}

/**
 * Moves each replaced date folder out and its new one in. Only renames happen here, milliseconds
 * apart; a failure puts back the old folders that have no new one in place yet.
 */
function swapIn(ws: Workspace, s: Staged, replace: readonly string[], trash: string): void {
  const live = viewDir(ws, s.view.name);
  fs.mkdirSync(live, { recursive: true });
  fs.mkdirSync(trash, { recursive: true });
  const movedOut: string[] = [];
  try {
    for (const date of replace) {
      const name = `date=${date}`;
      if (fs.existsSync(path.join(live, name))) {
        fs.renameSync(path.join(live, name), path.join(trash, name));
        movedOut.push(date);
      }
      if (fs.existsSync(path.join(s.dir, name))) fs.renameSync(path.join(s.dir, name), path.join(live, name));
    }
  } catch (e) {
    for (const date of movedOut) {
      const name = `date=${date}`;
      if (!fs.existsSync(path.join(live, name))) fs.renameSync(path.join(trash, name), path.join(live, name));
    }
    throw new AppError('INTERNAL', `could not swap the partitions of ${s.view.name} into ${live}: ${(e as Error).message}`, { view: s.view.name, dir: live }, { cause: e });
  }
}

// ---------- run ----------

function viewsOf(ws: Workspace, names: readonly string[] | undefined): FeatureView[] {
  if (!names) return featureViewsOf(ws.config);
  const unique = [...new Set(names)];
  return unique.map((n) => featureViewOf(ws.config, n));
}

export async function transformFeatures(request: TransformRequest, ctx: JobContext): Promise<TransformSummary> {
  const started = performance.now();
  const req = TransformRequestSchema.parse(request);
  const ws = ctx.workspace;
  const views = viewsOf(ws, req.views);
  const range = dayRangeOf(req);
  const createdMs = Date.now();
  const release = acquireOfflineWriteLock(ws);
  const stageRoot = scratchPath(ws, 'features-transform');
  const db = await openEngineDb(ws);
  try {
    await db.conn.run('SET preserve_insertion_order = false');
    const staged: Staged[] = [];
    for (const [i, view] of views.entries()) {
      const report = (fraction: number): void =>
        ctx.progress({ done: i + fraction, total: views.length, unit: 'views', message: `${view.name}: computing (${Math.round(fraction * 100)}%)` });
      report(0);
      staged.push(await stageView(db.conn, ws, view, range, createdMs, path.join(stageRoot, 'new', view.name), report, ctx.signal));
      ctx.log.info({ view: view.name, rows: staged.at(-1)!.rows, partitions: staged.at(-1)!.dates.length }, 'feature view staged');
    }
    // Past this point the run completes: the swap is renames only, and a half-swapped store is worse than a late cancel.
    if (ctx.signal.aborted) throw cancelled('feature transform');
    const results: TransformViewSummary[] = [];
    for (const s of staged) {
      const replace = datesToReplace(ws, s, range);
      carryPushes(ws, s, replace);
      const removed = replace.filter((d) => !fs.existsSync(path.join(s.dir, `date=${d}`)));
      ctx.progress({ done: views.length, total: views.length, unit: 'views', message: `${s.view.name}: publishing ${replace.length} partition(s)` });
      swapIn(ws, s, replace, path.join(stageRoot, 'old', s.view.name));
      results.push({ view: s.view.name, rows: s.rows, partitions: s.dates, removed, duration_ms: s.duration_ms });
    }
    const summary: TransformSummary = {
      start: range.startMs === null ? null : new Date(range.startMs).toISOString(),
      end: range.endMs === null ? null : new Date(range.endMs).toISOString(),
      created_timestamp: new Date(createdMs).toISOString(),
      rows: results.reduce((n, r) => n + r.rows, 0),
      views: results,
      duration_ms: Math.round(performance.now() - started),
    };
    ctx.log.info({ ...summary, views: results.map((r) => ({ view: r.view, rows: r.rows, partitions: r.partitions.length, removed: r.removed.length })) }, 'features transformed');
    return summary;
  } finally {
    db.close();
    fs.rmSync(stageRoot, { recursive: true, force: true });
    release();
  }
}
