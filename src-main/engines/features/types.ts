/**
 * The resolved shapes of the feature store, shared by the offline side (definitions, transform,
 * retrieval) and the online side (stores, materialization, serving). Definitions in config.yaml are
 * parsed into these; nothing downstream reads the raw config.
 *
 * Offline layout, one folder per view:
 *   <workspace>/offline/features/<view>/date=YYYY-MM-DD/<part>.parquet
 * with columns, in this order: the entity join key (named like the join key, typed by value_type),
 * event_timestamp TIMESTAMP, created_timestamp TIMESTAMP, then each feature column (typed by dtype).
 */

export type ValueType = 'string' | 'int' | 'double' | 'bool';

export interface Entity {
  name: string;
  join_key: string;
  value_type: ValueType;
  description: string;
}

export type FeatureDef =
  | { kind: 'column'; name: string; dtype: ValueType; column: string }
  | { kind: 'time_part'; name: string; dtype: 'int'; part: 'hour' | 'weekday' | 'month' | 'day' | 'minute'; of: string }
  | {
      kind: 'aggregate';
      name: string;
      dtype: 'int' | 'double';
      fn: 'count' | 'sum' | 'avg' | 'min' | 'max';
      /** Column aggregated; absent for count. A ratio such as tip rate is sum(numerator)/sum(denominator). */
      column?: string;
      ratio_of?: { numerator: string; denominator: string };
      window_seconds: number;
    };

export interface FeatureView {
  name: string;
  entity: Entity;
  /** Feast semantics: a value older than event time − ttl is not served (OUTSIDE_MAX_AGE online, null offline). */
  ttl_seconds: number;
  /** Where raw rows come from; 'trips' is the workspace trip store. */
  source: string;
  features: FeatureDef[];
  description: string;
}

export interface FeatureService {
  name: string;
  /** "view:feature" references, resolved and checked when the config loads. */
  features: { view: string; feature: string }[];
  description: string;
}

/** A scalar as stored and served. Timestamps travel as epoch milliseconds. */
export type FeatureValue = string | number | boolean | null;

export type FeatureStatus = 'PRESENT' | 'NULL_VALUE' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE';
