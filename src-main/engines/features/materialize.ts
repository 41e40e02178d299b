/**
 * Materialization: copy the latest feature row of each entity in a time range from the offline store
 * (Parquet) into the online store — Feast's `materialize` and `materialize-incremental`.
 *
 * Per view, DuckDB keeps the newest row per entity among rows with start ≤ event_timestamp < end
 * (created_timestamp breaks ties) and sorts them by key, so SQLite inserts walk its B-tree in order.
 * Rows then stream to the store in batches, with one batch in flight while the next is built, and
 * progress and cancellation between batches. The online store's newer-wins writes make a run
 * idempotent: a failed or cancelled run leaves the view's watermark where it was, and running it again
 * writes the same values.
 */
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { APP_MIGRATIONS } from '../../platform/db/app-schema.js';
import { openDatabase, type Db } from '../../platform/db/sqlite.js';
import { openEngineDb, queryOne, runMonitored, runSql, sqlIdent, toNumber, type EngineDb } from '../../platform/duckdb.js';
import { AppError, cancelled, errorShape } from '../../platform/errors.js';
import { failpoint } from '../../platform/failpoints.js';
import type { JobContext } from '../../platform/jobs/context.js';
import type { Workspace } from '../../platform/workspace.js';
import { CREATED_TIMESTAMP, EVENT_TIMESTAMP, closestNames, featureViewsOf } from './definitions.js';
import { failInterruptedRuns, finishRun, startRun, watermarkOf, type MaterializationMode, type RunOutcome } from './materializations.js';
import { listPartitions, viewRelationSql } from './offline.js';
import {
  MaterializeIncrementalInputSchema,
  MaterializeInputSchema,
  parseInput,
  type MaterializeIncrementalInput,
  type MaterializeInput,
  type MaterializeResult,
} from './online-schemas.js';
import { entityKeyOf } from './online/codec.js';
import { openOnlineStore } from './online/index.js';
import type { OnlineRow, OnlineStore, OnlineView, OnlineWriteResult } from './online/types.js';
import type { FeatureView } from './types.js';

export interface MaterializeDeps {
  /** The online store; default: the profile's, opened for this run and closed after it. */
  store?: OnlineStore;
  /** app.db; default: the workspace's, opened for this run. */
  appDb?: Db;
  /** Feature views; default: those of the workspace config. */
  views?: readonly FeatureView[];
  /** Rows per store write (default 20,000). */
  batchRows?: number;
}

interface Range {
  view: FeatureView;
  start: number;
  end: number;
}

// ---------- planning ----------

function selectViews(all: readonly FeatureView[], names: readonly string[] | undefined): FeatureView[] {
  if (!names) return [...all];
  return names.map((n) => {
    const v = all.find((x) => x.name === n);
    if (!v) {
      const suggestions = closestNames(n, all.map((x) => x.name), 3);
      throw new AppError(
        'INVALID_INPUT',
        `unknown feature view "${n}"${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : ''} (have: ${all.map((x) => x.name).join(', ')})`,
        { view: n, suggestions },
      );
    }
    return v;
  });
}

/** Incremental: from the watermark, or from end − ttl for a view never materialized. */
function incrementalStart(db: Db, view: FeatureView, end: number): number {
  return watermarkOf(db, view.name) ?? Math.max(0, end - view.ttl_seconds * 1000);
}

// ---------- reading the offline store ----------

const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const tsSql = (ms: number): string => `make_timestamp(${Math.trunc(ms) * 1000}::BIGINT)`;

/**
 * The key as DuckDB should hand it over: text as `entityKeyOf` spells it for string, int and bool keys;
 * a double stays a number (DuckDB writes 1.0 where JS writes 1) and is spelled in JS.
 */
function keySql(view: FeatureView): string {
  const k = sqlIdent(view.entity.join_key);
  if (view.entity.value_type === 'int') return `CAST(CAST(${k} AS BIGINT) AS VARCHAR)`;
  if (view.entity.value_type === 'bool') return `CAST(${k} AS VARCHAR)`;
  return k;
}

/** The row's values as a JSON array, built by DuckDB on its own threads (JSON has no NaN or infinity). */
function valuesSql(view: FeatureView): string {
  const cols = view.features.map((f) => (f.dtype === 'double' ? `CASE WHEN isfinite(${sqlIdent(f.name)}) THEN ${sqlIdent(f.name)} END` : sqlIdent(f.name)));
  return `CAST(json_array(${cols.join(', ')}) AS VARCHAR)`;
}

interface Staged {
  table: string;
  rows: number;
  /** Rows can travel as tab-separated text blocks (the fast path): text keys without tab or newline. */
  blocks: boolean;
}

