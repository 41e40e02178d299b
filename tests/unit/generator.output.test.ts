/**
 * runGenerate end to end: CSV and Parquet files (same bytes for the same input, same values as the pure
 * generator), the workspace trip store, progress and cancellation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateInputSchema, type GenerateInput } from '../../src-main/api/contract.js';
import { generateTrips, runGenerate, tripsOfBatch } from '../../src-main/engines/data/generator/index.js';
import { summarizeTripStore, tripStoreFiles } from '../../src-main/engines/data/store.js';
import { inlineContext, type ProgressReport } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { TRIP_COLUMNS, type Trip } from '../../src-main/engines/data/trip.js';
import { tempWorkspace } from '../helpers/workspace.js';

const input = (raw: Record<string, unknown>): GenerateInput => GenerateInputSchema.parse(raw);

let ws: Workspace;
let dir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ workspace: ws, dir, cleanup } = tempWorkspace('taxi-gen-'));
});
afterAll(() => cleanup());

const ctxOf = (onProgress?: (r: ProgressReport) => void, signal?: AbortSignal) => inlineContext(ws, silentLogger(), onProgress, signal);

async function readBack(file: string): Promise<{ rows: Record<string, unknown>[]; types: Record<string, string> }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const rel = file.endsWith('.csv') ? `read_csv('${file}', header = true)` : `read_parquet('${file}')`;
    const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${rel}`)).getRowObjectsJS() as { column_name: string; column_type: string }[];
    const rows = (await conn.runAndReadAll(`SELECT * FROM ${rel}`)).getRowObjectsJS();
    return { rows, types: Object.fromEntries(types.map((t) => [t.column_name, t.column_type])) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** A stored value as the Trip field it came from: timestamps to Date, integers to number. */
function asTripValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  return v;
}

