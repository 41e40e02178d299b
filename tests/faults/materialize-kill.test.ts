/**
 * kill -9 of `taxi-mlops features materialize-incremental` mid-run (SQLite online store). Afterwards:
 * the online database is intact, each view's watermark is either where it was or at the new end — and
 * only at the end with a succeeded run behind it — and the killed job and runs read as interrupted once
 * the app starts again. A re-run completes, and the online store then holds exactly what one clean
 * materialization of the whole range writes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWorkspace, type Workspace } from '../../src-main/platform/workspace.js';
import { armFailpoint, failpointReached, runCli, startCli } from './cli-child.js';

const START = '2024-03-01T00:00:00Z';
const MID = '2024-03-10T00:00:00Z';
const END = '2024-03-21T00:00:00Z';
let dir: string;
let ws: Workspace;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-fault-mat-'));
  ws = initWorkspace(path.join(dir, 'ws')).workspace;
  const gen = await runCli(ws.paths.root, ['generate', '--rows', '150000', '--seed', '7', '--start', '2024-03-01', '--end', '2024-03-20']);
  expect(gen.code, gen.output.slice(-1000)).toBe(0);
  const tr = await runCli(ws.paths.root, ['features', 'transform']);
  expect(tr.code, tr.output.slice(-1000)).toBe(0);
}, 600_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const appDb = (): Database.Database => new Database(ws.paths.appDb, { readonly: true, fileMustExist: true });

function watermarks(): Map<string, number> {
  const db = appDb();
  try {
    return new Map((db.prepare('SELECT view, watermark_ms FROM feature_watermarks').all() as { view: string; watermark_ms: number }[]).map((r) => [r.view, r.watermark_ms]));
  } finally {
    db.close();
  }
}

function runs(): { view: string; end_ms: number; status: string; error: string | null }[] {
  const db = appDb();
  try {
    return db.prepare('SELECT view, end_ms, status, error FROM feature_materializations ORDER BY id').all() as { view: string; end_ms: number; status: string; error: string | null }[];
  } finally {
    db.close();
  }
}

function onlineSnapshot(): { integrity: string; rows: string[] } {
  const db = new Database(path.join(ws.paths.root, 'online.db'), { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? '';
    const rows = (db.prepare('SELECT view, entity_key, event_ts, payload FROM online_features ORDER BY view, entity_key').all() as Record<string, unknown>[]).map((r) => JSON.stringify(r));
    return { integrity, rows };
  } finally {
    db.close();
  }
}

describe('kill -9 during materialization', () => {
  it('leaves watermarks consistent and the online store intact; a re-run equals a clean run', { timeout: 600_000 }, async () => {
    const first = await runCli(ws.paths.root, ['features', 'materialize', START, MID]);
    expect(first.code, first.output.slice(-1000)).toBe(0);
    const mid = Date.parse(MID);
    const end = Date.parse(END);
    const views = [...watermarks().keys()];
    expect(views.length).toBeGreaterThanOrEqual(3);
    for (const v of views) expect(watermarks().get(v)).toBe(mid);

    // Held right after the first batch reaches the online store: mid-run, before any watermark moves.
    const c = startCli(ws.paths.root, ['features', 'materialize-incremental', END], armFailpoint('materialize.batch-written'));
    await c.waitForLine(failpointReached('materialize.batch-written'));
    c.child.kill('SIGKILL');
    expect((await c.exited).signal).toBe('SIGKILL');

    expect(onlineSnapshot().integrity).toBe('ok');
    const after = watermarks();
    const succeeded = runs().filter((r) => r.status === 'succeeded' && r.end_ms === end);
    let moved = 0;
    for (const v of views) {
      const w = after.get(v);
      expect([mid, end]).toContain(w);
      // A watermark at the new end only behind a run that finished.
      if (w === end) {
        moved++;
        expect(succeeded.some((r) => r.view === v)).toBe(true);
      }
    }
    expect(moved).toBeLessThan(views.length);
    console.log(`killed mid-run: ${moved} of ${views.length} views had finished; running rows left by the dead process: ${runs().filter((r) => r.status === 'running').length}`);

    // Opening the app again marks the killed job interrupted.
    const jobs = await runCli(ws.paths.root, ['--json', 'jobs', 'list']);
    const list = JSON.parse(jobs.output.slice(jobs.output.indexOf('['))) as { kind: string; status: string; error: { code: string } | null }[];
    expect(list[0]).toMatchObject({ kind: 'features.materialize_incremental', status: 'failed', error: { code: 'INTERRUPTED' } });

    const again = await runCli(ws.paths.root, ['features', 'materialize-incremental', END]);
    expect(again.code, again.output.slice(-1000)).toBe(0);
    for (const v of views) expect(watermarks().get(v)).toBe(end);
    const all = runs();
    expect(all.filter((r) => r.status === 'running')).toEqual([]);
    expect(all.some((r) => r.status === 'failed' && (r.error ?? '').includes('INTERRUPTED'))).toBe(true);
    const recovered = onlineSnapshot();
    expect(recovered.integrity).toBe('ok');

    // One clean materialization of the whole range rewrites the same values (newer-wins, idempotent).
    const clean = await runCli(ws.paths.root, ['features', 'materialize', START, END]);
    expect(clean.code, clean.output.slice(-1000)).toBe(0);
    const reference = onlineSnapshot();
    expect(recovered.rows.length).toBeGreaterThan(1000);
    expect(recovered.rows.length).toBe(reference.rows.length);
    expect(recovered.rows).toEqual(reference.rows);
  });
});
