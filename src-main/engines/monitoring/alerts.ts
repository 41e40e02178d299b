/**
 * Alert rules (config monitoring.alerts.rules) evaluated against current metrics. State lives in app.db
 * (monitoring_alerts: one row per firing, resolved in place; monitoring_alert_events: fired / resolved /
 * acknowledged history). A rule whose condition holds and has no open alert fires: a row, an event, a
 * message on the alerts topic, a log line. A firing rule whose condition no longer holds resolves. A rule
 * without data (no drift report in the window, no predictions) keeps its state: absence of evidence
 * neither raises nor clears an alert.
 */
import type { Db } from '../../platform/db/sqlite.js';
import { AppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logging.js';
import type { Workspace } from '../../platform/workspace.js';
import type { AlertMessage } from '../streams/topics.js';
import type { Bus } from '../streams/types.js';
import { durationMs, type AlertRule } from './config-schema.js';

export type AlertState = 'firing' | 'resolved';

export interface AlertRecord {
  id: number;
  rule: string;
  severity: AlertRule['severity'];
  state: AlertState;
  message: string;
  value: number | null;
  threshold: number | null;
  labels: Record<string, string>;
  fired_at: string;
  resolved_at: string | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

export interface AlertEvent {
  id: number;
  alert_id: number;
  rule: string;
  event: 'fired' | 'resolved' | 'acknowledged';
  value: number | null;
  at: string;
}

export interface RuleEvaluation {
  rule: string;
  metric: AlertRule['metric'];
  value: number | null;
  condition: boolean | null;
  outcome: 'fired' | 'resolved' | 'still_firing' | 'ok' | 'no_data';
  detail: string | null;
  alert_id: number | null;
}

/** A metric's value over a window (null = no data), with a note on where it came from. */
export type MetricReader = (metric: AlertRule['metric'], windowMs: number, now: number) => Promise<{ value: number | null; detail: string | null; labels?: Record<string, string> }>;

export interface EvaluateOptions {
  rules: readonly AlertRule[];
  read: MetricReader;
  now?: number;
  /** Publishes a firing to the alerts topic; failures are logged, never lose the state change. */
  bus?: Bus | null;
  onChange?: (alert: AlertRecord, event: 'fired' | 'resolved') => void;
  log?: Logger;
}

interface Row {
  id: number;
  rule: string;
  severity: string;
  state: string;
  message: string;
  value: number | null;
  threshold: number | null;
  labels: string | null;
  fired_at: string;
  resolved_at: string | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

const toRecord = (r: Row): AlertRecord => ({
  ...r,
  severity: r.severity as AlertRecord['severity'],
  state: r.state as AlertState,
  labels: r.labels ? (JSON.parse(r.labels) as Record<string, string>) : {},
});

export function compareValue(value: number, comparison: AlertRule['comparison'], threshold: number): boolean {
  switch (comparison) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

function openAlert(db: Db, rule: string): Row | undefined {
  return db.prepare(`SELECT * FROM monitoring_alerts WHERE rule = ? AND state = 'firing' ORDER BY id DESC LIMIT 1`).get(rule) as Row | undefined;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v * 1000) / 1000) : v.toPrecision(4);
}

export async function evaluateAlerts(db: Db, ws: Workspace, opts: EvaluateOptions): Promise<RuleEvaluation[]> {
  const now = opts.now ?? Date.now();
  const at = new Date(now).toISOString();
  const out: RuleEvaluation[] = [];
  for (const rule of opts.rules) {
    const windowMs = durationMs(rule.window);
    let reading: Awaited<ReturnType<MetricReader>>;
    try {
      reading = await opts.read(rule.metric, windowMs, now);
    } catch (e) {
      out.push({ rule: rule.name, metric: rule.metric, value: null, condition: null, outcome: 'no_data', detail: `could not read ${rule.metric}: ${(e as Error).message}`, alert_id: null });
      opts.log?.warn({ rule: rule.name, metric: rule.metric, err: (e as Error).message }, 'alert metric unreadable');
      continue;
    }
    const open = openAlert(db, rule.name);
    if (reading.value === null || !Number.isFinite(reading.value)) {
      out.push({ rule: rule.name, metric: rule.metric, value: null, condition: null, outcome: 'no_data', detail: reading.detail, alert_id: open?.id ?? null });
      continue;
    }
    const value = reading.value;
    const condition = compareValue(value, rule.comparison, rule.threshold);
    if (condition && !open) {
      const message = `${rule.name}: ${rule.metric} = ${fmt(value)} ${rule.comparison} ${fmt(rule.threshold)} over the last ${typeof rule.window === 'number' ? `${rule.window}s` : rule.window}${rule.description ? ` — ${rule.description}` : ''}`;
      const labels = { metric: rule.metric, window: String(rule.window), ...(reading.labels ?? {}) };
      const id = db.transaction(() => {
        const r = db
          .prepare(`INSERT INTO monitoring_alerts (rule, severity, state, message, value, threshold, labels, fired_at) VALUES (?, ?, 'firing', ?, ?, ?, ?, ?)`)
          .run(rule.name, rule.severity, message, value, rule.threshold, JSON.stringify(labels), at);
        const alertId = Number(r.lastInsertRowid);
        db.prepare(`INSERT INTO monitoring_alert_events (alert_id, rule, event, value, at) VALUES (?, ?, 'fired', ?, ?)`).run(alertId, rule.name, value, at);
        return alertId;
      })();
      const record = getAlert(db, id);
      opts.log?.warn({ alert: id, rule: rule.name, severity: rule.severity, value, threshold: rule.threshold }, message);
      if (opts.bus) {
        const msg: AlertMessage = { rule: rule.name, severity: rule.severity, message, value, threshold: rule.threshold, fired_at: at, labels: { ...labels, alert_id: String(id) } };
        try {
          await opts.bus.produce(ws.config.topics.alerts, [{ key: rule.name, value: JSON.stringify(msg), timestamp: now }]);
        } catch (e) {
          opts.log?.error({ alert: id, topic: ws.config.topics.alerts, err: (e as Error).message }, 'alert not published to the alerts topic');
        }
      }
      opts.onChange?.(record, 'fired');
      out.push({ rule: rule.name, metric: rule.metric, value, condition, outcome: 'fired', detail: reading.detail, alert_id: id });
    } else if (condition && open) {
      db.prepare('UPDATE monitoring_alerts SET value = ? WHERE id = ?').run(value, open.id);
      out.push({ rule: rule.name, metric: rule.metric, value, condition, outcome: 'still_firing', detail: reading.detail, alert_id: open.id });
    } else if (!condition && open) {
      db.transaction(() => {
        db.prepare(`UPDATE monitoring_alerts SET state = 'resolved', resolved_at = ?, value = ? WHERE id = ?`).run(at, value, open.id);
        db.prepare(`INSERT INTO monitoring_alert_events (alert_id, rule, event, value, at) VALUES (?, ?, 'resolved', ?, ?)`).run(open.id, rule.name, value, at);
      })();
      opts.log?.info({ alert: open.id, rule: rule.name, value }, `${rule.name} resolved: ${rule.metric} = ${fmt(value)}`);
      opts.onChange?.(getAlert(db, open.id), 'resolved');
      out.push({ rule: rule.name, metric: rule.metric, value, condition, outcome: 'resolved', detail: reading.detail, alert_id: open.id });
    } else {
      out.push({ rule: rule.name, metric: rule.metric, value, condition, outcome: 'ok', detail: reading.detail, alert_id: null });
    }
  }
  return out;
}

export function getAlert(db: Db, id: number): AlertRecord {
  const r = db.prepare('SELECT * FROM monitoring_alerts WHERE id = ?').get(id) as Row | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no alert ${id}`, { id });
  return toRecord(r);
}

export function listAlerts(db: Db, opts: { state?: AlertState; rule?: string; limit?: number } = {}): AlertRecord[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (opts.state) {
    where.push('state = ?');
    params.push(opts.state);
  }
  if (opts.rule) {
    where.push('rule = ?');
    params.push(opts.rule);
  }
  const rows = db
    .prepare(`SELECT * FROM monitoring_alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
    .all(...params, opts.limit ?? 100) as Row[];
  return rows.map(toRecord);
}

export function alertHistory(db: Db, opts: { alertId?: number; limit?: number } = {}): AlertEvent[] {
  const rows = opts.alertId
    ? db.prepare('SELECT * FROM monitoring_alert_events WHERE alert_id = ? ORDER BY id DESC LIMIT ?').all(opts.alertId, opts.limit ?? 200)
    : db.prepare('SELECT * FROM monitoring_alert_events ORDER BY id DESC LIMIT ?').all(opts.limit ?? 200);
  return rows as AlertEvent[];
}

export function acknowledgeAlert(db: Db, id: number, by: string, now = Date.now()): AlertRecord {
  const a = getAlert(db, id);
  if (a.acknowledged_at) return a;
  const at = new Date(now).toISOString();
  db.transaction(() => {
    db.prepare('UPDATE monitoring_alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?').run(at, by, id);
    db.prepare(`INSERT INTO monitoring_alert_events (alert_id, rule, event, value, at) VALUES (?, ?, 'acknowledged', NULL, ?)`).run(id, a.rule, at);
  })();
  return getAlert(db, id);
}
