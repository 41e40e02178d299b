/**
 * Disk full on the workspace: the workspace lives on a small tmpfs (mounted by the test; needs root or
 * CAP_SYS_ADMIN, else the test is skipped and says so). An import that does not fit fails with an error
 * naming the file it could not write and the cause; the trips already stored stay whole and readable;
 * the job history records the failure; once there is room, the same import succeeds.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tripStoreFiles, tripStoreRelation } from '../../src-main/engines/data/store.js';
import { openEngineDb, queryOne, sqlString, toNumber } from '../../src-main/platform/duckdb.js';
import { openWorkspace, type Workspace } from '../../src-main/platform/workspace.js';
import { runCli } from './cli-child.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SAMPLE = path.join(ROOT, 'resources/data/chicago_taxi_trips_sample.csv');
let dir: string;
let mnt: string;
let mounted = false;
let why = '';
let big: string;

function mount(size: string, remount = false): void {
  execFileSync('mount', remount ? ['-o', `remount,size=${size}`, mnt] : ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { stdio: 'pipe' });
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-fault-disk-'));
  mnt = path.join(dir, 'mnt');
  fs.mkdirSync(mnt);
  try {
    mount('3m');
    mounted = true;
  } catch (e) {
    why = String((e as { stderr?: Buffer }).stderr ?? e).trim();
    console.log(`disk-full test skipped: cannot mount a tmpfs here (${why})`);
  }
  const lines = fs.readFileSync(SAMPLE, 'utf8').split('\n');
  big = path.join(dir, 'big.csv');
  // 25 copies of the sample, ~4.6 MiB of Parquet: more than is left on the tmpfs after the first import.
  fs.writeFileSync(big, `${lines[0]}\n${Array.from({ length: 25 }, () => lines.slice(1).filter(Boolean).join('\n')).join('\n')}\n`);
});

afterAll(() => {
  if (mounted) {
    try {
      execFileSync('umount', [mnt], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', mnt], { stdio: 'pipe' });
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

async function store(ws: Workspace): Promise<{ files: number; rows: number; ids: number }> {
  const files = tripStoreFiles(ws);
  if (files.length === 0) return { files: 0, rows: 0, ids: 0 };
  const db = await openEngineDb(ws, { memoryLimit: '256MB' });
  try {
    for (const f of files) await queryOne(db.conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(f)})`);
    const r = await queryOne<{ n: bigint; d: bigint }>(db.conn, `SELECT count(*) AS n, count(DISTINCT trip_id) AS d FROM ${tripStoreRelation(ws)}`);
    return { files: files.length, rows: toNumber(r.n), ids: toNumber(r.d) };
  } finally {
    db.close();
  }
}

describe('disk full on the workspace', () => {
  it('an import that does not fit fails naming the file and the cause, the store stays whole, and a re-run with room succeeds', { timeout: 300_000 }, async (ctx) => {
    if (!mounted) ctx.skip();
    const wsDir = path.join(mnt, 'ws');
    expect((await runCli(wsDir, ['init'])).code).toBe(0);
    const first = await runCli(wsDir, ['--json', 'import', SAMPLE]);
    expect(first.code, first.output.slice(-1000)).toBe(0);
    const ws = openWorkspace(wsDir);
    const before = await store(ws);
    expect(before.rows).toBeGreaterThan(11_000);

    const full = await runCli(wsDir, ['import', big]);
    expect(full.code).not.toBe(0);
    const line = full.output.split(/[\r\n]/).find((l) => l.startsWith('taxi-mlops: '));
    expect(line, full.output.slice(-1500)).toBeDefined();
    // The one-line error names the file it could not write (under the workspace) and why.
    expect(line).toMatch(/^taxi-mlops: DISK_FULL: /);
    expect(line).toMatch(/No space left on device/);
    expect(line).toContain(mnt);
    console.log(`disk-full error: ${line}`);

    const after = await store(ws);
    expect(after).toEqual(before);
    // Nothing half-written is left behind to fill the disk further.
    expect(fs.readdirSync(ws.paths.tmpDir)).toEqual([]);
    const jobs = await runCli(wsDir, ['--json', 'jobs', 'list']);
    const list = JSON.parse(jobs.output.slice(jobs.output.indexOf('['))) as { kind: string; status: string; error: { code: string; message: string } | null }[];
    expect(list[0]).toMatchObject({ kind: 'data.import', status: 'failed' });
    // Its own code, not INTERNAL: the console and scripts can tell the user to free space.
    expect(list[0]!.error!.code).toBe('DISK_FULL');
    expect(list[0]!.error!.message).toMatch(/No space left on device/);
    expect(list[0]!.error!.message).toMatch(/disk is full/);

    mount('64m', true);
    const again = await runCli(wsDir, ['--json', 'import', big]);
    expect(again.code, again.output.slice(-1500)).toBe(0);
    const summary = JSON.parse(again.output.slice(again.output.indexOf('{'))) as { rows_accepted: number; rows_written: number; rows_duplicate: number };
    const end = await store(ws);
    expect(end.rows).toBe(end.ids);
    expect(end.rows).toBe(before.rows + summary.rows_written);
  });
});
