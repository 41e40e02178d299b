/**
 * Alerts end to end on a real workspace (embedded bus, app.db): prediction errors on the metrics topic and
 * stored drift reports drive the configured rules; a rule fires (row, history, message on the alerts
 * topic), stays firing without a second message, resolves when the metric recovers, keeps its state
 * without data, and can be acknowledged. Model drift is detected on a synthetic degradation and A/B picks
 * the better variant from the stream.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acknowledgeAlert, alertHistory, listAlerts } from '../../src-main/engines/monitoring/alerts.js';
import { AlertRuleSchema } from '../../src-main/engines/monitoring/config-schema.js';
import { streamErrorPoints } from '../../src-main/engines/monitoring/error-points.js';
import { abCompare, performanceWindows, type ErrorPoint } from '../../src-main/engines/monitoring/performance.js';
import { saveDriftReport, type DriftReport } from '../../src-main/engines/monitoring/reports.js';
import { abOf, runAlertEvaluation } from '../../src-main/engines/monitoring/service.js';
import { openPlatformBus, type Bus } from '../../src-main/engines/streams/index.js';
import { APP_MIGRATIONS } from '../../src-main/platform/db/app-schema.js';
import { openDatabase, type Db } from '../../src-main/platform/db/sqlite.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { tempWorkspace } from '../helpers/workspace.js';

const HOUR = 3_600_000;
// Recent enough that the topics' retention (7 and 30 days) keeps the messages.
const T0 = Math.floor((Date.now() - 12 * HOUR) / HOUR) * HOUR;
const ctx = { progress: () => undefined, log: silentLogger() };

let ws: Workspace;
let cleanup: () => void;
let db: Db;
let bus: Bus;

beforeEach(async () => {
  ({ workspace: ws, cleanup } = tempWorkspace('taxi-mon-alerts-'));
  db = openDatabase(ws.paths.appDb, 'app.db', APP_MIGRATIONS);
  bus = await openPlatformBus(ws);
});
afterEach(async () => {
  await bus.close();
  db.close();
  cleanup();
});

/** Prediction errors (and the predictions, with their variant) as the stream processor writes them. */
async function publishErrors(at: number, errors: number[], variant: string | null = null, version = '1', prefix = 't'): Promise<void> {
  const preds = errors.map((e, i) => ({
    key: `${prefix}${i}`,
    timestamp: at - 60_000,
    value: JSON.stringify({
      trip_id: `${prefix}${i}`,
      model_name: 'chicago_taxi_fare',
      model_version: version,
      variant,
      prediction: 10 + e,
      features: {},
      latency_ms: 1,
      predicted_at: new Date(at - 60_000).toISOString(),
    }),
  }));
  await bus.produce(ws.config.topics.predictions, preds);
  const msgs = errors.map((e, i) => ({
    key: `${prefix}${i}`,
    timestamp: at,
    value: JSON.stringify({
      kind: 'prediction_error',
      model_name: 'chicago_taxi_fare',
      model_version: version,
      computed_at: new Date(at).toISOString(),
      trip_id: `${prefix}${i}`,
      prediction: 10 + e,
      actual: 10,
      error: e,
      abs_error: Math.abs(e),
    }),
  }));
  await bus.produce(ws.config.topics.metrics, msgs);
}

function useRules(rules: unknown[]): void {
  ws.config.monitoring.alerts.rules = rules.map((r) => AlertRuleSchema.parse(r));
}

