/**
 * The trip model compiled from a calibration and a drift. A row is drawn in the order its parts depend
 * on each other:
 *
 *   pickup slot -> pickup area -> dropoff area | pickup area -> points in both areas
 *   -> miles | straight-line distance class -> seconds | miles bucket -> fare = meter(miles, seconds) x ratio | bucket
 *   -> payment | miles bucket -> tip | payment, fare;  company -> taxi of that company
 *
 * so fares correlate with miles and seconds, card use with length, and coordinates with distance, as in
 * the sample.
 */
import { createHash } from 'node:crypto';
import { ValidationSchema } from '../../../platform/config.js';
import type { DriftName } from '../../../api/contract.js';
import { allocateBatch, taxiIdOf, type TripBatch, type TripDictionary } from './batch.js';
import { areaCentroidsOf, milesClassOfAreas, type Calibration } from './calibration.js';
import { DRIFTS, type DriftEffect } from './drifts.js';
import { Mulberry32, rowStateOf, seedKeyOf } from './prng.js';
import { AliasTable, InverseCdf } from './sampling.js';
import { SLOT_SECONDS, slotTableOf, timeRangeOf, type SlotTable, type TimeRange } from './time.js';

export interface ModelInput {
  seed: number;
  drift: DriftName;
  start?: string | undefined;
  end?: string | undefined;
}

const LIMITS = ValidationSchema.parse({});
const MAX_MILES = LIMITS.max_trip_distance_miles;
const MAX_SECONDS = LIMITS.max_trip_seconds;
const MAX_FARE = LIMITS.max_fare;

export function idPrefixOf(input: ModelInput): string {
  const drift = input.drift === 'none' ? '' : `-${input.drift}`;
  const range = input.start || input.end ? `-${createHash('sha1').update(`${input.start ?? ''}|${input.end ?? ''}`).digest('hex').slice(0, 6)}` : '';
  return `g${input.seed}${drift}${range}`;
}

/** Categories drawn with an alias table, and the values the drawn indices stand for. */
interface Mix {
  table: AliasTable;
  values: Int32Array;
}

function mixOf(entries: readonly (readonly [number | null, number])[], factor: (value: number | null) => number = () => 1): Mix {
  return {
    table: new AliasTable(entries.map(([v, c]) => c * factor(v))),
    values: Int32Array.from(entries, ([v]) => v ?? 0),
  };
}

const drawFrom = (m: Mix, u: number): number => m.values[m.table.sample(u)]!;

function bucketIndex(x: number, edges: Float64Array): number {
  if (x <= 0) return 0;
  for (let i = 0; i < edges.length; i++) if (x < edges[i]!) return i + 1;
  return edges.length + 1;
}

/** Rounds to a multiple of step; sub-unit steps divide by an integer so 12.45 prints as 12.45, not 12.450000000000001. */
function quantizerOf(step: number): (x: number) => number {
  if (step >= 1) return (x) => Math.round(x / step) * step;
  const inv = Math.round(1 / step);
  return (x) => Math.round(x * inv) / inv;
}
/** Meters record 0.1-mile steps; positive trips shorter than that keep hundredths like the sample's. */
const roundMiles = (m: number): number => (m < 0.05 ? Math.max(Math.round(m * 100) / 100, 0.01) : Math.round(m * 10) / 10);

export class TripModel {
  readonly range: TimeRange;
  readonly slots: SlotTable;
  readonly dict: TripDictionary;
  readonly drift: DriftEffect;

