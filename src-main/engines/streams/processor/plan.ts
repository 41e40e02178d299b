/**
 * What the processor computes for a trip, derived from the feature-view definitions in config.yaml
 * (never a second list of features): per view, the entity key, the trip's own values (column and time
 * part features, evaluated exactly as the offline transform's SQL does) and the windowed aggregates.
 *
 * Aggregates follow the transform's semantics so online and offline values agree: as of the trip's
 * pickup time t, over [t − window, t]; `count` counts trips started in the window (the trip itself
 * included); aggregates of a column see a trip only once its values are known, at
 * max(dropoff, pickup + 1 s), so a trip's own fare never reaches its own features.
 */
import crypto from 'node:crypto';
import type { Trip } from '../../data/trip.js';
import { SOURCES, featureViewsOf, type WithFeatureStore } from '../../features/definitions.js';
import { entityKeyOf } from '../../features/online/codec.js';
import { onlineViewOf } from '../../features/materialize.js';
import type { OnlineView } from '../../features/online/types.js';
import type { FeatureDef, FeatureValue, FeatureView } from '../../features/types.js';

export type AggregateDef = Extract<FeatureDef, { kind: 'aggregate' }>;
export type RowDef = Exclude<FeatureDef, { kind: 'aggregate' }>;

/** One SQL query answers every aggregate of a view that reads the same window on the same clock. */
export interface WindowQuery {
  /** 'start': by pickup time (counts of trips); 'known': by when values are known (column aggregates). */
  clock: 'start' | 'known';
  window_ms: number;
  /** Index into the view's features of each aggregate this query answers, in select order. */
  features: number[];
}

export interface ViewPlan {
  view: FeatureView;
  /** Full feature names as messages and the predictor carry them: `view__feature`. */
  names: string[];
  aggregated: boolean;
  /** Source columns whose values the window state keeps (c0, c1… in the state table). */
  valueColumns: string[];
  queries: WindowQuery[];
  /** State table of this view; named by a hash of what it stores, so a definition change starts a fresh one. */
  table: string;
  longest_window_ms: number;
  /** The view as the online store writes it. */
  online: OnlineView;
}

export const fullName = (view: string, feature: string): string => `${view}__${feature}`;

const isAggregate = (f: FeatureDef): f is AggregateDef => f.kind === 'aggregate';
const usesKnownValues = (f: AggregateDef): boolean => f.column !== undefined || f.ratio_of !== undefined;

export function planViews(config: WithFeatureStore): ViewPlan[] {
  return featureViewsOf(config).map((view) => {
    const aggregates = view.features.filter(isAggregate);
    const valueColumns = [...new Set(aggregates.flatMap((f) => (f.ratio_of ? [f.ratio_of.numerator, f.ratio_of.denominator] : f.column ? [f.column] : [])))];
    const byWindow = new Map<string, WindowQuery>();
    view.features.forEach((f, i) => {
      if (!isAggregate(f)) return;
      const clock = usesKnownValues(f) ? 'known' : 'start';
      const k = `${clock}:${f.window_seconds}`;
      let q = byWindow.get(k);
      if (!q) byWindow.set(k, (q = { clock, window_ms: f.window_seconds * 1000, features: [] }));
      q.features.push(i);
    });
    const signature = JSON.stringify([view.entity.join_key, view.entity.value_type, valueColumns]);
    const hash = crypto.createHash('sha1').update(signature).digest('hex').slice(0, 8);
    return {
      view,
      names: view.features.map((f) => fullName(view.name, f.name)),
      aggregated: aggregates.length > 0,
      valueColumns,
      queries: [...byWindow.values()],
      table: `agg_${view.name}_${hash}`,
      longest_window_ms: Math.max(0, ...aggregates.map((f) => f.window_seconds * 1000)),
      online: onlineViewOf(view),
    };
  });
}

// Same numbering as the transform's SQL (hour(), isodow() − 1, month(), day(), minute()) on UTC-labelled times.
const TIME_PART: Record<Extract<FeatureDef, { kind: 'time_part' }>['part'], (d: Date) => number> = {
  hour: (d) => d.getUTCHours(),
  weekday: (d) => (d.getUTCDay() + 6) % 7,
  month: (d) => d.getUTCMonth() + 1,
  day: (d) => d.getUTCDate(),
  minute: (d) => d.getUTCMinutes(),
};

const tripValue = (trip: Trip, column: string): unknown => (trip as unknown as Record<string, unknown>)[column];

/** A column or time-part feature of one trip. */
export function rowFeatureValue(f: RowDef, trip: Trip): FeatureValue {
  if (f.kind === 'time_part') {
    const t = tripValue(trip, f.of);
    return t instanceof Date ? TIME_PART[f.part](t) : null;
  }
  const v = tripValue(trip, f.column);
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return null;
  if (f.dtype === 'int' && typeof v === 'number') return Math.trunc(v);
  return v as FeatureValue;
}

/** The view's entity key of a trip as the online store writes it, or null when the trip has none. */
export function entityOf(plan: ViewPlan, trip: Trip): string | null {
  return entityKeyOf(tripValue(trip, plan.view.entity.join_key), plan.view.entity.value_type);
}

/** The value columns a view's state keeps for a trip, in `valueColumns` order. */
export function stateValues(plan: ViewPlan, trip: Trip): (number | null)[] {
  return plan.valueColumns.map((c) => {
    const v = tripValue(trip, c);
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  });
}

/** When a trip's measured values become known: dropoff, and never at the moment it starts. */
export function knownAtMs(trip: Trip): number {
  const source = SOURCES.trips!;
  const start = (tripValue(trip, source.timestamp_field) as Date).getTime();
  const known = (tripValue(trip, source.known_at_field) as Date | null)?.getTime() ?? start;
  return Math.max(known, start + 1000);
}

export function eventMs(trip: Trip): number {
  return (tripValue(trip, SOURCES.trips!.timestamp_field) as Date).getTime();
}
