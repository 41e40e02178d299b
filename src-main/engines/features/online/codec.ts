/**
 * How online rows are encoded, shared by the SQLite and Redis stores.
 *
 * Values are a JSON array in the order of the feature list they were written with. JSON costs no more
 * than a binary format here (about 39 bytes for a trip row either way, since most features are small
 * integers and short strings), JS and DuckDB both produce and read it natively — materialization lets
 * DuckDB build it on its own threads — and a value stays readable with redis-cli.
 *
 * A record (what Redis keeps per entity and view) puts a fixed binary header in front:
 *   event_ts u48 BE | created_ts u48 BE | schema id u32 BE | values (JSON, UTF-8)
 * The 12-byte stamp first and big-endian makes "newer" a byte comparison, which the Redis write script
 * does without parsing anything else.
 */
import { AppError } from '../../../platform/errors.js';
import type { FeatureValue, ValueType } from '../types.js';
import type { OnlineRecord, OnlineRow, OnlineView } from './types.js';

export const STAMP_BYTES = 12;
export const RECORD_HEADER_BYTES = STAMP_BYTES + 4;
/** u48: milliseconds up to the year 10889. */
const MAX_TS = 2 ** 48 - 1;

/** A growable byte buffer; `pos` is the write position. */
export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  reset(): void {
    this.pos = 0;
  }

  /** A UTF-8 string prefixed with its byte length as u16. */
  shortString(s: string): void {
    // Room for the worst case (3 bytes per UTF-16 unit), then the length is patched in after writing:
    // cheaper than measuring the string first.
    this.ensure(2 + 3 * s.length);
    const len = this.buf.write(s, this.pos + 2, 'utf8');
    if (len > 0xffff) throw new AppError('INVALID_INPUT', `key of ${len} bytes is longer than 65535 bytes`, { bytes: len });
    this.buf.writeUInt16BE(len, this.pos);
    this.pos += 2 + len;
  }

  /** A UTF-8 string, unprefixed; returns its byte length. */
  utf8(s: string): number {
    this.ensure(3 * s.length);
    const len = this.buf.write(s, this.pos, 'utf8');
    this.pos += len;
    return len;
  }

  /** The bytes written so far, as a view (valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** The values of a row as stored: JSON text (non-finite numbers become null, as JSON has none). */
export function valuesText(values: readonly FeatureValue[] | string): string {
  return typeof values === 'string' ? values : JSON.stringify(values);
}

/** The one error for a stored row whose values are not a JSON array: the store is damaged, not the request. */
export function corruptValues(view: string): AppError {
  return new AppError('INTERNAL', `an online row of view ${view} holds something other than a JSON array of values`, { view });
}

export function parseValues(text: string, view: string): FeatureValue[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw corruptValues(view);
  }
  if (!Array.isArray(v)) throw corruptValues(view);
  return v as FeatureValue[];
}

/** Writes a u48 big-endian (two writes: Buffer's generic writeUIntBE is several times slower). */
function u48(buf: Buffer, v: number, at: number): void {
  buf.writeUInt16BE(Math.floor(v / 0x1_0000_0000), at);
  buf.writeUInt32BE(v >>> 0, at + 2);
}

/** Appends a record: u32 length, then stamp, schema id and values. */
export function writeRecord(w: ByteWriter, eventTs: number, createdTs: number, schemaId: number, values: string): void {
  w.ensure(4 + RECORD_HEADER_BYTES);
  const start = w.pos;
  u48(w.buf, eventTs, start + 4);
  u48(w.buf, createdTs, start + 10);
  w.buf.writeUInt32BE(schemaId, start + 16);
  w.pos = start + 4 + RECORD_HEADER_BYTES;
  const len = w.utf8(values);
  // ensure() may have moved the buffer; the header is written again at its place in the new one.
  w.buf.writeUInt32BE(RECORD_HEADER_BYTES + len, start);
  u48(w.buf, eventTs, start + 4);
  u48(w.buf, createdTs, start + 10);
  w.buf.writeUInt32BE(schemaId, start + 16);
}

/** Appends a record already encoded (stamp, schema id, values), with its u32 length like writeRecord. */
export function writeEncodedRecord(w: ByteWriter, record: Buffer): void {
  w.ensure(4 + record.length);
  w.buf.writeUInt32BE(record.length, w.pos);
  record.copy(w.buf, w.pos + 4);
  w.pos += 4 + record.length;
}

/** Stored records as read: rows of the store's answer, and the schema id each row's values were written with. */
export interface DecodedRecords {
  records: (OnlineRecord | null)[];
  /** One per record; 0 where the record is null. */
  schemaIds: Uint32Array;
}

