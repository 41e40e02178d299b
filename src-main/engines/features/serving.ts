/**
 * Online serving: Feast's get-online-features. Given entity rows and feature references (or a feature
 * service), it reads every view's rows from the online store in one batch per view and answers in
 * Feast's response shape: `metadata.feature_names`, then one result per column (entity columns first)
 * with a value, a status and an event timestamp per entity row.
 *
 * Statuses: PRESENT; NULL_VALUE (the row is there, the value is null); NOT_FOUND (no row for the key, or
 * the stored row predates the feature); OUTSIDE_MAX_AGE (the row is older than the view's ttl at the time
 * of the request — its value is withheld, so a stale feature is never served as if it were current).
 */
import { AppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logging.js';
import type { Workspace } from '../../platform/workspace.js';
import { outputColumnOf, resolveFeatureRefs, type FeatureRequest, type ViewSelection, type WithFeatureStore } from './definitions.js';
import { entityKeyOf } from './online/codec.js';
import { GetOnlineFeaturesInputSchema, MAX_ENTITY_ROWS, parseInput, type GetOnlineFeaturesInput, type GetOnlineFeaturesRequest, type OnlineFeaturesResponse } from './online-schemas.js';
import { openOnlineStore } from './online/index.js';
import type { OnlineRecord, OnlineStore } from './online/types.js';
import type { FeatureStatus, FeatureValue, ValueType } from './types.js';

/** What a call needs besides its input; handlers pass the long-lived store. */
export interface FeatureContext {
  workspace: Workspace;
  /** The online store; default: the profile's, opened for this call and closed after it. */
  store?: OnlineStore;
  /** Feature definitions; default: the workspace config. */
  config?: WithFeatureStore;
  /** Clock for TTL checks (epoch ms). */
  now?: () => number;
  log?: Logger;
}

type EntityColumns = Map<string, FeatureValue[]>;

/** Entity rows as columns, whichever way they came; every column has one value per row. */
export function entityColumnsOf(entities: GetOnlineFeaturesInput['entities']): { columns: EntityColumns; rows: number } {
  if (Array.isArray(entities)) {
    const names = entities.length > 0 ? Object.keys(entities[0]!) : [];
    const columns: EntityColumns = new Map(names.map((n) => [n, []]));
    entities.forEach((row, i) => {
      const extra = Object.keys(row).filter((k) => !columns.has(k));
      const missing = names.filter((n) => !(n in row));
      if (extra.length || missing.length) {
        throw new AppError('INVALID_INPUT', `entity row ${i} has ${missing.length ? `no ${missing.join(', ')}` : `extra ${extra.join(', ')}`}; every row needs the same keys (${names.join(', ')})`, {
          row: i,
          missing,
          extra,
        });
      }
      for (const n of names) columns.get(n)!.push(row[n]!);
    });
    return { columns, rows: entities.length };
  }
  const columns: EntityColumns = new Map(Object.entries(entities));
  const lengths = [...columns.entries()].map(([k, v]) => `${k}: ${v.length}`);
  const rows = columns.size > 0 ? [...columns.values()][0]!.length : 0;
  if ([...columns.values()].some((v) => v.length !== rows)) {
    throw new AppError('INVALID_INPUT', `entity columns have different lengths (${lengths.join(', ')}); give one value per entity row in each`, { lengths });
  }
  return { columns, rows };
}

const describeValue = (v: unknown): string => `${JSON.stringify(v)} (${v === null ? 'null' : typeof v})`;

/** Keys of one entity column as stored; a value of the wrong type fails naming the entity and position. */
export function entityKeysOf(joinKey: string, type: ValueType, values: readonly FeatureValue[]): string[] {
  return values.map((v, i) => {
    const key = entityKeyOf(v, type);
    if (key === null) {
      throw new AppError('INVALID_INPUT', `entity ${joinKey}: value at position ${i} is ${describeValue(v)}; expected ${type === 'int' ? 'an integer' : `a ${type}`}`, {
        entity: joinKey,
        position: i,
        expected: type,
      });
    }
    return key;
  });
}

const EPOCH = new Date(0).toISOString();

/** Scratch for isoOf: the fixed characters are written once, digits on each call. */
const ISO = Buffer.from('0000-00-00T00:00:00.000Z', 'latin1');

const put2 = (at: number, n: number): void => {
  ISO[at] = 48 + Math.floor(n / 10);
  ISO[at + 1] = 48 + (n % 10);
};

/**
 * `new Date(ms).toISOString()` for years 1970–9999, several times faster and with one allocation (the
 * string itself): a response carries one event time per entity row and view, and formatting them was a
 * fifth of a 100-row request's time and a quarter of its garbage. (Days to civil date after Howard
 * Hinnant's days_from_civil inverse.)
 */
export function isoOf(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const sec = Math.floor(rest / 1000);
  const milli = rest - sec * 1000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y < 1970 || y > 9999 || !Number.isInteger(ms)) return new Date(ms).toISOString();
  put2(0, Math.floor(y / 100));
  put2(2, y % 100);
  put2(5, m);
  put2(8, d);
  put2(11, h);
  put2(14, mi);
  put2(17, sec);
  ISO[20] = 48 + Math.floor(milli / 100);
  put2(21, milli % 100);
  return ISO.toString('latin1', 0, 24);
}

