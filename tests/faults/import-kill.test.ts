/**
 * kill -9 of `taxi-mlops import` at three points (reading, writing the store, finishing), each followed
 * by the checks a restart relies on: every Parquet file visible in the store is whole, no trip is stored
 * twice, the store lock of the dead process does not block the next import, and the job history says
 * the killed job was interrupted. A final re-run completes and the store holds each accepted trip once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tripStoreFiles, tripStoreRelation } from '../../src-main/engines/data/store.js';
import { openEngineDb, queryOne, sqlString, toNumber } from '../../src-main/platform/duckdb.js';
import { initWorkspace, type Workspace } from '../../src-main/platform/workspace.js';
import { armFailpoint, failpointReached, runCli, startCli } from './cli-child.js';
import { ownerPidOf } from '../../src-main/platform/tmp-files.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dir: string;
let ws: Workspace;
let csv: string;
let sampleRows: number;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-fault-import-'));
  ws = initWorkspace(path.join(dir, 'ws')).workspace;
  const lines = fs.readFileSync(path.join(ROOT, 'resources/data/chicago_taxi_trips_sample.csv'), 'utf8').split('\n');
  const rows = lines.slice(1).filter(Boolean);
  sampleRows = rows.length;
  const body = rows.join('\n');
  csv = path.join(dir, 'big.csv');
  // 20 copies of the sample: each copy's trips get their own derived ids (content key + occurrence).
  fs.writeFileSync(csv, `${lines[0]}\n${Array.from({ length: 20 }, () => body).join('\n')}\n`);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function storeState(): Promise<{ files: number; rows: number; ids: number }> {
  const files = tripStoreFiles(ws);
  if (files.length === 0) return { files: 0, rows: 0, ids: 0 };
  const db = await openEngineDb(ws, { memoryLimit: '512MB' });
  try {
    // Each visible file on its own: a half-written Parquet file fails here (no footer).
    for (const f of files) await queryOne(db.conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(f)})`);
    const r = await queryOne<{ n: bigint; d: bigint }>(db.conn, `SELECT count(*) AS n, count(DISTINCT trip_id) AS d FROM ${tripStoreRelation(ws)}`);
    return { files: files.length, rows: toNumber(r.n), ids: toNumber(r.d) };
  } finally {
    db.close();
  }
}

interface JobRow {
  id: string;
  kind: string;
  status: string;
  error: { code: string } | null;
  result: { rows_accepted: number; rows_written: number; rows_duplicate: number } | null;
}
async function jobs(): Promise<JobRow[]> {
  const r = await runCli(ws.paths.root, ['--json', 'jobs', 'list']);
  expect(r.code).toBe(0);
  return JSON.parse(r.output.slice(r.output.indexOf('['))) as JobRow[];
}

describe('kill -9 during import', () => {
  // Failpoints, not progress percentages: a small import can finish between two progress lines.
  const killPoints: { name: string; failpoint: string }[] = [
    // The file read and validated into DuckDB; nothing written anywhere yet.
    { name: 'while reading and validating', failpoint: 'import.read' },
    // The new Parquet files written to the staging folder, none moved into the store; store lock held.
    { name: 'while writing the store', failpoint: 'store.staged' },
    // One file moved into the store, the rest still staged: the harshest point of the write.
    { name: 'at the end of the write', failpoint: 'store.published' },
  ];

  for (const [i, point] of killPoints.entries()) {
    it(`killed ${point.name}: store whole, no duplicates, job interrupted`, { timeout: 300_000 }, async () => {
      const before = await storeState();
      const c = startCli(ws.paths.root, ['import', csv], armFailpoint(point.failpoint));
      await c.waitForLine(failpointReached(point.failpoint));
      c.child.kill('SIGKILL');
      expect((await c.exited).signal).toBe('SIGKILL');
      const after = await storeState();
      expect(after.rows).toBe(after.ids);
      // Either nothing of this import is visible, or what is visible is whole (checked file by file above).
      expect(after.rows).toBeGreaterThanOrEqual(before.rows);
      const list = await jobs();
      const killed = list.filter((j) => j.kind === 'data.import')[0]!;
      expect(killed.status).toBe('failed');
      expect(killed.error?.code).toBe('INTERRUPTED');
      expect(list.filter((j) => j.status === 'running' || j.status === 'queued')).toEqual([]);
      // The next process to open the workspace (the `jobs list` above) swept what the killed one staged.
      const left = fs.readdirSync(ws.paths.tmpDir).filter((n) => ownerPidOf(n) === c.child.pid);
      expect(left, `tmp entries of the killed process ${c.child.pid}`).toEqual([]);
      console.log(`kill ${i + 1} (${point.name}): store ${before.rows} → ${after.rows} rows; tmp entries left: ${fs.readdirSync(ws.paths.tmpDir).length}`);
    });
  }

  it('a re-run after the kills completes and the store holds each accepted trip once', { timeout: 300_000 }, async () => {
    const r = await runCli(ws.paths.root, ['--json', 'import', csv]);
    expect(r.code, r.output.slice(-2000)).toBe(0);
    const summary = JSON.parse(r.output.slice(r.output.indexOf('{'))) as { rows_read: number; rows_accepted: number; rows_written: number; rows_duplicate: number };
    expect(summary.rows_read).toBe(20 * sampleRows);
    expect(summary.rows_written + summary.rows_duplicate).toBe(summary.rows_accepted);
    const after = await storeState();
    expect(after.rows).toBe(after.ids);
    expect(after.rows).toBe(summary.rows_accepted);
  });
});