describe('runGenerate to files', () => {
  it('writes Parquet with the trip columns and types, holding what the pure generator makes', async () => {
    const file = path.join(dir, 'out', 'trips.parquet');
    const summary = await runGenerate(input({ rows: 3000, seed: 7, output: file }), ctxOf());
    expect(summary).toMatchObject({ rows: 3000, seed: 7, drift: 'none', output: file, start: '2016-01-01T00:00:00.000Z', end: '2016-12-31T23:59:59.999Z' });
    expect(summary.months).toHaveLength(12);
    const { rows, types } = await readBack(file);
    expect(Object.keys(types)).toEqual(TRIP_COLUMNS.map((c) => c.name));
    for (const c of TRIP_COLUMNS) expect(types[c.name], c.name).toBe(c.sql);
    const expected: Trip[] = [...generateTrips({ rows: 3000, seed: 7 })].flatMap(tripsOfBatch);
    expect(rows).toHaveLength(3000);
    for (let i = 0; i < rows.length; i += 1) {
      const got = Object.fromEntries(Object.entries(rows[i]!).map(([k, v]) => [k, asTripValue(v)]));
      if (i % 500 === 0 || got.trip_id !== expected[i]!.trip_id) expect(got).toEqual(expected[i]);
    }
    expect(rows.map((r) => r.fare_amount)).toEqual(expected.map((t) => t.fare_amount));
    expect(rows.map((r) => (r.pickup_datetime as Date).getTime())).toEqual(expected.map((t) => t.pickup_datetime.getTime()));
    expect(fs.readdirSync(path.dirname(file))).toEqual(['trips.parquet']);
  });

  it('writes CSV, byte-identical for the same input whatever the batch size', async () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    await runGenerate(input({ rows: 5000, seed: 11, drift: 'night_shift', output: a }), ctxOf(), { batchSize: 1000 });
    await runGenerate(input({ rows: 5000, seed: 11, drift: 'night_shift', output: b }), ctxOf(), { batchSize: 4096 });
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
    const text = fs.readFileSync(a, 'utf8').split('\n');
    expect(text[0]).toBe(TRIP_COLUMNS.map((c) => c.name).join(','));
    expect(text[1]!.startsWith('g11-night_shift-0,false,gtaxi-')).toBe(true);
    expect(text.filter((l) => l.length > 0)).toHaveLength(5001);
  });

  it('writes Parquet byte-identical for the same input, different for another seed', async () => {
    const files = ['p1.parquet', 'p2.parquet', 'p3.parquet'].map((f) => path.join(dir, f));
    await runGenerate(input({ rows: 20_000, seed: 3, output: files[0] }), ctxOf(), { batchSize: 3000 });
    await runGenerate(input({ rows: 20_000, seed: 3, output: files[1] }), ctxOf(), { batchSize: 65_536 });
    await runGenerate(input({ rows: 20_000, seed: 4, output: files[2] }), ctxOf());
    const [p1, p2, p3] = files.map((f) => fs.readFileSync(f));
    expect(p1!.equals(p2!)).toBe(true);
    expect(p1!.equals(p3!)).toBe(false);
  });

  it('refuses an output that is neither .csv nor .parquet', async () => {
    await expect(runGenerate(input({ rows: 10, output: path.join(dir, 'x.json') }), ctxOf())).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('reports progress in rows up to the total', async () => {
    const reports: ProgressReport[] = [];
    await runGenerate(input({ rows: 10_000, seed: 1, output: path.join(dir, 'progress.csv') }), ctxOf((r) => reports.push(r)), { batchSize: 2500 });
    const generating = reports.filter((r) => r.message === 'generating');
    expect(generating.map((r) => r.done)).toEqual([2500, 5000, 7500, 10_000]);
    for (const r of generating) expect(r).toMatchObject({ total: 10_000, unit: 'rows' });
  });
});

describe('runGenerate into the trip store', () => {
  it('appends generated trips under their source and skips them when generated again', async () => {
    const s1 = await runGenerate(input({ rows: 4000, seed: 21, start: '2016-03-01', end: '2016-04-30' }), ctxOf());
    expect(s1.output).toBe(ws.paths.tripsDir);
    expect(s1.months).toEqual(['2016-03', '2016-04']);
    const before = await summarizeTripStore(ws);
    expect(before.trips).toBe(4000);
    expect(before.sources).toEqual([{ source: 'generated:21:none', rows: 4000 }]);
    expect(before.months.map((m) => m.month)).toEqual(['2016-03', '2016-04']);
    await runGenerate(input({ rows: 4000, seed: 21, start: '2016-03-01', end: '2016-04-30' }), ctxOf());
    expect((await summarizeTripStore(ws)).trips).toBe(4000);
    // Same seed, other drift: other trips, so they are added rather than taken for duplicates.
    await runGenerate(input({ rows: 1000, seed: 21, start: '2016-03-01', end: '2016-04-30', drift: 'night_shift' }), ctxOf());
    const after = await summarizeTripStore(ws);
    expect(after.trips).toBe(5000);
    expect(after.sources).toContainEqual({ source: 'generated:21:night_shift', rows: 1000 });
  });

  it('stops with CANCELLED when the signal aborts, leaving the store and the output untouched', async () => {
    const filesBefore = tripStoreFiles(ws);
    const storeAbort = new AbortController();
    const cancelAfterFirstBatch = (r: ProgressReport): void => {
      if (r.done > 0) storeAbort.abort();
    };
    await expect(
      runGenerate(input({ rows: 50_000, seed: 99 }), ctxOf(cancelAfterFirstBatch, storeAbort.signal), { batchSize: 5000 }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(tripStoreFiles(ws)).toEqual(filesBefore);

    const fileAbort = new AbortController();
    const out = path.join(dir, 'cancelled', 'never.parquet');
    await expect(
      runGenerate(input({ rows: 50_000, seed: 99, output: out }), ctxOf((r) => r.done > 0 && fileAbort.abort(), fileAbort.signal), { batchSize: 5000 }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(path.dirname(out)) ? fs.readdirSync(path.dirname(out)) : []).toEqual([]);
    // Nothing left behind in the workspace scratch space either.
    expect(fs.readdirSync(ws.paths.tmpDir)).toEqual([]);
  });
});
