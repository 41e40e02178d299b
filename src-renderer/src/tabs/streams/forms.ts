/**
 * The Streams forms hold text; the contract's schemas want numbers, JSON and unions. These turn drafts into
 * inputs and check them with the contract's own schemas, so a form says what the server would before a
 * request is sent. The server still checks (the topic's JSON schema is only known there).
 */
import { BrowseInputSchema, ProduceInputSchema, ResetInputSchema, streamsMethods } from '../../../../src-main/api/methods/streams';
import type { Input } from '../../api/client';
import type { BrowseFrom, BrowseQuery } from '../../stores/streams';

export type FieldErrors = Record<string, string>;
export type Checked<T> = { input: T; errors: FieldErrors } | { input: null; errors: FieldErrors };

type Issue = { path: readonly PropertyKey[]; message: string };

/** First message per form field; nested paths (messages.0.key) land on the field the form shows (key). */
function errorsOf(issues: readonly Issue[], fieldOf: (path: readonly PropertyKey[]) => string = (p) => String(p[0] ?? 'form')): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const f = fieldOf(issue.path);
    if (!errors[f]) errors[f] = issue.message;
  }
  return errors;
}

function result<T>(input: T, errors: FieldErrors): Checked<T> {
  return Object.keys(errors).length === 0 ? { input, errors } : { input: null, errors };
}

/** An integer typed in a box, or the reason it isn't one; empty is `undefined`. */
function intOf(text: string, field: string, errors: FieldErrors): number | undefined {
  const t = text.trim().replace(/[_,]/g, '');
  if (t === '') return undefined;
  const n = Number(t);
  if (!Number.isInteger(n)) {
    errors[field] = `expected a whole number, got "${text.trim()}"`;
    return undefined;
  }
  return n;
}

// ---------- create topic ----------

export const RETENTION_UNITS = { hours: 3_600_000, days: 86_400_000, forever: 0 } as const;
export type RetentionUnit = keyof typeof RETENTION_UNITS;

export interface CreateDraft {
  name: string;
  partitions: string;
  retention: string;
  unit: RetentionUnit;
  /** Per partition, MiB; empty = no size limit. */
  retentionMiB: string;
}

export function checkCreate(d: CreateDraft): Checked<Input<'streams.topics.create'>> {
  const errors: FieldErrors = {};
  const partitions = intOf(d.partitions, 'partitions', errors);
  const amount = d.unit === 'forever' ? undefined : intOf(d.retention, 'retention', errors);
  if (d.unit !== 'forever' && amount === undefined && !errors.retention) errors.retention = 'how long to keep messages (or choose "forever")';
  const mib = d.retentionMiB.trim() === '' ? undefined : Number(d.retentionMiB.trim());
  if (mib !== undefined && !(Number.isFinite(mib) && mib > 0)) errors.retention_bytes = `expected a positive size in MiB, got "${d.retentionMiB.trim()}"`;
  const input = {
    name: d.name.trim(),
    ...(partitions !== undefined ? { partitions } : {}),
    retention_ms: d.unit === 'forever' ? null : (amount ?? 0) * RETENTION_UNITS[d.unit],
    retention_bytes: mib === undefined || errors.retention_bytes ? null : Math.round(mib * 1024 * 1024),
  };
  const parsed = streamsMethods['streams.topics.create'].input.safeParse(input);
  const all = { ...(parsed.success ? {} : errorsOf(parsed.error.issues, (p) => (p[0] === 'retention_ms' ? 'retention' : String(p[0])))), ...errors };
  return result(input, all);
}

// ---------- produce ----------

export interface ProduceDraft {
  key: string;
  /** One `name=value` per line. */
  headers: string;
  value: string;
  /** Empty = the partitioner chooses (by key). */
  partition: string;
  validate: boolean;
}

