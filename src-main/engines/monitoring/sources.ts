/**
 * Where monitored data comes from, as DuckDB relations with the model's column names (`view__feature`,
 * plus the labels `fare_amount` and `tips`):
 * - a model version's training (or evaluation) set, saved as Parquet by the models engine;
 * - a time range of the trip store, with the row-level features of trip_features derived in SQL the way
 *   the feature transform derives them (columns as stored, time parts of the pickup time);
 * - a trips file in the store's layout (e.g. a generated, drifted window);
 * - a sliding window of the features topic (each message's feature map), written to a scratch file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { allQueries, queryRows, sqlIdent, sqlString } from '../../platform/duckdb.js';
import { AppError } from '../../platform/errors.js';
import { scratchPath } from '../../platform/tmp-files.js';
import type { Workspace } from '../../platform/workspace.js';
import { tripStoreRelation } from '../data/store.js';
import { featureViewsOf } from '../features/definitions.js';
import type { FeatureDef } from '../features/types.js';
import type { Bus, BusMessage } from '../streams/types.js';
import type { DriftColumnSpec } from './drift.js';

export const LABEL = 'fare_amount';
/** The big-tipper task's raw label, monitored like the fare. */
export const TIPS = 'tips';
export const PREDICTION = 'prediction';
const ROW_LEVEL_VIEW = 'trip_features';

export type DataSource =
  | { model: string; version: string | number; set?: 'train' | 'eval' }
  | { start?: string; end?: string }
  | { file: string }
  | { stream_window_minutes: number };

export interface ResolvedSource {
  /** Relation usable in FROM. */
  sql: string;
  /** What it is, for reports: "model chicago_taxi_fare v3 (training set)", "trips 2016-01-01 → 2016-02-01". */
  label: string;
  kind: 'model' | 'store' | 'file' | 'stream';
  /** Scratch files to delete when done. */
  cleanup: string[];
}

const TIME_PART_SQL: Record<Extract<FeatureDef, { kind: 'time_part' }>['part'], (c: string) => string> = {
  hour: (c) => `hour(${c})`,
  weekday: (c) => `isodow(${c}) - 1`,
  month: (c) => `month(${c})`,
  day: (c) => `day(${c})`,
  minute: (c) => `minute(${c})`,
};

/** The models engine's encoding type rule: text, time parts and community areas are categories. */
export function columnTypeOf(f: FeatureDef): DriftColumnSpec['type'] {
  if (f.dtype === 'string' || f.dtype === 'bool' || f.kind === 'time_part') return 'categorical';
  if (f.kind === 'column' && /community_area$/.test(f.column)) return 'categorical';
  return 'numerical';
}

/** Every feature of every view as a monitored column (`view__feature`) with its type, plus the label. */
export function monitoredColumns(ws: Workspace): (DriftColumnSpec & { view: string; feature: string; tripSql: string | null })[] {
  const out: (DriftColumnSpec & { view: string; feature: string; tripSql: string | null })[] = [];
  for (const view of featureViewsOf(ws.config)) {
    for (const f of view.features) {
      const tripSql = view.name === ROW_LEVEL_VIEW && f.kind === 'column' ? sqlIdent(f.column) : view.name === ROW_LEVEL_VIEW && f.kind === 'time_part' ? TIME_PART_SQL[f.part](sqlIdent(f.of)) : null;
      out.push({ name: `${view.name}__${f.name}`, type: columnTypeOf(f), view: view.name, feature: f.name, tripSql });
    }
  }
  out.push({ name: LABEL, type: 'numerical', view: '', feature: LABEL, tripSql: sqlIdent(LABEL) });
  out.push({ name: TIPS, type: 'numerical', view: '', feature: TIPS, tripSql: sqlIdent(TIPS) });
  return out;
}

function instantSql(text: string, field: string): string {
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const ms = Date.parse(zoned || /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : `${text}Z`);
  if (Number.isNaN(ms)) throw new AppError('INVALID_INPUT', `${field}: not a date or date-time: ${JSON.stringify(text)}`, { field, value: text });
  return `TIMESTAMP ${sqlString(new Date(ms).toISOString().replace('T', ' ').replace('Z', ''))}`;
}

/** Trips (store layout) as monitored columns + event_timestamp. */
export function tripFeaturesSql(ws: Workspace, tripsSql: string): string {
  const cols = monitoredColumns(ws)
    .filter((c) => c.tripSql !== null)
    .map((c) => `${c.tripSql} AS ${sqlIdent(c.name)}`);
  // trip_id is kept for duplicate checks; it is not a monitored column.
  return `(SELECT trip_id, ${cols.join(', ')}, pickup_datetime AS event_timestamp FROM ${tripsSql})`;
}

function fileScan(file: string): string {
  if (!fs.existsSync(file)) throw new AppError('NOT_FOUND', `no file at ${file}`, { file });
  const ext = path.extname(file).toLowerCase();
  if (ext === '.parquet') return `read_parquet(${sqlString(file)})`;
  if (ext === '.csv') return `read_csv(${sqlString(file)}, header = true)`;
  throw new AppError('INVALID_INPUT', `${file}: expected a .parquet or .csv file`, { file });
}

type ModelReference = (name: string, version: string) => Promise<{ trainParquet: string; evalParquet: string }>;

export interface ResolveOptions {
  /** The models engine's referenceOf, bound to the services (absent in contexts without it). */
  modelReference?: ModelReference;
  /** Opens the bus for stream windows. */
  openBus?: () => Promise<Bus>;
  now?: number;
  /** Most messages read from a stream window. */
  maxMessages?: number;
}

