import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateInputSchema } from '../../src-main/api/contract.js';
import { runGenerate } from '../../src-main/engines/data/generator/index.js';
import { appendTripsFromTable } from '../../src-main/engines/data/store.js';
import { TRIP_COLUMNS, type Trip } from '../../src-main/engines/data/trip.js';
import { featureViewOf } from '../../src-main/engines/features/definitions.js';
import { listPartitions, viewRelationSql } from '../../src-main/engines/features/offline.js';
import { transformFeatures } from '../../src-main/engines/features/transform.js';
import { openEngineDb, queryRows, toNumber } from '../../src-main/platform/duckdb.js';
import { AppError } from '../../src-main/platform/errors.js';
import { inlineContext, type ProgressReport } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { tempWorkspace } from '../helpers/workspace.js';

type TripInput = Pick<Trip, 'trip_id' | 'taxi_id'> & { pickup: string; seconds: number; area: number | null; fare: number; tips: number | null };

const ms = (iso: string): number => Date.parse(`${iso}Z`);

/** Stores hand-made trips through the trip store's own append. */
async function storeTrips(ws: Workspace, trips: readonly TripInput[]): Promise<void> {
  const db = await openEngineDb(ws, { memoryLimit: '256MB', threads: 1 });
  try {
    await db.conn.run(`CREATE TABLE t (${TRIP_COLUMNS.map((c) => `${c.name} ${c.sql}`).join(', ')})`);
    for (const t of trips) {
      const pickup = new Date(ms(t.pickup));
      const row: Record<string, unknown> = {
        trip_id: t.trip_id,
        trip_id_derived: false,
        taxi_id: t.taxi_id,
        taxi_id_derived: false,
        pickup_datetime: pickup.toISOString().replace('Z', ''),
        dropoff_datetime: new Date(pickup.getTime() + t.seconds * 1000).toISOString().replace('Z', ''),
        pickup_latitude: null,
        pickup_longitude: null,
        dropoff_latitude: null,
        dropoff_longitude: null,
        pickup_community_area: t.area,
        dropoff_community_area: 32,
        passenger_count: 1,
        trip_distance: 2.5,
        trip_seconds: t.seconds,
        fare_amount: t.fare,
        tips: t.tips,
        tolls: null,
        extras: null,
        trip_total: null,
        payment_type: t.tips === null ? 'Cash' : 'Credit Card',
        company: 'Flash Cab',
      };
      const cols = TRIP_COLUMNS.map((c) => c.name);
      await db.conn.run(
        `INSERT INTO t VALUES (${cols.map((_, i) => `CAST($${i + 1} AS ${TRIP_COLUMNS[i]!.sql})`).join(', ')})`,
        cols.map((c) => row[c] as string | number | boolean | null),
      );
    }
    await appendTripsFromTable(db.conn, 't', ws, { source: 'test', uniqueIds: true });
  } finally {
    db.close();
  }
}

async function viewRows(ws: Workspace, viewName: string): Promise<Record<string, unknown>[]> {
  const view = featureViewOf(ws.config, viewName);
  const db = await openEngineDb(ws, { memoryLimit: '512MB' });
  try {
    return await queryRows(db.conn, `SELECT * FROM ${viewRelationSql(ws, view)} ORDER BY 1, event_timestamp`);
  } finally {
    db.close();
  }
}

function filesOf(ws: Workspace, viewName: string): Record<string, string[]> {
  return Object.fromEntries(listPartitions(ws, viewName).map((p) => [p.date, p.files.map((f) => path.basename(f))]));
}

// ---------- an independent computation of the aggregates, from the trips ----------

interface PlainTrip {
  trip_id: string;
  key: string | number;
  pickup: number;
  knownAt: number;
  fare: number;
  tips: number | null;
  seconds: number;
}

