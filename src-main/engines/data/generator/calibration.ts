/**
 * The calibration file (resources/calibration/trips.json): the empirical distributions of the real
 * sample that the generator draws from. scripts/calibrate.ts writes it; the generator only reads it,
 * so the numbers live in one reviewed, committed file instead of constants spread through the code.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { AppError } from '../../../platform/errors.js';
import { resourcePath } from '../../../platform/resources.js';

/** Values of a distribution at the shared probability grid `probs` (same length). */
const Quantiles = z.array(z.number());

const CountedValue = <T extends z.ZodType>(value: T) => z.tuple([value, z.number().nonnegative()]);

const AreaKey = z.number().int().min(1).max(77).nullable();

const QuantileGroup = z.object({
  rows: z.number().int().nonnegative(),
  quantiles: Quantiles,
});

const MilesClass = QuantileGroup.extend({
  name: z.string(),
  /** Share of trips with trip_miles = 0 (about a quarter in the sample: meters that did not record distance). */
  zero_share: z.number().min(0).max(1),
});

const TipRule = z.object({
  rows: z.number().int().nonnegative(),
  zero_share: z.number().min(0).max(1),
  /**
   * Tip amounts seen on tipped trips, by fare group (fare < fare_edges[i]; the last group is open).
   * Amounts, not ratios: two thirds of card tips are whole dollars ($2 alone is a third), which a smooth
   * ratio would blur away. Null when too few tipped trips were seen; the generator then borrows another
   * type's amounts.
   */
  amounts: z
    .object({
      fare_edges: z.array(z.number()),
      by_group: z.array(z.array(z.tuple([z.number().nonnegative(), z.number().positive()])).min(1)),
    })
    .nullable(),
});

export const CalibrationSchema = z.object({
  version: z.literal(1),
  source: z.object({
    file: z.string(),
    rows: z.number().int(),
    first_pickup: z.string(),
    last_pickup: z.string(),
  }),
  probs: z.array(z.number().min(0).max(1)).min(2),
  time: z.object({
    slot_seconds: z.literal(900),
    /** Trip counts by BigQuery DAYOFWEEK - 1 (0 = Sunday) then hour, smoothed toward the product of marginals. */
    weekday_hour: z.array(z.array(z.number().nonnegative()).length(24)).length(7),
    /** Trip counts by month (0 = January). */
    month: z.array(z.number().nonnegative()).length(12),
  }),
  areas: z.object({
    pickup: z.array(CountedValue(AreaKey)),
    dropoff: z.array(CountedValue(AreaKey)),
    /** Observed pickup -> dropoff counts; the generator blends them with `dropoff` using `smoothing` pseudo-trips. */
    transitions: z.record(z.string(), z.array(CountedValue(AreaKey))),
    smoothing: z.number().nonnegative(),
    /** The coordinates seen per area ([lat, lon, count]); the sample's coordinates are tract centroids inside the area. */
    points: z.record(z.string(), z.array(z.tuple([z.number(), z.number(), z.number().positive()])).min(1)),
    airports: z.array(z.number().int()),
    /** Share of same-area trips whose pickup and dropoff share a point (tract); far above independent draws. */
    same_point_share: z.number().min(0).max(1),
  }),
  miles: z.object({
    /**
     * Upper bounds (miles, exclusive) of the straight-line distance bands between the pickup and dropoff
     * areas' centroids (see areaCentroidsOf). Areas rather than points: the sample ties points across
     * areas in ways independent point draws would not reproduce, and the class mix must match.
     */
    distance_edges: z.array(z.number()),
    /** Bands in order, then 'unknown' (an area is null) and 'unknown_from_airport'. */
    classes: z.array(MilesClass),
  }),
  /** Buckets of trip_miles that seconds, fare and payment are conditioned on: bucket 0 is zero miles. */
  buckets: z.object({
    miles_edges: z.array(z.number()),
  }),
  seconds: z.object({
    round: z.number().positive(),
    by_bucket: z.array(QuantileGroup),
  }),
  fare: z.object({
    round: z.number().positive(),
    /** Least-squares meter: fare ~ base + per_mile * miles + per_second * seconds on clean trips. */
    tariff: z.object({ base: z.number(), per_mile: z.number(), per_second: z.number() }),
    /**
     * fare / tariff per bucket, then per seconds group (equal-count slices of the bucket's seconds, shortest
     * first): the residual spread, kept multiplicative because it grows with the fare, and split by seconds
     * because a meter that lost distance shows up as a long trip with a fare far above its tariff.
     */
    seconds_groups: z.number().int().min(1),
    ratio_by_bucket: z.array(z.array(QuantileGroup)),
    /** Mean share of the tariff owed to distance, used to hike zero-mile fares whose distance went unrecorded. */
    distance_share: z.number().min(0).max(1),
  }),
  payment: z.object({
    types: z.array(z.string()).min(1),
    /** Upper bounds of coarse positive-miles buckets; card use grows with trip length. */
    miles_edges: z.array(z.number()),
    /** Counts per coarse bucket (zero miles first), aligned with `types`. */
    counts: z.array(z.array(z.number().nonnegative())),
  }),
  tips: z.object({
    round: z.number().positive(),
    by_payment: z.record(z.string(), TipRule),
  }),
  companies: z.array(CountedValue(z.string().nullable())),
  taxis: z.object({ pool: z.number().int().min(1) }),
});