export async function resolveSource(ws: Workspace, source: DataSource, role: 'reference' | 'current', opts: ResolveOptions = {}): Promise<ResolvedSource> {
  if ('model' in source) {
    if (!opts.modelReference) throw new AppError('UNAVAILABLE', `${role}: model references need the models engine, which is not available here`, { role });
    const ref = await opts.modelReference(source.model, String(source.version));
    const file = source.set === 'eval' ? ref.evalParquet : ref.trainParquet;
    return { sql: fileScan(file), label: `model ${source.model} v${source.version} (${source.set === 'eval' ? 'evaluation' : 'training'} set)`, kind: 'model', cleanup: [] };
  }
  if ('file' in source) {
    const file = path.resolve(source.file);
    const scan = fileScan(file);
    return { sql: tripFeaturesSql(ws, scan), label: `trips file ${path.basename(file)}`, kind: 'file', cleanup: [] };
  }
  if ('stream_window_minutes' in source) {
    if (!opts.openBus) throw new AppError('UNAVAILABLE', `${role}: stream windows need the bus`, { role });
    const now = opts.now ?? Date.now();
    const since = now - source.stream_window_minutes * 60_000;
    const file = await streamWindowFile(ws, await opts.openBus(), since, opts.maxMessages ?? 500_000);
    return {
      sql: `read_json(${sqlString(file.path)}, format = 'newline_delimited', auto_detect = true, sample_size = -1)`,
      label: `stream ${ws.config.topics.features}, last ${source.stream_window_minutes} min (${file.messages} messages)`,
      kind: 'stream',
      cleanup: [file.path],
    };
  }
  const where: string[] = [];
  if (source.start) where.push(`pickup_datetime >= ${instantSql(source.start, `${role}.start`)}`);
  if (source.end) where.push(`pickup_datetime < ${instantSql(source.end, `${role}.end`)}`);
  const trips = `(SELECT * FROM ${tripStoreRelation(ws)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''})`;
  return { sql: tripFeaturesSql(ws, trips), label: `trip store ${source.start ?? '…'} → ${source.end ?? '…'}`, kind: 'store', cleanup: [] };
}

/** Column names a relation has. */
export async function relationColumns(conn: DuckDBConnection, sql: string): Promise<Map<string, string>> {
  const rows = await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE SELECT * FROM ${sql}`);
  return new Map(rows.map((r) => [r.column_name, r.column_type]));
}

/**
 * The monitored columns both sides have, optionally limited to `wanted`. Columns not in the feature
 * definitions (e.g. a training set's extra columns) are left out unless asked for, typed by DuckDB type.
 */
export async function sharedColumns(ws: Workspace, conn: DuckDBConnection, refSql: string, curSql: string, wanted?: readonly string[]): Promise<DriftColumnSpec[]> {
  const [ref, cur] = await allQueries([relationColumns(conn, refSql), relationColumns(conn, curSql)]);
  const known = new Map(monitoredColumns(ws).map((c) => [c.name, c]));
  if (wanted && wanted.length > 0) {
    return wanted.map((name) => {
      if (!ref.has(name)) throw new AppError('INVALID_INPUT', `column "${name}" is not in the reference data (has: ${[...ref.keys()].join(', ')})`, { column: name });
      if (!cur.has(name)) throw new AppError('INVALID_INPUT', `column "${name}" is not in the current data (has: ${[...cur.keys()].join(', ')})`, { column: name });
      const k = known.get(name);
      return { name, type: k?.type ?? (/VARCHAR|BOOL/.test(ref.get(name)!) ? 'categorical' : 'numerical') };
    });
  }
  return [...known.values()].filter((c) => ref.has(c.name) && cur.has(c.name)).map((c) => ({ name: c.name, type: c.type }));
}

/** Reads the features topic from `since` on (every partition) into an NDJSON file of flat rows. */
async function streamWindowFile(ws: Workspace, bus: Bus, since: number, maxMessages: number): Promise<{ path: string; messages: number }> {
  const topic = ws.config.topics.features;
  const desc = await bus.describeTopic(topic);
  const file = scratchPath(ws, 'monitoring-stream', '.ndjson');
  const out = fs.openSync(file, 'w');
  let messages = 0;
  try {
    for (const p of desc.partition_info) {
      let from: { type: 'timestamp'; timestamp: number } | { type: 'offset'; offset: number } = { type: 'timestamp', timestamp: since };
      for (;;) {
        const r = await bus.fetch({ topic, partition: p.partition, from, limit: 5000, maxScan: 5000 });
        const lines = r.messages.map(flatRow).filter((l): l is string => l !== null);
        if (lines.length) fs.writeSync(out, lines.join('\n') + '\n');
        messages += lines.length;
        const next = r.next.find((n) => n.partition === p.partition);
        if (r.reached_end || r.messages.length === 0 || !next || messages >= maxMessages) break;
        from = { type: 'offset', offset: next.offset };
      }
      if (messages >= maxMessages) break;
    }
  } finally {
    fs.closeSync(out);
  }
  if (messages === 0) {
    fs.rmSync(file, { force: true });
    throw new AppError('NOT_FOUND', `no messages on ${topic} since ${new Date(since).toISOString()}`, { topic, since: new Date(since).toISOString() });
  }
  return { path: file, messages };
}

/** One features message as a flat row: `view.feature` keys become `view__feature`. */
function flatRow(m: BusMessage): string | null {
  if (!m.value) return null;
  try {
    const v = JSON.parse(m.value.toString('utf8')) as { features?: Record<string, unknown>; event_timestamp?: string };
    if (!v.features) return null;
    const row: Record<string, unknown> = { event_timestamp: v.event_timestamp ?? new Date(m.timestamp).toISOString() };
    for (const [k, value] of Object.entries(v.features)) row[k.replace('.', '__').replace(':', '__')] = value;
    return JSON.stringify(row);
  } catch {
    return null;
  }
}