  private readonly seedKey: number;
  private readonly rng = new Mulberry32(0);
  private readonly slotTable: AliasTable;
  private readonly pickupMix: Mix;
  /** Dropoff mix by pickup area code (0 = none). */
  private readonly dropoffMix: Mix[];
  /** Point alias tables and global point offsets by area code; absent for areas never seen with coordinates. */
  private readonly pointTable: (AliasTable | undefined)[];
  private readonly pointOffset: Int32Array;
  private readonly pointLat: Float64Array;
  private readonly pointLon: Float64Array;
  /** Per area: chance a same-area trip reuses the pickup point, topping independent draws up to the sample's share. */
  private readonly samePoint: Float64Array;
  /** Miles class by pickup area * 78 + dropoff area. */
  private readonly milesClassOfPair: Uint8Array;
  private readonly milesZero: Float64Array;
  private readonly milesCdf: InverseCdf[];
  private readonly bucketEdges: Float64Array;
  private readonly secondsCdf: InverseCdf[];
  /** By bucket * secondsGroups + seconds group. */
  private readonly ratioCdf: InverseCdf[];
  private readonly secondsGroups: number;
  private readonly paymentEdges: Float64Array;
  private readonly paymentTable: AliasTable[];
  private readonly tipZero: Float64Array;
  private readonly tipTables: (TipTable | undefined)[];
  private readonly companyTable: AliasTable;
  private readonly companyCode: Int16Array;
  private readonly taxiStart: Int32Array;
  private readonly taxiCount: Int32Array;
  private readonly base: number;
  private readonly perMile: number;
  private readonly perSecond: number;
  private readonly zeroMileHike: number;
  private readonly roundSeconds: (x: number) => number;
  private readonly roundFare: (x: number) => number;

  constructor(c: Calibration, input: ModelInput) {
    this.drift = DRIFTS[input.drift];
    this.seedKey = seedKeyOf(input.seed);
    this.range = timeRangeOf(input.start, input.end);
    this.slots = slotTableOf(this.range, c.time, this.drift.hourFactor);
    this.slotTable = new AliasTable(this.slots.weights);

    const areaFactor = (a: number | null): number => (a === null ? 1 : (this.drift.pickupAreaFactor[a] ?? 1));
    this.pickupMix = mixOf(c.areas.pickup, areaFactor);
    this.dropoffMix = this.dropoffMixesOf(c.areas);

    const points = this.pointsOf(c.areas.points);
    this.pointTable = points.tables;
    this.pointOffset = points.offsets;
    this.pointLat = points.lat;
    this.pointLon = points.lon;
    this.samePoint = this.samePointOf(c.areas);
    this.milesClassOfPair = this.milesClassesOf(c);

    const cdf = (q: readonly number[]): InverseCdf => new InverseCdf(c.probs, q);
    this.milesZero = Float64Array.from(c.miles.classes, (k) => k.zero_share);
    this.milesCdf = c.miles.classes.map((k) => cdf(k.quantiles));
    this.bucketEdges = Float64Array.from(c.buckets.miles_edges);
    this.secondsCdf = c.seconds.by_bucket.map((g) => cdf(g.quantiles));
    this.ratioCdf = c.fare.ratio_by_bucket.flat().map((g) => cdf(g.quantiles));
    this.secondsGroups = c.fare.seconds_groups;

    this.paymentEdges = Float64Array.from(c.payment.miles_edges);
    this.paymentTable = c.payment.counts.map((row) => new AliasTable(row.some((x) => x > 0) ? row : row.map(() => 1)));
    const tipRules = c.payment.types.map((t) => c.tips.by_payment[t]);
    // Types with too few tipped trips borrow the most common type's amounts; their own zero share still rules.
    const fallback = tipRules.find((r) => r?.amounts)?.amounts ?? null;
    this.tipZero = Float64Array.from(tipRules, (r) => r?.zero_share ?? 1);
    this.tipTables = tipRules.map((r) => {
      const amounts = r?.amounts ?? fallback;
      return amounts ? tipTableOf(amounts) : undefined;
    });

    const fleet = this.fleetOf(c);
    this.companyTable = fleet.table;
    this.companyCode = fleet.code;
    this.taxiStart = fleet.start;
    this.taxiCount = fleet.count;

    this.base = c.fare.tariff.base;
    this.perMile = c.fare.tariff.per_mile * this.drift.perMileFactor;
    this.perSecond = c.fare.tariff.per_second;
    this.zeroMileHike = 1 + (this.drift.perMileFactor - 1) * c.fare.distance_share;
    this.roundSeconds = quantizerOf(c.seconds.round);
    this.roundFare = quantizerOf(c.fare.round);
    this.dict = {
      seed: input.seed,
      idPrefix: idPrefixOf(input),
      paymentTypes: c.payment.types,
      companies: fleet.names,
      taxiIds: Array.from({ length: fleet.poolSize }, (_, i) => taxiIdOf(i)),
      pointLat: this.pointLat,
      pointLon: this.pointLon,
    };
  }

