/**
 * Generated trips against the real sample, and every named drift against no drift. The statistics are
 * computed here from both sides; nothing the generator produced is written down as an expected value.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readSample, resolveSamplePath, type SampleTrip } from '../../scripts/calibrate.js';
import type { DriftName } from '../../src-main/api/contract.js';
import { defaultCalibration, generateTrips, type TripBatch } from '../../src-main/engines/data/generator/index.js';

// ---------- statistics ----------

const sorted = (xs: readonly number[]): Float64Array => Float64Array.from(xs).sort();

/** Type-7 quantile of sorted values. */
function quantile(s: Float64Array, p: number): number {
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!);
}

/** Share of sorted values <= x, or < x when `strict`. */
function ecdf(s: Float64Array, x: number, strict = false): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid]! < x || (!strict && s[mid]! === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo / s.length;
}

/**
 * How far p falls outside [F(x-), F(x)] of the generated values at the real p-quantile x: compared on the
 * probability scale because fares have flat stretches (no fare between two meter steps) where a quantile
 * jumps for a tiny change in mass, and atoms (a quarter of trips have 0 miles) cover a range of p.
 */
function quantileGap(gen: Float64Array, real: Float64Array, p: number): number {
  const x = quantile(real, p);
  return Math.max(0, ecdf(gen, x, true) - p, p - ecdf(gen, x));
}

/** Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs. */
function ks(a: readonly number[], b: readonly number[]): number {
  const x = sorted(a);
  const y = sorted(b);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** Total variation distance between two categorical samples. */
function tvd<K>(a: readonly K[], b: readonly K[]): number {
  const share = (xs: readonly K[]): Map<K, number> => {
    const m = new Map<K, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1 / xs.length);
    return m;
  };
  const pa = share(a);
  const pb = share(b);
  let sum = 0;
  for (const k of new Set([...pa.keys(), ...pb.keys()])) sum += Math.abs((pa.get(k) ?? 0) - (pb.get(k) ?? 0));
  return sum / 2;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const share = <T>(xs: readonly T[], pred: (x: T) => boolean): number => xs.filter(pred).length / xs.length;
const log1p = (xs: readonly number[]): number[] => xs.map((x) => Math.log1p(x));

// ---------- both sides as plain columns ----------

interface Columns {
  fare: number[];
  miles: number[];
  seconds: number[];
  tips: number[];
  hour: number[];
  weekday: number[];
  payment: string[];
  company: (string | null)[];
  pickupArea: (number | null)[];
}

function columnsOfSample(trips: readonly SampleTrip[]): Columns {
  return {
    fare: trips.map((t) => t.fare),
    miles: trips.map((t) => t.miles),
    seconds: trips.map((t) => t.seconds),
    tips: trips.map((t) => t.tips),
    hour: trips.map((t) => new Date(t.ts * 1000).getUTCHours()),
    weekday: trips.map((t) => new Date(t.ts * 1000).getUTCDay()),
    payment: trips.map((t) => t.payment),
    company: trips.map((t) => t.company),
    pickupArea: trips.map((t) => t.pickupArea),
  };
}

function columnsOfBatches(batches: readonly TripBatch[]): Columns {
  const c: Columns = { fare: [], miles: [], seconds: [], tips: [], hour: [], weekday: [], payment: [], company: [], pickupArea: [] };
  for (const b of batches) {
    for (let k = 0; k < b.length; k++) {
      const s = b.pickupS[k]!;
      c.fare.push(b.fare[k]!);
      c.miles.push(b.tripMiles[k]!);
      c.seconds.push(b.tripSeconds[k]!);
      c.tips.push(b.tips[k]!);
      c.hour.push(Math.floor((s % 86_400) / 3600));
      c.weekday.push((Math.floor(s / 86_400) + 4) % 7);
      c.payment.push(b.dict.paymentTypes[b.payment[k]!]!);
      c.company.push(b.company[k]! < 0 ? null : b.dict.companies[b.company[k]!]!);
      c.pickupArea.push(b.pickupArea[k]! || null);
    }
  }
  return c;
}

const generated = (drift: DriftName, rows: number, seed = 2024): Columns =>
  columnsOfBatches([...generateTrips({ rows, seed, drift }, defaultCalibration(), { batchSize: 16_384 })]);

// ---------- calibration ----------

describe('generated trips vs the real sample (100k generated, 12k real)', () => {
  let real: Columns;
  let gen: Columns;

  beforeAll(async () => {
    real = columnsOfSample(await readSample(resolveSamplePath(undefined)));
    gen = generated('none', 100_000);
  });

  it('matches fare, miles and seconds by two-sample KS and quantiles', () => {
    const figures: Record<string, number> = {};
    for (const k of ['fare', 'miles', 'seconds', 'tips'] as const) {
      const d = ks(gen[k], real[k]);
      figures[`ks_${k}`] = Number(d.toFixed(4));
      // With 12k real trips, sampling noise alone gives KS about 0.012 at the 95% level.
      expect(d, `KS of ${k}`).toBeLessThan(k === 'fare' ? 0.035 : 0.025);
      const g = sorted(gen[k]);
      const r = sorted(real[k]);
      for (const p of [0.1, 0.25, 0.5, 0.75, 0.9, 0.95]) {
        expect(quantileGap(g, r, p), `${k} at the real ${p} quantile`).toBeLessThan(0.025);
      }
      if (k !== 'tips') expect(Math.abs(quantile(g, 0.5) / quantile(r, 0.5) - 1), `median ${k}`).toBeLessThan(0.12);
    }
    expect(Math.abs(share(gen.miles, (m) => m === 0) - share(real.miles, (m) => m === 0))).toBeLessThan(0.015);
    console.info('generator calibration', JSON.stringify(figures));
  });

  it('keeps fare correlated with miles and seconds as in the sample', () => {
    const pairs = [
      ['fare', 'miles'],
      ['fare', 'seconds'],
      ['miles', 'seconds'],
    ] as const;
    for (const [a, b] of pairs) {
      const g = pearson(log1p(gen[a]), log1p(gen[b]));
      const r = pearson(log1p(real[a]), log1p(real[b]));
      expect(Math.abs(g - r), `corr(log ${a}, log ${b}): generated ${g.toFixed(3)}, real ${r.toFixed(3)}`).toBeLessThan(0.06);
    }
  });

  it('matches the hour, weekday, payment, company and pickup-area mixes by total variation', () => {
    const figures = {
      hour: tvd(gen.hour, real.hour),
      weekday: tvd(gen.weekday, real.weekday),
      payment: tvd(gen.payment, real.payment),
      company: tvd(gen.company, real.company),
      pickup_area: tvd(gen.pickupArea, real.pickupArea),
    };
    console.info('generator mixes (TVD)', JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v.toFixed(4))]))));
    expect(figures.hour).toBeLessThan(0.04);
    expect(figures.weekday).toBeLessThan(0.03);
    expect(figures.payment).toBeLessThan(0.015);
    expect(figures.company).toBeLessThan(0.03);
    expect(figures.pickup_area).toBeLessThan(0.03);
    expect(Math.abs(share(gen.company, (c) => c === null) - share(real.company, (c) => c === null))).toBeLessThan(0.015);
  });

  it('tips like the sample: cash almost never, cards mostly, often whole dollars', () => {
    const tipped = (c: Columns, pay: string): number => share(c.tips.filter((_, i) => c.payment[i] === pay), (t) => t > 0);
    expect(tipped(gen, 'Cash')).toBeLessThan(0.01);
    expect(Math.abs(tipped(gen, 'Credit Card') - tipped(real, 'Credit Card'))).toBeLessThan(0.02);
    const whole = (c: Columns): number => share(c.tips.filter((t) => t > 0), (t) => Number.isInteger(t));
    expect(Math.abs(whole(gen) - whole(real))).toBeLessThan(0.05);
  });
});