/** Builds the table of the latest row per entity in range. */
async function stageLatest(conn: DuckDBConnection, ws: Workspace, r: Range, table: string, signal: AbortSignal): Promise<Staged> {
  const first = dateOf(r.start);
  const last = dateOf(r.end - 1);
  const dates = listPartitions(ws, r.view.name)
    .map((p) => p.date)
    .filter((d) => d >= first && d <= last);
  const jk = sqlIdent(r.view.entity.join_key);
  const ev = sqlIdent(EVENT_TIMESTAMP);
  const cr = sqlIdent(CREATED_TIMESTAMP);
  // A plain table of the in-memory database, so that the second connection can read it too.
  const sql = `CREATE OR REPLACE TABLE ${sqlIdent(table)} AS
    SELECT ${keySql(r.view)} AS k, CAST(epoch_ms(${ev}) AS DOUBLE) AS ev, CAST(epoch_ms(coalesce(${cr}, ${ev})) AS DOUBLE) AS cr,
      ${valuesSql(r.view)} AS v
    FROM ${viewRelationSql(ws, r.view, { dates })}
    WHERE ${jk} IS NOT NULL AND ${ev} >= ${tsSql(r.start)} AND ${ev} < ${tsSql(r.end)}
    QUALIFY row_number() OVER (PARTITION BY ${jk} ORDER BY ${ev} DESC, ${cr} DESC NULLS LAST) = 1
    ORDER BY k`;
  await runMonitored(conn, sql, { signal, what: `materialization of ${r.view.name}` });
  const textKeys = r.view.entity.value_type !== 'double';
  const facts = await queryOne<{ n: bigint; unsafe: boolean | null }>(
    conn,
    `SELECT count(*) AS n, ${textKeys ? `bool_or(strpos(k, chr(9)) > 0 OR strpos(k, chr(10)) > 0)` : 'true'} AS unsafe FROM ${sqlIdent(table)}`,
  );
  return { table, rows: toNumber(facts.n), blocks: textKeys && facts.unsafe !== true };
}

/** Rows per text block: one string crosses from DuckDB to JS per block instead of two per row. */
const BLOCK_ROWS = 2048;
/** Rows per block query; the next query runs on the other connection while this one is written. */
const QUERY_ROWS = 32 * BLOCK_ROWS;

function blockQuerySql(table: string, from: number): string {
  const line = `k || chr(9) || CAST(CAST(ev AS BIGINT) AS VARCHAR) || chr(9) || CAST(CAST(cr AS BIGINT) AS VARCHAR) || chr(9) || v`;
  return `SELECT rowid // ${BLOCK_ROWS} AS g, string_agg(${line}, chr(10) ORDER BY rowid) AS b FROM ${sqlIdent(table)}
    WHERE rowid >= ${from} AND rowid < ${from + QUERY_ROWS} GROUP BY g ORDER BY g`;
}

/** Rows out of one block of "key TAB event TAB created TAB values" lines. */
function* rowsOfBlock(text: string): Generator<OnlineRow> {
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const t1 = text.indexOf('\t', at);
    const t2 = text.indexOf('\t', t1 + 1);
    const t3 = text.indexOf('\t', t2 + 1);
    yield { key: text.slice(at, t1), event_ts: Number(text.slice(t1 + 1, t2)), created_ts: Number(text.slice(t2 + 1, t3)), values: text.slice(t3 + 1, end) };
    at = end + 1;
  }
}

/**
 * Batches of online rows from a staged table, as text blocks of lines. Fetching a string out of DuckDB
 * costs a native call, so this is several times cheaper than reading row by row (the values JSON never
 * holds a raw tab or newline; keys that do go through `rowBatches`). The table is read a slice at a
 * time, and the two connections take turns, so DuckDB builds the next slice's blocks while this one's
 * rows are written.
 */