function expectedAggregates(trips: readonly PlainTrip[], key: string | number, t: number, defs: { name: string; window: number; kind: 'count' | 'avg_fare' | 'tip_rate' | 'avg_seconds' }[]): Record<string, number | null> {
  const mine = trips.filter((x) => x.key === key);
  const out: Record<string, number | null> = {};
  for (const d of defs) {
    const from = t - d.window * 1000;
    if (d.kind === 'count') {
      out[d.name] = mine.filter((x) => x.pickup >= from && x.pickup <= t).length;
      continue;
    }
    const known = mine.filter((x) => x.knownAt >= from && x.knownAt <= t);
    if (d.kind === 'avg_fare') out[d.name] = known.length ? known.reduce((s, x) => s + x.fare, 0) / known.length : null;
    if (d.kind === 'avg_seconds') out[d.name] = known.length ? known.reduce((s, x) => s + x.seconds, 0) / known.length : null;
    if (d.kind === 'tip_rate') {
      const both = known.filter((x) => x.tips !== null);
      const fares = both.reduce((s, x) => s + x.fare, 0);
      out[d.name] = both.length && fares !== 0 ? both.reduce((s, x) => s + x.tips!, 0) / fares : null;
    }
  }
  return out;
}

const TAXI_DEFS = [
  { name: 'trips_1h', window: 3600, kind: 'count' },
  { name: 'trips_24h', window: 86_400, kind: 'count' },
  { name: 'avg_fare_7d', window: 604_800, kind: 'avg_fare' },
  { name: 'tip_rate_7d', window: 604_800, kind: 'tip_rate' },
] as const;
const AREA_DEFS = [
  { name: 'trips_1h', window: 3600, kind: 'count' },
  { name: 'avg_fare_1h', window: 3600, kind: 'avg_fare' },
  { name: 'avg_trip_seconds_1h', window: 3600, kind: 'avg_seconds' },
] as const;

async function plainTrips(ws: Workspace, key: 'taxi_id' | 'pickup_community_area'): Promise<PlainTrip[]> {
  const db = await openEngineDb(ws, { memoryLimit: '512MB' });
  try {
    const rows = await queryRows<{ trip_id: string; k: string | number; p: Date; d: Date; fare: number; tips: number | null; s: number }>(
      db.conn,
      `SELECT trip_id, ${key} AS k, pickup_datetime AS p, dropoff_datetime AS d, fare_amount AS fare, tips, trip_seconds AS s
       FROM read_parquet('${ws.paths.tripsDir}/*/*.parquet') WHERE ${key} IS NOT NULL`,
    );
    return rows.map((r) => ({
      trip_id: r.trip_id,
      key: typeof r.k === 'bigint' ? Number(r.k) : r.k,
      pickup: r.p.getTime(),
      // A fare is known at dropoff, and never at the moment its own trip starts.
      knownAt: Math.max(r.d.getTime(), r.p.getTime() + 1000),
      fare: r.fare,
      tips: r.tips,
      seconds: r.s,
    }));
  } finally {
    db.close();
  }
}

function expectClose(actual: Record<string, unknown>, expected: Record<string, number | null>, where: string): void {
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name] === null || actual[name] === undefined ? null : toNumber(actual[name]);
    if (want === null) expect(got, `${where} ${name}`).toBeNull();
    else expect(got, `${where} ${name}`).toBeCloseTo(want, 9);
  }
}

/** Rows without created_timestamp, numbers to 12 significant digits. */
function comparable(rows: readonly Record<string, unknown>[]): unknown[] {
  return rows.map(({ created_timestamp: _c, ...rest }) =>
    Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(12)) : v])),
  );
}

// ---------- hand-made trips with known answers ----------

const HAND: TripInput[] = [
  { trip_id: 'a1', taxi_id: 'A', pickup: '2016-03-01T10:00:00', seconds: 600, area: 8, fare: 10, tips: 2 },
  // Picked up the moment a1 is dropped off: a1's fare is known by then.
  { trip_id: 'a2', taxi_id: 'A', pickup: '2016-03-01T10:10:00', seconds: 1200, area: 8, fare: 20, tips: 0 },
  // A zero-second trip: its own fare must not count at its own pickup.
  { trip_id: 'a3', taxi_id: 'A', pickup: '2016-03-01T10:30:00', seconds: 0, area: 8, fare: 30, tips: null },
  { trip_id: 'a4', taxi_id: 'A', pickup: '2016-03-01T11:05:00', seconds: 300, area: 8, fare: 40, tips: 4 },
  { trip_id: 'a5', taxi_id: 'A', pickup: '2016-03-02T10:00:00', seconds: 300, area: 32, fare: 50, tips: 5 },
  // Exactly 7 days after a5 was dropped off: a5 is still inside the window.
  { trip_id: 'a6', taxi_id: 'A', pickup: '2016-03-09T10:05:00', seconds: 300, area: 32, fare: 60, tips: 6 },
  // Two trips of one taxi starting together share one row.
  { trip_id: 'b1', taxi_id: 'B', pickup: '2016-03-01T10:00:00', seconds: 1800, area: 8, fare: 15, tips: 1 },
  { trip_id: 'b2', taxi_id: 'B', pickup: '2016-03-01T10:00:00', seconds: 900, area: 32, fare: 12, tips: 0 },
  // Outside Chicago: no area row, but still a trip row and a taxi row.
  { trip_id: 'c1', taxi_id: 'C', pickup: '2016-03-01T23:59:59', seconds: 60, area: null, fare: 5, tips: null },
];

