/**
 * The validation rules of a trip, written once as data (`RULES`). Two interpreters read the table:
 * `ruleIndexSql` & co. turn it into SQL for bulk imports, `checkRecord` applies it to one record
 * (stream messages). Bounds come from config.yaml `data.validation`.
 *
 * A rule sees three stages of each field: `raw` (the source text, empty as null), `parsed`
 * (that text as a number or timestamp, null when it does not parse) and `value` (parsed, or derived:
 * dropoff time and trip seconds complete each other, see `DERIVED`). Rules are ordered: an import
 * reports the first rule a row breaks, a message reports every broken rule.
 */
import type { ValidationRules } from '../../platform/config.js';
import type { Trip } from './trip.js';

export const REJECT_REASONS = [
  'malformed_row',
  'missing_required',
  'not_a_number',
  'not_an_integer',
  'bad_timestamp',
  'out_of_range',
  'dropoff_before_pickup',
  'unpaired_coordinate',
  'outside_chicago',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Fields a source provides; the *_derived flags are set by the reader, never given. */
export type InputField = Exclude<keyof Trip, 'trip_id_derived' | 'taxi_id_derived'>;
export type FieldKind = 'text' | 'timestamp' | 'number' | 'integer';

export const INPUT_FIELDS: Readonly<Record<InputField, FieldKind>> = {
  trip_id: 'text',
  taxi_id: 'text',
  pickup_datetime: 'timestamp',
  dropoff_datetime: 'timestamp',
  pickup_latitude: 'number',
  pickup_longitude: 'number',
  dropoff_latitude: 'number',
  dropoff_longitude: 'number',
  pickup_community_area: 'integer',
  dropoff_community_area: 'integer',
  passenger_count: 'integer',
  trip_distance: 'number',
  trip_seconds: 'integer',
  fare_amount: 'number',
  tips: 'number',
  tolls: 'number',
  extras: 'number',
  trip_total: 'number',
  payment_type: 'text',
  company: 'text',
};
export const INPUT_FIELD_NAMES = Object.keys(INPUT_FIELDS) as InputField[];

/** Fields whose value may be derived from others when the source leaves them empty. */
export const DERIVED = {
  /** dropoff = pickup + trip_seconds (the TFX layout has no dropoff time at all). */
  dropoff_datetime: ['pickup_datetime', 'trip_seconds'],
  /** trip_seconds = dropoff - pickup. */
  trip_seconds: ['pickup_datetime', 'dropoff_datetime'],
} as const satisfies Partial<Record<InputField, readonly InputField[]>>;

type NumericBound = 'max_trip_distance_miles' | 'max_trip_seconds' | 'max_fare' | 'max_money_other' | 'max_passengers';
export type Bound = number | NumericBound;

export type Check =
  /** The raw text is present but does not parse as the field's kind. */
  | { kind: 'parses' }
  | { kind: 'required'; note?: string }
  | { kind: 'min_year' }
  /** The value as given (not derived) is not earlier than `other`; a derived dropoff is judged by trip_seconds. */
  | { kind: 'not_before'; other: InputField }
  | { kind: 'integer' }
  | { kind: 'range'; min: Bound; max: Bound }
  /** fields = [latitude, longitude]: both present or both empty. */
  | { kind: 'pair' }
  /** fields = [latitude, longitude]: inside the configured bounding box. */
  | { kind: 'in_bbox' };

export interface Rule {
  reason: RejectReason;
  /** The fields a reject names, first one first. */
  fields: readonly [InputField, ...InputField[]];
  check: Check;
}

const money = (field: InputField): Rule => ({ reason: 'out_of_range', fields: [field], check: { kind: 'range', min: 0, max: 'max_money_other' } });

/** THE rules, in the order a row is checked. */
export const RULES: readonly Rule[] = [
  { reason: 'bad_timestamp', fields: ['pickup_datetime'], check: { kind: 'parses' } },
  { reason: 'bad_timestamp', fields: ['dropoff_datetime'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['trip_seconds'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['trip_distance'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['fare_amount'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['tips'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['tolls'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['extras'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['trip_total'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['pickup_latitude'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['pickup_longitude'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['dropoff_latitude'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['dropoff_longitude'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['pickup_community_area'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['dropoff_community_area'], check: { kind: 'parses' } },
  { reason: 'not_a_number', fields: ['passenger_count'], check: { kind: 'parses' } },

  { reason: 'missing_required', fields: ['pickup_datetime'], check: { kind: 'required' } },
  { reason: 'missing_required', fields: ['trip_seconds'], check: { kind: 'required', note: 'and there is no dropoff time to derive it from' } },
  { reason: 'missing_required', fields: ['trip_distance'], check: { kind: 'required' } },
  { reason: 'missing_required', fields: ['fare_amount'], check: { kind: 'required' } },

  { reason: 'bad_timestamp', fields: ['pickup_datetime'], check: { kind: 'min_year' } },
  { reason: 'bad_timestamp', fields: ['dropoff_datetime'], check: { kind: 'min_year' } },
  { reason: 'dropoff_before_pickup', fields: ['dropoff_datetime'], check: { kind: 'not_before', other: 'pickup_datetime' } },

  { reason: 'not_an_integer', fields: ['trip_seconds'], check: { kind: 'integer' } },
  { reason: 'not_an_integer', fields: ['pickup_community_area'], check: { kind: 'integer' } },
  { reason: 'not_an_integer', fields: ['dropoff_community_area'], check: { kind: 'integer' } },
  { reason: 'not_an_integer', fields: ['passenger_count'], check: { kind: 'integer' } },

  { reason: 'out_of_range', fields: ['trip_seconds'], check: { kind: 'range', min: 0, max: 'max_trip_seconds' } },
  { reason: 'out_of_range', fields: ['trip_distance'], check: { kind: 'range', min: 0, max: 'max_trip_distance_miles' } },
  { reason: 'out_of_range', fields: ['fare_amount'], check: { kind: 'range', min: 0, max: 'max_fare' } },
  money('tips'),
  money('tolls'),
  money('extras'),
  money('trip_total'),
  { reason: 'out_of_range', fields: ['pickup_community_area'], check: { kind: 'range', min: 1, max: 77 } },
  { reason: 'out_of_range', fields: ['dropoff_community_area'], check: { kind: 'range', min: 1, max: 77 } },
  { reason: 'out_of_range', fields: ['passenger_count'], check: { kind: 'range', min: 0, max: 'max_passengers' } },

  { reason: 'unpaired_coordinate', fields: ['pickup_latitude', 'pickup_longitude'], check: { kind: 'pair' } },
  { reason: 'unpaired_coordinate', fields: ['dropoff_latitude', 'dropoff_longitude'], check: { kind: 'pair' } },
  { reason: 'outside_chicago', fields: ['pickup_latitude', 'pickup_longitude'], check: { kind: 'in_bbox' } },
  { reason: 'outside_chicago', fields: ['dropoff_latitude', 'dropoff_longitude'], check: { kind: 'in_bbox' } },
];

export function boundValue(b: Bound, bounds: ValidationRules): number {
  return typeof b === 'number' ? b : bounds[b];
}

// ---------- messages (shared by both interpreters) ----------

/** A message is text with holes for a field's column name and its value. */
type Part = string | { col: InputField } | { val: InputField };

function messageParts(rule: Rule, bounds: ValidationRules): Part[] {
  const [f, g] = rule.fields;
  const c = rule.check;
  switch (c.kind) {
    case 'parses':
      return [{ col: f }, ' ', { val: f }, INPUT_FIELDS[f] === 'timestamp' ? ' is not a date/time' : ' is not a number'];
    case 'required':
      return [{ col: f }, ` is empty${c.note ? ` ${c.note}` : ''}; it is required`];
    case 'min_year':
      return [{ col: f }, ' ', { val: f }, ` is before ${bounds.min_year}`];
    case 'not_before':
      return [{ col: f }, ' ', { val: f }, ' is before ', { col: c.other }, ' ', { val: c.other }];
    case 'integer':
      return [{ col: f }, ' ', { val: f }, ' is not a whole number'];
    case 'range':
      return [{ col: f }, ' ', { val: f }, ` is out of range (${boundValue(c.min, bounds)} to ${boundValue(c.max, bounds)})`];
    case 'pair':
      return [{ col: f }, ' ', { val: f }, ' and ', { col: g! }, ' ', { val: g! }, ': latitude and longitude must both be given or both be empty'];
    case 'in_bbox': {
      const b = bounds.bbox;
      return [
        { col: f },
        ' ',
        { val: f },
        ', ',
        { col: g! },
        ' ',
        { val: g! },
        ` is outside the Chicago area (latitude ${b.min_lat} to ${b.max_lat}, longitude ${b.min_lon} to ${b.max_lon})`,
      ];
    }
  }
}

// ---------- interpreter 1: SQL ----------

/** How the SQL of a rule refers to a field: expressions (usually column names) for each stage. */
export interface SqlRefs {
  raw(f: InputField): string;
  parsed(f: InputField): string;
  value(f: InputField): string;
  /** Column name as the user knows it (the source file's header), as plain text. */
  label(f: InputField): string;
}

// Same escaping as platform/duckdb.ts sqlString; not imported so that the JS interpreter (stream
// messages) does not load DuckDB's native bindings.
const sqlText = (s: string): string => `'${s.replaceAll("'", "''")}'`;

function conditionSql(rule: Rule, refs: SqlRefs, bounds: ValidationRules): string {
  const [f, g] = rule.fields;
  const c = rule.check;
  const v = refs.value(f);
  switch (c.kind) {
    case 'parses':
      // Number text is not trimmed up front (see layouts.ts), so blanks are treated as empty here.
      return `(${refs.parsed(f)} IS NULL AND ${refs.raw(f)} IS NOT NULL AND trim(${refs.raw(f)}) <> '')`;
    case 'required':
      return `(${v} IS NULL)`;
    case 'min_year':
      return `(year(${v}) < ${Math.trunc(bounds.min_year)})`;
    case 'not_before':
      return `(${refs.parsed(f)} < ${refs.value(c.other)})`;
    case 'integer':
      return `(${v} <> trunc(${v}))`;
    case 'range':
      return `(${v} < ${num(boundValue(c.min, bounds))} OR ${v} > ${num(boundValue(c.max, bounds))})`;
    case 'pair':
      return `((${v} IS NULL) <> (${refs.value(g!)} IS NULL))`;
    case 'in_bbox': {
      const b = bounds.bbox;
      return `(${v} NOT BETWEEN ${num(b.min_lat)} AND ${num(b.max_lat)} OR ${refs.value(g!)} NOT BETWEEN ${num(b.min_lon)} AND ${num(b.max_lon)})`;
    }
  }
}

function num(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`validation bound is not a finite number: ${n}`);
  return `${n}::DOUBLE`;
}

function valueTextSql(f: InputField, refs: SqlRefs): string {
  return `coalesce('"' || ${refs.raw(f)} || '"', CAST(${refs.value(f)} AS VARCHAR), '(empty)')`;
}

function messageSql(rule: Rule, refs: SqlRefs, bounds: ValidationRules): string {
  const parts = messageParts(rule, bounds).map((p) =>
    typeof p === 'string' ? sqlText(p) : 'col' in p ? sqlText(refs.label(p.col)) : valueTextSql(p.val, refs),
  );
  return `concat(${parts.join(', ')})`;
}

/**
 * The rules that can fail for a source providing only some fields: a check of a field that is never
 * given (nor derived) always passes, and leaving it out of the SQL saves work on every row.
 */
export function applicableRules(provided: (f: InputField) => boolean, rules: readonly Rule[] = RULES): Rule[] {
  const known = (f: InputField): boolean => provided(f) || f in DERIVED;
  return rules.filter((r) => {
    switch (r.check.kind) {
      case 'required':
        return true;
      case 'parses':
      case 'not_before':
        return provided(r.fields[0]);
      default:
        return r.fields.some(known);
    }
  });
}

/** 1-based index of the first rule the row breaks, 0 when it passes every rule. */
export function ruleIndexSql(refs: SqlRefs, bounds: ValidationRules, rules: readonly Rule[] = RULES): string {
  const whens = rules.map((r, i) => `WHEN ${conditionSql(r, refs, bounds)} THEN ${i + 1}`);
  return `CASE ${whens.join(' ')} ELSE 0 END`;
}

/** Reject reason of a row from its rule index (NULL for index 0). */
export function reasonSql(indexExpr: string, rules: readonly Rule[] = RULES): string {
  return `CASE ${indexExpr} ${rules.map((r, i) => `WHEN ${i + 1} THEN ${sqlText(r.reason)}`).join(' ')} END`;
}

/** Column(s) named by a reject, as the user's file names them. */
export function rejectColumnSql(indexExpr: string, refs: SqlRefs, rules: readonly Rule[] = RULES): string {
  return `CASE ${indexExpr} ${rules.map((r, i) => `WHEN ${i + 1} THEN ${sqlText(r.fields.map((f) => refs.label(f)).join(','))}`).join(' ')} END`;
}

export function rejectMessageSql(indexExpr: string, refs: SqlRefs, bounds: ValidationRules, rules: readonly Rule[] = RULES): string {
  return `CASE ${indexExpr} ${rules.map((r, i) => `WHEN ${i + 1} THEN ${messageSql(r, refs, bounds)}`).join(' ')} END`;
}

/**
 * Trip seconds beyond this do not derive a dropoff time (their range rule rejects them anyway): the
 * timestamp arithmetic would overflow.
 */
export const MAX_DERIVING_SECONDS = 1e9;

/** SQL for the DERIVED fields: the parsed value, else derived from the others. */
export function derivedValueSql(f: keyof typeof DERIVED, refs: Pick<SqlRefs, 'parsed'>): string {
  if (f === 'dropoff_datetime') {
    const s = refs.parsed('trip_seconds');
    const shifted = `${refs.parsed('pickup_datetime')} + to_microseconds(CAST(round(${s} * 1000000) AS BIGINT))`;
    return `coalesce(${refs.parsed('dropoff_datetime')}, CASE WHEN abs(${s}) < ${MAX_DERIVING_SECONDS} THEN ${shifted} END)`;
  }
  return `coalesce(${refs.parsed('trip_seconds')}, CAST(date_diff('second', ${refs.parsed('pickup_datetime')}, ${refs.parsed('dropoff_datetime')}) AS DOUBLE))`;
}

// ---------- interpreter 2: one record in JS ----------

export type FieldValue = number | Date | string | null;

export interface RecordStages {
  raw: Partial<Record<InputField, string | null>>;
  parsed: Partial<Record<InputField, FieldValue>>;
}

export interface RuleFailure {
  field: InputField;
  fields: readonly InputField[];
  reason: RejectReason;
  message: string;
}

/** Values after derivation, exactly as `derivedValueSql` computes them. */
export function deriveValues(parsed: RecordStages['parsed']): Partial<Record<InputField, FieldValue>> {
  const value = { ...parsed };
  const pickup = parsed.pickup_datetime instanceof Date ? parsed.pickup_datetime : null;
  const dropoff = parsed.dropoff_datetime instanceof Date ? parsed.dropoff_datetime : null;
  const seconds = typeof parsed.trip_seconds === 'number' ? parsed.trip_seconds : null;
  if (!dropoff && pickup && seconds !== null && Math.abs(seconds) < MAX_DERIVING_SECONDS) {
    value.dropoff_datetime = new Date(pickup.getTime() + Math.round(seconds * 1e6) / 1e3);
  }
  if (seconds === null && pickup && dropoff) value.trip_seconds = Math.trunc((dropoff.getTime() - pickup.getTime()) / 1000);
  return value;
}

const isNum = (v: FieldValue | undefined): v is number => typeof v === 'number';
const timeOf = (v: FieldValue | undefined): number | null => (v instanceof Date ? v.getTime() : null);
const present = (v: FieldValue | undefined): boolean => v !== null && v !== undefined;

function fails(rule: Rule, rec: RecordStages, value: RecordStages['parsed'], bounds: ValidationRules): boolean {
  const [f, g] = rule.fields;
  const c = rule.check;
  const v = value[f];
  switch (c.kind) {
    case 'parses':
      return present(rec.raw[f]) && !present(rec.parsed[f]);
    case 'required':
      return !present(v);
    case 'min_year':
      return v instanceof Date && v.getUTCFullYear() < bounds.min_year;
    case 'not_before': {
      const a = timeOf(rec.parsed[f]);
      const b = timeOf(value[c.other]);
      return a !== null && b !== null && a < b;
    }
    case 'integer':
      return isNum(v) && !Number.isInteger(v);
    case 'range':
      return isNum(v) && (v < boundValue(c.min, bounds) || v > boundValue(c.max, bounds));
    case 'pair':
      return present(v) !== present(value[g!]);
    case 'in_bbox': {
      const lon = value[g!];
      const b = bounds.bbox;
      return isNum(v) && isNum(lon) && (v < b.min_lat || v > b.max_lat || lon < b.min_lon || lon > b.max_lon);
    }
  }
}

/** The text DuckDB prints for a value, so both interpreters write the same messages. */
export function valueText(v: FieldValue | undefined): string {
  if (v === null || v === undefined) return '(empty)';
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '');
  return String(v);
}

function messageOf(rule: Rule, rec: RecordStages, value: RecordStages['parsed'], bounds: ValidationRules, label: (f: InputField) => string): string {
  return messageParts(rule, bounds)
    .map((p) => {
      if (typeof p === 'string') return p;
      if ('col' in p) return label(p.col);
      const raw = rec.raw[p.val];
      return raw !== null && raw !== undefined ? `"${raw}"` : valueText(value[p.val]);
    })
    .join('');
}

/** Every rule the record breaks, in rule order. */
export function checkRecord(
  rec: RecordStages,
  bounds: ValidationRules,
  label: (f: InputField) => string = (f) => f,
  rules: readonly Rule[] = RULES,
): RuleFailure[] {
  const value = deriveValues(rec.parsed);
  const out: RuleFailure[] = [];
  for (const rule of rules) {
    if (!fails(rule, rec, value, bounds)) continue;
    out.push({ field: rule.fields[0], fields: rule.fields, reason: rule.reason, message: messageOf(rule, rec, value, bounds, label) });
  }
  return out;
}