async function* blockBatches(conns: readonly [DuckDBConnection, DuckDBConnection], staged: Staged, size: number): AsyncGenerator<OnlineRow[]> {
  const conn = (i: number): DuckDBConnection => conns[i % 2]!;
  const query = (i: number) => conn(i).stream(blockQuerySql(staged.table, i * QUERY_ROWS));
  let pending: { slice: number; result: ReturnType<typeof query> } | null = staged.rows > 0 ? { slice: 0, result: query(0) } : null;
  let batch: OnlineRow[] = [];
  try {
    for (let i = 0; pending; i++) {
      const result = await pending.result;
      pending = (i + 1) * QUERY_ROWS < staged.rows ? { slice: i + 1, result: query(i + 1) } : null;
      pending?.result.catch(() => undefined);
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        const blocks = chunk.getColumnVector(1);
        for (let b = 0; b < chunk.rowCount; b++) {
          for (const row of rowsOfBlock(blocks.getItem(b) as string)) {
            batch.push(row);
            if (batch.length === size) {
              yield batch;
              batch = [];
            }
          }
        }
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    // A query still running when the writing stopped early: end it before the engine closes.
    if (pending) {
      conn(pending.slice).interrupt();
      await pending.result.catch(() => undefined);
    }
  }
}

/** Batches of online rows read row by row (keys that are doubles, or text with tabs or newlines). */
async function* rowBatches(conn: DuckDBConnection, table: string, view: FeatureView, size: number): AsyncGenerator<OnlineRow[]> {
  const result = await conn.stream(`SELECT * FROM ${sqlIdent(table)}`);
  const rawKey = view.entity.value_type === 'double';
  let next = result.fetchChunk();
  let batch: OnlineRow[] = [];
  for (;;) {
    const chunk = await next;
    if (!chunk || chunk.rowCount === 0) break;
    next = result.fetchChunk();
    const n = chunk.rowCount;
    const [keys, evs, crs, vals] = [0, 1, 2, 3].map((c) => chunk.getColumnVector(c));
    for (let i = 0; i < n; i++) {
      const raw = keys!.getItem(i);
      const key = rawKey ? entityKeyOf(raw, view.entity.value_type)! : (raw as string);
      batch.push({ key, event_ts: evs!.getItem(i) as number, created_ts: crs!.getItem(i) as number, values: vals!.getItem(i) as string });
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

export const onlineViewOf = (view: FeatureView): OnlineView => ({
  name: view.name,
  join_key: view.entity.join_key,
  features: view.features.map((f) => f.name),
});

interface ViewProgress {
  rows: number;
  written: number;
}

/** Streams a staged table to the store; `done` counts what was written, also when this throws. */
async function writeStaged(
  conns: readonly [DuckDBConnection, DuckDBConnection],
  store: OnlineStore,
  r: Range,
  staged: Staged,
  signal: AbortSignal,
  batchRows: number,
  done: ViewProgress,
  onBatch: (rows: number) => void,
): Promise<void> {
  const target = onlineViewOf(r.view);
  const add = (w: OnlineWriteResult): void => {
    done.rows += w.rows;
    done.written += w.written;
    onBatch(w.rows);
    failpoint('materialize.batch-written');
  };
  const batches = staged.blocks ? blockBatches(conns, staged, batchRows) : rowBatches(conns[0], staged.table, r.view, batchRows);
  let inflight: Promise<OnlineWriteResult> | null = null;
  try {
    for await (const rows of batches) {
      if (inflight) add(await inflight);
      inflight = null;
      if (signal.aborted) throw cancelled(`materialization of ${r.view.name}`);
      inflight = store.write(target, rows);
      // Handled now, awaited on the next turn: a failure while the next batch is read is not "unhandled".
      inflight.catch(() => undefined);
    }
    if (inflight) add(await inflight);
    inflight = null;
  } finally {
    // A write still going when something failed must end before the run is recorded.
    if (inflight) await inflight.catch(() => undefined);
  }
}

// ---------- running ----------

const iso = (ms: number): string => new Date(ms).toISOString();

function outcomeOf(e: unknown, done: ViewProgress): RunOutcome {
  const err = errorShape(e);
  return { status: err.code === 'CANCELLED' ? 'cancelled' : 'failed', rows: done.rows, written: done.written, error: { code: err.code, message: err.message } };
}

/** Stages then writes every view in turn, closing each one's run; on a failure the others are closed as not run. */
async function writeAll(
  engine: EngineDb,
  store: OnlineStore,
  todo: Range[],
  runs: number[],
  db: Db,
  ctx: JobContext,
  deps: MaterializeDeps,
  batchId: string,
): Promise<MaterializeResult['views']> {
  const out: MaterializeResult['views'] = [];
  const finished = new Set<number>();
  let at = 0;
  let done: ViewProgress = { rows: 0, written: 0 };
  const conns = [engine.conn, await engine.instance.connect()] as const;
  try {
    const staged: Staged[] = [];
    for (at = 0; at < todo.length; at++) staged.push(await stageLatest(engine.conn, ctx.workspace, todo[at]!, `latest_${at}`, ctx.signal));
    const total = staged.reduce((n, st) => n + st.rows, 0);
    let doneAll = 0;
    ctx.progress({ done: 0, total, unit: 'rows', message: 'writing to the online store' });
    for (at = 0; at < todo.length; at++) {
      const r = todo[at]!;
      done = { rows: 0, written: 0 };
      await writeStaged(conns, store, r, staged[at]!, ctx.signal, deps.batchRows ?? 20_000, done, (n) => {
        doneAll += n;
        ctx.progress({ done: doneAll, total, unit: 'rows', message: r.view.name });
      });
      await runSql(engine.conn, `DROP TABLE ${sqlIdent(staged[at]!.table)}`);
      finishRun(db, runs[at]!, { status: 'succeeded', rows: done.rows, written: done.written });
      finished.add(at);
      out.push({ view: r.view.name, start: iso(r.start), end: iso(r.end), rows: done.rows, written: done.written, status: 'succeeded', run_id: runs[at]! });
      ctx.log.info({ batch: batchId, view: r.view.name, rows: done.rows, written: done.written }, 'view materialized');
    }
    return out;
  } catch (e) {
    const err = errorShape(e);
    const failedView = todo[at]!.view.name;
    finishRun(db, runs[at]!, outcomeOf(e, done));
    finished.add(at);
    runs.forEach((id, j) => {
      if (finished.has(j)) return;
      const message = `not materialized: the run stopped at view ${failedView} (${err.code})`;
      finishRun(db, id, { status: 'cancelled', rows: 0, written: 0, error: { code: 'NOT_RUN', message } });
    });
    ctx.log.error({ batch: batchId, view: failedView, err }, 'materialization failed');
    throw e;
  } finally {
    conns[1].closeSync();
  }
}

async function run(plan: Range[], mode: MaterializationMode, ctx: JobContext, deps: MaterializeDeps): Promise<MaterializeResult> {
  const t0 = performance.now();
  const ws = ctx.workspace;
  const db = deps.appDb ?? openDatabase(ws.paths.appDb, 'app.db', APP_MIGRATIONS);
  const batchId = randomUUID();
  const todo = plan.filter((r) => r.start < r.end);
  try {
    failInterruptedRuns(db);
    const runs = todo.map((r) => startRun(db, { batch_id: batchId, mode, view: r.view.name, start_ms: r.start, end_ms: r.end }));
    let store: OnlineStore;
    try {
      store = deps.store ?? (await openOnlineStore(ws));
    } catch (e) {
      for (const id of runs) finishRun(db, id, outcomeOf(e, { rows: 0, written: 0 }));
      throw e;
    }
    const engine = await openEngineDb(ws).catch(async (e: unknown) => {
      for (const id of runs) finishRun(db, id, outcomeOf(e, { rows: 0, written: 0 }));
      if (!deps.store) await store.close();
      throw e;
    });
    ctx.log.info({ batch: batchId, mode, store: store.target, views: todo.map((r) => ({ view: r.view.name, start: iso(r.start), end: iso(r.end) })) }, 'materialization started');
    let written: MaterializeResult['views'];
    try {
      written = todo.length > 0 ? await writeAll(engine, store, todo, runs, db, ctx, deps, batchId) : [];
    } finally {
      engine.close();
      if (!deps.store) await store.close();
    }
    const views = plan.map(
      (r) =>
        written.find((w) => w.view === r.view.name) ?? {
          view: r.view.name,
          start: iso(r.start),
          end: iso(r.end),
          rows: 0,
          written: 0,
          status: 'up_to_date' as const,
          run_id: null,
        },
    );
    return {
      batch_id: batchId,
      mode,
      store: store.target,
      views,
      rows: views.reduce((n, r) => n + r.rows, 0),
      written: views.reduce((n, r) => n + r.written, 0),
      duration_ms: Math.round(performance.now() - t0),
    };
  } finally {
    if (!deps.appDb) db.close();
  }
}

/** Materializes [start, end) of the given views (all by default); each view's watermark moves to `end` on success. */
export async function materialize(input: MaterializeInput, ctx: JobContext, deps: MaterializeDeps = {}): Promise<MaterializeResult> {
  const i = parseInput(MaterializeInputSchema, input, 'materialize');
  const views = selectViews(deps.views ?? featureViewsOf(ctx.workspace.config), i.views);
  return run(
    views.map((view) => ({ view, start: i.start, end: i.end })),
    'materialize',
    ctx,
    deps,
  );
}

/** Materializes each view from its watermark (or end − ttl when it has none) to `end` (default now). */
export async function materializeIncremental(input: MaterializeIncrementalInput, ctx: JobContext, deps: MaterializeDeps = {}): Promise<MaterializeResult> {
  const i = parseInput(MaterializeIncrementalInputSchema, input, 'materialize-incremental');
  const end = i.end ?? Date.now();
  const views = selectViews(deps.views ?? featureViewsOf(ctx.workspace.config), i.views);
  const db = deps.appDb ?? openDatabase(ctx.workspace.paths.appDb, 'app.db', APP_MIGRATIONS);
  try {
    const plan = views.map((view) => ({ view, start: incrementalStart(db, view, end), end }));
    return await run(plan, 'incremental', ctx, { ...deps, appDb: db });
  } finally {
    if (!deps.appDb) db.close();
  }
}
