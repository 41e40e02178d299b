/**
 * Feature definitions: the `feature_store:` section of config.yaml, its checks, and the functions that
 * turn it into the resolved shapes of types.ts. Adding a feature is a config edit, never code.
 *
 *   feature_store:
 *     entities:        { <join key>: { value_type, description } }
 *     feature_views:   { <view>: { entity, ttl, source, description, features: [ <feature>, … ] } }
 *     feature_services:{ <service>: { description, features: [ "view:feature" | "view:*", … ] } }
 *
 * A feature is one of
 *   { name, column: <source column> }                                  the trip's value
 *   { name, time_part: hour|weekday|month|day|minute, of?: <timestamp column> }
 *   { name, aggregate: count|sum|avg|min|max, column?, window: 1h }    over the entity's trips
 *   { name, aggregate: sum, ratio_of: { numerator, denominator }, window: 7d }   sum(num) / sum(den)
 * Value types follow from the source column (time parts and counts are int; sum, avg and ratios double).
 */
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import { TRIP_COLUMNS, type ColumnKind } from '../data/trip.js';
import type { Entity, FeatureDef, FeatureService, FeatureView, ValueType } from './types.js';

// ---------- sources ----------

export interface SourceDef {
  name: string;
  /** Column that identifies a row (picks one row deterministically among equal ones). */
  id_field: string;
  /** Column name → kind. */
  columns: ReadonlyMap<string, ColumnKind>;
  /** When a row happened: feature rows of a view are as of this time. */
  timestamp_field: string;
  /** When a row's measured values (fare, tips…) become known; value aggregates count a row from then. */
  known_at_field: string;
}

export const SOURCES: Readonly<Record<string, SourceDef>> = {
  trips: {
    name: 'trips',
    id_field: 'trip_id',
    columns: new Map(TRIP_COLUMNS.map((c) => [c.name, c.kind])),
    timestamp_field: 'pickup_datetime',
    known_at_field: 'dropoff_datetime',
  },
};

/** Columns every feature row carries besides the join key and the features. */
export const EVENT_TIMESTAMP = 'event_timestamp';
export const CREATED_TIMESTAMP = 'created_timestamp';

/** How each value type is stored in Parquet (and typed in DuckDB). */
export const SQL_TYPE_OF: Readonly<Record<ValueType, string>> = { string: 'VARCHAR', int: 'INTEGER', double: 'DOUBLE', bool: 'BOOLEAN' };

// ---------- schema ----------

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const Name = z.string().regex(NAME, 'expected a name of letters, digits and _ that starts with a letter');

export const ValueTypeSchema = z.enum(['string', 'int', 'double', 'bool']);
export const TIME_PARTS = ['hour', 'weekday', 'month', 'day', 'minute'] as const;
export const AGGREGATES = ['count', 'sum', 'avg', 'min', 'max'] as const;

/** Seconds (`3600`) or a duration such as `90s`, `15m`, `1h`, `7d`, `2w`, `1d12h`. */
export const DurationSchema = z.union([z.number(), z.string()]);

const EntitySpecSchema = z
  .object({
    join_key: Name.optional().describe('column that identifies the entity; defaults to the entity name'),
    value_type: ValueTypeSchema,
    description: z.string().default(''),
  })
  .strict();

const FeatureSpecSchema = z
  .object({
    name: Name,
    description: z.string().default(''),
    column: z.string().optional(),
    time_part: z.enum(TIME_PARTS).optional(),
    of: z.string().optional(),
    aggregate: z.enum(AGGREGATES).optional(),
    ratio_of: z.object({ numerator: z.string(), denominator: z.string() }).strict().optional(),
    window: DurationSchema.optional(),
  })
  .strict();
export type FeatureSpec = z.infer<typeof FeatureSpecSchema>;

const FeatureViewSpecSchema = z
  .object({
    entity: z.string(),
    ttl: DurationSchema,
    source: z.string().default('trips'),
    description: z.string().default(''),
    features: z.array(FeatureSpecSchema).min(1),
  })
  .strict();
export type FeatureViewSpec = z.infer<typeof FeatureViewSpecSchema>;