export function headersOf(text: string, errors: FieldErrors): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const eq = line.indexOf('=');
    if (eq <= 0) {
      errors.headers = `line ${i + 1}: expected name=value, got "${line}"`;
      return undefined;
    }
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return lines.length > 0 ? out : undefined;
}

export function checkProduce(topic: string, d: ProduceDraft): Checked<Input<'streams.produce'>> {
  const errors: FieldErrors = {};
  let value: unknown;
  let text: string | undefined;
  if (d.value.trim() !== '') {
    try {
      value = JSON.parse(d.value) as unknown;
    } catch (e) {
      // Not JSON is allowed on a topic without a schema (sent as text); the server refuses it on one with.
      text = d.value;
      void e;
    }
  }
  const headers = headersOf(d.headers, errors);
  const partition = intOf(d.partition, 'partition', errors);
  const message = {
    ...(d.key.trim() !== '' ? { key: d.key.trim() } : {}),
    ...(value !== undefined ? { value } : {}),
    ...(text !== undefined ? { text } : {}),
    ...(headers ? { headers } : {}),
    ...(partition !== undefined ? { partition } : {}),
  };
  const input = { topic, messages: [message], validate: d.validate };
  const parsed = ProduceInputSchema.safeParse(input);
  const fieldOf = (p: readonly PropertyKey[]): string => (p[0] === 'messages' && p.length > 2 ? (p[2] === 'text' ? 'value' : String(p[2])) : String(p[0]));
  return result(input, { ...(parsed.success ? {} : errorsOf(parsed.error.issues, fieldOf)), ...errors });
}

/** A JSON parse problem said the way an operator fixes it: where, and what. */
export function jsonProblem(text: string): string | null {
  if (text.trim() === '') return null;
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

// ---------- schema ----------

export interface SchemaField {
  name: string;
  type: string;
  required: boolean;
  description: string | null;
}

function typeOf(s: unknown): string {
  if (!s || typeof s !== 'object') return 'any';
  const o = s as Record<string, unknown>;
  if (typeof o.type === 'string') return o.format ? `${o.type} (${String(o.format)})` : o.type;
  if (Array.isArray(o.type)) return o.type.join(' | ');
  const alts = (o.anyOf ?? o.oneOf) as unknown[] | undefined;
  if (Array.isArray(alts)) return [...new Set(alts.map(typeOf))].join(' | ');
  if (Array.isArray(o.enum)) return o.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in o) return JSON.stringify(o.const);
  return 'any';
}

/** The top-level fields of a topic's JSON schema, for the produce form's field list. */
export function schemaFields(schema: Record<string, unknown> | null): SchemaField[] {
  const props = schema?.properties;
  if (!props || typeof props !== 'object') return [];
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(props as Record<string, unknown>).map(([name, s]) => ({
    name,
    type: typeOf(s),
    required: required.has(name),
    description: s && typeof s === 'object' && typeof (s as { description?: unknown }).description === 'string' ? (s as { description: string }).description : null,
  }));
}

