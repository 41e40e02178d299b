/**
 * Stored drift reports: <workspace>/reports/<id>.json (the full result) and <id>.html (one self-contained
 * page with inline SVG charts, no network fetches). Ids sort by time: drift-YYYYMMDD-HHMMSS-<rand>.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../platform/errors.js';
import type { Workspace } from '../../platform/workspace.js';
import type { DriftResult } from './drift.js';
import { renderDriftHtml } from './report-html.js';
import type { DataSource } from './sources.js';

export interface DriftReport extends DriftResult {
  id: string;
  created_at: string;
  reference: { label: string; kind: string; spec: DataSource };
  current: { label: string; kind: string; spec: DataSource };
}

export interface ReportSummary {
  id: string;
  created_at: string;
  reference: string;
  current: string;
  columns: number;
  drifted_columns: number;
  share: number;
  drift: boolean;
  drifted: string[];
}

const ID = /^drift-\d{8}-\d{6}-[0-9a-f]{6}$/;

export function reportsDir(ws: Workspace): string {
  return path.join(ws.paths.root, 'reports');
}

export function isReportId(id: string): boolean {
  return ID.test(id);
}

function newId(at: Date): string {
  const s = at.toISOString();
  return `drift-${s.slice(0, 10).replaceAll('-', '')}-${s.slice(11, 19).replaceAll(':', '')}-${crypto.randomBytes(3).toString('hex')}`;
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export function saveDriftReport(ws: Workspace, report: DriftReport): DriftReport {
  const dir = reportsDir(ws);
  fs.mkdirSync(dir, { recursive: true });
  const saved = { ...report, id: report.id || newId(new Date(report.created_at)) };
  writeAtomic(path.join(dir, `${saved.id}.json`), JSON.stringify(saved, null, 1));
  writeAtomic(path.join(dir, `${saved.id}.html`), renderDriftHtml(saved));
  return saved;
}

export function reportFile(ws: Workspace, id: string, ext: 'json' | 'html'): string {
  if (!isReportId(id)) throw new AppError('INVALID_INPUT', `not a report id: ${JSON.stringify(id)} (expected drift-YYYYMMDD-HHMMSS-xxxxxx)`, { id });
  const file = path.join(reportsDir(ws), `${id}.${ext}`);
  if (!fs.existsSync(file)) throw new AppError('NOT_FOUND', `no drift report ${id}`, { id });
  return file;
}

export function readDriftReport(ws: Workspace, id: string): DriftReport {
  return JSON.parse(fs.readFileSync(reportFile(ws, id, 'json'), 'utf8')) as DriftReport;
}

export function summarize(r: DriftReport): ReportSummary {
  return {
    id: r.id,
    created_at: r.created_at,
    reference: r.reference.label,
    current: r.current.label,
    columns: r.dataset.columns,
    drifted_columns: r.dataset.drifted_columns,
    share: r.dataset.share,
    drift: r.dataset.drift,
    drifted: r.columns.filter((c) => c.drifted).map((c) => c.column),
  };
}

/** Newest first. */
export function listDriftReports(ws: Workspace, limit = 50): ReportSummary[] {
  const dir = reportsDir(ws);
  if (!fs.existsSync(dir)) return [];
  const ids = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && isReportId(f.slice(0, -5)))
    .map((f) => f.slice(0, -5))
    .sort()
    .reverse()
    .slice(0, limit);
  const out: ReportSummary[] = [];
  for (const id of ids) {
    try {
      out.push(summarize(readDriftReport(ws, id)));
    } catch {
      // A report being written or damaged is skipped, not fatal for the list.
    }
  }
  return out;
}

export function latestDriftReport(ws: Workspace, sinceMs?: number): DriftReport | null {
  const [latest] = listDriftReports(ws, 1);
  if (!latest) return null;
  if (sinceMs !== undefined && Date.parse(latest.created_at) < sinceMs) return null;
  return readDriftReport(ws, latest.id);
}
