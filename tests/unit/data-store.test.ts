import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { appendTripsFromTable, parseMemorySetting, summarizeTripStore, tripStoreFiles, tripStoreGlob, tripStoreRelation } from '../../src-main/engines/data/store.js';
import { TRIP_COLUMNS } from '../../src-main/engines/data/trip.js';
import { openEngineDb, queryOne, queryRows, sqlIdent, sqlString, toNumber, type EngineDb } from '../../src-main/platform/duckdb.js';
import { AppError } from '../../src-main/platform/errors.js';
import { initWorkspace, type Workspace } from '../../src-main/platform/workspace.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function freshWorkspace(): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-store-test-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return initWorkspace(dir).workspace;
}

async function engine(ws: Workspace): Promise<EngineDb> {
  const db = await openEngineDb(ws, { memoryLimit: '256MB', threads: 2 });
  cleanups.push(() => db.close());
  return db;
}

/** A table shaped like the generator's: TRIP_COLUMNS, `n` trips from `start`, one every 10 minutes. */
async function tripsTable(conn: DuckDBConnection, name: string, n: number, start: string, idPrefix: string): Promise<void> {
  const cols = TRIP_COLUMNS.map((c) => {
    switch (c.name) {
      case 'trip_id':
        return `${sqlString(idPrefix)} || i::VARCHAR`;
      case 'taxi_id':
        return `'taxi-' || (i % 7)::VARCHAR`;
      case 'trip_id_derived':
      case 'taxi_id_derived':
        return 'false';
      case 'pickup_datetime':
        return `TIMESTAMP ${sqlString(start)} + INTERVAL (i * 10) MINUTE`;
      case 'dropoff_datetime':
        return `TIMESTAMP ${sqlString(start)} + INTERVAL (i * 10 + 12) MINUTE`;
      case 'trip_seconds':
        return '720';
      case 'payment_type':
        return "'Cash'";
      case 'company':
        return "'Flash Cab'";
      case 'pickup_latitude':
        return '41.88';
      case 'pickup_longitude':
        return '-87.63';
      default:
        return c.kind === 'int' ? 'NULL' : c.nullable ? 'NULL' : '1.5';
    }
  });
  const select = TRIP_COLUMNS.map((c, i) => `CAST(${cols[i]} AS ${c.sql}) AS ${sqlIdent(c.name)}`).join(', ');
  await conn.run(`CREATE OR REPLACE TABLE ${sqlIdent(name)} AS SELECT ${select} FROM range(${n}) t(i)`);
}

async function storedCount(ws: Workspace, conn: DuckDBConnection): Promise<number> {
  return toNumber((await queryOne<{ n: bigint }>(conn, `SELECT count(*) AS n FROM ${tripStoreRelation(ws)}`)).n);
}

async function expectAppError(p: Promise<unknown>, code: string): Promise<AppError> {
  const e = await p.then(
    () => {
      throw new Error(`expected ${code}`);
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).code).toBe(code);
  return e as AppError;
}