const FeatureServiceSpecSchema = z
  .object({
    description: z.string().default(''),
    features: z.array(z.string()).min(1),
  })
  .strict();

export const FeatureStoreSchema = z
  .object({
    entities: z.record(Name, EntitySpecSchema),
    feature_views: z.record(Name, FeatureViewSpecSchema),
    feature_services: z.record(Name, FeatureServiceSpecSchema).default({}),
  })
  .strict();
export type FeatureStoreConfig = z.infer<typeof FeatureStoreSchema>;

/** Anything carrying a parsed feature_store section, such as the workspace Config. */
export interface WithFeatureStore {
  feature_store: FeatureStoreConfig;
}

// ---------- durations ----------

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION = /^(?:\d+(?:\.\d+)?[smhdw])+$/;

/** Seconds of a duration, or null when it is not one. Zero and negatives are returned as they are. */
export function durationSeconds(value: number | string): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  const text = value.trim().toLowerCase();
  if (/^-?\d+(?:\.\d+)?$/.test(text)) return Number(text);
  if (!DURATION.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return total;
}

/** `3600` → "1h", `604800` → "7d": the shortest exact spelling, for messages and the UI. */
export function durationText(seconds: number): string {
  for (const [unit, s] of [['w', 604_800], ['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= s && seconds % s === 0) return `${seconds / s}${unit}`;
  }
  return `${seconds}s`;
}

// ---------- problems ----------

export interface FeatureStoreProblem {
  /** Key path from the top of config.yaml, e.g. ['feature_store', 'feature_views', 'taxi_activity', 'features', 2, 'window']. */
  path: (string | number)[];
  /** The same path as text: feature_store.feature_views.taxi_activity.features[2].window */
  key: string;
  message: string;
}

export function keyPathText(p: readonly PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('') || '(root)';
}

class Problems {
  readonly list: FeatureStoreProblem[] = [];
  add(path: (string | number)[], message: string): void {
    this.list.push({ path, key: keyPathText(path), message });
  }
}

// ---------- suggestions ----------

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Up to `max` candidates closest to `wanted`: by edit distance, and also those sharing the part after a
 * colon (so "trips_1h" suggests every "view:trips_1h").
 */
export function closestNames(wanted: string, candidates: Iterable<string>, max = 5): string[] {
  const w = wanted.toLowerCase();
  const tail = (s: string): string => s.slice(s.indexOf(':') + 1);
  const near = (a: string, b: string): number | null => {
    const d = levenshtein(a, b);
    return d <= Math.max(2, Math.floor(Math.max(a.length, b.length) / 4)) ? d : null;
  };
  const scored: { name: string; score: number }[] = [];
  for (const name of candidates) {
    const n = name.toLowerCase();
    const whole = near(w, n);
    const part = near(tail(w), tail(n));
    const contains = Math.min(tail(w).length, tail(n).length) >= 4 && (tail(n).includes(tail(w)) || tail(w).includes(tail(n)));
    const score = Math.min(whole ?? Infinity, part === null ? Infinity : part + 0.5, contains ? 3 : Infinity);
    if (score < Infinity) scored.push({ name, score });
  }
  return scored
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((s) => s.name);
}

const didYouMean = (names: string[]): string => (names.length > 0 ? `; did you mean ${names.join(', ')}?` : '');

// ---------- checks ----------

const NUMERIC: ReadonlySet<ColumnKind> = new Set(['int', 'double']);
const RESERVED = new Set([EVENT_TIMESTAMP, CREATED_TIMESTAMP]);

function checkColumn(p: Problems, source: SourceDef, column: string, path: (string | number)[], want: 'any' | 'numeric' | 'timestamp'): void {
  const kind = source.columns.get(column);
  if (!kind) {
    p.add(path, `unknown column "${column}" of source ${source.name}${didYouMean(closestNames(column, source.columns.keys(), 3))}`);
  } else if (want === 'numeric' && !NUMERIC.has(kind)) {
    p.add(path, `column "${column}" is ${kind}; this aggregate needs a number`);
  } else if (want === 'timestamp' && kind !== 'timestamp') {
    p.add(path, `column "${column}" is ${kind}; a time part needs a timestamp`);
  } else if (want === 'any' && kind === 'timestamp') {
    p.add(path, `column "${column}" is a timestamp, which is not a feature type; use a time_part of it`);
  }
}

function checkWindow(p: Problems, f: FeatureSpec, path: (string | number)[]): void {
  if (f.window === undefined) {
    p.add([...path, 'window'], `aggregate "${f.aggregate}" needs a window (e.g. window: 1h)`);
    return;
  }
  const s = durationSeconds(f.window);
  if (s === null) p.add([...path, 'window'], `expected seconds or a duration such as 90s, 15m, 1h, 7d; got ${JSON.stringify(f.window)}`);
  else if (s <= 0) p.add([...path, 'window'], `window must be longer than 0 seconds; got ${JSON.stringify(f.window)}`);
  else if (!Number.isInteger(s)) p.add([...path, 'window'], `window must be a whole number of seconds; got ${JSON.stringify(f.window)}`);
}

function checkAggregate(p: Problems, f: FeatureSpec, source: SourceDef, path: (string | number)[]): void {
  checkWindow(p, f, path);
  if (f.of !== undefined) p.add([...path, 'of'], '"of" belongs to a time_part; an aggregate uses "column"');
  if (f.ratio_of) {
    if (f.aggregate !== 'sum') p.add([...path, 'ratio_of'], `ratio_of is a ratio of sums; use aggregate: sum (not ${f.aggregate})`);
    if (f.column !== undefined) p.add([...path, 'column'], 'an aggregate takes either column or ratio_of, not both');
    checkColumn(p, source, f.ratio_of.numerator, [...path, 'ratio_of', 'numerator'], 'numeric');
    checkColumn(p, source, f.ratio_of.denominator, [...path, 'ratio_of', 'denominator'], 'numeric');
  } else if (f.column !== undefined) {
    checkColumn(p, source, f.column, [...path, 'column'], f.aggregate === 'count' ? 'any' : 'numeric');
  } else if (f.aggregate !== 'count') {
    p.add([...path, 'column'], `aggregate "${f.aggregate}" needs a column (only count can go without)`);
  }
}

function checkFeature(p: Problems, f: FeatureSpec, source: SourceDef, path: (string | number)[]): void {
  const kinds = (['column', 'time_part', 'aggregate'] as const).filter((k) => f[k] !== undefined && !(k === 'column' && f.aggregate));
  if (kinds.length !== 1) {
    p.add(path, kinds.length === 0 ? 'a feature needs one of column, time_part or aggregate' : `a feature is one of column, time_part or aggregate; got ${kinds.join(' and ')}`);
    return;
  }
  if (f.aggregate) return checkAggregate(p, f, source, path);
  if (f.window !== undefined) p.add([...path, 'window'], 'window belongs to an aggregate');
  if (f.ratio_of !== undefined) p.add([...path, 'ratio_of'], 'ratio_of belongs to an aggregate');
  if (f.time_part) checkColumn(p, source, f.of ?? source.timestamp_field, [...path, f.of === undefined ? 'time_part' : 'of'], 'timestamp');
  else {
    if (f.of !== undefined) p.add([...path, 'of'], '"of" belongs to a time_part');
    checkColumn(p, source, f.column!, [...path, 'column'], 'any');
  }
}

function checkView(p: Problems, fs: FeatureStoreConfig, name: string, v: FeatureViewSpec): void {
  const path = ['feature_store', 'feature_views', name];
  if (name.includes('__')) p.add(path, `view name "${name}" contains "__", which separates view and feature in retrieved column names`);
  const ttl = durationSeconds(v.ttl);
  if (ttl === null) p.add([...path, 'ttl'], `expected seconds or a duration such as 3600, 1h, 7d; got ${JSON.stringify(v.ttl)}`);
  else if (ttl <= 0) p.add([...path, 'ttl'], `ttl must be longer than 0 seconds; got ${JSON.stringify(v.ttl)}`);
  else if (!Number.isInteger(ttl)) p.add([...path, 'ttl'], `ttl must be a whole number of seconds; got ${JSON.stringify(v.ttl)}`);
  const source = SOURCES[v.source];
  if (!source) p.add([...path, 'source'], `unknown source "${v.source}" (have: ${Object.keys(SOURCES).join(', ')})`);
  const entity = fs.entities[v.entity];
  const joinKey = entity ? (entity.join_key ?? v.entity) : undefined;
  if (!entity) {
    p.add([...path, 'entity'], `unknown entity "${v.entity}"${didYouMean(closestNames(v.entity, Object.keys(fs.entities), 3))} (have: ${Object.keys(fs.entities).join(', ') || 'none'})`);
  } else if (source) {
    const kind = source.columns.get(joinKey!);
    if (!kind) p.add([...path, 'entity'], `entity "${v.entity}" joins on "${joinKey}", which is not a column of source ${source.name}`);
    else if (kind !== entity.value_type) p.add([...path, 'entity'], `entity "${v.entity}" is ${entity.value_type} but ${source.name}.${joinKey} is ${kind}`);
  }
  const seen = new Map<string, number>();
  v.features.forEach((f, i) => {
    const fp = [...path, 'features', i];
    const first = seen.get(f.name);
    if (first !== undefined) p.add([...fp, 'name'], `duplicate feature name "${f.name}" (also features[${first}])`);
    else seen.set(f.name, i);
    if (RESERVED.has(f.name) || f.name === joinKey) p.add([...fp, 'name'], `"${f.name}" is a column every row of the view already has; choose another name`);
    if (source) checkFeature(p, f, source, fp);
  });
}

/** Every "view:feature" reference the section defines. */
function allRefs(fs: FeatureStoreConfig): string[] {
  return Object.entries(fs.feature_views).flatMap(([v, spec]) => spec.features.map((f) => `${v}:${f.name}`));
}

function checkServices(p: Problems, fs: FeatureStoreConfig): void {
  const refs = new Set(allRefs(fs));
  for (const [name, svc] of Object.entries(fs.feature_services)) {
    const seen = new Set<string>();
    svc.features.forEach((ref, i) => {
      const path = ['feature_store', 'feature_services', name, 'features', i];
      if (seen.has(ref)) p.add(path, `"${ref}" is listed twice`);
      seen.add(ref);
      const problem = refProblem(fs, ref, refs);
      if (problem) p.add(path, problem);
    });
  }
}

function refProblem(fs: FeatureStoreConfig, ref: string, refs: ReadonlySet<string>): string | null {
  const [view, feature] = splitRef(ref);
  if (feature === '*' && fs.feature_views[view]) return null;
  if (refs.has(ref)) return null;
  if (feature === null) return `"${ref}" is not a feature reference; write it as view:feature${didYouMean(closestNames(ref, refs))}`;
  return `unknown feature "${ref}"${didYouMean(closestNames(ref, refs))}`;
}

function splitRef(ref: string): [string, string | null] {
  const i = ref.indexOf(':');
  return i < 0 ? [ref, null] : [ref.slice(0, i), ref.slice(i + 1)];
}

/** The platform guide's `features:` map (view → feature names) must name defined features. */
function checkFeatureLists(p: Problems, fs: FeatureStoreConfig, lists: Record<string, string[]>): void {
  for (const [view, names] of Object.entries(lists)) {
    const spec = fs.feature_views[view];
    if (!spec) {
      p.add(['features', view], `"${view}" is not a feature view under feature_store.feature_views${didYouMean(closestNames(view, Object.keys(fs.feature_views), 3))}`);
      continue;
    }
    const defined = spec.features.map((f) => f.name);
    names.forEach((n, i) => {
      if (!defined.includes(n)) p.add(['features', view, i], `"${n}" is not a feature of ${view}${didYouMean(closestNames(n, defined, 3))}`);
    });
  }
}

/** Semantic problems of an already parsed section (and of the `features:` lists when given). */
export function featureStoreProblems(fs: FeatureStoreConfig, featureLists?: Record<string, string[]>): FeatureStoreProblem[] {
  const p = new Problems();
  for (const [name, v] of Object.entries(fs.feature_views)) checkView(p, fs, name, v);
  checkServices(p, fs);
  if (featureLists) checkFeatureLists(p, fs, featureLists);
  return p.list;
}

/**
 * Every problem of a config's feature definitions, each with its key path and reason: the shape of the
 * section first, then (when the shape is right) its meaning. Takes raw config (e.g. YAML just read) or
 * a parsed Config. An empty list means valid.
 */
export function validateFeatureStore(config: { feature_store?: unknown; features?: unknown }): FeatureStoreProblem[] {
  const parsed = FeatureStoreSchema.safeParse(config.feature_store);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => {
      const path = ['feature_store', ...issue.path.map((k) => (typeof k === 'number' ? k : String(k)))];
      return { path, key: keyPathText(path), message: issue.message };
    });
  }
  const lists = z.record(z.string(), z.array(z.string())).safeParse(config.features);
  return featureStoreProblems(parsed.data, lists.success ? lists.data : undefined);
}

