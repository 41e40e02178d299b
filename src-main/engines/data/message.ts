/**
 * The trip message of the stream topics (`taxi-raw-data`): the platform guide's JSON form,
 *   {"trip_id":"trip_001","pickup_datetime":"2024-01-01T10:00:00Z","dropoff_datetime":"2024-01-01T10:30:00Z",
 *    "pickup_latitude":41.88,"pickup_longitude":-87.63,"dropoff_latitude":41.89,"dropoff_longitude":-87.62,
 *    "passenger_count":2,"trip_distance":3.5,"fare_amount":12.50}
 * plus, optionally, every other field of the canonical trip. Checked with the same rules table as CSV
 * imports (rules.ts); a bad message gets every problem, each naming its field.
 *
 * Times without a zone are read as UTC, matching the UTC-labelled wall-clock convention of trip.ts;
 * a number is taken as unix seconds, like the TFX sample.
 */
import { z } from 'zod';
import type { ValidationRules } from '../../platform/config.js';
import { md5Hex, pseudoTaxiId } from './layouts.js';
import { checkRecord, deriveValues, INPUT_FIELD_NAMES, INPUT_FIELDS, type FieldValue, type InputField, type RecordStages, type RejectReason } from './rules.js';
import { TRIP_COLUMNS, type Trip } from './trip.js';

const numberLike = z.union([z.number(), z.string()]).nullable().optional();
const timeLike = z.union([z.string(), z.number()]);
const text = z.string().nullable().optional();

export const TripMessageSchema = z.object({
  trip_id: z.string().trim().min(1, 'trip_id must not be empty'),
  trip_id_derived: z.boolean().optional(),
  taxi_id: text,
  taxi_id_derived: z.boolean().optional(),
  pickup_datetime: timeLike,
  dropoff_datetime: timeLike.nullable().optional(),
  pickup_latitude: numberLike,
  pickup_longitude: numberLike,
  dropoff_latitude: numberLike,
  dropoff_longitude: numberLike,
  pickup_community_area: numberLike,
  dropoff_community_area: numberLike,
  passenger_count: numberLike,
  trip_distance: numberLike,
  trip_seconds: numberLike,
  fare_amount: numberLike,
  tips: numberLike,
  tolls: numberLike,
  extras: numberLike,
  trip_total: numberLike,
  payment_type: text,
  company: text,
});
export type TripMessage = z.input<typeof TripMessageSchema>;

export type MessageErrorReason = RejectReason | 'invalid_type';

export interface MessageError {
  field: string;
  reason: MessageErrorReason;
  message: string;
}

export type ParseTripResult = { ok: true; trip: Trip } | { ok: false; errors: MessageError[] };

// ---------- text → value, with the same acceptance as the SQL path ----------

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite number, or null (like DuckDB's TRY_CAST to DOUBLE, without 'nan' and 'inf'). */
export function parseNumberText(s: string): number | null {
  if (!NUMBER_RE.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const US_RE = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) ([AP]M)$/i;

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): Date | null {
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(t);
  // Date.UTC rolls 02/30 over to March; a real calendar date comes back unchanged.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return back;
}

/** ISO 8601 (zone optional, UTC when absent), portal `MM/DD/YYYY hh:mm:ss AM`, or unix seconds. */
export function parseTimestampText(s: string): Date | null {
  const n = parseNumberText(s);
  if (n !== null) return Math.abs(n) < 1e11 ? new Date(Math.round(n * 1e6) / 1e3) : null;
  const iso = ISO_RE.exec(s);
  if (iso) {
    const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '0', zone] = iso;
    const base = utc(+y!, +mo!, +d!, +h, +mi, +sec, Math.round(Number(`0.${frac}`) * 1000));
    if (!base || !zone || zone.toUpperCase() === 'Z') return base;
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const offsetMin = (z[1] === '-' ? -1 : 1) * (+z[2]! * 60 + +z[3]!);
    return new Date(base.getTime() - offsetMin * 60_000);
  }
  const us = US_RE.exec(s);
  if (us) {
    const [, mo, d, y, h, mi, sec, ampm] = us;
    const hour = +h!;
    if (hour < 1 || hour > 12) return null;
    return utc(+y!, +mo!, +d!, (hour % 12) + (ampm!.toUpperCase() === 'PM' ? 12 : 0), +mi!, +sec!, 0);
  }
  return null;
}

