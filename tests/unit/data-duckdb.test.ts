import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngineDb, queryOne, queryRows, runMonitored, sqlIdent, sqlString, toNumber, type EngineDb } from '../../src-main/platform/duckdb.js';
import { AppError } from '../../src-main/platform/errors.js';
import { initWorkspace, type Workspace } from '../../src-main/platform/workspace.js';

let dir: string;
let ws: Workspace;
let csv: string;
const ROWS = 400_000;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-duckdb-test-'));
  ws = initWorkspace(path.join(dir, 'ws')).workspace;
  csv = path.join(dir, 'ordered.csv');
  const lines = ['i,payload'];
  // ~40 MB: DuckDB gives each thread 8 MB of the file, so 4 threads really read in parallel.
  for (let i = 0; i < ROWS; i++) lines.push(`${i},${(i * 7919) % 1000}-${'x'.repeat(i % 200)}`);
  fs.writeFileSync(csv, `${lines.join('\n')}\n`);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function withDb<T>(threads: number, work: (db: EngineDb) => Promise<T>): Promise<T> {
  const db = await openEngineDb(ws, { threads, memoryLimit: '512MB' });
  try {
    return await work(db);
  } finally {
    db.close();
  }
}

const read = (file: string): string =>
  `read_csv(${sqlString(file)}, header = true, auto_detect = false, columns = {'i': 'VARCHAR', 'payload': 'VARCHAR'}, store_rejects = true)`;

describe('row order of a multi-threaded CSV read (how imports number rows)', () => {
  for (const threads of [1, 4]) {
    it(`row_number() OVER () follows the file order (${threads} threads)`, async () => {
      const bad = await withDb(threads, async ({ conn }) => {
        const r = await queryOne<{ bad: bigint }>(
          conn,
          `SELECT count(*) FILTER (WHERE rn - 1 <> CAST(i AS BIGINT)) AS bad FROM (SELECT i, row_number() OVER () AS rn FROM ${read(csv)})`,
        );
        return toNumber(r.bad);
      });
      expect(bad).toBe(0);
    });

    it(`the rowid of an order-preserving CREATE TABLE AS follows the file order (${threads} threads)`, async () => {
      const bad = await withDb(threads, async ({ conn }) => {
        await conn.run(`CREATE TEMP TABLE t AS SELECT i, md5(payload) AS h FROM ${read(csv)} WHERE payload <> ''`);
        const r = await queryOne<{ bad: bigint; n: bigint }>(conn, `SELECT count(*) FILTER (WHERE rowid <> CAST(i AS BIGINT)) AS bad, count(*) AS n FROM t`);
        expect(toNumber(r.n)).toBe(ROWS);
        return toNumber(r.bad);
      });
      expect(bad).toBe(0);
    });
  }
});

describe('engine DuckDB', () => {
  it('spills under the workspace tmp folder and removes its folder on close', async () => {
    const db = await openEngineDb(ws, { memoryLimit: '300MB', threads: 2 });
    expect(path.dirname(db.tempDir)).toBe(ws.paths.tmpDir);
    const settings = await queryRows<{ name: string; value: string }>(
      db.conn,
      `SELECT name, value FROM duckdb_settings() WHERE name IN ('temp_directory', 'threads', 'preserve_insertion_order') ORDER BY name`,
    );
    expect(settings).toEqual([
      { name: 'preserve_insertion_order', value: 'true' },
      { name: 'temp_directory', value: db.tempDir },
      { name: 'threads', value: '2' },
    ]);
    db.close();
    db.close();
    expect(fs.existsSync(db.tempDir)).toBe(false);
  });

  it('escapes identifiers and literals', async () => {
    await withDb(1, async ({ conn }) => {
      const name = `we"ird ' name`;
      const text = `it's "quoted"; DROP TABLE x; --`;
      const [row] = await queryRows<Record<string, string>>(conn, `SELECT ${sqlString(text)} AS ${sqlIdent(name)}`);
      expect(row).toEqual({ [name]: text });
      expect(() => sqlString('a\0b')).toThrow(AppError);
    });
  });

  it('interrupts a running statement on abort and says CANCELLED', async () => {
    await withDb(2, async ({ conn }) => {
      const ac = new AbortController();
      const seen: number[] = [];
      const run = runMonitored(conn, `CREATE TEMP TABLE big AS SELECT a.i * b.i AS x FROM range(200000) a(i), range(2000) b(i)`, {
        signal: ac.signal,
        what: 'test query',
        intervalMs: 20,
        onProgress: (p) => {
          seen.push(p.rows);
          ac.abort();
        },
      });
      const e = await run.then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('CANCELLED');
      expect((e as AppError).message).toBe('test query was cancelled');
      expect(seen.length).toBeGreaterThan(0);
    });
  });
});