describe('alert rules fire and resolve', () => {
  it('model.rmse: fires once, stays firing, resolves when the error recovers, and is acknowledged', async () => {
    useRules([{ name: 'rmse_high', metric: 'model.rmse', comparison: '>', threshold: 5, window: '1h', severity: 'critical' }]);
    await publishErrors(T0, [8, -8, 7, -7, 9, -9], null, '1', 'a');

    const first = await runAlertEvaluation(ws, ctx, { db, bus, now: T0 + 60_000 });
    expect(first.evaluations[0]).toMatchObject({ rule: 'rmse_high', outcome: 'fired', condition: true });
    expect(first.evaluations[0]!.value).toBeCloseTo(Math.sqrt((64 + 64 + 49 + 49 + 81 + 81) / 6), 9);
    expect(first.changes).toHaveLength(1);
    expect(first.changes[0]!.event).toBe('fired');
    const firing = listAlerts(db, { state: 'firing' });
    expect(firing).toHaveLength(1);
    expect(firing[0]).toMatchObject({ rule: 'rmse_high', severity: 'critical', threshold: 5, resolved_at: null });

    // The firing is on the alerts topic, in the AlertMessage format.
    const onTopic = await bus.fetch({ topic: ws.config.topics.alerts, from: { type: 'earliest' }, limit: 10 });
    expect(onTopic.messages).toHaveLength(1);
    const msg = JSON.parse(onTopic.messages[0]!.value!.toString('utf8')) as { rule: string; severity: string; value: number; threshold: number; labels: Record<string, string> };
    expect(msg).toMatchObject({ rule: 'rmse_high', severity: 'critical', threshold: 5 });
    expect(msg.labels.alert_id).toBe(String(firing[0]!.id));

    // Still above: no second alert, no second message.
    const again = await runAlertEvaluation(ws, ctx, { db, bus, now: T0 + 120_000 });
    expect(again.evaluations[0]!.outcome).toBe('still_firing');
    expect(again.changes).toHaveLength(0);
    expect((await bus.fetch({ topic: ws.config.topics.alerts, from: { type: 'earliest' }, limit: 10 })).messages).toHaveLength(1);

    // No data in the window (nothing for the last hour): the state is kept.
    const quiet = await runAlertEvaluation(ws, ctx, { db, bus, now: T0 + 3 * HOUR });
    expect(quiet.evaluations[0]!.outcome).toBe('no_data');
    expect(listAlerts(db, { state: 'firing' })).toHaveLength(1);

    // Errors small again: resolved.
    await publishErrors(T0 + 4 * HOUR, [1, -1, 0.5, -0.5], null, '1', 'b');
    const recovered = await runAlertEvaluation(ws, ctx, { db, bus, now: T0 + 4 * HOUR + 60_000 });
    expect(recovered.evaluations[0]!.outcome).toBe('resolved');
    expect(recovered.changes.map((c) => c.event)).toEqual(['resolved']);
    expect(listAlerts(db, { state: 'firing' })).toHaveLength(0);
    const [resolved] = listAlerts(db, { state: 'resolved' });
    expect(resolved!.resolved_at).toBe(new Date(T0 + 4 * HOUR + 60_000).toISOString());

    const acked = acknowledgeAlert(db, resolved!.id, 'tester', T0 + 5 * HOUR);
    expect(acked.acknowledged_by).toBe('tester');
    expect(alertHistory(db, { alertId: resolved!.id }).map((e) => e.event)).toEqual(['acknowledged', 'resolved', 'fired']);
  });

  it('drift.share reads the latest report in the window; a comparison that fails stays ok', async () => {
    useRules([
      { name: 'drift', metric: 'drift.share', comparison: '>=', threshold: 0.5, window: '1d', severity: 'warning' },
      { name: 'dead', metric: 'stream.dead_letters', comparison: '>', threshold: 2, window: '1h' },
    ]);
    const now = Date.now();
    const none = await runAlertEvaluation(ws, ctx, { db, bus, now });
    expect(none.evaluations.map((e) => e.outcome)).toEqual(['no_data', 'ok']);
    const report = { created_at: new Date(now - 60_000).toISOString(), reference_rows: 100, current_rows: 100, duration_ms: 1, dataset: { columns: 10, drifted_columns: 6, share: 0.6, drift_share: 0.5, drift: true }, columns: [] } as unknown as DriftReport;
    saveDriftReport(ws, { ...report, id: '', reference: { label: 'r', kind: 'store', spec: {} }, current: { label: 'c', kind: 'file', spec: { file: 'x' } } });
    const fired = await runAlertEvaluation(ws, ctx, { db, bus, now });
    expect(fired.evaluations[0]).toMatchObject({ rule: 'drift', outcome: 'fired', value: 0.6 });
    expect(fired.evaluations[1]).toMatchObject({ rule: 'dead', outcome: 'ok', value: 0 });
  });
});

