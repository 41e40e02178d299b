/**
 * The two public CSV layouts of Chicago taxi trips and how each maps onto the canonical trip record:
 * the TFX sample (18 columns, unix-second start times, no ids, no dropoff time) and the City of Chicago
 * portal export (23 columns, `01/31/2016 11:45:00 PM` times, `$1,234.50` money, `POINT (lon lat)`
 * locations). The layout is chosen from the header; the mapping is SQL over the raw text columns.
 *
 * Portal times are wall-clock times; like the TFX sample's BigQuery origin they are stored as
 * UTC-labelled timestamps without any time-zone conversion (see trip.ts).
 */
import crypto from 'node:crypto';
import { AppError } from '../../platform/errors.js';
import { INPUT_FIELDS, type InputField } from './rules.js';

export type LayoutName = 'tfx' | 'portal' | 'canonical';

interface FieldSource {
  /** Header of the source column, spelled as the public files spell it. */
  column: string;
  /** Money may carry a leading `$` (stripped where the layout writes US-formatted numbers). */
  money?: boolean;
  /** When `column` is empty, take the coordinate from this `POINT (lon lat)` column. */
  point?: { column: string; part: 'lon' | 'lat' };
}

export interface Layout {
  name: LayoutName;
  title: string;
  /** Every header of the layout, in the order the public files have them. */
  columns: readonly string[];
  /** Headers that may be missing: unused by the mapping, or only a fallback. */
  optional: readonly string[];
  /** unix: seconds since the epoch; us: `MM/DD/YYYY hh:mm:ss AM`. Both also accept ISO text. */
  timestamps: 'unix' | 'us';
  /** us: numbers may have thousands separators (`1,234.5`). */
  numbers: 'plain' | 'us';
  fields: Partial<Record<InputField, FieldSource>>;
}

export const TFX_LAYOUT: Layout = {
  name: 'tfx',
  title: 'TFX Chicago taxi sample (18 columns)',
  columns: [
    'pickup_community_area',
    'fare',
    'trip_start_month',
    'trip_start_hour',
    'trip_start_day',
    'trip_start_timestamp',
    'pickup_latitude',
    'pickup_longitude',
    'dropoff_latitude',
    'dropoff_longitude',
    'trip_miles',
    'pickup_census_tract',
    'dropoff_census_tract',
    'payment_type',
    'company',
    'trip_seconds',
    'dropoff_community_area',
    'tips',
  ],
  // Month, hour and day repeat the start timestamp; census tracts are not part of the trip record.
  optional: ['trip_start_month', 'trip_start_hour', 'trip_start_day', 'pickup_census_tract', 'dropoff_census_tract'],
  timestamps: 'unix',
  numbers: 'plain',
  fields: {
    pickup_datetime: { column: 'trip_start_timestamp' },
    pickup_latitude: { column: 'pickup_latitude' },
    pickup_longitude: { column: 'pickup_longitude' },
    dropoff_latitude: { column: 'dropoff_latitude' },
    dropoff_longitude: { column: 'dropoff_longitude' },
    pickup_community_area: { column: 'pickup_community_area' },
    dropoff_community_area: { column: 'dropoff_community_area' },
    trip_distance: { column: 'trip_miles' },
    trip_seconds: { column: 'trip_seconds' },
    fare_amount: { column: 'fare', money: true },
    tips: { column: 'tips', money: true },
    payment_type: { column: 'payment_type' },
    company: { column: 'company' },
  },
};