// ---------- drifts ----------

describe('named drifts move their target and leave the rest', () => {
  const rows = 60_000;
  let base: Columns;
  beforeAll(() => {
    base = generated('none', rows);
  });

  const positiveMean = (xs: readonly number[]): number => mean(xs.filter((x) => x > 0));
  const nightShare = (c: Columns): number => share(c.hour, (h) => h >= 20 || h < 4);
  const airportShare = (c: Columns): number => share(c.pickupArea, (a) => a === 76 || a === 56);

  it('longer_trips: miles and seconds up 40-60%, fares follow, time and places unchanged', () => {
    const d = generated('longer_trips', rows);
    const milesUp = positiveMean(d.miles) / positiveMean(base.miles);
    const secondsUp = mean(d.seconds) / mean(base.seconds);
    expect(milesUp).toBeGreaterThan(1.4);
    expect(milesUp).toBeLessThan(1.6);
    expect(secondsUp).toBeGreaterThan(1.4);
    expect(secondsUp).toBeLessThan(1.6);
    expect(mean(d.fare) / mean(base.fare)).toBeGreaterThan(1.25);
    expect(quantile(sorted(d.fare), 0.5)).toBeGreaterThan(quantile(sorted(base.fare), 0.5));
    expect(tvd(d.hour, base.hour)).toBeLessThan(0.01);
    expect(tvd(d.pickupArea, base.pickupArea)).toBeLessThan(0.01);
    expect(tvd(d.payment, base.payment)).toBeLessThan(0.01);
  });

  it('night_shift: pickups move to 20:00-04:00, trips themselves unchanged', () => {
    const d = generated('night_shift', rows);
    expect(nightShare(base)).toBeLessThan(0.4);
    expect(nightShare(d)).toBeGreaterThan(0.55);
    expect(ks(d.fare, base.fare)).toBeLessThan(0.02);
    expect(ks(d.miles, base.miles)).toBeLessThan(0.02);
    expect(tvd(d.pickupArea, base.pickupArea)).toBeLessThan(0.02);
    expect(tvd(d.payment, base.payment)).toBeLessThan(0.02);
  });

  it('fare_hike: fare per mile up, distances and times unchanged', () => {
    const d = generated('fare_hike', rows);
    const perMile = (c: Columns): number => {
      const idx = c.miles.map((m, i) => (m >= 1 ? i : -1)).filter((i) => i >= 0);
      return mean(idx.map((i) => c.fare[i]! / c.miles[i]!));
    };
    expect(perMile(d) / perMile(base)).toBeGreaterThan(1.15);
    expect(mean(d.fare)).toBeGreaterThan(mean(base.fare));
    expect(d.miles).toEqual(base.miles);
    expect(d.seconds).toEqual(base.seconds);
    expect(tvd(d.hour, base.hour)).toBeLessThan(0.01);
  });

  it("airport_surge: O'Hare and Midway pickups up, trips longer, hours unchanged", () => {
    const d = generated('airport_surge', rows);
    expect(airportShare(base)).toBeLessThan(0.12);
    expect(airportShare(d)).toBeGreaterThan(0.25);
    expect(mean(d.miles) / mean(base.miles)).toBeGreaterThan(1.3);
    expect(mean(d.fare)).toBeGreaterThan(mean(base.fare));
    expect(tvd(d.hour, base.hour)).toBeLessThan(0.01);
  });
});
