/**
 * Generator mechanics: seeded determinism, batch-size independence, the samplers, the time range, and
 * the validity of every generated trip.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { calibrationOf, jsonOf, readSample, resolveSamplePath } from '../../scripts/calibrate.js';
import {
  defaultCalibration,
  generateTrips,
  Mulberry32,
  timeRangeOf,
  tripModelOf,
  tripsOfBatch,
  type TripBatch,
} from '../../src-main/engines/data/generator/index.js';
import { AliasTable, InverseCdf } from '../../src-main/engines/data/generator/sampling.js';
import { resourcePath } from '../../src-main/platform/resources.js';

const calibration = defaultCalibration();

function concat(batches: readonly TripBatch[]): Record<string, number[]> {
  const keys = ['pickupS', 'tripSeconds', 'tripMiles', 'fare', 'tips', 'pickupArea', 'dropoffArea', 'pickupPoint', 'dropoffPoint', 'payment', 'company', 'taxi'] as const;
  const out: Record<string, number[]> = {};
  for (const k of keys) out[k] = batches.flatMap((b) => Array.from(b[k].subarray(0, b.length)));
  out.start = batches.map((b) => b.start);
  return out;
}

const run = (seed: number, rows: number, batchSize: number, extra: { start?: string; end?: string } = {}) =>
  [...generateTrips({ rows, seed, ...extra }, calibration, { batchSize })];

describe('determinism', () => {
  it('gives the same rows for the same seed and different rows for another seed', () => {
    const a = concat(run(42, 5000, 1000));
    const b = concat(run(42, 5000, 1000));
    const c = concat(run(43, 5000, 1000));
    expect(a).toEqual(b);
    const samePickup = a.pickupS!.filter((t, i) => t === c.pickupS![i]).length;
    expect(samePickup / 5000).toBeLessThan(0.01);
    expect(a.fare).not.toEqual(c.fare);
  });

  it('does not depend on the batch size, and a shorter run is a prefix of a longer one', () => {
    const whole = concat(run(7, 10_000, 65_536));
    for (const size of [1, 7, 1000, 4096]) {
      const parts = concat(run(7, 10_000, size));
      for (const k of Object.keys(whole)) if (k !== 'start') expect(parts[k], `${k} with batches of ${size}`).toEqual(whole[k]);
    }
    const prefix = concat(run(7, 1234, 500));
    expect(prefix.fare).toEqual(whole.fare!.slice(0, 1234));
  });

  it('reusing one buffer yields the same rows as fresh batches', () => {
    const model = tripModelOf({ rows: 3000, seed: 5 });
    const fresh = concat(run(5, 3000, 512));
    const reused: number[] = [];
    const b = model.allocate(512);
    for (let start = 0; start < 3000; start += 512) {
      model.fill(b, start, Math.min(512, 3000 - start));
      reused.push(...b.fare.subarray(0, b.length));
    }
    expect(reused).toEqual(fresh.fare);
  });
});

describe('samplers', () => {
  it('mulberry32 is uniform enough and reproducible', () => {
    const r = Mulberry32.fromSeed(1);
    const xs = Array.from({ length: 100_000 }, () => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 2);
    const deciles = new Array<number>(10).fill(0);
    for (const x of xs) deciles[Math.floor(x * 10)]! += 1;
    for (const d of deciles) expect(Math.abs(d - 10_000)).toBeLessThan(500);
    const again = Mulberry32.fromSeed(1);
    expect(again.next()).toBe(xs[0]);
  });

  it('alias tables draw each index in proportion to its weight', () => {
    const weights = [5, 0, 1, 3, 1];
    const table = new AliasTable(weights);
    const r = Mulberry32.fromSeed(9);
    const counts = new Array<number>(weights.length).fill(0);
    const n = 200_000;
    for (let i = 0; i < n; i++) counts[table.sample(r.next())]! += 1;
    weights.forEach((w, i) => expect(Math.abs(counts[i]! / n - w / 10)).toBeLessThan(0.005));
    expect(counts[1]).toBe(0);
    expect(() => new AliasTable([0, 0])).toThrow();
  });

  it('inverse CDFs pass through their knots and interpolate between them', () => {
    const cdf = new InverseCdf([0, 0.5, 0.9, 1], [0, 10, 20, 100], 1000);
    expect(cdf.sample(0)).toBe(0);
    expect(cdf.sample(0.5)).toBeCloseTo(10, 9);
    expect(cdf.sample(0.25)).toBeCloseTo(5, 9);
    expect(cdf.sample(0.95)).toBeCloseTo(60, 6);
    expect(cdf.sample(0.9999999)).toBeLessThanOrEqual(100);
  });
});

describe('time range', () => {
  it('defaults to 2016 and takes a date-only end as the whole day', () => {
    const r = timeRangeOf(undefined, undefined);
    expect(new Date(r.startMs).toISOString()).toBe('2016-01-01T00:00:00.000Z');
    expect(new Date(r.endMs).toISOString()).toBe('2016-12-31T23:59:59.999Z');
    expect(r.slotCount).toBe(366 * 96);
  });

  it('rejects an empty or inverted range', () => {
    expect(() => timeRangeOf('2016-02-01', '2016-01-01')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => timeRangeOf('2016-01-01T10:01:00Z', '2016-01-01T10:14:00Z')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('puts every pickup on a 15-minute boundary inside [start, end]', () => {
    const start = '2015-03-01T06:10:00Z';
    const end = '2015-03-07';
    const trips = run(11, 20_000, 4096, { start, end }).flatMap(tripsOfBatch);
    const lo = Date.parse(start);
    const hi = Date.parse('2015-03-07T23:59:59.999Z');
    const outside = trips.map((t) => t.pickup_datetime.getTime()).filter((ms) => ms % 900_000 !== 0 || ms < lo || ms > hi);
    expect(outside).toEqual([]);
    // Every day of the range is used, including the partial first one.
    const days = new Set(trips.map((t) => t.pickup_datetime.toISOString().slice(0, 10)));
    expect(days.size).toBe(7);
  });
});

describe('validity of generated trips', () => {
  const trips = run(3, 50_000, 8192).flatMap(tripsOfBatch);

  /** The ids of trips failing a check: one expect per rule keeps 50k rows fast and failures readable. */
  const failing = (check: (t: (typeof trips)[number], i: number) => boolean): string[] =>
    trips.filter((t, i) => !check(t, i)).slice(0, 5).map((t) => JSON.stringify(t));

  it('has ordered times, sane amounts and unique ids', () => {
    expect(failing((t, i) => t.trip_id === `g3-${i}` && !t.trip_id_derived && !t.taxi_id_derived)).toEqual([]);
    expect(failing((t) => t.dropoff_datetime.getTime() - t.pickup_datetime.getTime() === t.trip_seconds * 1000)).toEqual([]);
    expect(failing((t) => t.trip_seconds >= 0 && t.trip_seconds % 60 === 0)).toEqual([]);
    expect(failing((t) => t.trip_distance >= 0 && t.fare_amount >= 0 && (t.tips ?? 0) >= 0)).toEqual([]);
    expect(failing((t) => Math.round(t.fare_amount * 100) % 5 === 0)).toEqual([]);
    expect(new Set(trips.map((t) => t.trip_id)).size).toBe(trips.length);
  });

  it('keeps coordinates in Chicago, present exactly when the community area is', () => {
    const placed = (area: number | null, lat: number | null, lon: number | null): boolean =>
      area === null
        ? lat === null && lon === null
        : Number.isInteger(area) && area >= 1 && area <= 77 && lat !== null && lon !== null && lat > 41.64 && lat < 42.03 && lon > -87.95 && lon < -87.52;
    expect(failing((t) => placed(t.pickup_community_area, t.pickup_latitude, t.pickup_longitude))).toEqual([]);
    expect(failing((t) => placed(t.dropoff_community_area, t.dropoff_latitude, t.dropoff_longitude))).toEqual([]);
    // Both kinds occur: trips from outside the city keep the sample's missing areas.
    expect(trips.some((t) => t.dropoff_community_area === null)).toBe(true);
  });

  it('draws taxis from a fleet of a few thousand, each driving for one company', () => {
    const companyOf = new Map<string, string | null>();
    const switched = trips.filter((t) => {
      const seen = companyOf.get(t.taxi_id);
      companyOf.set(t.taxi_id, t.company);
      return seen !== undefined && seen !== t.company;
    });
    expect(switched).toEqual([]);
    expect(companyOf.size).toBeGreaterThan(1500);
    expect(companyOf.size).toBeLessThanOrEqual(calibration.taxis.pool + calibration.companies.length);
  });
});