function requestOf(i: GetOnlineFeaturesRequest): FeatureRequest {
  return i.feature_service !== undefined ? { feature_service: i.feature_service } : i.features!;
}

function checkNames(selections: readonly ViewSelection[], fullNames: boolean): string[] {
  const names = selections.flatMap((s) => s.features.map((f) => outputColumnOf(s.view.name, f.name, fullNames)));
  const seen = new Map<string, string>();
  selections.forEach((s) =>
    s.features.forEach((f) => {
      const name = outputColumnOf(s.view.name, f.name, fullNames);
      const other = seen.get(name);
      if (other !== undefined) {
        throw new AppError('INVALID_INPUT', `features ${other} and ${s.view.name}:${f.name} would both be named "${name}"; ask with full_feature_names: true`, {
          feature: name,
        });
      }
      seen.set(name, `${s.view.name}:${f.name}`);
    }),
  );
  return names;
}

/** What a request's feature references come to: the views to read, their feature lists, the output names. */
interface Plan {
  views: ViewSelection[];
  /** Per view, the feature names to read (the store's argument). */
  features: string[][];
  names: string[];
}

/**
 * Plans by configuration (the object: a reloaded config is a new one) and request, so a client repeating
 * its request — the usual serving load — resolves its references once rather than allocating the same
 * lists every time. A handful of distinct requests per config are kept.
 */
const plans = new WeakMap<WithFeatureStore, Map<string, Plan>>();
const MAX_PLANS = 64;

function planOf(config: WithFeatureStore, i: GetOnlineFeaturesRequest): Plan {
  const key = `${i.full_feature_names ? 1 : 0}${i.feature_service !== undefined ? `s${i.feature_service}` : `f${i.features!.join('\u0000')}`}`;
  let byKey = plans.get(config);
  const known = byKey?.get(key);
  if (known) return known;
  const resolved = resolveFeatureRefs(config, requestOf(i));
  const plan: Plan = {
    views: resolved.views,
    features: resolved.views.map((s) => s.features.map((f) => f.name)),
    names: checkNames(resolved.views, i.full_feature_names),
  };
  if (!byKey) plans.set(config, (byKey = new Map()));
  if (byKey.size >= MAX_PLANS) byKey.clear();
  byKey.set(key, plan);
  return plan;
}

/**
 * Reads one view's rows for the request's keys. Repeated keys are not folded: the stores answer one
 * entry per key given, and folding would cost a set of every key on every request to save a lookup
 * only when a key repeats.
 */
function readView(store: OnlineStore, s: ViewSelection, keys: readonly string[], features: readonly string[]): Promise<(OnlineRecord | null)[]> {
  return store.read({ name: s.view.name, join_key: s.view.entity.join_key }, keys, features);
}

/** Longest constant column kept for sharing (see constantColumn). */
const MAX_SHARED_COLUMN = 10_000;

/**
 * A column of one repeated value, shared by every response that needs one of this length and frozen so
 * that sharing is safe. Most columns of a healthy store are all PRESENT, and entity columns are all
 * PRESENT at the epoch: a fresh array each was about a tenth of a request's garbage, and garbage is what
 * sets the p99 (a young collection takes about a millisecond).
 */
function constantColumn<T>(cache: Map<number, readonly T[]>, value: T, n: number): T[] {
  let column = cache.get(n);
  if (column === undefined) {
    column = Object.freeze(new Array<T>(n).fill(value));
    // A few lengths of online-sized batches are kept (clients send a handful of sizes); a bulk request
    // of many thousand rows gets a column of its own rather than pinning it in memory.
    if (n <= MAX_SHARED_COLUMN) {
      if (cache.size >= 8) cache.clear();
      cache.set(n, column);
    }
  }
  return column as T[];
}
const presentColumns = new Map<number, readonly FeatureStatus[]>();
const epochColumns = new Map<number, readonly string[]>();

