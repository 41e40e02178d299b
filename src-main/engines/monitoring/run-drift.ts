/**
 * One drift check from source specs to a stored report: resolve both sides, compute, save JSON + HTML
 * under <workspace>/reports/. This is what the `monitoring.drift` job, the CLI and the demo run.
 */
import fs from 'node:fs';
import { openEngineDb } from '../../platform/duckdb.js';
import type { JobContext } from '../../platform/jobs/context.js';
import type { Workspace } from '../../platform/workspace.js';
import { openPlatformBus } from '../streams/index.js';
import { computeDrift, type DriftResult } from './drift.js';
import { modelReferenceOf } from './model-reference.js';
import { saveDriftReport, type DriftReport } from './reports.js';
import { resolveSource, sharedColumns, type DataSource, type ResolveOptions } from './sources.js';
import type { StatTestName } from './stattests.js';

export interface DriftRequest {
  reference: DataSource;
  current: DataSource;
  /** Only these columns (default: every monitored column both sides have). */
  columns?: string[];
  /** Per-column overrides on top of config monitoring.drift. */
  methods?: Record<string, StatTestName>;
  thresholds?: Record<string, number>;
  drift_share?: number;
  /** Save the report (default true). */
  save?: boolean;
}

export async function runDrift(ws: Workspace, req: DriftRequest, ctx?: Pick<JobContext, 'signal' | 'progress' | 'log'>): Promise<DriftReport> {
  const cfg = ws.config.monitoring.drift;
  const db = await openEngineDb(ws);
  const cleanup: string[] = [];
  let bus: Awaited<ReturnType<typeof openPlatformBus>> | null = null;
  try {
    const opts: ResolveOptions = {
      modelReference: modelReferenceOf(ws),
      openBus: async () => (bus ??= await openPlatformBus(ws)),
    };
    ctx?.progress({ done: 0, total: null, unit: 'columns', message: 'reading reference and current data' });
    const ref = await resolveSource(ws, req.reference, 'reference', opts);
    cleanup.push(...ref.cleanup);
    const cur = await resolveSource(ws, req.current, 'current', opts);
    cleanup.push(...cur.cleanup);
    const columns = await sharedColumns(ws, db.conn, ref.sql, cur.sql, req.columns);
    const result: DriftResult = await computeDrift(db.instance, db.conn, ref.sql, cur.sql, columns, {
      driftShare: req.drift_share ?? cfg.drift_share,
      methods: { ...cfg.methods, ...req.methods },
      thresholds: { ...cfg.thresholds, ...req.thresholds },
      signal: ctx?.signal,
      onColumn: (done, total, column) => ctx?.progress({ done, total, unit: 'columns', message: `tested ${column}` }),
    });
    const report: DriftReport = {
      id: '',
      created_at: new Date().toISOString(),
      reference: { label: ref.label, kind: ref.kind, spec: req.reference },
      current: { label: cur.label, kind: cur.kind, spec: req.current },
      ...result,
    };
    ctx?.log.info(
      { reference: ref.label, current: cur.label, drifted: result.columns.filter((c) => c.drifted).map((c) => c.column), dataset_drift: result.dataset.drift, ms: result.duration_ms },
      'drift computed',
    );
    return req.save === false ? report : saveDriftReport(ws, report);
  } finally {
    db.close();
    if (bus) await (bus as { close(): Promise<void> }).close();
    for (const f of cleanup) fs.rmSync(f, { force: true });
  }
}