describe('calibration file', () => {
  it('is what scripts/calibrate.ts makes of the sample (regenerate it when the sample changes)', async () => {
    const sample = resolveSamplePath(undefined);
    const fresh = calibrationOf(await readSample(sample), sample);
    const committed = fs.readFileSync(resourcePath('calibration', 'trips.json'), 'utf8');
    expect(`${jsonOf(fresh, '')}\n`).toBe(committed);
    expect(committed.length).toBeLessThan(80_000);
  });
});

describe('generated trips and the import rules', () => {
  it('never exceed the default validation maxima, even with the longer_trips drift', async () => {
    const { ValidationSchema } = await import('../../src-main/platform/config.js');
    const { generateTrips } = await import('../../src-main/engines/data/generator/index.js');
    const limits = ValidationSchema.parse({});
    let maxMiles = 0;
    let maxSeconds = 0;
    let maxFare = 0;
    for (const drift of ['none', 'longer_trips'] as const) {
      for (const b of generateTrips({ rows: 200_000, seed: 3, drift })) {
        for (let k = 0; k < b.length; k++) {
          maxMiles = Math.max(maxMiles, b.tripMiles[k]!);
          maxSeconds = Math.max(maxSeconds, b.tripSeconds[k]!);
          maxFare = Math.max(maxFare, b.fare[k]!);
        }
      }
    }
    expect(maxMiles).toBeLessThanOrEqual(limits.max_trip_distance_miles);
    expect(maxSeconds).toBeLessThanOrEqual(limits.max_trip_seconds);
    expect(maxFare).toBeLessThanOrEqual(limits.max_fare);
    expect(maxMiles).toBeGreaterThan(20);
  });
});
