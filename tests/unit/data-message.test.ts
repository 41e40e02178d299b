import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImportInputSchema } from '../../src-main/api/contract.js';
import { importTrips, splitCsvLine } from '../../src-main/engines/data/import.js';
import { md5Hex, pseudoTaxiId, pseudoTaxiIdSql } from '../../src-main/engines/data/layouts.js';
import { parseTimestampText, parseTripMessage, tripToMessage } from '../../src-main/engines/data/message.js';
import { checkRecord, RULES } from '../../src-main/engines/data/rules.js';
import type { Trip } from '../../src-main/engines/data/trip.js';
import { ValidationSchema } from '../../src-main/platform/config.js';
import { openEngineDb, queryRows, sqlString } from '../../src-main/platform/duckdb.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { initWorkspace } from '../../src-main/platform/workspace.js';

const RULES_CONFIG = ValidationSchema.parse({});
const GUIDE_MESSAGE = {
  trip_id: 'trip_001',
  pickup_datetime: '2024-01-01T10:00:00Z',
  dropoff_datetime: '2024-01-01T10:30:00Z',
  pickup_latitude: 41.88,
  pickup_longitude: -87.63,
  dropoff_latitude: 41.89,
  dropoff_longitude: -87.62,
  passenger_count: 2,
  trip_distance: 3.5,
  fare_amount: 12.5,
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function parseOk(value: unknown): Trip {
  const r = parseTripMessage(value, RULES_CONFIG);
  if (!r.ok) throw new Error(`expected a valid message, got ${JSON.stringify(r.errors)}`);
  return r.trip;
}

function parseErrors(value: unknown): { field: string; reason: string; message: string }[] {
  const r = parseTripMessage(value, RULES_CONFIG);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

describe('parseTripMessage', () => {
  it("parses the platform guide's example message", () => {
    const trip = parseOk(GUIDE_MESSAGE);
    expect(trip).toEqual({
      trip_id: 'trip_001',
      trip_id_derived: false,
      taxi_id: trip.taxi_id,
      taxi_id_derived: true,
      pickup_datetime: new Date('2024-01-01T10:00:00Z'),
      dropoff_datetime: new Date('2024-01-01T10:30:00Z'),
      pickup_latitude: 41.88,
      pickup_longitude: -87.63,
      dropoff_latitude: 41.89,
      dropoff_longitude: -87.62,
      pickup_community_area: null,
      dropoff_community_area: null,
      passenger_count: 2,
      trip_distance: 3.5,
      trip_seconds: 1800,
      fare_amount: 12.5,
      tips: null,
      tolls: null,
      extras: null,
      trip_total: null,
      payment_type: null,
      company: null,
    });
    expect(trip.taxi_id).toMatch(/^d-[0-9a-f]{6}-\d{1,2}$/);
    // The same message gives the same pseudo taxi.
    expect(parseOk({ ...GUIDE_MESSAGE }).taxi_id).toBe(trip.taxi_id);
  });

  it('parses the JSON text of the guide message too (numbers as written, 12.50)', () => {
    const text =
      '{"trip_id":"trip_001","pickup_datetime":"2024-01-01T10:00:00Z","dropoff_datetime":"2024-01-01T10:30:00Z","pickup_latitude":41.88,"pickup_longitude":-87.63,"dropoff_latitude":41.89,"dropoff_longitude":-87.62,"passenger_count":2,"trip_distance":3.5,"fare_amount":12.50}';
    expect(parseOk(JSON.parse(text)).fare_amount).toBe(12.5);
  });

  it('round-trips through tripToMessage, keeping given ids and flags', () => {
    const trip = parseOk({ ...GUIDE_MESSAGE, taxi_id: 'taxi-7', company: 'Flash Cab', tips: 2, payment_type: 'Credit Card', pickup_community_area: 8 });
    expect(trip.taxi_id_derived).toBe(false);
    const message = tripToMessage(trip);
    expect(message.pickup_datetime).toBe('2024-01-01T10:00:00.000Z');
    expect(JSON.parse(JSON.stringify(message))).toEqual(message);
    expect(parseOk(JSON.parse(JSON.stringify(message)))).toEqual(trip);
    const derived = parseOk(GUIDE_MESSAGE);
    expect(parseOk(tripToMessage(derived))).toEqual(derived);
  });

  it('derives the dropoff from trip_seconds, and trip_seconds from the times', () => {
    const { dropoff_datetime: _d, ...noDropoff } = GUIDE_MESSAGE;
    expect(parseOk({ ...noDropoff, trip_seconds: 600 }).dropoff_datetime).toEqual(new Date('2024-01-01T10:10:00Z'));
    expect(parseOk(GUIDE_MESSAGE).trip_seconds).toBe(1800);
  });

  it('accepts numbers written as text, times without a zone (UTC), unix seconds and portal dates', () => {
    const trip = parseOk({ ...GUIDE_MESSAGE, fare_amount: '12.50', pickup_datetime: '2024-01-01 10:00:00', dropoff_datetime: 1704105000 });
    expect(trip.fare_amount).toBe(12.5);
    expect(trip.pickup_datetime).toEqual(new Date('2024-01-01T10:00:00Z'));
    expect(trip.dropoff_datetime).toEqual(new Date('2024-01-01T10:30:00Z'));
    expect(parseTimestampText('01/31/2016 11:45:00 PM')).toEqual(new Date('2016-01-31T23:45:00Z'));
    expect(parseTimestampText('2016-01-31T23:45:00+01:00')).toEqual(new Date('2016-01-31T22:45:00Z'));
    expect(parseTimestampText('2016-02-30T10:00:00')).toBeNull();
    expect(parseTimestampText('tomorrow')).toBeNull();
  });

  it('names the field of every problem', () => {
    const errors = parseErrors({
      ...GUIDE_MESSAGE,
      fare_amount: 'twelve',
      pickup_latitude: 45.1,
      passenger_count: 11,
      dropoff_datetime: '2024-01-01T09:00:00Z',
    });
    expect(errors.map((e) => [e.field, e.reason])).toEqual([
      ['fare_amount', 'not_a_number'],
      ['fare_amount', 'missing_required'],
      ['dropoff_datetime', 'dropoff_before_pickup'],
      ['trip_seconds', 'out_of_range'],
      ['passenger_count', 'out_of_range'],
      ['pickup_latitude', 'outside_chicago'],
    ]);
    expect(errors[0]!.message).toBe('fare_amount "twelve" is not a number');
    expect(errors[2]!.message).toBe('dropoff_datetime "2024-01-01T09:00:00Z" is before pickup_datetime "2024-01-01T10:00:00Z"');
  });

  it('reports missing and mistyped fields by name', () => {
    const { trip_id: _t, pickup_datetime: _p, ...rest } = GUIDE_MESSAGE;
    expect(parseErrors(rest).map((e) => [e.field, e.reason])).toEqual([
      ['trip_id', 'missing_required'],
      ['pickup_datetime', 'missing_required'],
    ]);
    expect(parseErrors({ ...GUIDE_MESSAGE, pickup_latitude: true }).map((e) => [e.field, e.reason])).toEqual([['pickup_latitude', 'invalid_type']]);
    expect(parseErrors({ ...GUIDE_MESSAGE, pickup_longitude: null }).map((e) => [e.field, e.reason])).toEqual([
      ['pickup_latitude', 'unpaired_coordinate'],
    ]);
    expect(parseErrors({ ...GUIDE_MESSAGE, pickup_datetime: '2012-06-01T10:00:00Z', dropoff_datetime: null, trip_seconds: 60 })[0]).toMatchObject({
      field: 'pickup_datetime',
      reason: 'bad_timestamp',
    });
    expect(parseErrors('not json')).toEqual([{ field: '(message)', reason: 'invalid_type', message: 'a trip message must be a JSON object' }]);
    expect(parseErrors([1, 2])[0]!.field).toBe('(message)');
  });

  it('uses the configured bounds', () => {
    const tight = ValidationSchema.parse({ max_fare: 10 });
    const r = parseTripMessage(GUIDE_MESSAGE, tight);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual([{ field: 'fare_amount', reason: 'out_of_range', message: 'fare_amount "12.5" is out of range (0 to 10)' }]);
  });
});

describe('one rules table for CSV imports and messages', () => {
  it('every rule has a reason and names the fields it checks', () => {
    for (const r of RULES) {
      expect(r.fields.length).toBeGreaterThan(0);
      expect(typeof r.reason).toBe('string');
    }
  });

  it('gives each rejected TFX row the same first reason as the same trip sent as a message', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-parity-'));
    dirs.push(dir);
    const { workspace } = initWorkspace(dir);
    const file = path.resolve(import.meta.dirname, '../fixtures/data/tfx_traps.csv');
    const s = await importTrips(ImportInputSchema.parse({ path: file }), inlineContext(workspace, silentLogger()));
    const db = await openEngineDb(workspace, { memoryLimit: '256MB' });
    const rejects = await queryRows<{ row_number: string; reason: string }>(db.conn, `SELECT row_number, reason FROM read_csv(${sqlString(s.rejects_file!)}, header = true, all_varchar = true)`);
    db.close();
    const byRow = new Map(rejects.map((r) => [Number(r.row_number), r.reason]));

    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    const header = lines[0]!.split(',');
    lines.slice(1).forEach((line, i) => {
      const cells = splitCsvLine(line);
      const v = Object.fromEntries(header.map((h, j) => [h, cells[j] ?? '']));
      const message = {
        trip_id: `row-${i + 1}`,
        pickup_datetime: v.trip_start_timestamp,
        trip_seconds: v.trip_seconds,
        trip_distance: v.trip_miles,
        fare_amount: v.fare,
        tips: v.tips,
        pickup_latitude: v.pickup_latitude,
        pickup_longitude: v.pickup_longitude,
        dropoff_latitude: v.dropoff_latitude,
        dropoff_longitude: v.dropoff_longitude,
        pickup_community_area: v.pickup_community_area,
        dropoff_community_area: v.dropoff_community_area,
        payment_type: v.payment_type,
        company: v.company,
      };
      const r = parseTripMessage(message, RULES_CONFIG);
      const jsReason = r.ok ? undefined : r.errors[0]!.reason;
      expect([i + 1, jsReason]).toEqual([i + 1, byRow.get(i + 1)]);
    });
  });

  it('checkRecord reports every broken rule in table order', () => {
    const failures = checkRecord(
      { raw: { fare_amount: '-3', tips: 'x' }, parsed: { fare_amount: -3, tips: null } },
      RULES_CONFIG,
    );
    expect(failures.map((f) => [f.field, f.reason])).toEqual([
      ['tips', 'not_a_number'],
      ['pickup_datetime', 'missing_required'],
      ['trip_seconds', 'missing_required'],
      ['trip_distance', 'missing_required'],
      ['fare_amount', 'out_of_range'],
    ]);
  });

  it('computes the same pseudo taxi id in JS and in DuckDB', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-parity-'));
    dirs.push(dir);
    const { workspace } = initWorkspace(dir);
    const db = await openEngineDb(workspace, { memoryLimit: '256MB' });
    try {
      for (const [company, key] of [
        ['Flash Cab', 'trip_001'],
        [null, 'x'],
        ['Chicago Elite Cab Corp. (Chicago Carriag', 'ünïcödé'],
      ] as const) {
        const [row] = await queryRows<{ id: string }>(
          db.conn,
          `SELECT ${pseudoTaxiIdSql('c', 'md5(k)')} AS id FROM (SELECT $1::VARCHAR AS c, $2::VARCHAR AS k)`,
          [company, key],
        );
        expect(row!.id).toBe(pseudoTaxiId(company, md5Hex(key)));
      }
    } finally {
      db.close();
    }
  });
});
