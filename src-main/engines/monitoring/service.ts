/**
 * Monitoring operations as the API, CLI and jobs call them: each takes the workspace (and a bus or app
 * database where it needs one) and a parsed input, opens what it needs and closes it again.
 */
import fs from 'node:fs';
import { APP_MIGRATIONS } from '../../platform/db/app-schema.js';
import { openDatabase, type Db } from '../../platform/db/sqlite.js';
import { openEngineDb } from '../../platform/duckdb.js';
import { AppError } from '../../platform/errors.js';
import type { JobContext } from '../../platform/jobs/context.js';
import type { Workspace } from '../../platform/workspace.js';
import { openPlatformBus } from '../streams/index.js';
import type { Bus } from '../streams/types.js';
import { acknowledgeAlert, alertHistory, evaluateAlerts, listAlerts, type AlertRecord, type AlertState, type RuleEvaluation } from './alerts.js';
import { durationMs } from './config-schema.js';
import { computeCorrelation, type CorrelationResult } from './correlation.js';
import { offlineErrorPoints, streamErrorPoints } from './error-points.js';
import { metricReader } from './metric-reader.js';
import { baselineRmse, modelReferenceOf, resolveVersion } from './model-reference.js';
import { abCompare, performanceWindows, type AbResult, type PerformanceResult } from './performance.js';
import { computeQuality, type QualityResult } from './quality.js';
import { resolveSource, sharedColumns, type DataSource, type ResolveOptions } from './sources.js';

export interface SourceInput {
  source: DataSource;
  reference?: DataSource;
  columns?: string[];
}

/** Runs `f` with a bus: the given one, or one opened (and closed) for the call. */
async function withBus<T>(ws: Workspace, bus: Bus | undefined, f: (b: Bus) => Promise<T>): Promise<T> {
  if (bus) return f(bus);
  const b = await openPlatformBus(ws);
  try {
    return await f(b);
  } finally {
    await b.close();
  }
}

/** Resolve options whose bus (for stream windows) is the given one or one opened on demand and closed by `close`. */
function sourceOptions(ws: Workspace, bus: Bus | undefined): { opts: ResolveOptions; close: () => Promise<void> } {
  let opened: Bus | null = null;
  return {
    opts: { modelReference: modelReferenceOf(ws), openBus: async () => bus ?? (opened ??= await openPlatformBus(ws)) },
    close: async () => {
      if (opened) await opened.close();
    },
  };
}

export async function qualityOf(ws: Workspace, input: SourceInput, bus?: Bus): Promise<QualityResult & { source: string }> {
  const db = await openEngineDb(ws);
  const cleanup: string[] = [];
  const { opts, close } = sourceOptions(ws, bus);
  try {
    const cur = await resolveSource(ws, input.source, 'current', opts);
    cleanup.push(...cur.cleanup);
    const columns = await sharedColumns(ws, db.conn, cur.sql, cur.sql, input.columns);
    let reference: { sql: string; columns: typeof columns } | undefined;
    if (input.reference) {
      const ref = await resolveSource(ws, input.reference, 'reference', opts);
      cleanup.push(...ref.cleanup);
      reference = { sql: ref.sql, columns: await sharedColumns(ws, db.conn, ref.sql, ref.sql) };
    }
    return { source: cur.label, ...(await computeQuality(ws, db.conn, cur.sql, columns, reference)) };
  } finally {
    db.close();
    await close();
    for (const f of cleanup) fs.rmSync(f, { force: true });
  }
}

export async function correlationOf(ws: Workspace, input: SourceInput, bus?: Bus): Promise<CorrelationResult & { source: string }> {
  const db = await openEngineDb(ws);
  const cleanup: string[] = [];
  const { opts, close } = sourceOptions(ws, bus);
  try {
    const cur = await resolveSource(ws, input.source, 'current', opts);
    cleanup.push(...cur.cleanup);
    const columns = (await sharedColumns(ws, db.conn, cur.sql, cur.sql, input.columns)).filter((c) => c.type === 'numerical').map((c) => c.name);
    if (columns.length < 2) throw new AppError('INVALID_INPUT', `correlation needs at least two numerical columns; ${cur.label} has ${columns.join(', ') || 'none'}`, { columns });
    return { source: cur.label, ...(await computeCorrelation(db.conn, cur.sql, columns)) };
  } finally {
    db.close();
    await close();
    for (const f of cleanup) fs.rmSync(f, { force: true });
  }
}

export interface PerformanceInput {
  model?: string;
  version?: string | number;
  alias?: string;
  source: 'stream' | 'offline';
  window_minutes?: number;
  since?: string;
  until?: string;
}

export function registeredModelName(ws: Workspace): string {
  const models = (ws.config as { models?: { registered_model?: string } }).models;
  return models?.registered_model ?? 'chicago_taxi_fare';
}

