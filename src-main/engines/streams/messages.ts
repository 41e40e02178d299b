/**
 * Reading messages the way a Kafka console does: a start position (earliest, an offset, a time, or the
 * newest), a limit, a text or JSON-field filter, several partitions merged by time. One algorithm over
 * a `MessageSource`, so both buses browse alike.
 */
import type { MessageView } from '../../api/methods/streams.js';
import { AppError } from '../../platform/errors.js';
import type { BusMessage, FetchRequest, FetchResult, MessageFilter, ProducedOffset } from './types.js';

export interface PartitionRange {
  partition: number;
  low: number;
  high: number;
}

export interface ScanPlan {
  partition: number;
  from: number;
  /** Exclusive. */
  to: number;
}

export interface MessageSource {
  /** Offsets of the partitions asked for (all when `partition` is undefined); NOT_FOUND for unknown ones. */
  ranges(topic: string, partition?: number): Promise<PartitionRange[]>;
  /** First offset whose timestamp is ≥ `timestamp`, or the high offset when there is none. */
  offsetForTime(topic: string, partition: number, timestamp: number): Promise<number>;
  /** Reads each plan's offsets in order; `visit` returns false when that partition needs no more. */
  scan(topic: string, plans: readonly ScanPlan[], visit: (m: BusMessage) => boolean): Promise<void>;
}

export const DEFAULT_MAX_SCAN = 10_000;

/** The value at a dotted path of a JSON document (`features.trips_1h`, `items.0.id`). */
export function fieldAt(doc: unknown, path: string): { found: boolean; value: unknown } {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return { found: false, value: undefined };
    cur = (cur as Record<string, unknown>)[part];
  }
  return { found: true, value: cur };
}

function jsonOf(value: Buffer | null): unknown {
  if (value === null) return undefined;
  try {
    return JSON.parse(value.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

const textOfScalar = (v: unknown): string => (v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** A predicate for a filter; undefined when the filter is empty. */
export function messageMatcher(filter: MessageFilter | undefined): ((m: BusMessage) => boolean) | undefined {
  if (!filter || (!filter.text && !filter.field)) return undefined;
  const needle = filter.text ? filter.text.toLowerCase() : null;
  const field = filter.field ?? null;
  const wanted = filter.equals === undefined ? undefined : textOfScalar(filter.equals);
  return (m) => {
    if (needle !== null) {
      const inKey = m.key?.toLowerCase().includes(needle) ?? false;
      const inValue = !inKey && (m.value?.toString('utf8').toLowerCase().includes(needle) ?? false);
      const inHeaders = !inKey && !inValue && Object.entries(m.headers).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(needle));
      if (!inKey && !inValue && !inHeaders) return false;
    }
    if (field !== null) {
      const at = fieldAt(jsonOf(m.value), field);
      if (!at.found) return false;
      if (wanted !== undefined && textOfScalar(at.value) !== wanted) return false;
    }
    return true;
  };
}

const byTime = (a: BusMessage, b: BusMessage): number => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset;

interface PartitionState {
  plan: ScanPlan;
  matches: BusMessage[];
  scanned: number;
  nextRead: number;
}

async function planOf(source: MessageSource, req: FetchRequest, r: PartitionRange, filtered: boolean, maxScan: number): Promise<ScanPlan> {
  const clamp = (o: number): number => Math.min(Math.max(o, r.low), r.high);
  const f = req.from;
  let from: number;
  if (f.type === 'earliest') from = r.low;
  else if (f.type === 'offset') from = clamp(f.offset);
  else if (f.type === 'timestamp') from = clamp(await source.offsetForTime(req.topic, r.partition, f.timestamp));
  else from = Math.max(r.low, r.high - (filtered ? maxScan : req.limit));
  return { partition: r.partition, from, to: Math.min(r.high, from + maxScan) };
}

/** Browse: the messages a request asks for, and where to continue. */
export async function fetchMessages(source: MessageSource, req: FetchRequest): Promise<FetchResult> {
  if (!Number.isInteger(req.limit) || req.limit < 1) throw new AppError('INVALID_INPUT', `limit must be a positive integer, got ${req.limit}`, { limit: req.limit });
  const matcher = messageMatcher(req.filter);
  const maxScan = Math.max(req.maxScan ?? DEFAULT_MAX_SCAN, req.limit);
  const newest = req.from.type === 'latest';
  const ranges = await source.ranges(req.topic, req.partition);
  const states = new Map<number, PartitionState>();
  for (const r of ranges) {
    const plan = await planOf(source, req, r, matcher !== undefined, maxScan);
    states.set(r.partition, { plan, matches: [], scanned: 0, nextRead: plan.from });
  }
  const plans = [...states.values()].map((s) => s.plan).filter((p) => p.from < p.to);
  if (plans.length > 0) {
    await source.scan(req.topic, plans, (m) => {
      const st = states.get(m.partition);
      if (!st || m.offset < st.nextRead) return true;
      st.scanned++;
      st.nextRead = m.offset + 1;
      if (!matcher || matcher(m)) st.matches.push(m);
      if (!newest && st.matches.length >= req.limit) return false;
      return st.nextRead < st.plan.to;
    });
  }
  const all = [...states.values()].flatMap((s) => s.matches).sort(byTime);
  const messages = newest ? all.slice(-req.limit) : all.slice(0, req.limit);
  const next = nextOffsets(states, messages, ranges, newest);
  return {
    messages,
    next,
    scanned: [...states.values()].reduce((n, s) => n + s.scanned, 0),
    reached_end: next.every((n) => n.offset >= (ranges.find((r) => r.partition === n.partition)?.high ?? 0)),
  };
}

/** Where the next page starts in each partition: after the last message shown, or after what was scanned. */
function nextOffsets(states: Map<number, PartitionState>, shown: BusMessage[], ranges: PartitionRange[], newest: boolean): ProducedOffset[] {
  const lastShown = new Map<number, number>();
  for (const m of shown) lastShown.set(m.partition, Math.max(lastShown.get(m.partition) ?? -1, m.offset));
  return ranges.map((r) => {
    if (newest) return { partition: r.partition, offset: r.high };
    const st = states.get(r.partition)!;
    const shownUpTo = lastShown.get(r.partition);
    const firstDropped = st.matches.find((m) => shownUpTo === undefined || m.offset > shownUpTo);
    if (firstDropped) return { partition: r.partition, offset: shownUpTo === undefined ? firstDropped.offset : shownUpTo + 1 };
    return { partition: r.partition, offset: st.nextRead };
  });
}

// ---------- what the console and the API show ----------

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A message as the API shows it: text when the value is UTF-8, parsed JSON when it is JSON, base64 otherwise. */
export function viewOf(m: BusMessage): MessageView {
  const base = {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: new Date(m.timestamp).toISOString(),
    timestamp_ms: m.timestamp,
    key: m.key,
    headers: m.headers,
    size: (m.value?.length ?? 0) + (m.key ? Buffer.byteLength(m.key) : 0),
  };
  if (m.value === null) return { ...base, encoding: 'null', value: null };
  let text: string;
  try {
    text = UTF8.decode(m.value);
  } catch {
    return { ...base, encoding: 'binary', value: m.value.toString('base64') };
  }
  try {
    return { ...base, encoding: 'json', value: text, json: JSON.parse(text) as unknown };
  } catch {
    return { ...base, encoding: 'text', value: text };
  }
}