// ---------- resolution ----------

function dtypeOf(f: FeatureSpec, source: SourceDef): ValueType {
  if (f.time_part) return 'int';
  if (f.aggregate === 'count') return 'int';
  if (f.aggregate === 'sum' || f.aggregate === 'avg') return 'double';
  const kind = source.columns.get(f.column!);
  return kind === 'timestamp' || kind === undefined ? 'string' : kind;
}

function featureDefOf(f: FeatureSpec, source: SourceDef): FeatureDef {
  if (f.time_part) return { kind: 'time_part', name: f.name, dtype: 'int', part: f.time_part, of: f.of ?? source.timestamp_field };
  if (f.aggregate) {
    const base = { kind: 'aggregate' as const, name: f.name, fn: f.aggregate, window_seconds: durationSeconds(f.window!)! };
    if (f.ratio_of) return { ...base, dtype: 'double', ratio_of: { ...f.ratio_of } };
    const dtype = dtypeOf(f, source) as 'int' | 'double';
    return f.column === undefined ? { ...base, dtype } : { ...base, dtype, column: f.column };
  }
  return { kind: 'column', name: f.name, dtype: dtypeOf(f, source), column: f.column! };
}

interface Resolved {
  views: FeatureView[];
  byName: Map<string, FeatureView>;
  services: FeatureService[];
  refs: Set<string>;
}