export async function performanceOf(ws: Workspace, input: PerformanceInput, bus?: Bus): Promise<PerformanceResult & { model: string; version: string | null; source: 'stream' | 'offline'; window_minutes: number }> {
  const cfg = ws.config.monitoring.model_drift;
  const model = input.model ?? registeredModelName(ws);
  const rule = { degradationShare: cfg.degradation_share, windows: cfg.windows, minCount: cfg.min_count };
  if (input.source === 'offline') {
    const version = await resolveVersion(ws, model, input);
    const ref = await modelReferenceOf(ws)(model, version);
    const db = await openEngineDb(ws);
    try {
      const points = await offlineErrorPoints(db.conn, ref.evalParquet, version);
      const windowMs = (input.window_minutes ?? 24 * 60) * 60_000;
      const base = await baselineRmse(ws, model, version).catch(() => null);
      return { model, version, source: 'offline', window_minutes: windowMs / 60_000, ...performanceWindows(points, windowMs, base, rule) };
    } finally {
      db.close();
    }
  }
  const until = input.until ? Date.parse(input.until) : Date.now();
  const since = input.since ? Date.parse(input.since) : until - 86_400_000;
  const windowMs = input.window_minutes ? input.window_minutes * 60_000 : durationMs(cfg.window);
  const version = input.version !== undefined || input.alias ? await resolveVersion(ws, model, input) : undefined;
  const points = await withBus(ws, bus, (b) => streamErrorPoints(ws, b, since, until + 1, { model, ...(version ? { version } : {}) }));
  // Baseline of the version judged: the one asked for, else the one most of the errors came from.
  let judged = version ?? null;
  if (!judged && points.length > 0) {
    const counts = new Map<string, number>();
    for (const p of points) counts.set(p.model_version ?? '', (counts.get(p.model_version ?? '') ?? 0) + 1);
    judged = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  }
  const base = judged ? await baselineRmse(ws, model, judged).catch(() => null) : null;
  const own = judged ? points.filter((p) => p.model_version === judged) : points;
  return { model, version: judged, source: 'stream', window_minutes: windowMs / 60_000, ...performanceWindows(own, windowMs, base, rule) };
}

export async function abOf(ws: Workspace, input: { model?: string; since?: string; until?: string; alpha: number }, bus?: Bus): Promise<AbResult> {
  const until = input.until ? Date.parse(input.until) : Date.now();
  const since = input.since ? Date.parse(input.since) : until - 86_400_000;
  const points = await withBus(ws, bus, (b) => streamErrorPoints(ws, b, since, until + 1, { model: input.model ?? registeredModelName(ws) }));
  return abCompare(points, input.alpha);
}

export function alertsView(db: Db, ws: Workspace, input: { state?: AlertState; rule?: string; limit: number }): { alerts: AlertRecord[]; history: ReturnType<typeof alertHistory>; rules: typeof ws.config.monitoring.alerts.rules } {
  const alerts = listAlerts(db, input).sort((a, b) => (a.state === b.state ? b.id - a.id : a.state === 'firing' ? -1 : 1));
  return { alerts, history: alertHistory(db, { limit: input.limit }), rules: ws.config.monitoring.alerts.rules };
}

export { acknowledgeAlert };

export interface AlertEvaluationResult {
  evaluated_at: string;
  evaluations: RuleEvaluation[];
  changes: { alert: AlertRecord; event: 'fired' | 'resolved' }[];
}

/** One evaluation of every rule (the job body); opens app.db itself so it runs in a worker. */
export async function runAlertEvaluation(ws: Workspace, ctx: Pick<JobContext, 'progress' | 'log'>, opts: { db?: Db; bus?: Bus; now?: number } = {}): Promise<AlertEvaluationResult> {
  const db = opts.db ?? openDatabase(ws.paths.appDb, 'app.db', APP_MIGRATIONS);
  let bus: Bus | null = opts.bus ?? null;
  const ownBus = !opts.bus;
  const getBus = async (): Promise<Bus> => (bus ??= await openPlatformBus(ws));
  const changes: AlertEvaluationResult['changes'] = [];
  try {
    const rules = ws.config.monitoring.alerts.rules;
    ctx.progress({ done: 0, total: rules.length, unit: 'rules' });
    let busForPublish: Bus | null = null;
    try {
      busForPublish = await getBus();
    } catch (e) {
      ctx.log.warn({ err: (e as Error).message }, 'alerts: bus unavailable; firings are recorded but not published');
    }
    const evaluations = await evaluateAlerts(db, ws, {
      rules,
      read: metricReader(ws, getBus),
      now: opts.now,
      bus: busForPublish,
      log: ctx.log,
      onChange: (alert, event) => changes.push({ alert, event }),
    });
    ctx.progress({ done: rules.length, total: rules.length, unit: 'rules' });
    return { evaluated_at: new Date(opts.now ?? Date.now()).toISOString(), evaluations, changes };
  } finally {
    if (ownBus && bus) await (bus as Bus).close();
    if (!opts.db) db.close();
  }
}