describe('model drift and A/B', () => {
  const rule = { degradationShare: 0.2, windows: 3, minCount: 30 };
  /** 40 errors per hour with the given RMSE (±e alternating). */
  const hours = (rmses: number[]): ErrorPoint[] =>
    rmses.flatMap((r, h) => Array.from({ length: 40 }, (_, i) => ({ time: T0 + h * HOUR + i * 60_000, prediction: 10 + (i % 2 ? r : -r), actual: 10 })));

  it('detects a degradation beyond the share in N consecutive windows, and not before', () => {
    const steady = performanceWindows(hours([4, 4.1, 3.9, 4, 4.2, 4]), HOUR, 4, rule);
    expect(steady.windows).toHaveLength(6);
    expect(steady.windows[0]!.rmse).toBeCloseTo(4, 12);
    expect(steady.model_drift.detected).toBe(false);

    const two = performanceWindows(hours([4, 4, 4, 4, 5.5, 5.5]), HOUR, 4, rule);
    expect(two.model_drift).toMatchObject({ detected: false, consecutive: 2 });

    const three = performanceWindows(hours([4, 4, 4, 5.5, 5.5, 5.5]), HOUR, 4, rule);
    expect(three.model_drift).toMatchObject({ detected: true, consecutive: 3, since: new Date(T0 + 3 * HOUR).toISOString() });
    expect(three.windows[5]!.degradation).toBeCloseTo(5.5 / 4 - 1, 12);

    // A window with too few predictions is not judged and does not break the run.
    const sparse = hours([4, 5.5, 5.5, 5.5]);
    sparse.splice(40 * 2, 30);
    const r = performanceWindows(sparse, HOUR, 4, rule);
    expect(r.windows[2]!.judged).toBe(false);
    expect(r.model_drift.consecutive).toBe(2);

    expect(performanceWindows(hours([9, 9, 9]), HOUR, null, rule).model_drift.detected).toBe(false);
  });

  it('A/B from the stream: variants from the predictions topic, Welch test, verdict names the better arm', async () => {
    const champion = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : -1) * (2 + (i % 7) * 0.1));
    const challenger = Array.from({ length: 120 }, (_, i) => (i % 2 ? 1 : -1) * (3 + (i % 5) * 0.1));
    await publishErrors(T0, champion, 'champion', '1', 'c');
    await publishErrors(T0, challenger, 'challenger', '2', 'd');
    const points = await streamErrorPoints(ws, bus, T0 - HOUR, T0 + HOUR);
    expect(points).toHaveLength(320);
    expect(points.filter((p) => p.variant === 'challenger').every((p) => p.model_version === '2')).toBe(true);
    const ab = await abOf(ws, { since: new Date(T0 - HOUR).toISOString(), until: new Date(T0 + HOUR).toISOString(), alpha: 0.05 }, bus);
    expect(ab.variants.map((v) => [v.variant, v.count])).toEqual([
      ['champion', 200],
      ['challenger', 120],
    ]);
    expect(ab.test!.p_value).toBeLessThan(1e-10);
    expect(ab.verdict).toMatch(/^champion is better/);
    // Same error distribution: no significant difference.
    const same = abCompare([...points.filter((p) => p.variant === 'champion').map((p) => ({ ...p })), ...points.filter((p) => p.variant === 'champion').map((p) => ({ ...p, variant: 'challenger' }))]);
    expect(same.test!.p_value).toBeCloseTo(1, 12);
    expect(same.verdict).toMatch(/^No significant difference/);
  });
});