const readU48 = (buf: Buffer, at: number): number => buf.readUInt16BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 2);

/**
 * The records of a batch read (null where a key had none). Their values are copied into one JSON text
 * and parsed by one JSON.parse: a string and a parse per record were the largest share of a Redis
 * read's garbage. `scratch` is reused between calls.
 */
export function decodeRecords(view: string, blobs: readonly (Buffer | null)[], scratch: ByteWriter): DecodedRecords {
  scratch.reset();
  scratch.ensure(2);
  scratch.buf[scratch.pos++] = 0x5b; // [
  let found = 0;
  for (const blob of blobs) {
    if (blob === null) continue;
    if (blob.length < RECORD_HEADER_BYTES) throw new AppError('INTERNAL', `online record of ${blob.length} bytes is shorter than its header`);
    const len = blob.length - RECORD_HEADER_BYTES;
    scratch.ensure(len + 2);
    if (found++ > 0) scratch.buf[scratch.pos++] = 0x2c; // ,
    blob.copy(scratch.buf, scratch.pos, RECORD_HEADER_BYTES);
    scratch.pos += len;
  }
  scratch.ensure(1);
  scratch.buf[scratch.pos++] = 0x5d; // ]
  let values: unknown[];
  try {
    values = JSON.parse(scratch.buf.toString('utf8', 0, scratch.pos)) as unknown[];
  } catch {
    throw corruptValues(view);
  }
  // A record holding "1],[2" would parse as two: the count must match as well as the types.
  if (values.length !== found) throw corruptValues(view);
  let k = 0;
  const schemaIds = new Uint32Array(blobs.length);
  const records = blobs.map((blob, i): OnlineRecord | null => {
    if (blob === null) return null;
    const v = values[k++];
    if (!Array.isArray(v)) throw corruptValues(view);
    schemaIds[i] = blob.readUInt32BE(STAMP_BYTES);
    return { event_ts: readU48(blob, 0), created_ts: readU48(blob, 6), values: v as FeatureValue[] };
  });
  return { records, schemaIds };
}

/** FNV-1a (32 bits) of the feature names: identifies the order values were written in. */
export function schemaIdOf(features: readonly string[]): number {
  let h = 0x811c9dc5;
  const text = features.join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The entity key as stored: integers in decimal, booleans as true/false, strings as they are. Null when
 * the value does not have the entity's type (the caller names the entity and position).
 */
export function entityKeyOf(value: unknown, type: ValueType): string | null {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : null;
    case 'int':
      if (typeof value === 'bigint') return value.toString();
      return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : null;
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
    case 'bool':
      return typeof value === 'boolean' ? String(value) : null;
  }
}

/**
 * For each wanted feature, its index in the stored feature list, or -1; null when the wanted features
 * are the stored ones in the same order (the usual request), so values can be used as they come.
 */
export function indexMap(stored: readonly string[], wanted: readonly string[]): number[] | null {
  if (wanted.length === stored.length && wanted.every((f, i) => f === stored[i])) return null;
  const at = new Map(stored.map((f, i) => [f, i]));
  return wanted.map((f) => at.get(f) ?? -1);
}

/** Picks wanted values out of stored ones; undefined for features the stored row lacks. */
export function pick(values: (FeatureValue | undefined)[], index: readonly number[] | null): (FeatureValue | undefined)[] {
  return index === null ? values : index.map((i) => (i < 0 ? undefined : (values[i] ?? null)));
}

const validTs = (ts: number): boolean => Number.isInteger(ts) && ts >= 0 && ts <= MAX_TS;

/**
 * A row the stores can take: valid timestamps and, when values come as an array, one per feature.
 * (Values given as JSON text come from materialization, which builds them from the view's columns.)
 */
export function checkRow(view: OnlineView, r: OnlineRow, row: number): void {
  if (typeof r.values !== 'string' && r.values.length !== view.features.length) {
    throw new AppError(
      'INVALID_INPUT',
      `row ${row} (key ${r.key}) for view ${view.name} has ${r.values.length} values; the view has ${view.features.length} features (${view.features.join(', ')})`,
      { view: view.name, row, key: r.key },
    );
  }
  if (!validTs(r.event_ts) || !validTs(r.created_ts)) {
    const [what, ts] = validTs(r.event_ts) ? ['created_ts', r.created_ts] : ['event_ts', r.event_ts];
    throw new AppError('INVALID_INPUT', `row ${row} (key ${r.key}) for view ${view.name}: ${what} ${ts} is not an epoch-millisecond time after 1970`, {
      view: view.name,
      row,
      key: r.key,
      [what]: ts,
    });
  }
}
