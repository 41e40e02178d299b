/**
 * Named drifts: controlled departures from the calibrated distributions, for demonstrating and testing
 * drift monitoring. Each one changes its target and, through the model's own dependencies, only what
 * follows from it (longer trips cost more; airport pickups are longer).
 */
import type { DriftName } from '../../../api/contract.js';

export interface DriftEffect {
  description: string;
  /** Multiplies the weight of each pickup hour (0-23). */
  hourFactor: readonly number[];
  /** Multiplies the weight of pickups in the given community areas. */
  pickupAreaFactor: Readonly<Record<number, number>>;
  /** Multiplies trip_miles and trip_seconds before the fare is computed from them. */
  lengthFactor: number;
  /** Multiplies the per-mile part of the meter. */
  perMileFactor: number;
}

const flatHours: readonly number[] = new Array<number>(24).fill(1);

/** 20:00 to 04:00: the sample has 35% of trips there; tripling the weight gives about 62%. */
const NIGHT_HOURS = [20, 21, 22, 23, 0, 1, 2, 3];
export const NIGHT_FACTOR = 3;
export const LENGTH_FACTOR = 1.5;
export const PER_MILE_FACTOR = 1.5;
/** O'Hare (76) and Midway (56) have about 8% of the sample's pickups; x5 makes them about 30%. */
export const AIRPORT_FACTOR = 5;

const NONE: DriftEffect = {
  description: 'No drift: the calibrated distributions as measured on the sample.',
  hourFactor: flatHours,
  pickupAreaFactor: {},
  lengthFactor: 1,
  perMileFactor: 1,
};

export const DRIFTS: Readonly<Record<DriftName, DriftEffect>> = {
  none: NONE,
  longer_trips: {
    ...NONE,
    description: `Trips ${Math.round((LENGTH_FACTOR - 1) * 100)}% longer in miles and seconds; fares follow through the meter.`,
    lengthFactor: LENGTH_FACTOR,
  },
  night_shift: {
    ...NONE,
    description: `Pickups between 20:00 and 04:00 ${NIGHT_FACTOR}x as likely.`,
    hourFactor: flatHours.map((f, h) => (NIGHT_HOURS.includes(h) ? NIGHT_FACTOR : f)),
  },
  fare_hike: {
    ...NONE,
    description: `Per-mile rate up ${Math.round((PER_MILE_FACTOR - 1) * 100)}%; zero-mile trips rise by the distance share of their fare.`,
    perMileFactor: PER_MILE_FACTOR,
  },
  airport_surge: {
    ...NONE,
    description: `Pickups at O'Hare (76) and Midway (56) ${AIRPORT_FACTOR}x as likely, so trips get longer.`,
    pickupAreaFactor: { 76: AIRPORT_FACTOR, 56: AIRPORT_FACTOR },
  },
};