const resolvedCache = new WeakMap<FeatureStoreConfig, Resolved>();

function invalid(problems: FeatureStoreProblem[]): AppError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return new AppError('INVALID_CONFIG', `${first.key}: ${first.message}${more}`, { problems });
}

function resolve(fs: FeatureStoreConfig): Resolved {
  const cached = resolvedCache.get(fs);
  if (cached) return cached;
  const problems = featureStoreProblems(fs);
  if (problems.length > 0) throw invalid(problems);
  const entities = new Map<string, Entity>(
    Object.entries(fs.entities).map(([name, e]) => [name, { name, join_key: e.join_key ?? name, value_type: e.value_type, description: e.description }]),
  );
  const views = Object.entries(fs.feature_views).map(([name, v]): FeatureView => {
    const source = SOURCES[v.source]!;
    return {
      name,
      entity: entities.get(v.entity)!,
      ttl_seconds: durationSeconds(v.ttl)!,
      source: v.source,
      features: v.features.map((f) => featureDefOf(f, source)),
      description: v.description,
    };
  });
  const byName = new Map(views.map((v) => [v.name, v]));
  const services = Object.entries(fs.feature_services).map(([name, s]): FeatureService => ({
    name,
    description: s.description,
    features: s.features.flatMap((ref) => expandRef(byName, ref)),
  }));
  const resolved = { views, byName, services, refs: new Set(allRefs(fs)) };
  resolvedCache.set(fs, resolved);
  return resolved;
}

