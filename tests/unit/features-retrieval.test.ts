import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateInputSchema } from '../../src-main/api/contract.js';
import { runGenerate } from '../../src-main/engines/data/generator/index.js';
import { featureViewOf } from '../../src-main/engines/features/definitions.js';
import { partitionDirOf, viewColumnsOf, viewRelationSql } from '../../src-main/engines/features/offline.js';
import { getHistoricalFeatures, type EntityRow } from '../../src-main/engines/features/retrieval.js';
import { transformFeatures } from '../../src-main/engines/features/transform.js';
import { openEngineDb, queryRows, sqlString } from '../../src-main/platform/duckdb.js';
import { AppError } from '../../src-main/platform/errors.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { tempWorkspace } from '../helpers/workspace.js';

const ms = (iso: string): number => Date.parse(`${iso}Z`);

interface FeatureRow {
  key: string | number;
  event: string;
  created: string;
  values: Record<string, string | number | null>;
}

let fileSeq = 0;

/** Writes feature rows straight into a view's offline layout, one file per date, as a push or a backfill would. */
async function writeViewRows(ws: Workspace, viewName: string, rows: readonly FeatureRow[]): Promise<void> {
  const view = featureViewOf(ws.config, viewName);
  const cols = viewColumnsOf(view);
  const db = await openEngineDb(ws, { memoryLimit: '256MB', threads: 1 });
  try {
    await db.conn.run(`CREATE TABLE r (${cols.map((c) => `"${c.name}" ${c.sql}`).join(', ')})`);
    for (const row of rows) {
      const values = [row.key, row.event, row.created, ...view.features.map((f) => row.values[f.name] ?? null)];
      await db.conn.run(`INSERT INTO r VALUES (${cols.map((c, i) => `CAST($${i + 1} AS ${c.sql})`).join(', ')})`, values);
    }
    for (const date of new Set(rows.map((r) => r.event.slice(0, 10)))) {
      const dir = partitionDirOf(ws, viewName, date);
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `test-${++fileSeq}.parquet`);
      await db.conn.run(`COPY (SELECT * FROM r WHERE strftime(event_timestamp, '%Y-%m-%d') = ${sqlString(date)}) TO ${sqlString(file)} (FORMAT parquet)`);
    }
  } finally {
    db.close();
  }
}

function errorOf(p: Promise<unknown>): Promise<AppError> {
  return p.then(
    () => {
      throw new Error('expected an error');
    },
    (e: unknown) => {
      if (e instanceof AppError) return e;
      throw e;
    },
  );
}

