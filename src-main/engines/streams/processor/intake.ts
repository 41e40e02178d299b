/**
 * Raw messages in, trips or dead letters out. A message that is empty, too big for a trip, not JSON, or
 * not a valid trip (the trip message format with the workspace's import rules) becomes a dead letter:
 * its original bytes, key and headers, plus headers saying why and where it came from.
 */
import type { ValidationRules } from '../../../platform/config.js';
import { parseTripMessage, type MessageError } from '../../data/message.js';
import type { Trip } from '../../data/trip.js';
import { DEAD_LETTER_HEADERS, MAX_MESSAGE_BYTES, messageBytes } from '../topics.js';
import type { BusMessage, OutgoingMessage } from '../types.js';

/** A trip message is a few hundred bytes; anything past this is refused before parsing. */
export const MAX_TRIP_MESSAGE_BYTES = 64 * 1024;

export type DeadLetterReason = 'empty_value' | 'too_large' | 'not_json' | MessageError['reason'];

export interface Refused {
  message: BusMessage;
  reason: DeadLetterReason;
  errors: { field: string; reason: string; message: string }[];
}

export type Intake = { ok: true; message: BusMessage; trip: Trip } | ({ ok: false } & Refused);

export function intake(m: BusMessage, rules: ValidationRules): Intake {
  const refuse = (reason: DeadLetterReason, field: string, message: string): Intake => ({ ok: false, message: m, reason, errors: [{ field, reason, message }] });
  if (m.value === null || m.value.length === 0) return refuse('empty_value', '(value)', 'the message has no value; expected a trip message (JSON object)');
  if (m.value.length > MAX_TRIP_MESSAGE_BYTES) {
    return refuse('too_large', '(value)', `the message is ${m.value.length} bytes; a trip message is at most ${MAX_TRIP_MESSAGE_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(m.value.toString('utf8'));
  } catch (e) {
    return refuse('not_json', '(value)', `not JSON: ${(e as Error).message}`);
  }
  const r = parseTripMessage(json, rules);
  if (!r.ok) return { ok: false, message: m, reason: r.errors[0]!.reason, errors: r.errors };
  return { ok: true, message: m, trip: r.trip };
}

/** The dead letter of a refused message; a value that would not fit with the added headers is cut and says so. */
export function deadLetterOf(r: Refused, failedAt: number): OutgoingMessage {
  const headers: Record<string, string> = {
    ...r.message.headers,
    [DEAD_LETTER_HEADERS.reason]: r.reason,
    [DEAD_LETTER_HEADERS.errors]: JSON.stringify(r.errors.slice(0, 50)),
    [DEAD_LETTER_HEADERS.sourceTopic]: r.message.topic,
    [DEAD_LETTER_HEADERS.sourcePartition]: String(r.message.partition),
    [DEAD_LETTER_HEADERS.sourceOffset]: String(r.message.offset),
    [DEAD_LETTER_HEADERS.failedAt]: new Date(failedAt).toISOString(),
  };
  let value = r.message.value;
  const room = MAX_MESSAGE_BYTES - messageBytes(r.message.key, null, { ...headers, 'dlq.truncated_from': String(value?.length ?? 0) });
  if (value && value.length > room) {
    headers['dlq.truncated_from'] = String(value.length);
    value = value.subarray(0, Math.max(0, room));
  }
  return { key: r.message.key, value, headers };
}