export type Calibration = z.infer<typeof CalibrationSchema>;

/** Straight-line miles between two nearby points; an equirectangular projection is exact enough across one city. */
export function milesBetween(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dy = (lat1 - lat2) * 69.05;
  const dx = (lon1 - lon2) * 69.17 * COS_CHICAGO;
  return Math.sqrt(dx * dx + dy * dy);
}
const COS_CHICAGO = Math.cos((41.85 * Math.PI) / 180);

/** Trip-weighted mean of each area's points, by area number (undefined for areas never seen). */
export function areaCentroidsOf(points: Calibration['areas']['points']): ([lat: number, lon: number] | undefined)[] {
  const out: ([number, number] | undefined)[] = new Array<[number, number] | undefined>(78).fill(undefined);
  for (const [key, list] of Object.entries(points)) {
    const total = list.reduce((s, p) => s + p[2], 0);
    out[Number(key)] = [list.reduce((s, p) => s + p[0] * p[2], 0) / total, list.reduce((s, p) => s + p[1] * p[2], 0) / total];
  }
  return out;
}

/** Index of the miles class of a pickup/dropoff area pair (0 = none), as laid out in `miles.classes`. */
export function milesClassOfAreas(
  pickup: number,
  dropoff: number,
  centroids: readonly ([number, number] | undefined)[],
  edges: readonly number[],
  airports: readonly number[],
): number {
  const a = centroids[pickup];
  const b = centroids[dropoff];
  if (!a || !b) return edges.length + 1 + (airports.includes(pickup) ? 1 : 0);
  const d = milesBetween(a[0], a[1], b[0], b[1]);
  const i = edges.findIndex((e) => d < e);
  return i === -1 ? edges.length : i;
}

let cached: Calibration | undefined;

/** The calibration bundled with the app, read once per process. */
export function defaultCalibration(): Calibration {
  cached ??= readCalibration(resourcePath('calibration', 'trips.json'));
  return cached;
}

export function readCalibration(file: string): Calibration {
  const parsed = CalibrationSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new AppError('INVALID_FILE', `calibration file ${file} is not valid: ${parsed.error.issues[0]?.message ?? 'unknown'}`, {
      file,
      issues: parsed.error.issues.slice(0, 5),
    });
  }
  return checkAligned(parsed.data, file);
}

/** Table lengths must agree with each other; zod cannot say that, and a mismatch would sample garbage. */
function checkAligned(c: Calibration, file: string): Calibration {
  const problems: string[] = [];
  const n = c.probs.length;
  const groups = [...c.miles.classes, ...c.seconds.by_bucket, ...c.fare.ratio_by_bucket.flat()];
  if (groups.some((g) => g.quantiles.length !== n)) problems.push('a quantile table does not match probs');
  const buckets = c.buckets.miles_edges.length + 2;
  if (c.seconds.by_bucket.length !== buckets || c.fare.ratio_by_bucket.length !== buckets) problems.push('bucket tables do not match miles_edges');
  if (c.fare.ratio_by_bucket.some((g) => g.length !== c.fare.seconds_groups)) problems.push('fare ratio groups do not match seconds_groups');
  if (c.miles.classes.length !== c.miles.distance_edges.length + 3) problems.push('miles classes do not match distance_edges');
  if (c.payment.counts.length !== c.payment.miles_edges.length + 2) problems.push('payment counts do not match miles_edges');
  if (c.payment.counts.some((row) => row.length !== c.payment.types.length)) problems.push('payment counts do not match types');
  const tipTables = Object.values(c.tips.by_payment).flatMap((r) => (r.amounts ? [r.amounts] : []));
  if (tipTables.some((t) => t.by_group.length !== t.fare_edges.length + 1)) problems.push('tip groups do not match fare_edges');
  if (problems.length > 0) throw new AppError('INVALID_FILE', `calibration file ${file}: ${problems.join('; ')}`, { file, problems });
  return c;
}