describe('point-in-time retrieval', () => {
  let ws: Workspace;
  let cleanup: () => void;
  let dir: string;

  beforeAll(async () => {
    ({ workspace: ws, cleanup, dir } = tempWorkspace('taxi-fr-'));
    const day1 = '2016-05-02T00:00:00';
    await writeViewRows(ws, 'taxi_activity', [
      { key: 'T1', event: '2016-05-01T10:00:00', created: day1, values: { trips_1h: 1, avg_fare_7d: 10.5 } },
      { key: 'T1', event: '2016-05-01T12:00:00', created: day1, values: { trips_1h: 2, avg_fare_7d: 12.5 } },
      { key: 'T1', event: '2016-05-01T14:00:00', created: day1, values: { trips_1h: 4 } },
      { key: 'T2', event: '2016-05-01T08:00:00', created: day1, values: { trips_1h: 9 } },
    ]);
    // Late-arriving: an older event written days later, in its own file.
    await writeViewRows(ws, 'taxi_activity', [{ key: 'T1', event: '2016-05-01T11:00:00', created: '2016-05-05T00:00:00', values: { trips_1h: 3 } }]);
    // The same event time written again, later (wins) and earlier (loses).
    await writeViewRows(ws, 'taxi_activity', [{ key: 'T1', event: '2016-05-01T14:00:00', created: '2016-05-03T00:00:00', values: { trips_1h: 5 } }]);
    await writeViewRows(ws, 'taxi_activity', [{ key: 'T1', event: '2016-05-01T14:00:00', created: '2016-05-01T20:00:00', values: { trips_1h: 6 } }]);
    await writeViewRows(ws, 'area_demand', [{ key: 8, event: '2016-05-01T11:00:00', created: day1, values: { trips_1h: 7, avg_fare_1h: 9.5 } }]);
    await writeViewRows(ws, 'trip_features', [
      { key: 'x1', event: '2016-05-01T12:00:00', created: day1, values: { pickup_hour: 12, company: 'Flash Cab', trip_distance: 2.5 } },
    ]);
  });
  afterAll(() => cleanup());

  const trips1h = async (entities: EntityRow[]): Promise<(number | null)[]> => {
    const r = await getHistoricalFeatures({ entities, features: ['taxi_activity:trips_1h'] }, { workspace: ws });
    return r.rows!.map((row) => row.taxi_activity__trips_1h as number | null);
  };

  it('takes the latest row at or before each entity time', async () => {
    expect(
      await trips1h([
        { taxi_id: 'T1', event_timestamp: '2016-05-01T10:00:00' },
        { taxi_id: 'T1', event_timestamp: '2016-05-01T10:30:00' },
        { taxi_id: 'T1', event_timestamp: '2016-05-01T12:30:00' },
        { taxi_id: 'T1', event_timestamp: '2016-05-01T09:59:59' },
      ]),
    ).toEqual([1, 1, 2, null]);
  });

  it('serves a value exactly ttl old, and not one a second older', async () => {
    // taxi_activity's ttl is 1 day; T1's last event is 2016-05-01 14:00.
    expect(
      await trips1h([
        { taxi_id: 'T1', event_timestamp: '2016-05-02T14:00:00' },
        { taxi_id: 'T1', event_timestamp: '2016-05-02T14:00:01' },
        { taxi_id: 'T1', event_timestamp: '2016-05-02T14:00:00.001' },
      ]),
    ).toEqual([5, null, null]);
  });

  it('uses late-arriving data for the times it covers and no others', async () => {
    // The 11:00 row arrived last but is older than the 12:00 one.
    expect(
      await trips1h([
        { taxi_id: 'T1', event_timestamp: '2016-05-01T11:30:00' },
        { taxi_id: 'T1', event_timestamp: '2016-05-01T12:30:00' },
      ]),
    ).toEqual([3, 2]);
  });

  it('breaks ties of event time on the latest created time', async () => {
    expect(await trips1h([{ taxi_id: 'T1', event_timestamp: '2016-05-01T14:00:00' }])).toEqual([5]);
    expect(await trips1h([{ taxi_id: 'T1', event_timestamp: '2016-05-01T15:00:00' }])).toEqual([5]);
  });

  it('keeps entity rows without data, with nulls, in the order given', async () => {
    const r = await getHistoricalFeatures(
      {
        entities: [
          { taxi_id: 'NOBODY', event_timestamp: '2016-05-01T12:00:00' },
          { taxi_id: 'T2', event_timestamp: '2016-05-01T08:30:00' },
          { taxi_id: null, event_timestamp: '2016-05-01T12:00:00' },
          { taxi_id: 'T1', event_timestamp: '2016-05-01T10:00:00' },
        ],
        features: ['taxi_activity:trips_1h', 'taxi_activity:avg_fare_7d'],
      },
      { workspace: ws },
    );
    expect(r.row_count).toBe(4);
    expect(r.rows!.map((x) => [x.taxi_id, x.taxi_activity__trips_1h, x.taxi_activity__avg_fare_7d])).toEqual([
      ['NOBODY', null, null],
      ['T2', 9, null],
      [null, null, null],
      ['T1', 1, 10.5],
    ]);
  });

  it('joins several views at once, each with its own key and ttl, and keeps extra columns', async () => {
    const r = await getHistoricalFeatures(
      {
        entities: [
          { trip_id: 'x1', taxi_id: 'T1', pickup_community_area: 8, event_timestamp: '2016-05-01T12:30:00', fare: 11.5 },
          // area_demand's ttl is 2 h: 13:00 is exactly 2 h after its row, 13:00:01 is past it.
          { trip_id: 'x1', taxi_id: 'T1', pickup_community_area: 8, event_timestamp: '2016-05-01T13:00:00', fare: 3 },
          { trip_id: 'x2', taxi_id: 'T2', pickup_community_area: 8, event_timestamp: '2016-05-01T13:00:01', fare: null },
        ],
        features: ['trip_features:pickup_hour', 'trip_features:company', 'taxi_activity:trips_1h', 'area_demand:trips_1h', 'area_demand:avg_fare_1h'],
      },
      { workspace: ws },
    );
    expect(r.columns.map((c) => c.name)).toEqual([
      'trip_id',
      'taxi_id',
      'pickup_community_area',
      'event_timestamp',
      'fare',
      'trip_features__pickup_hour',
      'trip_features__company',
      'taxi_activity__trips_1h',
      'area_demand__trips_1h',
      'area_demand__avg_fare_1h',
    ]);
    expect(r.columns.find((c) => c.name === 'area_demand__trips_1h')).toEqual({ name: 'area_demand__trips_1h', type: 'INTEGER', feature: 'area_demand:trips_1h' });
    expect(r.rows).toEqual([
      {
        trip_id: 'x1',
        taxi_id: 'T1',
        pickup_community_area: 8,
        event_timestamp: ms('2016-05-01T12:30:00'),
        fare: 11.5,
        trip_features__pickup_hour: 12,
        trip_features__company: 'Flash Cab',
        taxi_activity__trips_1h: 2,
        area_demand__trips_1h: 7,
        area_demand__avg_fare_1h: 9.5,
      },
      expect.objectContaining({ trip_features__pickup_hour: 12, taxi_activity__trips_1h: 2, area_demand__trips_1h: 7, fare: 3 }),
      expect.objectContaining({ trip_features__pickup_hour: null, taxi_activity__trips_1h: 9, area_demand__trips_1h: null, fare: null }),
    ]);
  });

  it('uses bare names when asked and they do not clash, and refuses when they do', async () => {
    const r = await getHistoricalFeatures(
      { entities: [{ taxi_id: 'T1', pickup_community_area: 8, event_timestamp: '2016-05-01T12:00:00' }], features: ['taxi_activity:trips_1h', 'area_demand:avg_fare_1h'], full_feature_names: false },
      { workspace: ws },
    );
    expect(r.rows).toEqual([{ taxi_id: 'T1', pickup_community_area: 8, event_timestamp: ms('2016-05-01T12:00:00'), trips_1h: 2, avg_fare_1h: 9.5 }]);
    const e = await errorOf(
      getHistoricalFeatures(
        { entities: [{ taxi_id: 'T1', pickup_community_area: 8, event_timestamp: '2016-05-01T12:00:00' }], features: ['taxi_activity:trips_1h', 'area_demand:trips_1h'], full_feature_names: false },
        { workspace: ws },
      ),
    );
    expect(e.message).toBe('feature area_demand:trips_1h would be column "trips_1h", which is already taxi_activity:trips_1h; use full feature names (view__feature)');
  });

  it('reads entities from CSV and Parquet and writes CSV and Parquet atomically', async () => {
    const csv = path.join(dir, 'entities.csv');
    fs.writeFileSync(csv, 'taxi_id,event_timestamp,label\nT1,2016-05-01 11:30:00,1.5\nNOBODY,2016-05-01T12:00:00Z,2\nT1,2016-05-01T16:00:00+02:00,3\n');
    const fromCsv = await getHistoricalFeatures({ entities: { csv }, features: ['taxi_activity:trips_1h'] }, { workspace: ws });
    // +02:00 is converted: 16:00+02:00 is 14:00 in the store's UTC-labelled time.
    expect(fromCsv.rows!.map((r) => [r.taxi_id, r.label, r.taxi_activity__trips_1h])).toEqual([
      ['T1', 1.5, 3],
      ['NOBODY', 2, null],
      ['T1', 3, 5],
    ]);

    const parquet = path.join(dir, 'entities.parquet');
    const out = path.join(dir, 'out', 'training.parquet');
    const outCsv = path.join(dir, 'out', 'training.csv');
    const db = await openEngineDb(ws, { memoryLimit: '256MB', threads: 1 });
    try {
      await db.conn.run(`COPY (SELECT * FROM read_csv(${sqlString(csv)}, header = true) ) TO ${sqlString(parquet)} (FORMAT parquet)`);
      const written = await getHistoricalFeatures({ entities: { parquet }, features: ['taxi_activity:trips_1h'], output: { parquet: out } }, { workspace: ws, conn: db.conn });
      expect(written).toMatchObject({ row_count: 3, output: out });
      expect(written.rows).toBeUndefined();
      const back = await queryRows(db.conn, `SELECT taxi_id, taxi_activity__trips_1h AS v FROM read_parquet(${sqlString(out)})`);
      expect(back.map((b) => [b.taxi_id, b.v])).toEqual([
        ['T1', 3],
        ['NOBODY', null],
        ['T1', 5],
      ]);
      const partial = await errorOf(
        getHistoricalFeatures({ entities: { csv }, features: { feature_service: 'fare_model' }, output: { csv: outCsv } }, { workspace: ws, conn: db.conn }),
      );
      expect(partial.message).toBe(`${csv}: missing columns trip_id, pickup_community_area (have: taxi_id, event_timestamp, label)`);
      const full = path.join(dir, 'trips.csv');
      fs.writeFileSync(full, 'trip_id,taxi_id,pickup_community_area,event_timestamp,fare\nx1,T1,8,2016-05-01T12:30:00,11.5\nx9,T1,,2016-05-01T12:30:00,4\n');
      await getHistoricalFeatures({ entities: { csv: full }, features: { feature_service: 'fare_model' }, output: { csv: outCsv } }, { workspace: ws, conn: db.conn });
      const lines = fs.readFileSync(outCsv, 'utf8').trim().split('\n');
      const header = lines[0]!.split(',');
      expect(header.slice(0, 6)).toEqual(['trip_id', 'taxi_id', 'pickup_community_area', 'event_timestamp', 'fare', 'trip_features__trip_distance']);
      expect(header).toHaveLength(5 + 17);
      const first = Object.fromEntries(header.map((h, i) => [h, lines[1]!.split(',')[i]]));
      expect(first).toMatchObject({ trip_id: 'x1', trip_features__company: 'Flash Cab', taxi_activity__trips_1h: '2', area_demand__avg_fare_1h: '9.5' });
      expect(lines).toHaveLength(3);
    } finally {
      db.close();
    }
    expect(fs.readdirSync(path.join(dir, 'out')).sort()).toEqual(['training.csv', 'training.parquet']);
  });

  it('names the column and row of a wrong entity value', async () => {
    const list = await errorOf(
      getHistoricalFeatures(
        { entities: [{ taxi_id: 'T1', event_timestamp: '2016-05-01' }, { taxi_id: 17, event_timestamp: '2016-05-01' }], features: ['taxi_activity:trips_1h'] },
        { workspace: ws },
      ),
    );
    expect(list.code).toBe('INVALID_INPUT');
    expect(list.message).toBe('entities[1]: column taxi_id: expected a string (entity key taxi_id is string), got number 17');
    expect(list.details).toMatchObject({ column: 'taxi_id', row: 1 });

    const area = await errorOf(
      getHistoricalFeatures({ entities: [{ pickup_community_area: '8', event_timestamp: '2016-05-01' }], features: ['area_demand:trips_1h'] }, { workspace: ws }),
    );
    expect(area.message).toBe('entities[0]: column pickup_community_area: expected a 32-bit integer (entity key pickup_community_area is int), got "8"');

    const time = await errorOf(getHistoricalFeatures({ entities: [{ taxi_id: 'T1', event_timestamp: 'tuesday' }], features: ['taxi_activity:trips_1h'] }, { workspace: ws }));
    expect(time.message).toMatch(/^entities\[0\]: column event_timestamp: expected a date-time/);
    const missing = await errorOf(getHistoricalFeatures({ entities: [{ taxi_id: 'T1' }], features: ['taxi_activity:trips_1h'] }, { workspace: ws }));
    expect(missing.message).toMatch(/^entities\[0\]: column event_timestamp: expected a date-time .* got null$/);

    const csv = path.join(dir, 'bad.csv');
    fs.writeFileSync(csv, 'pickup_community_area,event_timestamp\n8,2016-05-01\n8.5,2016-05-01\n');
    const fromCsv = await errorOf(getHistoricalFeatures({ entities: { csv }, features: ['area_demand:trips_1h'] }, { workspace: ws }));
    expect(fromCsv.message).toBe(`${csv}: line 3: column pickup_community_area: expected a 32-bit integer (entity key pickup_community_area is int), got "8.5"`);

    fs.writeFileSync(csv, 'taxi_id,when\nT1,2016-05-01\n');
    const noTime = await errorOf(getHistoricalFeatures({ entities: { csv }, features: ['taxi_activity:trips_1h'] }, { workspace: ws }));
    expect(noTime.message).toBe(`${csv}: missing column event_timestamp (have: taxi_id, when)`);
    const renamed = await getHistoricalFeatures({ entities: { csv }, features: ['taxi_activity:trips_1h'], timestamp_column: 'when' }, { workspace: ws });
    expect(renamed.rows).toEqual([{ taxi_id: 'T1', when: ms('2016-05-01T00:00:00'), taxi_activity__trips_1h: null }]);

    fs.writeFileSync(csv, 'taxi_id,event_timestamp\nT1,2016-05-01\nT1,not a time\n');
    expect((await errorOf(getHistoricalFeatures({ entities: { csv }, features: ['taxi_activity:trips_1h'] }, { workspace: ws }))).message).toBe(
      `${csv}: line 3: column event_timestamp: expected a date-time such as 2016-03-01T10:15:00, got "not a time"`,
    );
  });

  it('checks the column types of a Parquet input, and stops when cancelled', async () => {
    const parquet = path.join(dir, 'typed.parquet');
    const db = await openEngineDb(ws, { memoryLimit: '256MB', threads: 1 });
    try {
      await db.conn.run(`COPY (SELECT 17::BIGINT AS taxi_id, TIMESTAMP '2016-05-01 12:00:00' AS event_timestamp) TO ${sqlString(parquet)} (FORMAT parquet)`);
      const e = await errorOf(getHistoricalFeatures({ entities: { parquet }, features: ['taxi_activity:trips_1h'] }, { workspace: ws, conn: db.conn }));
      expect(e.message).toBe(`${parquet}: row 1: column taxi_id: expected a string (entity key taxi_id is string), got "17"`);
      await db.conn.run(`COPY (SELECT 8::BIGINT AS pickup_community_area, TIMESTAMP '2016-05-01 12:00:00' AS event_timestamp) TO ${sqlString(parquet)} (FORMAT parquet)`);
      const ok = await getHistoricalFeatures({ entities: { parquet }, features: ['area_demand:trips_1h'] }, { workspace: ws, conn: db.conn });
      expect(ok.rows).toEqual([{ pickup_community_area: 8, event_timestamp: ms('2016-05-01T12:00:00'), area_demand__trips_1h: 7 }]);
      const abort = new AbortController();
      abort.abort();
      const stopped = await errorOf(getHistoricalFeatures({ entities: { parquet }, features: ['area_demand:trips_1h'] }, { workspace: ws, conn: db.conn, signal: abort.signal }));
      expect(stopped.code).toBe('CANCELLED');
      // Nothing of the call is left in the caller's connection.
      const left = await queryRows(db.conn, `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'entities_%'`);
      expect(left).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('refuses unknown features with close names, clashing columns and missing files', async () => {
    const e = await errorOf(getHistoricalFeatures({ entities: [{ taxi_id: 'T1', event_timestamp: '2016-05-01' }], features: ['taxi_activity:trip_1h'] }, { workspace: ws }));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toContain('did you mean taxi_activity:trips_1h');
    const clash = await errorOf(
      getHistoricalFeatures({ entities: [{ taxi_id: 'T1', event_timestamp: '2016-05-01', taxi_activity__trips_1h: 1 }], features: ['taxi_activity:trips_1h'] }, { workspace: ws }),
    );
    expect(clash.message).toContain('which is already an entity column');
    const none = await errorOf(getHistoricalFeatures({ entities: { parquet: path.join(dir, 'nope.parquet') }, features: ['taxi_activity:trips_1h'] }, { workspace: ws }));
    expect(none.code).toBe('NOT_FOUND');
  });
});

describe('retrieval over transformed trips', () => {
  it('returns, for each trip at its pickup, the rows the transform wrote for that moment', async () => {
    const { workspace: ws, cleanup } = tempWorkspace('taxi-fr-gen-');
    try {
      const ctx = inlineContext(ws, silentLogger());
      await runGenerate(GenerateInputSchema.parse({ rows: 5_000, seed: 5, start: '2016-06-01', end: '2016-06-10' }), ctx);
      await transformFeatures({}, ctx);
      const db = await openEngineDb(ws, { memoryLimit: '512MB' });
      try {
        const trips = await queryRows<{ trip_id: string; taxi_id: string; pickup_community_area: number | null; pickup_datetime: Date }>(
          db.conn,
          `SELECT trip_id, taxi_id, pickup_community_area, pickup_datetime FROM read_parquet('${ws.paths.tripsDir}/*/*.parquet') ORDER BY trip_id LIMIT 400`,
        );
        const entities = trips.map((t) => ({ ...t, event_timestamp: t.pickup_datetime.getTime(), pickup_datetime: undefined }));
        const r = await getHistoricalFeatures({ entities, features: { feature_service: 'fare_model' } }, { workspace: ws, conn: db.conn });
        const taxi = await queryRows<{ taxi_id: string; t: Date; n: number }>(
          db.conn,
          `SELECT taxi_id, event_timestamp AS t, trips_24h AS n FROM ${viewRelationSql(ws, featureViewOf(ws.config, 'taxi_activity'))}`,
        );
        const byKey = new Map(taxi.map((x) => [`${x.taxi_id}|${x.t.getTime()}`, x.n]));
        r.rows!.forEach((row, i) => {
          expect(row.trip_id).toBe(trips[i]!.trip_id);
          expect(row.trip_features__pickup_hour).toBe(trips[i]!.pickup_datetime.getUTCHours());
          expect(row.taxi_activity__trips_24h).toBe(byKey.get(`${trips[i]!.taxi_id}|${trips[i]!.pickup_datetime.getTime()}`));
          expect(row.taxi_activity__trips_24h as number).toBeGreaterThanOrEqual(1);
          if (trips[i]!.pickup_community_area !== null) expect(row.area_demand__trips_1h as number).toBeGreaterThanOrEqual(1);
        });
      } finally {
        db.close();
      }
    } finally {
      cleanup();
    }
  });

  it('gives nulls, not an error, for a view with no data yet', async () => {
    const { workspace: ws, cleanup } = tempWorkspace('taxi-fr-empty-');
    try {
      const r = await getHistoricalFeatures({ entities: [{ pickup_community_area: 8, event_timestamp: '2016-05-01' }], features: ['area_demand:*'] }, { workspace: ws });
      expect(r.rows).toEqual([{ pickup_community_area: 8, event_timestamp: ms('2016-05-01T00:00:00'), area_demand__trips_1h: null, area_demand__avg_fare_1h: null, area_demand__avg_trip_seconds_1h: null }]);
    } finally {
      cleanup();
    }
  });
});