/**
 * One view's feature columns. Row facts shared by every feature (found, expired, event time) are
 * worked out once per row, and each column's arrays are allocated at their final size. The features of
 * a view share one event-time array: the times are the row's, whichever feature, and a response is read,
 * not edited (a copy per feature was a tenth of a request's garbage).
 */
function featureColumns(s: ViewSelection, records: readonly (OnlineRecord | null)[], now: number): OnlineFeaturesResponse['results'] {
  const n = records.length;
  const oldest = now - s.view.ttl_seconds * 1000;
  const checkAge = s.view.ttl_seconds > 0;
  const times = new Array<string>(n);
  const expired = new Uint8Array(n);
  // Rows of a batch often share an event time (trips start on the quarter hour): the last one is reused.
  let lastTs = Number.NaN;
  let lastIso = EPOCH;
  for (let i = 0; i < n; i++) {
    const rec = records[i]!;
    if (rec === null) {
      times[i] = EPOCH;
      continue;
    }
    if (rec.event_ts !== lastTs) {
      lastTs = rec.event_ts;
      lastIso = isoOf(lastTs);
    }
    times[i] = lastIso;
    if (checkAge && rec.event_ts < oldest) expired[i] = 1;
  }
  return s.features.map((_, j) => {
    // Filled with null first: the array then holds any value without changing its element kind (a
    // double stored first would make V8 unbox the column, then box it again at the first string or null).
    const values = new Array<FeatureValue>(n).fill(null);
    let statuses: FeatureStatus[] | null = null;
    for (let i = 0; i < n; i++) {
      const rec = records[i]!;
      const v = rec === null ? undefined : rec.values[j];
      let status: FeatureStatus;
      if (v === undefined) status = 'NOT_FOUND';
      else if (expired[i] === 1) status = 'OUTSIDE_MAX_AGE';
      else if (v === null) status = 'NULL_VALUE';
      else {
        values[i] = v;
        continue;
      }
      // The first row that is not PRESENT: the column gets statuses of its own.
      if (statuses === null) statuses = new Array<FeatureStatus>(n).fill('PRESENT');
      statuses[i] = status;
    }
    return { values, statuses: statuses ?? constantColumn(presentColumns, 'PRESENT', n), event_timestamps: times };
  });
}

/** Feast's get-online-features over the workspace's online store. */
export async function getOnlineFeatures(input: GetOnlineFeaturesInput, ctx: FeatureContext): Promise<OnlineFeaturesResponse> {
  const i = parseInput(GetOnlineFeaturesInputSchema, input, 'get-online-features');
  const { columns, rows } = entityColumnsOf(i.entities);
  if (rows > MAX_ENTITY_ROWS) throw new AppError('INVALID_INPUT', `${rows} entity rows is more than ${MAX_ENTITY_ROWS} per request; split the request`, { rows });
  const plan = planOf(ctx.config ?? ctx.workspace.config, i);
  const keysByJoinKey = new Map<string, string[]>();
  for (const s of plan.views) {
    const jk = s.view.entity.join_key;
    if (keysByJoinKey.has(jk)) continue;
    const values = columns.get(jk);
    if (!values) {
      throw new AppError(
        'INVALID_INPUT',
        `view ${s.view.name} needs entity ${jk}, which the request does not give (it gives: ${[...columns.keys()].join(', ') || 'none'})`,
        { entity: jk, view: s.view.name },
      );
    }
    keysByJoinKey.set(jk, entityKeysOf(jk, s.view.entity.value_type, values));
  }
  const store = ctx.store ?? (await openOnlineStore(ctx.workspace));
  try {
    const records = await Promise.all(plan.views.map((s, k) => readView(store, s, keysByJoinKey.get(s.view.entity.join_key)!, plan.features[k]!)));
    const now = (ctx.now ?? Date.now)();
    const entityResults = [...columns.values()].map((values) => ({
      values,
      statuses: constantColumn(presentColumns, 'PRESENT', values.length),
      event_timestamps: constantColumn(epochColumns, EPOCH, values.length),
    }));
    const featureResults = plan.views.flatMap((s, k) => featureColumns(s, records[k]!, now));
    return { metadata: { feature_names: [...columns.keys(), ...plan.names] }, results: [...entityResults, ...featureResults] };
  } finally {
    if (!ctx.store) await store.close();
  }
}