describe('transform of hand-made trips', () => {
  let ws: Workspace;
  let cleanup: () => void;
  beforeAll(async () => {
    ({ workspace: ws, cleanup } = tempWorkspace('taxi-ft-hand-'));
    await storeTrips(ws, HAND);
    await transformFeatures({}, inlineContext(ws, silentLogger()));
  });
  afterAll(() => cleanup());

  it('writes one row per trip with columns and time parts', async () => {
    const rows = await viewRows(ws, 'trip_features');
    expect(rows.map((r) => r.trip_id)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'b1', 'b2', 'c1']);
    const a4 = rows.find((r) => r.trip_id === 'a4')!;
    // 2016-03-01 is a Tuesday: weekday 1 with 0 = Monday.
    expect(a4).toMatchObject({ pickup_hour: 11, pickup_weekday: 1, pickup_month: 3, pickup_community_area: 8, trip_seconds: 300, payment_type: 'Credit Card' });
    expect((a4.event_timestamp as Date).toISOString()).toBe('2016-03-01T11:05:00.000Z');
    expect(rows.find((r) => r.trip_id === 'c1')!.pickup_community_area).toBeNull();
    expect(new Set(rows.map((r) => (r.created_timestamp as Date).getTime())).size).toBe(1);
  });

  it('computes taxi aggregates as of each pickup, counting fares only once known', async () => {
    const rows = await viewRows(ws, 'taxi_activity');
    const at = (taxi: string, iso: string): Record<string, unknown> => {
      const r = rows.find((x) => x.taxi_id === taxi && (x.event_timestamp as Date).getTime() === ms(iso));
      if (!r) throw new Error(`no row for ${taxi} at ${iso}`);
      return r;
    };
    expectClose(at('A', '2016-03-01T10:00:00'), { trips_1h: 1, trips_24h: 1, avg_fare_7d: null, tip_rate_7d: null }, 'a1');
    expectClose(at('A', '2016-03-01T10:10:00'), { trips_1h: 2, avg_fare_7d: 10, tip_rate_7d: 0.2 }, 'a2');
    expectClose(at('A', '2016-03-01T10:30:00'), { trips_1h: 3, avg_fare_7d: 15, tip_rate_7d: 2 / 30 }, 'a3');
    // [10:05, 11:05] holds a2, a3, a4; a3's null tip keeps its fare out of the tip rate.
    expectClose(at('A', '2016-03-01T11:05:00'), { trips_1h: 3, trips_24h: 4, avg_fare_7d: 20, tip_rate_7d: 2 / 30 }, 'a4');
    // A window's start is inclusive: a1 at exactly 24 h before still counts.
    expectClose(at('A', '2016-03-02T10:00:00'), { trips_1h: 1, trips_24h: 5, avg_fare_7d: 25, tip_rate_7d: 6 / 70 }, 'a5');
    expectClose(at('A', '2016-03-09T10:05:00'), { trips_1h: 1, trips_24h: 1, avg_fare_7d: 50, tip_rate_7d: 0.1 }, 'a6');
    const b = rows.filter((x) => x.taxi_id === 'B');
    expect(b).toHaveLength(1);
    expectClose(b[0]!, { trips_1h: 2, trips_24h: 2, avg_fare_7d: null }, 'b');
    expect(rows).toHaveLength(8);
  });

  it('computes area demand and leaves out trips without an area', async () => {
    const rows = await viewRows(ws, 'area_demand');
    expect(rows.every((r) => r.pickup_community_area !== null)).toBe(true);
    const r = rows.find((x) => x.pickup_community_area === 8 && (x.event_timestamp as Date).getTime() === ms('2016-03-01T10:10:00'))!;
    expectClose(r, { trips_1h: 3, avg_fare_1h: 10, avg_trip_seconds_1h: 600 }, 'area 8 at 10:10');
  });

  it('matches an independent computation on every row', async () => {
    for (const [view, key, defs] of [
      ['taxi_activity', 'taxi_id', TAXI_DEFS],
      ['area_demand', 'pickup_community_area', AREA_DEFS],
    ] as const) {
      const trips = await plainTrips(ws, key);
      for (const row of await viewRows(ws, view)) {
        const k = typeof row[key] === 'bigint' ? Number(row[key]) : (row[key] as string | number);
        expectClose(row, expectedAggregates(trips, k, (row.event_timestamp as Date).getTime(), [...defs]), `${view} ${String(k)}`);
      }
    }
  });
});

