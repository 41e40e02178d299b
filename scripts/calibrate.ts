/**
 * Measures the real trip sample and writes resources/calibration/trips.json, the distributions the
 * synthetic-trip generator draws from.
 *
 *   npx tsx scripts/calibrate.ts [sample.csv] [out.json]
 *
 * The output is deterministic (no timestamps, rounded numbers) so that re-running it on the same sample
 * leaves the committed file unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { areaCentroidsOf, CalibrationSchema, milesClassOfAreas, type Calibration } from '../src-main/engines/data/generator/calibration.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SAMPLE = 'resources/data/chicago_taxi_trips_sample.csv';
const FALLBACK_SAMPLE = path.resolve(root, '../shared/data/chicago_taxi_trips_sample.csv');
const DEFAULT_OUT = path.join(root, 'resources/calibration/trips.json');

/**
 * Knots of every quantile table: 2% steps in the body, denser in the tails where fares and distances
 * stretch out. Finer steps would only re-encode order statistics of groups of a few hundred trips.
 */
export const PROBS: number[] = [
  0, 0.001, 0.0025, 0.005, 0.01,
  ...Array.from({ length: 49 }, (_, i) => (i + 1) / 50),
  0.99, 0.995, 0.9975, 0.999, 1,
];
const DISTANCE_EDGES = [0.25, 1, 2, 4, 8];
const PAYMENT_EDGES = [1, 3, 8];
const AIRPORTS = [76, 56];
const SMOOTHING = 10;
/** Chicago had about 7,000 medallions; a sample-sized fleet of a few thousand keeps per-taxi counts plausible. */
const TAXI_POOL = 3000;
const MIN_TIPPED_ROWS = 30;
const SECONDS_GROUPS = 4;

export interface SampleTrip {
  pickupArea: number | null;
  dropoffArea: number | null;
  fare: number;
  miles: number;
  seconds: number;
  tips: number;
  payment: string;
  company: string | null;
  ts: number;
  plat: number | null;
  plon: number | null;
  dlat: number | null;
  dlon: number | null;
}

export function resolveSamplePath(arg: string | undefined): string {
  const wanted = path.resolve(root, arg ?? DEFAULT_SAMPLE);
  if (fs.existsSync(wanted)) return wanted;
  if (!arg && fs.existsSync(FALLBACK_SAMPLE)) return FALLBACK_SAMPLE;
  throw new Error(`sample not found: ${wanted}`);
}

const num = (s: string | null): number | null => (s === null || s.trim() === '' || Number.isNaN(Number(s)) ? null : Number(s));

