/**
 * The pickup-time model: every 15-minute slot in the requested range gets a weight from the sample's
 * weekday x hour profile and month intensity, and pickups are drawn from those slots, so timestamps are
 * multiples of 900 s like the sample's.
 */
import { AppError } from '../../../platform/errors.js';
import type { Calibration } from './calibration.js';

export const SLOT_SECONDS = 900;
const DAY_SECONDS = 86_400;
/** A range longer than this is a typo, not a request (about 285 years of slots). */
const MAX_SLOTS = 10_000_000;
const AVG_DAYS_IN_MONTH = [31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export const DEFAULT_START = '2016-01-01';
export const DEFAULT_END = '2016-12-31';

export interface TimeRange {
  /** Requested bounds, inclusive, as epoch milliseconds. */
  startMs: number;
  endMs: number;
  /** First 15-minute slot at or after start, epoch seconds. */
  firstSlot: number;
  slotCount: number;
}

/**
 * A date-only bound covers its whole day, so `--end 2016-12-31` includes that evening. Times without a
 * zone are read as UTC-labelled wall-clock time, the trip store's convention.
 */
export function instantOf(text: string, bound: 'start' | 'end'): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const ms = Date.parse(dateOnly || zoned ? text : `${text}Z`);
  if (Number.isNaN(ms)) throw new AppError('INVALID_INPUT', `not a date: ${text}`, { value: text });
  return dateOnly && bound === 'end' ? ms + DAY_SECONDS * 1000 - 1 : ms;
}

export function timeRangeOf(start: string | undefined, end: string | undefined): TimeRange {
  const startMs = instantOf(start ?? DEFAULT_START, 'start');
  const endMs = instantOf(end ?? DEFAULT_END, 'end');
  if (!(startMs < endMs)) {
    throw new AppError('INVALID_INPUT', 'start must be before end', { start: start ?? DEFAULT_START, end: end ?? DEFAULT_END });
  }
  const firstSlot = Math.ceil(startMs / 1000 / SLOT_SECONDS) * SLOT_SECONDS;
  const lastSlot = Math.floor(endMs / 1000 / SLOT_SECONDS) * SLOT_SECONDS;
  const slotCount = (lastSlot - firstSlot) / SLOT_SECONDS + 1;
  if (slotCount < 1) {
    throw new AppError('INVALID_INPUT', 'the range holds no 15-minute pickup slot', { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString() });
  }
  if (slotCount > MAX_SLOTS) throw new AppError('INVALID_INPUT', `the range spans ${slotCount} 15-minute slots; at most ${MAX_SLOTS} are allowed`, { slots: slotCount });
  return { startMs, endMs, firstSlot, slotCount };
}

export interface SlotTable {
  weights: Float64Array;
  /** Index into `months` of each slot, so the months a run touched are known without date math per row. */
  monthOfSlot: Uint16Array;
  /** 'YYYY-MM' keys in order. */
  months: string[];
}

/** `hourFactor` lets a drift reshape the day without touching the calibration. */
export function slotTableOf(range: TimeRange, time: Calibration['time'], hourFactor: readonly number[]): SlotTable {
  const weights = new Float64Array(range.slotCount);
  const monthOfSlot = new Uint16Array(range.slotCount);
  const months: string[] = [];
  const monthTotal = time.month.reduce((a, b) => a + b, 0) || 1;
  const monthDaily = time.month.map((c, m) => (c / monthTotal) * (365.25 / AVG_DAYS_IN_MONTH[m]!));
  let day = -1;
  let dayBase: number[] = [];
  let dayMonth = 0;
  for (let k = 0; k < range.slotCount; k++) {
    const s = range.firstSlot + k * SLOT_SECONDS;
    const d = Math.floor(s / DAY_SECONDS);
    if (d !== day) {
      day = d;
      const date = new Date(d * DAY_SECONDS * 1000);
      const key = date.toISOString().slice(0, 7);
      if (months.at(-1) !== key) months.push(key);
      dayMonth = months.length - 1;
      const intensity = monthDaily[date.getUTCMonth()]!;
      dayBase = time.weekday_hour[date.getUTCDay()]!.map((w, h) => w * intensity * (hourFactor[h] ?? 1));
    }
    weights[k] = dayBase[Math.floor((s - d * DAY_SECONDS) / 3600)]!;
    monthOfSlot[k] = dayMonth;
  }
  return { weights, monthOfSlot, months };
}
