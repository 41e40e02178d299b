/**
 * The training set: stored trips as entity rows (trip, taxi and pickup area at the pickup time, with the
 * fare and tips as labels) joined point-in-time with a feature service's features, split by time.
 *
 * Trips whose fare is not a usable label (≤ 0, or above max_fare: the sample's $0 and $900 fares are
 * data errors, not prices) are left out of training and evaluation alike and counted by reason.
 */
import fs from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, runMonitored, sqlNumber, sqlString, toNumber } from '../../platform/duckdb.js';
import { AppError } from '../../platform/errors.js';
import { scratchPath } from '../../platform/tmp-files.js';
import type { Workspace } from '../../platform/workspace.js';
import { tripStoreRelation } from '../data/store.js';
import { resolveFeatureRefs } from '../features/definitions.js';
import { getHistoricalFeatures, type ResultColumn } from '../features/retrieval.js';
import type { FeatureValue } from '../features/types.js';
import { featureColumnsOf } from './feature-spec.js';

export interface TrainingSetRequest {
  featureService: string;
  start?: string;
  end?: string;
  maxRows?: number;
  maxFare: number;
  evalFraction: number;
}

export interface TrainingSet {
  /** Rows ordered by pickup time: trip_id, taxi_id, pickup_community_area, event_timestamp (ms), fare_amount, tips, features. */
  rows: Record<string, FeatureValue>[];
  features: { name: string; type: 'numerical' | 'categorical' }[];
  /** Retrieval's columns with their DuckDB types (for writing the sets as Parquet). */
  columns: ResultColumn[];
  /** rows[0, split) train, rows[split, n) evaluation. */
  split: number;
  splitTime: number;
  dropped: { reason: string; count: number }[];
  retrievalMs: number;
}

function instant(text: string, field: string): string {
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const ms = Date.parse(zoned || /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : `${text}Z`);
  if (Number.isNaN(ms)) throw new AppError('INVALID_INPUT', `${field}: not a date or date-time: ${JSON.stringify(text)}`, { field, value: text });
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export async function buildTrainingSet(ws: Workspace, conn: DuckDBConnection, req: TrainingSetRequest, signal: AbortSignal): Promise<TrainingSet> {
  const resolved = resolveFeatureRefs(ws.config, { feature_service: req.featureService });
  const features = featureColumnsOf(resolved.views);
  const where: string[] = [];
  if (req.start) where.push(`pickup_datetime >= TIMESTAMP ${sqlString(instant(req.start, 'start'))}`);
  if (req.end) where.push(`pickup_datetime < TIMESTAMP ${sqlString(instant(req.end, 'end'))}`);
  const range = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const trips = `(SELECT * FROM ${tripStoreRelation(ws)} ${range})`;
  const counts = await queryRows<{ total: bigint; nonpositive: bigint; too_high: bigint }>(
    conn,
    `SELECT count(*) AS total, count(*) FILTER (WHERE fare_amount <= 0) AS nonpositive, count(*) FILTER (WHERE fare_amount > ${sqlNumber(req.maxFare)}) AS too_high FROM ${trips}`,
  );
  const total = toNumber(counts[0]!.total);
  const dropped = [
    { reason: 'fare_amount <= 0', count: toNumber(counts[0]!.nonpositive) },
    { reason: `fare_amount > ${req.maxFare}`, count: toNumber(counts[0]!.too_high) },
  ].filter((d) => d.count > 0);
  const usable = total - dropped.reduce((s, d) => s + d.count, 0);
  if (usable < 50) {
    throw new AppError('INVALID_INPUT', `only ${usable} usable trips${req.start || req.end ? ` between ${req.start ?? 'the first'} and ${req.end ?? 'the last'}` : ''} in the trip store (of ${total}); import or generate trips first`, {
      trips: total,
      usable,
    });
  }
  // A cap keeps a sample spread over the whole range (by a hash of trip_id, so the same trips every
  // time); the evaluation slice is then the latest 20% of the sample.
  const limit = req.maxRows && req.maxRows < usable ? `ORDER BY hash(trip_id), trip_id LIMIT ${req.maxRows}` : '';
  if (limit) dropped.push({ reason: `outside a sample of ${req.maxRows} (max_rows)`, count: usable - req.maxRows! });
  const file = scratchPath(ws, 'training-entities', '.parquet');
  const started = performance.now();
  try {
    await runMonitored(
      conn,
      `COPY (SELECT * FROM (SELECT trip_id, taxi_id, pickup_community_area, pickup_datetime AS event_timestamp, fare_amount, coalesce(tips, 0) AS tips
         FROM ${trips} WHERE fare_amount > 0 AND fare_amount <= ${sqlNumber(req.maxFare)} ${limit}) ORDER BY event_timestamp, trip_id) TO ${sqlString(file)} (FORMAT parquet)`,
      { signal, what: 'training set' },
    );
    const r = await getHistoricalFeatures({ entities: { parquet: file }, features: { feature_service: req.featureService }, full_feature_names: true }, { workspace: ws, conn, signal });
    const rows = r.rows ?? [];
    const split = Math.min(rows.length - 1, Math.max(1, Math.floor(rows.length * (1 - req.evalFraction))));
    return { rows, features, columns: r.columns, split, splitTime: Number(rows[split]!.event_timestamp), dropped, retrievalMs: Math.round(performance.now() - started) };
  } finally {
    fs.rmSync(file, { force: true });
  }
}