export async function readSample(file: string): Promise<SampleTrip[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT pickup_community_area, dropoff_community_area, fare, trip_miles, trip_seconds, tips, payment_type, company,
              trip_start_timestamp, pickup_latitude, pickup_longitude, dropoff_latitude, dropoff_longitude
       FROM read_csv(?, header = true, all_varchar = true)`,
      [file],
    );
    return reader.getRows().map((r) => tripOfRow(r.map((v) => (v === null ? null : String(v)))));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function tripOfRow(r: (string | null)[]): SampleTrip {
  const area = (s: string | null): number | null => {
    const a = num(s);
    return a !== null && a >= 1 && a <= 77 ? Math.round(a) : null;
  };
  const pickupArea = area(r[0] ?? null);
  const dropoffArea = area(r[1] ?? null);
  return {
    pickupArea,
    dropoffArea,
    fare: num(r[2] ?? null) ?? 0,
    miles: num(r[3] ?? null) ?? 0,
    seconds: num(r[4] ?? null) ?? 0,
    tips: num(r[5] ?? null) ?? 0,
    payment: r[6] ?? 'Unknown',
    company: r[7] && r[7].trim() !== '' ? r[7] : null,
    ts: num(r[8] ?? null) ?? 0,
    // Coordinates travel with their area: the generator never emits one without the other.
    plat: pickupArea === null ? null : num(r[9] ?? null),
    plon: pickupArea === null ? null : num(r[10] ?? null),
    dlat: dropoffArea === null ? null : num(r[11] ?? null),
    dlon: dropoffArea === null ? null : num(r[12] ?? null),
  };
}

// ---------- small statistics ----------

/** Type-7 quantiles (linear interpolation between order statistics), as numpy and DuckDB's quantile_cont. */
export function quantilesOf(values: readonly number[], probs: readonly number[]): number[] {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return probs.map(() => 0);
  return probs.map((p) => {
    const h = (s.length - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
  });
}

const sig = (x: number, digits = 5): number => (x === 0 ? 0 : Number(x.toPrecision(digits)));
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

function countsOf<K>(keys: readonly K[]): Map<K, number> {
  const m = new Map<K, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** Entries sorted by count (then key) so the file diffs cleanly between runs. */
function countedList<K extends string | number | null>(m: Map<K, number>): [K, number][] {
  return [...m.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
}

// ---------- time ----------

function weekdayHourOf(trips: readonly SampleTrip[]): number[][] {
  const counts = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const byDay = new Array<number>(7).fill(0);
  const byHour = new Array<number>(24).fill(0);
  for (const t of trips) {
    const d = new Date(t.ts * 1000);
    counts[d.getUTCDay()]![d.getUTCHours()]! += 1;
    byDay[d.getUTCDay()]! += 1;
    byHour[d.getUTCHours()]! += 1;
  }
  // 168 cells from 12k trips are noisy; shrinking each day's hour profile toward the all-days profile
  // keeps the real weekend nights without inventing spikes from a handful of trips.
  const pseudo = 240;
  const n = trips.length;
  return counts.map((row, d) => row.map((c, h) => round((byDay[d]! * (c + (pseudo * byHour[h]!) / n)) / (byDay[d]! + pseudo), 3)));
}

function monthsOf(trips: readonly SampleTrip[]): number[] {
  const counts = new Array<number>(12).fill(0);
  for (const t of trips) counts[new Date(t.ts * 1000).getUTCMonth()]! += 1;
  return counts;
}

// ---------- areas and coordinates ----------

function transitionsOf(trips: readonly SampleTrip[]): Record<string, [number | null, number][]> {
  const byPickup = new Map<number, (number | null)[]>();
  for (const t of trips) {
    if (t.pickupArea === null) continue;
    const list = byPickup.get(t.pickupArea) ?? [];
    list.push(t.dropoffArea);
    byPickup.set(t.pickupArea, list);
  }
  const out: Record<string, [number | null, number][]> = {};
  for (const [area, drops] of [...byPickup.entries()].sort((a, b) => a[0] - b[0])) out[String(area)] = countedList(countsOf(drops));
  return out;
}

function pointsOf(trips: readonly SampleTrip[]): Record<string, [number, number, number][]> {
  const byArea = new Map<number, Map<string, number>>();
  const add = (area: number | null, lat: number | null, lon: number | null): void => {
    if (area === null || lat === null || lon === null) return;
    const m = byArea.get(area) ?? new Map<string, number>();
    const key = `${round(lat, 6)},${round(lon, 6)}`;
    m.set(key, (m.get(key) ?? 0) + 1);
    byArea.set(area, m);
  };
  for (const t of trips) {
    add(t.pickupArea, t.plat, t.plon);
    add(t.dropoffArea, t.dlat, t.dlon);
  }
  const out: Record<string, [number, number, number][]> = {};
  for (const [area, m] of [...byArea.entries()].sort((a, b) => a[0] - b[0])) {
    out[String(area)] = countedList(m).map(([k, c]) => {
      const [lat, lon] = k.split(',').map(Number) as [number, number];
      return [lat, lon, c];
    });
  }
  return out;
}

function samePointShareOf(trips: readonly SampleTrip[]): number {
  const same = trips.filter((t) => t.pickupArea !== null && t.pickupArea === t.dropoffArea && t.plat !== null && t.dlat !== null);
  return round(same.filter((t) => t.plat === t.dlat && t.plon === t.dlon).length / Math.max(same.length, 1), 4);
}

function milesClassesOf(trips: readonly SampleTrip[], points: Calibration['areas']['points']): Calibration['miles']['classes'] {
  const centroids = areaCentroidsOf(points);
  const classOf = (t: SampleTrip): number => milesClassOfAreas(t.pickupArea ?? 0, t.dropoffArea ?? 0, centroids, DISTANCE_EDGES, AIRPORTS);
  const names = [
    ...DISTANCE_EDGES.map((e, i) => `straight_${i === 0 ? 0 : DISTANCE_EDGES[i - 1]}_${e}`),
    `straight_${DISTANCE_EDGES.at(-1)}_plus`,
    'unknown',
    'unknown_from_airport',
  ];
  return names.map((name, cls) => {
    const miles = trips.filter((t) => classOf(t) === cls).map((t) => t.miles);
    const positive = miles.filter((m) => m > 0);
    return {
      name,
      rows: miles.length,
      zero_share: round(miles.length ? 1 - positive.length / miles.length : 0, 5),
      quantiles: quantilesOf(positive, PROBS).map((q) => sig(q)),
    };
  });
}

// ---------- miles buckets, seconds, fare ----------

/** Decile edges of positive miles, put halfway between the 0.1-mile steps the meters record. */
function bucketEdgesOf(trips: readonly SampleTrip[]): number[] {
  const positive = trips.map((t) => t.miles).filter((m) => m > 0);
  const deciles = quantilesOf(positive, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  return [...new Set(deciles.map((q) => round(Math.floor(q * 10) / 10 + 0.05, 2)))];
}

export function bucketOf(miles: number, edges: readonly number[]): number {
  if (miles <= 0) return 0;
  for (let i = 0; i < edges.length; i++) if (miles < edges[i]!) return i + 1;
  return edges.length + 1;
}

function groupByBucket(trips: readonly SampleTrip[], edges: readonly number[], value: (t: SampleTrip) => number | null) {
  const groups = Array.from({ length: edges.length + 2 }, () => [] as number[]);
  for (const t of trips) {
    const v = value(t);
    if (v !== null && Number.isFinite(v)) groups[bucketOf(t.miles, edges)]!.push(v);
  }
  return groups.map((g) => ({ rows: g.length, quantiles: quantilesOf(g, PROBS).map((q) => sig(q)) }));
}

/**
 * Least squares of fare on [1, miles, seconds], refitted on the trips within 15% of the previous fit:
 * meters that lost distance or time would otherwise drag the per-mile rate far below the real tariff.
 */
function tariffOf(trips: readonly SampleTrip[]): Calibration['fare']['tariff'] {
  let rows = trips.filter((t) => t.miles >= 0.5 && t.miles <= 50 && t.seconds >= 60 && t.seconds <= 7200 && t.fare >= 3 && t.fare <= 150);
  let fit = leastSquaresOf(rows);
  for (let pass = 0; pass < 8; pass++) {
    const kept = rows.filter((t) => Math.abs(t.fare / tariffValue(fit, t.miles, t.seconds) - 1) < 0.15);
    if (kept.length < 100) break;
    rows = kept;
    fit = leastSquaresOf(rows);
  }
  return { base: sig(fit.base), per_mile: sig(fit.per_mile), per_second: sig(fit.per_second) };
}

function leastSquaresOf(rows: readonly SampleTrip[]): Calibration['fare']['tariff'] {
  const xtx = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const xty = [0, 0, 0];
  for (const t of rows) {
    const x = [1, t.miles, t.seconds];
    for (let i = 0; i < 3; i++) {
      xty[i]! += x[i]! * t.fare;
      for (let j = 0; j < 3; j++) xtx[i]![j]! += x[i]! * x[j]!;
    }
  }
  const [base, perMile, perSecond] = solve3(xtx, xty);
  return { base, per_mile: perMile, per_second: perSecond };
}

function solve3(a: number[][], b: number[]): [number, number, number] {
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < 3; c++) {
    const p = m.slice(c).reduce((best, row, i) => (Math.abs(row[c]!) > Math.abs(m[best]![c]!) ? i + c : best), c);
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k < 4; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return [m[0]![3]! / m[0]![0]!, m[1]![3]! / m[1]![1]!, m[2]![3]! / m[2]![2]!];
}

/** fare / tariff quantiles per miles bucket and, inside it, per equal-count slice of seconds. */
function fareRatiosOf(trips: readonly SampleTrip[], edges: readonly number[], tariff: Calibration['fare']['tariff']) {
  const byBucket = Array.from({ length: edges.length + 2 }, () => [] as SampleTrip[]);
  for (const t of trips) byBucket[bucketOf(t.miles, edges)]!.push(t);
  return byBucket.map((rows) => {
    // Stable sort: ties in seconds keep the sample's (random) order, as the generator's ranks are uniform.
    const sorted = [...rows].sort((a, b) => a.seconds - b.seconds);
    const groups = Array.from({ length: SECONDS_GROUPS }, () => [] as number[]);
    sorted.forEach((t, rank) => {
      groups[Math.floor((rank * SECONDS_GROUPS) / sorted.length)]!.push(t.fare / Math.max(tariffValue(tariff, t.miles, t.seconds), tariff.base));
    });
    return groups.map((g) => ({ rows: g.length, quantiles: quantilesOf(g, PROBS).map((q) => sig(q, 4)) }));
  });
}

const tariffValue = (t: Calibration['fare']['tariff'], miles: number, seconds: number): number =>
  t.base + t.per_mile * miles + t.per_second * seconds;

// ---------- payment, tips, companies ----------

function paymentOf(trips: readonly SampleTrip[]): Calibration['payment'] {
  const types = countedList(countsOf(trips.map((t) => t.payment))).map(([k]) => k);
  const counts = Array.from({ length: PAYMENT_EDGES.length + 2 }, () => new Array<number>(types.length).fill(0));
  for (const t of trips) counts[bucketOf(t.miles, PAYMENT_EDGES)]![types.indexOf(t.payment)]! += 1;
  return { types, miles_edges: PAYMENT_EDGES, counts };
}

const TIP_FARE_GROUPS = 6;

function tipsOf(trips: readonly SampleTrip[], types: readonly string[]): Calibration['tips'] {
  const by_payment: Calibration['tips']['by_payment'] = {};
  for (const type of types) {
    const rows = trips.filter((t) => t.payment === type);
    const tipped = rows.filter((t) => t.tips > 0 && t.fare > 0);
    by_payment[type] = {
      rows: rows.length,
      zero_share: round(1 - tipped.length / rows.length, 5),
      amounts: tipped.length >= MIN_TIPPED_ROWS ? tipAmountsOf(tipped) : null,
    };
  }
  return { round: 0.01, by_payment };
}

/** Observed tip amounts per fare group; group edges are fare quantiles of the tipped trips, deduplicated. */
function tipAmountsOf(tipped: readonly SampleTrip[]): NonNullable<Calibration['tips']['by_payment'][string]['amounts']> {
  const probs = Array.from({ length: TIP_FARE_GROUPS - 1 }, (_, i) => (i + 1) / TIP_FARE_GROUPS);
  const fareEdges = [...new Set(quantilesOf(tipped.map((t) => t.fare), probs).map((q) => round(q, 2)))];
  const groups = Array.from({ length: fareEdges.length + 1 }, () => [] as number[]);
  for (const t of tipped) {
    const i = fareEdges.findIndex((e) => t.fare < e);
    groups[i === -1 ? fareEdges.length : i]!.push(round(t.tips, 2));
  }
  const nonEmpty = groups.map((g, i) => (g.length > 0 ? g : groups[i - 1] ?? groups.find((x) => x.length > 0)!));
  return {
    fare_edges: fareEdges,
    by_group: nonEmpty.map((g) => countedList(countsOf(g)).sort((a, b) => a[0] - b[0])),
  };
}

// ---------- assembly ----------

export function calibrationOf(trips: readonly SampleTrip[], file: string): Calibration {
  const edges = bucketEdgesOf(trips);
  const tariff = tariffOf(trips);
  const positive = trips.filter((t) => t.miles > 0);
  const distanceShare =
    positive.reduce((s, t) => s + (tariff.per_mile * t.miles) / Math.max(tariffValue(tariff, t.miles, t.seconds), 1e-9), 0) / positive.length;
  const payment = paymentOf(trips);
  const points = pointsOf(trips);
  const ts = trips.map((t) => t.ts).sort((a, b) => a - b);
  return CalibrationSchema.parse({
    version: 1,
    source: {
      file: path.basename(file),
      rows: trips.length,
      first_pickup: new Date(ts[0]! * 1000).toISOString(),
      last_pickup: new Date(ts.at(-1)! * 1000).toISOString(),
    },
    probs: PROBS.map((p) => round(p, 6)),
    time: { slot_seconds: 900, weekday_hour: weekdayHourOf(trips), month: monthsOf(trips) },
    areas: {
      pickup: countedList(countsOf(trips.map((t) => t.pickupArea))),
      dropoff: countedList(countsOf(trips.map((t) => t.dropoffArea))),
      transitions: transitionsOf(trips),
      smoothing: SMOOTHING,
      points,
      airports: AIRPORTS,
      same_point_share: samePointShareOf(trips),
    },
    miles: { distance_edges: DISTANCE_EDGES, classes: milesClassesOf(trips, points) },
    buckets: { miles_edges: edges },
    seconds: { round: 60, by_bucket: groupByBucket(trips, edges, (t) => t.seconds) },
    fare: {
      round: 0.05,
      tariff,
      seconds_groups: SECONDS_GROUPS,
      ratio_by_bucket: fareRatiosOf(trips, edges, tariff),
      distance_share: round(distanceShare, 4),
    },
    payment,
    tips: tipsOf(trips, payment.types),
    companies: countedList(countsOf(trips.map((t) => t.company))),
    taxis: { pool: TAXI_POOL },
  });
}

/** JSON with objects indented and number arrays on one line: diffable without being thousands of lines. */
export function jsonOf(value: unknown, indent: string): string {
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)))) {
    return JSON.stringify(value);
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + jsonOf(v, inner)).join(',\n')}\n${indent}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${jsonOf(v, inner)}`);
    return `{\n${entries.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

async function main(): Promise<void> {
  const sample = resolveSamplePath(process.argv[2]);
  const out = path.resolve(process.argv[3] ?? DEFAULT_OUT);
  const trips = await readSample(sample);
  const calibration = calibrationOf(trips, sample);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${jsonOf(calibration, '')}\n`);
  const t = calibration.fare.tariff;
  console.log(
    `calibrated on ${trips.length} trips from ${sample}\n` +
      `  tariff: ${t.base} + ${t.per_mile}/mile + ${(t.per_second * 60).toFixed(3)}/min; miles buckets ${calibration.buckets.miles_edges.join(', ')}\n` +
      `  wrote ${out} (${fs.statSync(out).size} bytes)`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