  /** Smoothed P(dropoff | pickup): observed counts plus `smoothing` pseudo-trips spread like all dropoffs. */
  private dropoffMixesOf(areas: Calibration['areas']): Mix[] {
    const marginalTotal = areas.dropoff.reduce((s, [, n]) => s + n, 0);
    const marginal = new Map(areas.dropoff.map(([a, n]) => [a ?? 0, n / marginalTotal]));
    const mixes: Mix[] = [];
    for (let pickup = 0; pickup <= 77; pickup++) {
      const seen = areas.transitions[String(pickup)] ?? [];
      const weights = new Map(marginal);
      for (const [k, w] of weights) weights.set(k, w * areas.smoothing);
      for (const [a, n] of seen) weights.set(a ?? 0, (weights.get(a ?? 0) ?? 0) + n);
      mixes.push(mixOf([...weights.entries()].map(([a, w]) => [a === 0 ? null : a, w] as const)));
    }
    return mixes;
  }

  private pointsOf(points: Calibration['areas']['points']) {
    const tables: (AliasTable | undefined)[] = new Array<AliasTable | undefined>(78).fill(undefined);
    const offsets = new Int32Array(78).fill(-1);
    const lat: number[] = [];
    const lon: number[] = [];
    for (let area = 1; area <= 77; area++) {
      const list = points[String(area)];
      if (!list) continue;
      offsets[area] = lat.length;
      tables[area] = new AliasTable(list.map((p) => p[2]));
      for (const [la, lo] of list) {
        lat.push(la);
        lon.push(lo);
      }
    }
    return { tables, offsets, lat: Float64Array.from(lat), lon: Float64Array.from(lon) };
  }

  private milesClassesOf(c: Calibration): Uint8Array {
    const centroids = areaCentroidsOf(c.areas.points);
    const out = new Uint8Array(78 * 78);
    for (let p = 0; p < 78; p++) {
      for (let d = 0; d < 78; d++) out[p * 78 + d] = milesClassOfAreas(p, d, centroids, c.miles.distance_edges, c.areas.airports);
    }
    return out;
  }

  private samePointOf(areas: Calibration['areas']): Float64Array {
    const out = new Float64Array(78);
    for (let area = 1; area <= 77; area++) {
      const list = areas.points[String(area)];
      if (!list) continue;
      const total = list.reduce((s, p) => s + p[2], 0);
      const chance = list.reduce((s, p) => s + (p[2] / total) ** 2, 0);
      out[area] = chance >= 1 ? 0 : Math.max(0, (areas.same_point_share - chance) / (1 - chance));
    }
    return out;
  }

  /** Taxis split across companies by trip share (at least one each); no-company taxis are the independents. */
  private fleetOf(c: Calibration) {
    const total = c.companies.reduce((s, [, n]) => s + n, 0);
    const names: string[] = [];
    const code = new Int16Array(c.companies.length);
    const start = new Int32Array(c.companies.length);
    const count = new Int32Array(c.companies.length);
    let next = 0;
    c.companies.forEach(([name, n], i) => {
      code[i] = name === null ? -1 : names.push(name) - 1;
      start[i] = next;
      count[i] = Math.max(1, Math.round((c.taxis.pool * n) / total));
      next += count[i]!;
    });
    return { table: new AliasTable(c.companies.map(([, n]) => n)), code, start, count, names, poolSize: next };
  }

  /** A batch buffer sized for this model's dictionaries. */
  allocate(capacity: number): TripBatch {
    return allocateBatch(capacity, this.dict);
  }