export const PORTAL_LAYOUT: Layout = {
  name: 'portal',
  title: 'City of Chicago data portal export (23 columns)',
  columns: [
    'Trip ID',
    'Taxi ID',
    'Trip Start Timestamp',
    'Trip End Timestamp',
    'Trip Seconds',
    'Trip Miles',
    'Pickup Census Tract',
    'Dropoff Census Tract',
    'Pickup Community Area',
    'Dropoff Community Area',
    'Fare',
    'Tips',
    'Tolls',
    'Extras',
    'Trip Total',
    'Payment Type',
    'Company',
    'Pickup Centroid Latitude',
    'Pickup Centroid Longitude',
    'Pickup Centroid Location',
    'Dropoff Centroid Latitude',
    'Dropoff Centroid Longitude',
    'Dropoff Centroid Location',
  ],
  optional: ['Pickup Census Tract', 'Dropoff Census Tract', 'Pickup Centroid Location', 'Dropoff Centroid Location'],
  timestamps: 'us',
  numbers: 'us',
  fields: {
    trip_id: { column: 'Trip ID' },
    taxi_id: { column: 'Taxi ID' },
    pickup_datetime: { column: 'Trip Start Timestamp' },
    dropoff_datetime: { column: 'Trip End Timestamp' },
    trip_seconds: { column: 'Trip Seconds' },
    trip_distance: { column: 'Trip Miles' },
    pickup_community_area: { column: 'Pickup Community Area' },
    dropoff_community_area: { column: 'Dropoff Community Area' },
    fare_amount: { column: 'Fare', money: true },
    tips: { column: 'Tips', money: true },
    tolls: { column: 'Tolls', money: true },
    extras: { column: 'Extras', money: true },
    trip_total: { column: 'Trip Total', money: true },
    payment_type: { column: 'Payment Type' },
    company: { column: 'Company' },
    pickup_latitude: { column: 'Pickup Centroid Latitude', point: { column: 'Pickup Centroid Location', part: 'lat' } },
    pickup_longitude: { column: 'Pickup Centroid Longitude', point: { column: 'Pickup Centroid Location', part: 'lon' } },
    dropoff_latitude: { column: 'Dropoff Centroid Latitude', point: { column: 'Dropoff Centroid Location', part: 'lat' } },
    dropoff_longitude: { column: 'Dropoff Centroid Longitude', point: { column: 'Dropoff Centroid Location', part: 'lon' } },
  },
};

/**
 * The app's own trip columns, as `generate --output x.csv` and CSV exports write them (ISO times, plain
 * numbers, ids given), so a file the app wrote can be imported again. The *_derived flags are written
 * but not read back: ids present in a file are taken as given.
 */
const CANONICAL_COLUMNS = [...Object.keys(INPUT_FIELDS), 'trip_id_derived', 'taxi_id_derived'];
const CANONICAL_REQUIRED = ['pickup_datetime', 'trip_distance', 'fare_amount'];

export const CANONICAL_LAYOUT: Layout = {
  name: 'canonical',
  title: 'app\'s own trip columns (generated or exported CSV)',
  columns: CANONICAL_COLUMNS,
  optional: CANONICAL_COLUMNS.filter((c) => !CANONICAL_REQUIRED.includes(c)),
  // Unix seconds or ISO text; the portal's US-style times are not written by the app.
  timestamps: 'unix',
  numbers: 'plain',
  fields: Object.fromEntries(Object.keys(INPUT_FIELDS).map((f) => [f, { column: f }])) as Layout['fields'],
};

export const LAYOUTS: readonly Layout[] = [TFX_LAYOUT, PORTAL_LAYOUT, CANONICAL_LAYOUT];

/** Case, spacing and `_` vs space do not matter: `Trip ID`, `trip_id` and ` TRIP  ID ` are one header. */
export function normalizeHeader(h: string): string {
  return h
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, ' ');
}

export interface ResolvedLayout {
  layout: Layout;
  /** 0-based position in the file of each layout column that is present. */
  position: ReadonlyMap<string, number>;
  /** Headers of the file the layout does not know (ignored). */
  extra: string[];
}

function missingColumns(layout: Layout, present: ReadonlySet<string>): string[] {
  return layout.columns.filter((c) => !layout.optional.includes(c) && !present.has(normalizeHeader(c)));
}

function resolve(layout: Layout, byName: ReadonlyMap<string, number>, headers: readonly string[]): ResolvedLayout {
  const position = new Map<string, number>();
  for (const c of layout.columns) {
    const i = byName.get(normalizeHeader(c));
    if (i !== undefined) position.set(c, i);
  }
  const known = new Set(layout.columns.map(normalizeHeader));
  return { layout, position, extra: headers.filter((h) => !known.has(normalizeHeader(h))) };
}