function expandRef(byName: ReadonlyMap<string, FeatureView>, ref: string): { view: string; feature: string }[] {
  const [view, feature] = splitRef(ref);
  if (feature === '*') return byName.get(view)!.features.map((f) => ({ view, feature: f.name }));
  return [{ view, feature: feature! }];
}

/** The feature views defined in config, in config order. */
export function featureViewsOf(config: WithFeatureStore): FeatureView[] {
  return resolve(config.feature_store).views;
}

/** One view by name; NOT_FOUND with close names when there is none. */
export function featureViewOf(config: WithFeatureStore, name: string): FeatureView {
  const r = resolve(config.feature_store);
  const view = r.byName.get(name);
  if (!view) {
    throw new AppError('NOT_FOUND', `unknown feature view "${name}"${didYouMean(closestNames(name, r.byName.keys(), 3))}`, {
      view: name,
      suggestions: closestNames(name, r.byName.keys(), 3),
    });
  }
  return view;
}

/** The feature services defined in config, with `view:*` expanded. */
export function featureServicesOf(config: WithFeatureStore): FeatureService[] {
  return resolve(config.feature_store).services;
}

export interface ViewSelection {
  view: FeatureView;
  /** Features asked of this view, in the order asked. */
  features: FeatureDef[];
}

export interface ResolvedFeatures {
  /** Every reference as "view:feature", in the order asked (services and `view:*` expanded). */
  refs: string[];
  /** The same, grouped by view in order of first appearance. */
  views: ViewSelection[];
}