/** `pickup_datetime`, `features.trips_1h`, `(value)` → the top-level field a problem belongs to. */
export const topField = (field: string): string => field.split(/[.[]/)[0] ?? field;

// ---------- browse ----------

export type FromKind = 'latest' | 'earliest' | 'offset' | 'timestamp';

export interface BrowseDraft {
  partition: string;
  from: FromKind;
  offset: string;
  timestamp: string;
  limit: string;
  text: string;
  field: string;
  equals: string;
}

/** Up to this many messages in one browse; the store pages the server's 1,000 per call. */
export const BROWSE_MAX = 200_000;

const equalsOf = (s: string): string | number | boolean | null => {
  const t = s.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
};

export function checkBrowse(topic: string, d: BrowseDraft): Checked<BrowseQuery> {
  const errors: FieldErrors = {};
  const partition = intOf(d.partition, 'partition', errors);
  const limit = intOf(d.limit, 'limit', errors) ?? 100;
  if (limit < 1 || limit > BROWSE_MAX) errors.limit = `between 1 and ${BROWSE_MAX.toLocaleString('en-US')}`;
  let from: BrowseFrom = d.from === 'offset' || d.from === 'timestamp' ? 'latest' : d.from;
  if (d.from === 'offset') {
    const o = intOf(d.offset, 'offset', errors);
    if (o === undefined && !errors.offset) errors.offset = 'the offset to start from';
    from = { offset: o ?? 0 };
  } else if (d.from === 'timestamp') {
    const t = d.timestamp.trim();
    if (t === '') errors.timestamp = 'a time such as 2026-01-31T10:00:00Z';
    from = { timestamp: /^\d+$/.test(t) ? Number(t) : t };
  }
  const filter = {
    ...(d.text.trim() !== '' ? { text: d.text.trim() } : {}),
    ...(d.field.trim() !== '' ? { field: d.field.trim() } : {}),
    ...(d.field.trim() !== '' && d.equals.trim() !== '' ? { equals: equalsOf(d.equals) } : {}),
  };
  if (d.field.trim() === '' && d.equals.trim() !== '') errors.field = 'which JSON field must equal the value';
  // The server checks one page's limit (≤ 1,000); the rest of the input is the same shape.
  const parsed = BrowseInputSchema.safeParse({
    topic,
    ...(partition !== undefined ? { partition } : {}),
    from,
    limit: Math.min(limit, 1000),
    ...(Object.keys(filter).length ? { filter } : {}),
  });
  const fieldOf = (p: readonly PropertyKey[]): string => (p[0] === 'from' ? (d.from === 'offset' ? 'offset' : 'timestamp') : p[0] === 'filter' ? String(p[1] ?? 'text') : String(p[0]));
  const all = { ...(parsed.success ? {} : errorsOf(parsed.error.issues, fieldOf)), ...errors };
  return result({ topic, partition: partition ?? null, from, limit, filter: Object.keys(filter).length ? filter : null }, all);
}

// ---------- reset offsets ----------

export type ResetKind = 'earliest' | 'latest' | 'timestamp' | 'offset';

export interface ResetDraft {
  topic: string;
  to: ResetKind;
  timestamp: string;
  offset: string;
  /** Comma-separated partition numbers; empty = all. */
  partitions: string;
}

export function checkReset(group: string, d: ResetDraft, dryRun: boolean): Checked<Input<'streams.groups.reset'>> {
  const errors: FieldErrors = {};
  let to: Input<'streams.groups.reset'>['to'] = d.to === 'earliest' || d.to === 'latest' ? d.to : 'earliest';
  if (d.to === 'offset') {
    const o = intOf(d.offset, 'offset', errors);
    if (o === undefined && !errors.offset) errors.offset = 'the offset to move to';
    to = { offset: o ?? 0 };
  } else if (d.to === 'timestamp') {
    const t = d.timestamp.trim();
    if (t === '') errors.timestamp = 'a time such as 2026-01-31T10:00:00Z';
    to = { timestamp: /^\d+$/.test(t) ? Number(t) : t };
  }
  let partitions: number[] | undefined;
  if (d.partitions.trim() !== '') {
    const parts = d.partitions.split(',').map((s) => s.trim());
    if (parts.some((p) => !/^\d+$/.test(p))) errors.partitions = 'partition numbers separated by commas, e.g. 0,2';
    else partitions = parts.map(Number);
  }
  const input = { group, topic: d.topic, to, ...(partitions ? { partitions } : {}), dry_run: dryRun };
  const parsed = ResetInputSchema.safeParse(input);
  const fieldOf = (p: readonly PropertyKey[]): string => (p[0] === 'to' ? (d.to === 'offset' ? 'offset' : 'timestamp') : String(p[0]));
  return result(input, { ...(parsed.success ? {} : errorsOf(parsed.error.issues, fieldOf)), ...errors });
}