function delimiterHint(headers: readonly string[]): string {
  if (headers.length !== 1) return '';
  const only = headers[0]!;
  for (const [d, name] of [
    [';', 'semicolon'],
    ['\t', 'tab'],
    ['|', 'pipe'],
  ] as const) {
    if (only.includes(d)) return ` The header looks ${name}-separated; only comma-separated files are supported.`;
  }
  return '';
}

/** Picks the layout from the header (or checks the requested one); throws INVALID_FILE naming missing columns. */
export function detectLayout(headers: readonly string[], requested: 'auto' | LayoutName, file: string): ResolvedLayout {
  const byName = new Map<string, number>();
  headers.forEach((h, i) => {
    const n = normalizeHeader(h);
    if (n === '') return;
    if (byName.has(n)) {
      throw new AppError('INVALID_FILE', `${file}: column "${h}" appears twice in the header`, { file, row: 0, column: h });
    }
    byName.set(n, i);
  });
  const present = new Set(byName.keys());
  const candidates = requested === 'auto' ? LAYOUTS : LAYOUTS.filter((l) => l.name === requested);
  // A complete layout wins; otherwise the closest is the one the header shares most columns with (the
  // first listed on a tie), since the app's own layout requires few columns and would otherwise win.
  const scored = candidates
    .map((l) => ({ layout: l, missing: missingColumns(l, present), shared: l.columns.filter((c) => present.has(normalizeHeader(c))).length }))
    .sort((a, b) => Number(a.missing.length > 0) - Number(b.missing.length > 0) || b.shared - a.shared);
  const best = scored[0]!;
  if (best.missing.length === 0) return resolve(best.layout, byName, headers);
  const shown = headers.length > 12 ? `${headers.slice(0, 12).join(', ')}, …` : headers.join(', ');
  throw new AppError(
    'INVALID_FILE',
    `${file}: the header does not match the ${best.layout.title} layout${requested === 'auto' ? ' (the closest known layout)' : ''}; ` +
      `missing column${best.missing.length > 1 ? 's' : ''}: ${best.missing.join(', ')}. Found: ${shown || '(nothing)'}.${delimiterHint(headers)}`,
    { file, row: 0, column: best.missing[0], layout: best.layout.name, missing: best.missing, found: headers },
  );
}

/** Label of a canonical field in messages: the header of its source column. */
export function fieldLabel(layout: Layout, f: InputField): string {
  return layout.fields[f]?.column ?? f;
}

// ---------- SQL over the raw text columns ----------

const POINT_RE = `'(?i)^POINT\\s*\\(\\s*(\\S+)\\s+(\\S+)\\s*\\)$'`;
const US_NUMBER_RE = `'^-?[0-9]{1,3}(,[0-9]{3})+(\\.[0-9]*)?$'`;

/** Trimmed text with empty as NULL. */
export function textSql(col: string): string {
  return `nullif(trim(${col}), '')`;
}

/**
 * The field's raw text, empty as NULL: trimmed where parsing needs it (numbers parse with surrounding
 * spaces, so their text is taken as is — trimming every cell costs a third of the parse), money without
 * `$`, thousands separators removed, coordinates from the POINT column when the centroid is empty.
 * `col` gives the SQL of a source column by header, or null when the file lacks the column.
 */
export function rawFieldSql(layout: Layout, f: InputField, col: (header: string) => string | null): string {
  const src = layout.fields[f];
  const own = src ? col(src.column) : null;
  if (!src || own === null) return 'CAST(NULL AS VARCHAR)';
  const kind = INPUT_FIELDS[f];
  const numeric = kind === 'number' || kind === 'integer';
  const usFormatted = layout.numbers === 'us' && numeric;
  const needsTrim = kind === 'text' || (kind === 'timestamp' && layout.timestamps === 'us') || usFormatted || src.point !== undefined;
  let e = needsTrim ? textSql(own) : own;
  if (usFormatted && src.money) e = `(CASE WHEN starts_with(${e}, '$') THEN nullif(ltrim(substr(${e}, 2)), '') ELSE ${e} END)`;
  if (usFormatted) e = `(CASE WHEN contains(${e}, ',') AND regexp_full_match(${e}, ${US_NUMBER_RE}) THEN replace(${e}, ',', '') ELSE ${e} END)`;
  const point = src.point ? col(src.point.column) : null;
  if (src.point && point !== null) {
    e = `coalesce(${e}, nullif(regexp_extract(${textSql(point)}, ${POINT_RE}, ${src.point.part === 'lon' ? 1 : 2}), ''))`;
  }
  return e;
}