describe('trip store', () => {
  it('an empty store is an empty relation with the store columns', async () => {
    const ws = freshWorkspace();
    const { conn } = await engine(ws);
    expect(tripStoreFiles(ws)).toEqual([]);
    const cols = await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE SELECT * FROM ${tripStoreRelation(ws)}`);
    expect(cols.map((c) => c.column_name)).toEqual([...TRIP_COLUMNS.map((c) => c.name), 'source', 'imported_at', 'month']);
    expect(await storedCount(ws, conn)).toBe(0);
    expect(tripStoreGlob(ws)).toBe(path.join(ws.paths.tripsDir, 'month=*', '*.parquet'));
    const summary = await summarizeTripStore(ws);
    expect(summary).toEqual({
      trips: 0,
      first_pickup: null,
      last_pickup: null,
      months: [],
      sources: [],
      rejects: { files: 0, rows: 0 },
      store_path: ws.paths.tripsDir,
    });
  });

  it('appends a generator-style table into month partitions and skips ids it already holds', async () => {
    const ws = freshWorkspace();
    const { conn } = await engine(ws);
    // 10 minutes apart from Jan 31 22:00: the first 12 are in January, the rest in February.
    await tripsTable(conn, 'gen', 300, '2016-01-31 22:00:00', 'g-');
    const first = await appendTripsFromTable(conn, 'gen', ws, { source: 'generated:42:none' });
    expect(first).toEqual({ written: 300, duplicates: 0, months: ['2016-01', '2016-02'] });
    expect(fs.readdirSync(ws.paths.tripsDir).filter((d) => d.startsWith('month=')).sort()).toEqual(['month=2016-01', 'month=2016-02']);

    const parts = await queryRows<{ month: string; n: bigint }>(conn, `SELECT month, count(*) AS n FROM ${tripStoreRelation(ws)} GROUP BY 1 ORDER BY 1`);
    expect(parts.map((p) => [p.month, toNumber(p.n)])).toEqual([
      ['2016-01', 12],
      ['2016-02', 288],
    ]);
    // The files hold exactly the store columns; the month lives in the folder name.
    const file = tripStoreFiles(ws)[0]!;
    const fileCols = await queryRows<{ column_name: string }>(conn, `DESCRIBE SELECT * FROM read_parquet(${sqlString(file)}, hive_partitioning = false)`);
    expect(fileCols.map((c) => c.column_name)).toEqual([...TRIP_COLUMNS.map((c) => c.name), 'source', 'imported_at']);

    // The caller's connection settings are as they were.
    const settings = await queryRows<{ name: string; value: string }>(
      conn,
      `SELECT name, value FROM duckdb_settings() WHERE name IN ('preserve_insertion_order', 'partitioned_write_flush_threshold') ORDER BY name`,
    );
    expect(settings.map((x) => x.value)).toEqual(['524288', 'true']);

    const again = await appendTripsFromTable(conn, 'gen', ws, { source: 'generated:42:none' });
    expect(again).toEqual({ written: 0, duplicates: 300, months: [] });

    // Half old ids, half new.
    await tripsTable(conn, 'more', 600, '2016-01-31 22:00:00', 'g-');
    const more = await appendTripsFromTable(conn, 'more', ws, { source: 'generated:43:none' });
    expect(more).toEqual({ written: 300, duplicates: 300, months: ['2016-02'] });
    expect(await storedCount(ws, conn)).toBe(600);

    const summary = await summarizeTripStore(ws);
    expect(summary.trips).toBe(600);
    expect(summary.sources).toEqual([
      { source: 'generated:42:none', rows: 300 },
      { source: 'generated:43:none', rows: 300 },
    ]);
    expect(summary.first_pickup).toBe('2016-01-31T22:00:00.000Z');
    expect(summary.months.map((m) => m.month)).toEqual(['2016-01', '2016-02']);
  });

  it('keeps one row per trip id when the table repeats an id', async () => {
    const ws = freshWorkspace();
    const { conn } = await engine(ws);
    await tripsTable(conn, 'a', 5, '2016-05-01 00:00:00', 'x-');
    await conn.run(`INSERT INTO a SELECT * FROM a WHERE trip_id IN ('x-1', 'x-2')`);
    const r = await appendTripsFromTable(conn, 'a', ws, { source: 'dupes' });
    expect(r).toEqual({ written: 5, duplicates: 2, months: ['2016-05'] });
  });

  it('leaves no file behind when cancelled, and nothing half-written is ever visible', async () => {
    const ws = freshWorkspace();
    const { conn } = await engine(ws);
    await tripsTable(conn, 'gen', 1000, '2016-01-01 00:00:00', 'c-');
    const ac = new AbortController();
    ac.abort();
    await expectAppError(appendTripsFromTable(conn, 'gen', ws, { source: 's', signal: ac.signal }), 'CANCELLED');
    expect(tripStoreFiles(ws)).toEqual([]);
    expect(fs.readdirSync(ws.paths.tmpDir).filter((f) => f.startsWith('append-'))).toEqual([]);
    // The lock was released: a normal append goes through.
    expect((await appendTripsFromTable(conn, 'gen', ws, { source: 's' })).written).toBe(1000);
    expect(fs.existsSync(path.join(ws.paths.tripsDir, '.append.lock'))).toBe(false);
    for (const f of tripStoreFiles(ws)) expect(path.basename(f)).toMatch(/^trips-[0-9a-f-]+\.parquet$/);
  });

  it('serialises concurrent appends of the same trips: each id is stored once', async () => {
    const ws = freshWorkspace();
    const a = await engine(ws);
    const b = await engine(ws);
    await tripsTable(a.conn, 't', 2000, '2016-03-01 00:00:00', 'p-');
    await tripsTable(b.conn, 't', 2000, '2016-03-01 00:00:00', 'p-');
    const [ra, rb] = await Promise.all([
      appendTripsFromTable(a.conn, 't', ws, { source: 'a' }),
      appendTripsFromTable(b.conn, 't', ws, { source: 'b' }),
    ]);
    expect(ra.written + rb.written).toBe(2000);
    expect(ra.duplicates + rb.duplicates).toBe(2000);
    expect(await storedCount(ws, a.conn)).toBe(2000);
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const ws = freshWorkspace();
    const { conn } = await engine(ws);
    fs.writeFileSync(path.join(ws.paths.tripsDir, '.append.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, at: Date.now(), token: 'dead' }));
    await tripsTable(conn, 't', 10, '2016-03-01 00:00:00', 'l-');
    expect((await appendTripsFromTable(conn, 't', ws, { source: 's' })).written).toBe(10);
  });

  it('refuses a table without the trip columns, naming them', async () => {
    const ws = freshWorkspace();
    const { conn } = await engine(ws);
    await conn.run('CREATE TABLE bad AS SELECT 1 AS trip_id');
    const e = await expectAppError(appendTripsFromTable(conn, 'bad', ws, { source: 's' }), 'INVALID_INPUT');
    expect(e.message).toContain('pickup_datetime');
  });

  it('counts the rejects files and their rows in the summary', async () => {
    const ws = freshWorkspace();
    fs.writeFileSync(path.join(ws.paths.rejectsDir, 'a.rejects.csv'), 'row_number,column,reason,message,raw_line\n1,fare,not_a_number,"x ""y""",\n2,,malformed_row,m,"a\nb"\n');
    fs.writeFileSync(path.join(ws.paths.rejectsDir, 'b.rejects.csv'), 'row_number,column,reason,message\n7,fare,out_of_range,z\n');
    fs.writeFileSync(path.join(ws.paths.rejectsDir, 'notes.txt'), 'not a rejects file\n');
    const s = await summarizeTripStore(ws);
    expect(s.rejects).toEqual({ files: 2, rows: 3 });
  });
});

describe('parseMemorySetting', () => {
  it("reads DuckDB's memory_limit text", () => {
    expect(parseMemorySetting('143.0 MiB')).toBe(143 * 1024 ** 2);
    expect(parseMemorySetting('2.7 GiB')).toBeCloseTo(2.7 * 1024 ** 3);
    expect(parseMemorySetting('512 bytes')).toBe(512);
    expect(parseMemorySetting('lots')).toBeNull();
  });
});
