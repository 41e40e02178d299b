/**
 * The record of materializations in app.db: the watermark of each view (the end of the newest range
 * materialized in full, where the next incremental run starts) and the history of runs, one row per view
 * and run with its range, rows, status and error.
 *
 * A run's row is written when it starts ('running') and finished in the same transaction that moves the
 * watermark, so the history and the watermark never disagree; a failed or cancelled run leaves the
 * watermark where it was.
 */
import type { z } from 'zod';
import type { Db } from '../../platform/db/sqlite.js';
import type { MaterializationRunSchema, ViewWatermarkSchema } from './online-schemas.js';
import { pidAlive } from '../../platform/pid.js';

export type MaterializationRun = z.infer<typeof MaterializationRunSchema>;
export type ViewWatermark = z.infer<typeof ViewWatermarkSchema>;
export type MaterializationMode = MaterializationRun['mode'];
export type RunStatus = MaterializationRun['status'];

interface RunRow {
  id: number;
  batch_id: string;
  mode: MaterializationMode;
  view: string;
  start_ms: number;
  end_ms: number;
  rows: number;
  written: number;
  status: RunStatus;
  error: string | null;
  started_at: string;
  finished_at: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const runOf = (r: RunRow): MaterializationRun => ({
  id: r.id,
  batch_id: r.batch_id,
  mode: r.mode,
  view: r.view,
  start: iso(r.start_ms),
  end: iso(r.end_ms),
  rows: r.rows,
  written: r.written,
  status: r.status,
  error: r.error === null ? null : (JSON.parse(r.error) as MaterializationRun['error']),
  started_at: r.started_at,
  finished_at: r.finished_at,
});

export function startRun(db: Db, run: { batch_id: string; mode: MaterializationMode; view: string; start_ms: number; end_ms: number }): number {
  const info = db
    .prepare(
      `INSERT INTO feature_materializations (batch_id, mode, view, start_ms, end_ms, status, pid, started_at)
       VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`,
    )
    .run(run.batch_id, run.mode, run.view, run.start_ms, run.end_ms, process.pid, new Date().toISOString());
  return Number(info.lastInsertRowid);
}

export interface RunOutcome {
  status: Exclude<RunStatus, 'running'>;
  rows: number;
  written: number;
  error?: { code: string; message: string };
}

/** Closes a run; a succeeded one moves its view's watermark to its end (never backwards). */
export function finishRun(db: Db, id: number, outcome: RunOutcome): void {
  db.transaction(() => {
    db.prepare('UPDATE feature_materializations SET status = ?, rows = ?, written = ?, error = ?, finished_at = ? WHERE id = ?').run(
      outcome.status,
      outcome.rows,
      outcome.written,
      outcome.error ? JSON.stringify(outcome.error) : null,
      new Date().toISOString(),
      id,
    );
    if (outcome.status !== 'succeeded') return;
    const run = db.prepare('SELECT view, end_ms FROM feature_materializations WHERE id = ?').get(id) as { view: string; end_ms: number };
    db.prepare(
      `INSERT INTO feature_watermarks (view, watermark_ms, run_id, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (view) DO UPDATE SET watermark_ms = excluded.watermark_ms, run_id = excluded.run_id, updated_at = excluded.updated_at
       WHERE excluded.watermark_ms > feature_watermarks.watermark_ms`,
    ).run(run.view, run.end_ms, id, new Date().toISOString());
  })();
}

/** Runs left 'running' by a process that is gone (crash, kill -9) did not finish: say so. */
export function failInterruptedRuns(db: Db): number {
  const stale = (db.prepare(`SELECT id, pid FROM feature_materializations WHERE status = 'running'`).all() as { id: number; pid: number | null }[]).filter(
    (r) => r.pid === null || (r.pid !== process.pid && !pidAlive(r.pid)),
  );
  for (const r of stale) {
    finishRun(db, r.id, { status: 'failed', rows: 0, written: 0, error: { code: 'INTERRUPTED', message: 'the process stopped while this run was going; run it again' } });
  }
  return stale.length;
}

export function watermarkOf(db: Db, view: string): number | null {
  const row = db.prepare('SELECT watermark_ms FROM feature_watermarks WHERE view = ?').get(view) as { watermark_ms: number } | undefined;
  return row ? row.watermark_ms : null;
}

export function listWatermarks(db: Db): ViewWatermark[] {
  const rows = db.prepare('SELECT view, watermark_ms, updated_at FROM feature_watermarks ORDER BY view').all() as {
    view: string;
    watermark_ms: number;
    updated_at: string;
  }[];
  return rows.map((r) => ({ view: r.view, watermark: iso(r.watermark_ms), watermark_ms: r.watermark_ms, updated_at: r.updated_at }));
}

/** Newest first. */
export function listMaterializationRuns(db: Db, opts: { view?: string; limit?: number } = {}): MaterializationRun[] {
  const limit = opts.limit ?? 50;
  const rows = (
    opts.view === undefined
      ? db.prepare('SELECT * FROM feature_materializations ORDER BY id DESC LIMIT ?').all(limit)
      : db.prepare('SELECT * FROM feature_materializations WHERE view = ? ORDER BY id DESC LIMIT ?').all(opts.view, limit)
  ) as RunRow[];
  return rows.map(runOf);
}