/** Whether parsing the field starts from its text cast to DOUBLE (numbers, unix-second times). */
export function parsesFromDouble(layout: Layout, f: InputField): boolean {
  const kind = INPUT_FIELDS[f];
  return kind === 'number' || kind === 'integer' || (kind === 'timestamp' && layout.timestamps === 'unix');
}

/**
 * The parsed value of a field, or NULL when its text does not parse: a finite DOUBLE for numbers
 * (DuckDB's cast would accept 'nan' and 'inf'), a TIMESTAMP (UTC-labelled wall clock) for times.
 * `dbl` is `TRY_CAST(raw AS DOUBLE)`, computed once beforehand when `parsesFromDouble`.
 */
export function parsedFieldSql(layout: Layout, f: InputField, raw: string, dbl: string): string {
  const kind = INPUT_FIELDS[f];
  if (kind === 'number' || kind === 'integer') return `(CASE WHEN isfinite(${dbl}) THEN ${dbl} END)`;
  if (kind !== 'timestamp') return raw;
  const iso = `TRY_CAST(${raw} AS TIMESTAMP)`;
  if (layout.timestamps === 'us') return `coalesce(try_strptime(${raw}, '%m/%d/%Y %I:%M:%S %p'), ${iso})`;
  return `coalesce((CASE WHEN abs(${dbl}) < 1e11 THEN make_timestamp(CAST(round(${dbl} * 1000000) AS BIGINT)) END), ${iso})`;
}

// ---------- derived ids ----------

/** How many pseudo taxis each company's trips are spread over when the source has no taxi id. */
export const PSEUDO_TAXIS_PER_COMPANY = 50;

/**
 * Content key of a row: MD5 (hex) of the raw text of the fields the layout maps, in a fixed order. The
 * text, not the parsed values, is hashed: formatting doubles back to text costs more than the whole
 * parse. MD5 rather than DuckDB's hash(): ids must stay the same across DuckDB versions, or a re-import
 * would duplicate trips. `concat` reads NULL as empty and the separators stay, so fields cannot shift.
 */
export function contentKeySql(rawExprs: readonly string[]): string {
  return `md5(concat(${rawExprs.join(", '|', ")}))`;
}

/**
 * Stable trip id of a row without one: 't-' + 96 bits of its content key. The n-th repeat of identical
 * content within a file gets '-<n>' appended (import.ts), so re-reading the same file gives the same
 * ids and two identical rows still get two.
 */
export function derivedTripIdSql(keyExpr: string): string {
  return `('t-' || substr(${keyExpr}, 1, 24))`;
}

/** 'd-' + short hash of the company + '-' + (first 32 bits of the key mod 50); `pseudoTaxiId` is the same in JS. */
export function pseudoTaxiIdSql(companyExpr: string, keyExpr: string): string {
  const bucket = `CAST(('0x' || substr(${keyExpr}, 1, 8)) AS UBIGINT) % ${PSEUDO_TAXIS_PER_COMPANY}`;
  return `('d-' || substr(md5(coalesce(${companyExpr}, '')), 1, 6) || '-' || CAST(${bucket} AS VARCHAR))`;
}

export function md5Hex(text: string): string {
  return crypto.createHash('md5').update(text, 'utf8').digest('hex');
}

export function pseudoTaxiId(company: string | null, keyHex: string): string {
  return `d-${md5Hex(company ?? '').slice(0, 6)}-${Number.parseInt(keyHex.slice(0, 8), 16) % PSEUDO_TAXIS_PER_COMPANY}`;
}