// ---------- message → trip ----------

type ParsedMessage = z.output<typeof TripMessageSchema>;

function rawText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v).trim();
  return s === '' ? null : s;
}

function stagesOf(msg: ParsedMessage): RecordStages {
  const raw: RecordStages['raw'] = {};
  const parsed: RecordStages['parsed'] = {};
  for (const f of INPUT_FIELD_NAMES) {
    const r = rawText(msg[f]);
    raw[f] = r;
    const kind = INPUT_FIELDS[f];
    if (r === null) parsed[f] = null;
    else if (kind === 'timestamp') parsed[f] = parseTimestampText(r);
    else if (kind === 'number' || kind === 'integer') parsed[f] = typeof msg[f] === 'number' ? (msg[f] as number) : parseNumberText(r);
    else parsed[f] = r;
  }
  return { raw, parsed };
}

function zodErrors(error: z.ZodError, value: unknown): MessageError[] {
  const obj = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  return error.issues.map((issue) => {
    const field = issue.path.length ? String(issue.path[0]) : '(message)';
    const given = issue.path.length ? obj[field] : value;
    const missing = issue.path.length > 0 && (given === undefined || given === null || given === '');
    return {
      field,
      reason: missing ? 'missing_required' : 'invalid_type',
      message: missing ? `${field} is missing; it is required` : `${field}: ${issue.message}`,
    };
  });
}

const numOrNull = (v: FieldValue | undefined): number | null => (typeof v === 'number' ? v : null);
const textOrNull = (v: FieldValue | undefined): string | null => (typeof v === 'string' ? v : null);

function tripOf(msg: ParsedMessage, value: Partial<Record<InputField, FieldValue>>): Trip {
  const company = textOrNull(value.company);
  const taxi = textOrNull(value.taxi_id);
  return {
    trip_id: msg.trip_id,
    trip_id_derived: msg.trip_id_derived ?? false,
    taxi_id: taxi ?? pseudoTaxiId(company, md5Hex(msg.trip_id)),
    taxi_id_derived: taxi ? (msg.taxi_id_derived ?? false) : true,
    pickup_datetime: value.pickup_datetime as Date,
    dropoff_datetime: value.dropoff_datetime as Date,
    pickup_latitude: numOrNull(value.pickup_latitude),
    pickup_longitude: numOrNull(value.pickup_longitude),
    dropoff_latitude: numOrNull(value.dropoff_latitude),
    dropoff_longitude: numOrNull(value.dropoff_longitude),
    pickup_community_area: numOrNull(value.pickup_community_area),
    dropoff_community_area: numOrNull(value.dropoff_community_area),
    passenger_count: numOrNull(value.passenger_count),
    trip_distance: numOrNull(value.trip_distance)!,
    trip_seconds: numOrNull(value.trip_seconds)!,
    fare_amount: numOrNull(value.fare_amount)!,
    tips: numOrNull(value.tips),
    tolls: numOrNull(value.tolls),
    extras: numOrNull(value.extras),
    trip_total: numOrNull(value.trip_total),
    payment_type: textOrNull(value.payment_type),
    company,
  };
}

/** A stream message as a canonical trip, or every problem with it (each naming its field). */
export function parseTripMessage(value: unknown, rules: ValidationRules): ParseTripResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errors: [{ field: '(message)', reason: 'invalid_type', message: 'a trip message must be a JSON object' }] };
  }
  const shape = TripMessageSchema.safeParse(value);
  if (!shape.success) return { ok: false, errors: zodErrors(shape.error, value) };
  const stages = stagesOf(shape.data);
  const failures = checkRecord(stages, rules);
  if (failures.length > 0) return { ok: false, errors: failures.map((f) => ({ field: f.field, reason: f.reason, message: f.message })) };
  return { ok: true, trip: tripOf(shape.data, deriveValues(stages.parsed)) };
}

/** The JSON message of a trip; parseTripMessage(tripToMessage(t)) gives t back. */
export function tripToMessage(trip: Trip): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const c of TRIP_COLUMNS) {
    const v = trip[c.name];
    out[c.name] = v instanceof Date ? v.toISOString() : v;
  }
  return out;
}