  /**
   * Fills `b` with rows start..start+count-1. Row i depends only on (seed, drift, range, i), so any split
   * into batches produces the same rows. `seenMonths` (indexed like slots.months) is marked for each row.
   */
  fill(b: TripBatch, start: number, count: number, seenMonths?: Uint8Array): void {
    b.start = start;
    b.length = count;
    const rng = this.rng;
    const lengthFactor = this.drift.lengthFactor;
    for (let k = 0; k < count; k++) {
      rng.reset(rowStateOf(this.seedKey, start + k));
      const slot = this.slotTable.sample(rng.next());
      if (seenMonths) seenMonths[this.slots.monthOfSlot[slot]!] = 1;
      b.pickupS[k] = this.range.firstSlot + slot * SLOT_SECONDS;

      const pa = drawFrom(this.pickupMix, rng.next());
      const da = drawFrom(this.dropoffMix[pa]!, rng.next());
      const pp = this.pointIndex(pa, rng.next());
      const uSame = rng.next();
      const dp = da === pa && pp >= 0 && uSame < this.samePoint[pa]! ? pp : this.pointIndex(da, rng.next());
      b.pickupArea[k] = pa;
      b.dropoffArea[k] = da;
      b.pickupPoint[k] = pp;
      b.dropoffPoint[k] = dp;

      const cls = this.milesClassOfPair[pa * 78 + da]!;
      const zero = rng.next() < this.milesZero[cls]!;
      const measured = zero ? 0 : roundMiles(this.milesCdf[cls]!.sample(rng.next()));
      const bucket = bucketIndex(measured, this.bucketEdges);
      // The seconds draw's rank picks the fare-ratio group, carrying the seconds-fare dependence inside a bucket.
      const uSeconds = rng.next();
      const rawSeconds = this.secondsCdf[bucket]!.sample(uSeconds);
      const group = bucket * this.secondsGroups + ((uSeconds * this.secondsGroups) | 0);
      const ratio = this.ratioCdf[group]!.sample(rng.next());
      // The sample's far tail (a 1,710-mile trip) would make trips the import rules reject: stay inside them.
      const miles = Math.min(MAX_MILES, lengthFactor === 1 || zero ? measured : roundMiles(measured * lengthFactor));
      const seconds = Math.min(MAX_SECONDS, this.roundSeconds(rawSeconds * lengthFactor));
      const meter = this.base + this.perMile * miles + this.perSecond * seconds;
      const fare = Math.min(MAX_FARE, Math.max(0, this.roundFare(meter * ratio * (zero ? this.zeroMileHike : 1))));
      b.tripMiles[k] = miles;
      b.tripSeconds[k] = seconds;
      b.fare[k] = fare;

      // Payment follows the measured length, so a drift on length alone leaves the payment mix in place.
      const pay = this.paymentTable[bucketIndex(measured, this.paymentEdges)]!.sample(rng.next());
      b.payment[k] = pay;
      b.tips[k] = this.tipOf(pay, fare, rng.next(), rng.next());

      const c = this.companyTable.sample(rng.next());
      b.company[k] = this.companyCode[c]!;
      b.taxi[k] = this.taxiStart[c]! + ((rng.next() * this.taxiCount[c]!) | 0);
    }
  }

  private pointIndex(area: number, u: number): number {
    const table = this.pointTable[area];
    return table ? this.pointOffset[area]! + table.sample(u) : -1;
  }

  private tipOf(pay: number, fare: number, u: number, v: number): number {
    const t = this.tipTables[pay];
    if (!t || u < this.tipZero[pay]! || fare <= 0) return 0;
    const g = bucketIndex(fare, t.fareEdges) - 1;
    return drawFrom(t.groups[g < 0 ? 0 : g]!, v) / 100;
  }
}

interface TipTable {
  fareEdges: Float64Array;
  /** Amounts in cents, by fare group. */
  groups: Mix[];
}

function tipTableOf(a: NonNullable<Calibration['tips']['by_payment'][string]['amounts']>): TipTable {
  return {
    fareEdges: Float64Array.from(a.fare_edges),
    groups: a.by_group.map((g) => ({ table: new AliasTable(g.map(([, n]) => n)), values: Int32Array.from(g, ([tip]) => Math.round(tip * 100)) })),
  };
}
