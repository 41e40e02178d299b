/**
 * (prediction, actual) pairs for performance and A/B: from the stream (prediction_error messages on the
 * metrics topic, with the serving variant looked up on the predictions topic by trip and version) or
 * offline from a version's evaluation set (which holds `prediction` next to the label).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, sqlString, toNumber } from '../../platform/duckdb.js';
import type { Workspace } from '../../platform/workspace.js';
import type { MetricMessage, PredictionMessage } from '../streams/topics.js';
import type { Bus } from '../streams/types.js';
import type { ErrorPoint } from './performance.js';
import { jsonValues, readTopicWindow } from './topic-window.js';

export interface StreamFilter {
  model?: string;
  version?: string;
}

export async function streamErrorPoints(ws: Workspace, bus: Bus, since: number, until: number, filter: StreamFilter = {}): Promise<ErrorPoint[]> {
  const metrics = jsonValues<MetricMessage>(await readTopicWindow(bus, ws.config.topics.metrics, since, until));
  const errors = metrics.filter(
    (m): m is { value: Extract<MetricMessage, { kind: 'prediction_error' }>; timestamp: number } =>
      m.value.kind === 'prediction_error' && (!filter.model || m.value.model_name === filter.model) && (!filter.version || m.value.model_version === filter.version),
  );
  if (errors.length === 0) return [];
  // A prediction precedes its error (the fare is known at drop-off); look back a day for the variants.
  const predictions = jsonValues<PredictionMessage>(await readTopicWindow(bus, ws.config.topics.predictions, since - 86_400_000, until));
  const variant = new Map<string, string | null>();
  for (const p of predictions) variant.set(`${p.value.trip_id}\u0000${p.value.model_version}`, p.value.variant ?? null);
  return errors.map((e) => ({
    time: Date.parse(e.value.computed_at) || e.timestamp,
    prediction: e.value.prediction,
    actual: e.value.actual,
    model_version: e.value.model_version,
    variant: variant.get(`${e.value.trip_id}\u0000${e.value.model_version}`) ?? null,
  }));
}

/** The evaluation set's (prediction, fare) pairs stamped with the trip time. */
export async function offlineErrorPoints(conn: DuckDBConnection, evalParquet: string, version: string): Promise<ErrorPoint[]> {
  const scan = `read_parquet(${sqlString(evalParquet)})`;
  const types = await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE SELECT * FROM ${scan}`);
  const tsType = types.find((c) => c.column_name === 'event_timestamp')?.column_type ?? 'BIGINT';
  // Saved either as a timestamp or as epoch milliseconds.
  const t = /TIMESTAMP|DATE/.test(tsType) ? 'epoch_ms(CAST(event_timestamp AS TIMESTAMP))' : 'CAST(event_timestamp AS BIGINT)';
  const rows = await queryRows<{ t: unknown; p: number; a: number }>(
    conn,
    `SELECT ${t} AS t, prediction AS p, fare_amount AS a FROM ${scan}
     WHERE prediction IS NOT NULL AND fare_amount IS NOT NULL ORDER BY t`,
  );
  return rows.map((r) => ({ time: toNumber(r.t), prediction: r.p, actual: r.a, model_version: version, variant: null }));
}
