/**
 * Generated trips in columnar form: typed arrays plus the dictionaries their codes point into. This is
 * what the DuckDB writer copies from; `tripsOfBatch` turns a batch into canonical Trip records for
 * callers that want objects (stream replay, tests).
 */
import type { Trip } from '../trip.js';

export interface TripDictionary {
  seed: number;
  /** g<seed>, plus the drift and a range hash when they differ from the defaults: runs that differ only
   *  in drift or dates must not collide in the trip store, where equal ids count as duplicates. */
  idPrefix: string;
  paymentTypes: readonly string[];
  /** Company names; a trip's code -1 means no company, like a third of the sample. */
  companies: readonly string[];
  /** Taxi ids by pool index; each taxi belongs to one company. */
  taxiIds: readonly string[];
  /** Coordinates of the points trips start and end at (tract centroids seen in the sample). */
  pointLat: Float64Array;
  pointLon: Float64Array;
}

export interface TripBatch {
  /** Run-wide index of the first row; row k's trip id is <idPrefix>-<start + k>. */
  start: number;
  length: number;
  dict: TripDictionary;
  /** Pickup time, epoch seconds of the UTC-labelled wall clock, a multiple of 900. */
  pickupS: Float64Array;
  tripSeconds: Int32Array;
  tripMiles: Float64Array;
  fare: Float64Array;
  tips: Float64Array;
  /** Community area 1..77, 0 for none. */
  pickupArea: Uint8Array;
  dropoffArea: Uint8Array;
  /** Index into dict.pointLat/pointLon, -1 when the area is none (no coordinates either). */
  pickupPoint: Int16Array;
  dropoffPoint: Int16Array;
  payment: Uint8Array;
  company: Int16Array;
  taxi: Int32Array;
}

export function allocateBatch(capacity: number, dict: TripDictionary): TripBatch {
  return {
    start: 0,
    length: 0,
    dict,
    pickupS: new Float64Array(capacity),
    tripSeconds: new Int32Array(capacity),
    tripMiles: new Float64Array(capacity),
    fare: new Float64Array(capacity),
    tips: new Float64Array(capacity),
    pickupArea: new Uint8Array(capacity),
    dropoffArea: new Uint8Array(capacity),
    pickupPoint: new Int16Array(capacity),
    dropoffPoint: new Int16Array(capacity),
    payment: new Uint8Array(capacity),
    company: new Int16Array(capacity),
    taxi: new Int32Array(capacity),
  };
}

export const tripIdOf = (idPrefix: string, index: number): string => `${idPrefix}-${index}`;
export const taxiIdOf = (poolIndex: number): string => `gtaxi-${String(poolIndex + 1).padStart(4, '0')}`;

const coord = (values: Float64Array, point: number): number | null => (point < 0 ? null : values[point]!);

export function tripOfBatchRow(b: TripBatch, k: number): Trip {
  const pickup = b.pickupS[k]! * 1000;
  const company = b.company[k]!;
  return {
    trip_id: tripIdOf(b.dict.idPrefix, b.start + k),
    trip_id_derived: false,
    taxi_id: b.dict.taxiIds[b.taxi[k]!]!,
    taxi_id_derived: false,
    pickup_datetime: new Date(pickup),
    dropoff_datetime: new Date(pickup + b.tripSeconds[k]! * 1000),
    pickup_latitude: coord(b.dict.pointLat, b.pickupPoint[k]!),
    pickup_longitude: coord(b.dict.pointLon, b.pickupPoint[k]!),
    dropoff_latitude: coord(b.dict.pointLat, b.dropoffPoint[k]!),
    dropoff_longitude: coord(b.dict.pointLon, b.dropoffPoint[k]!),
    pickup_community_area: b.pickupArea[k]! || null,
    dropoff_community_area: b.dropoffArea[k]! || null,
    passenger_count: null,
    trip_distance: b.tripMiles[k]!,
    trip_seconds: b.tripSeconds[k]!,
    fare_amount: b.fare[k]!,
    tips: b.tips[k]!,
    // The sample carries no tolls, extras or totals; inventing them would fake a precision it lacks.
    tolls: null,
    extras: null,
    trip_total: null,
    payment_type: b.dict.paymentTypes[b.payment[k]!] ?? null,
    company: company < 0 ? null : b.dict.companies[company]!,
  };
}

export function tripsOfBatch(b: TripBatch): Trip[] {
  return Array.from({ length: b.length }, (_, k) => tripOfBatchRow(b, k));
}