// ---------- generated trips: agreement, idempotency, ranges, cancellation ----------

describe('transform of generated trips', () => {
  let ws: Workspace;
  let cleanup: () => void;
  const ctx = (): ReturnType<typeof inlineContext> => inlineContext(ws, silentLogger());

  beforeAll(async () => {
    ({ workspace: ws, cleanup } = tempWorkspace('taxi-ft-gen-'));
    await runGenerate(GenerateInputSchema.parse({ rows: 30_000, seed: 11, start: '2016-03-01', end: '2016-03-20' }), ctx());
  });
  afterAll(() => cleanup());

  it('agrees with the independent computation on a sample of rows', async () => {
    const progress: ProgressReport[] = [];
    const summary = await transformFeatures({}, inlineContext(ws, silentLogger(), (p) => progress.push(p)));
    expect(summary.views.map((v) => v.view)).toEqual(['trip_features', 'taxi_activity', 'area_demand']);
    expect(summary.views[0]!.rows).toBe(30_000);
    expect(summary.views[0]!.partitions).toHaveLength(20);
    expect(progress.some((p) => p.message?.startsWith('area_demand'))).toBe(true);
    expect(progress.at(-1)).toMatchObject({ done: 3, total: 3, unit: 'views' });
    for (const [view, key, defs] of [
      ['taxi_activity', 'taxi_id', TAXI_DEFS],
      ['area_demand', 'pickup_community_area', AREA_DEFS],
    ] as const) {
      const trips = await plainTrips(ws, key);
      const rows = await viewRows(ws, view);
      const sample = rows.filter((_, i) => i % Math.ceil(rows.length / 300) === 0);
      expect(sample.length).toBeGreaterThan(200);
      for (const row of sample) {
        const k = typeof row[key] === 'bigint' ? Number(row[key]) : (row[key] as string | number);
        expectClose(row, expectedAggregates(trips, k, (row.event_timestamp as Date).getTime(), [...defs]), `${view} ${String(k)}`);
      }
      // Area windows see real crowds here, so the check is not only about ones and nulls.
      if (view === 'area_demand') expect(Math.max(...rows.map((r) => toNumber(r.trips_1h)))).toBeGreaterThan(5);
    }
  });

  it('is idempotent: a second run gives the same rows, no duplicates, and replaces its files', async () => {
    const before = await Promise.all(['trip_features', 'taxi_activity', 'area_demand'].map((v) => viewRows(ws, v)));
    const filesBefore = filesOf(ws, 'taxi_activity');
    const second = await transformFeatures({}, ctx());
    const after = await Promise.all(['trip_features', 'taxi_activity', 'area_demand'].map((v) => viewRows(ws, v)));
    expect(after.map((r) => r.length)).toEqual(before.map((r) => r.length));
    expect(comparable(after[1]!)).toEqual(comparable(before[1]!));
    expect(new Set(after[0]!.map((r) => r.trip_id)).size).toBe(after[0]!.length);
    for (const rows of after.slice(1)) {
      const keys = rows.map((r) => `${String(Object.values(r)[0])}|${(r.event_timestamp as Date).getTime()}`);
      expect(new Set(keys).size).toBe(keys.length);
    }
    expect(new Set(after[1]!.map((r) => (r.created_timestamp as Date).toISOString()))).toEqual(new Set([second.created_timestamp]));
    const filesAfter = filesOf(ws, 'taxi_activity');
    expect(Object.keys(filesAfter)).toEqual(Object.keys(filesBefore));
    for (const [date, files] of Object.entries(filesAfter)) {
      expect(files).toHaveLength(filesBefore[date]!.length);
      expect(files.some((f) => filesBefore[date]!.includes(f))).toBe(false);
    }
  });

  it('a range re-run replaces only its whole-day partitions, with the values of a full run', async () => {
    const full = await viewRows(ws, 'taxi_activity');
    const filesBefore = filesOf(ws, 'taxi_activity');
    const s = await transformFeatures({ views: ['taxi_activity', 'area_demand'], start: '2016-03-05T12:00:00', end: '2016-03-07' }, ctx());
    expect(s.start).toBe('2016-03-05T00:00:00.000Z');
    expect(s.end).toBe('2016-03-07T00:00:00.000Z');
    expect(s.views.map((v) => [v.view, v.partitions])).toEqual([
      ['taxi_activity', ['2016-03-05', '2016-03-06']],
      ['area_demand', ['2016-03-05', '2016-03-06']],
    ]);
    const filesAfter = filesOf(ws, 'taxi_activity');
    for (const [date, files] of Object.entries(filesAfter)) {
      const replaced = date === '2016-03-05' || date === '2016-03-06';
      expect(files.some((f) => filesBefore[date]!.includes(f)), date).toBe(!replaced);
    }
    const again = await viewRows(ws, 'taxi_activity');
    expect(again).toHaveLength(full.length);
    // Windows looked back before the range start, so the values equal the full run's (up to float
    // summation order, which depends on the rows a window pass sees).
    expect(comparable(again)).toEqual(comparable(full));
    const created = new Set(again.filter((r) => (r.event_timestamp as Date).toISOString().startsWith('2016-03-05')).map((r) => (r.created_timestamp as Date).toISOString()));
    expect(created).toEqual(new Set([s.created_timestamp]));
  });

  it('a range removes partitions of its days that no longer have rows', async () => {
    const stray = path.join(ws.paths.offlineDir, 'features', 'area_demand', 'date=2016-04-02');
    fs.mkdirSync(stray, { recursive: true });
    fs.copyFileSync(listPartitions(ws, 'area_demand')[0]!.files[0]!, path.join(stray, 'old.parquet'));
    const s = await transformFeatures({ views: ['area_demand'], start: '2016-04-01', end: '2016-04-03' }, ctx());
    expect(s.views[0]).toMatchObject({ rows: 0, partitions: [], removed: ['2016-04-02'] });
    expect(fs.existsSync(stray)).toBe(false);
  });

  it('a cancelled run leaves the old partitions and no staging behind', async () => {
    const filesBefore = filesOf(ws, 'trip_features');
    const abort = new AbortController();
    const cancelling = inlineContext(ws, silentLogger(), (p) => {
      if (p.message?.startsWith('taxi_activity')) abort.abort();
    }, abort.signal);
    const err = await transformFeatures({}, cancelling).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('CANCELLED');
    expect(filesOf(ws, 'trip_features')).toEqual(filesBefore);
    expect(fs.readdirSync(ws.paths.tmpDir).filter((d) => d.startsWith('features-transform-'))).toEqual([]);
    expect(fs.existsSync(path.join(ws.paths.offlineDir, 'features', '.transform.lock'))).toBe(false);
  });

  it('refuses to run beside another transform, and takes over a dead one\'s lock', async () => {
    const lock = path.join(ws.paths.offlineDir, 'features', '.transform.lock');
    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, at: 'now' }));
    const err = await transformFeatures({ views: ['area_demand'] }, ctx()).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('CONFLICT');
    expect((err as AppError).message).toContain(`pid ${process.pid}`);
    fs.writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12_345, at: 'long ago' }));
    await expect(transformFeatures({ views: ['area_demand'], start: '2016-03-01', end: '2016-03-02' }, ctx())).resolves.toMatchObject({ rows: expect.any(Number) });
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('rejects bad input before touching anything', async () => {
    await expect(transformFeatures({ views: ['taxi_activty'] }, ctx())).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('did you mean taxi_activity') });
    await expect(transformFeatures({ start: '2016-03-05', end: '2016-03-01' }, ctx())).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(transformFeatures({ start: 'yesterday' }, ctx())).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('start') });
  });
});

describe('transform of an empty store', () => {
  it('writes nothing and succeeds', async () => {
    const { workspace, cleanup } = tempWorkspace('taxi-ft-empty-');
    try {
      const s = await transformFeatures({}, inlineContext(workspace, silentLogger()));
      expect(s.rows).toBe(0);
      expect(s.views.every((v) => v.partitions.length === 0)).toBe(true);
      expect(await viewRows(workspace, 'taxi_activity')).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