export type FeatureRequest = readonly string[] | { feature_service: string };

function serviceRefs(r: Resolved, name: string): string[] {
  const svc = r.services.find((s) => s.name === name);
  if (!svc) {
    const names = r.services.map((s) => s.name);
    const suggestions = closestNames(name, names, 3);
    throw new AppError('INVALID_INPUT', `unknown feature service "${name}"${didYouMean(suggestions)} (have: ${names.join(', ') || 'none'})`, {
      feature_service: name,
      suggestions,
    });
  }
  return svc.features.map((f) => `${f.view}:${f.feature}`);
}

function unknownRefError(r: Resolved, ref: string): AppError {
  const suggestions = closestNames(ref, r.refs);
  const how = ref.includes(':') ? '' : ' (references are written view:feature)';
  return new AppError('INVALID_INPUT', `unknown feature "${ref}"${how}${didYouMean(suggestions)}`, { feature: ref, suggestions });
}

/**
 * Resolves feature references ("view:feature", "view:*") or a feature service into the views and
 * features to read, grouped by view. Unknown references fail with INVALID_INPUT listing close names;
 * a feature asked twice fails too (it would be two columns of the same name).
 */
export function resolveFeatureRefs(config: WithFeatureStore, request: FeatureRequest): ResolvedFeatures {
  const r = resolve(config.feature_store);
  const asked = 'feature_service' in request ? serviceRefs(r, request.feature_service) : [...(request as readonly string[])];
  if (asked.length === 0) throw new AppError('INVALID_INPUT', 'no features asked for; give view:feature references or a feature service', {});
  const refs: string[] = [];
  for (const ref of asked) {
    const [view, feature] = splitRef(ref);
    if (feature === '*' && r.byName.has(view)) refs.push(...expandRef(r.byName, ref).map((x) => `${x.view}:${x.feature}`));
    else if (r.refs.has(ref)) refs.push(ref);
    else throw unknownRefError(r, ref);
  }
  const dup = refs.find((ref, i) => refs.indexOf(ref) !== i);
  if (dup) throw new AppError('INVALID_INPUT', `feature "${dup}" is asked for twice`, { feature: dup });
  const groups = new Map<string, ViewSelection>();
  for (const ref of refs) {
    const [viewName, featureName] = splitRef(ref) as [string, string];
    const view = r.byName.get(viewName)!;
    let g = groups.get(viewName);
    if (!g) groups.set(viewName, (g = { view, features: [] }));
    g.features.push(view.features.find((f) => f.name === featureName)!);
  }
  return { refs, views: [...groups.values()] };
}

/** Column name of a retrieved feature: Feast's full name `view__feature`, or the bare feature name. */
export function outputColumnOf(view: string, feature: string, fullNames: boolean): string {
  return fullNames ? `${view}__${feature}` : feature;
}
