/**
 * The online store: the latest feature values per entity key and view, for serving (Feast's online store).
 * Two implementations, chosen by the active profile: SQLite (embedded) and Redis (standalone, Cluster,
 * Sentinel).
 *
 * Rules every implementation keeps:
 * - a write never replaces a newer value with an older one: a row wins when its event timestamp is
 *   later, or equal with a created timestamp later or equal (so re-materializing the same data rewrites
 *   it, and a correction with the same event time applies);
 * - values are stored (as a JSON array, see codec.ts) in the order of the feature list they were written
 *   with, tagged with that list's schema id, so a view whose features change later still reads old rows;
 * - a failed call throws an AppError; nothing is reported written that was not.
 */
import type { FeatureValue } from '../types.js';

/** The view as the store sees it: values of each row come in `features` order. */
export interface OnlineView {
  name: string;
  /** Entity join key; Redis keys are per join key so that views of one entity share a hash. */
  join_key: string;
  features: readonly string[];
}

export interface OnlineRow {
  /** The entity key as text (see `entityKeyOf`). */
  key: string;
  /** Epoch milliseconds. */
  event_ts: number;
  created_ts: number;
  /** One value per feature of the view, in the view's order; or the same as JSON array text. */
  values: readonly FeatureValue[] | string;
}

export interface OnlineWriteResult {
  rows: number;
  /** Rows stored; the others lost to a newer value already there. */
  written: number;
  kept_newer: number;
}

export interface OnlineRecord {
  event_ts: number;
  created_ts: number;
  /** One per feature asked for; undefined when the stored row does not have that feature at all. */
  values: (FeatureValue | undefined)[];
}

export interface OnlinePing {
  kind: 'sqlite' | 'redis';
  target: string;
  latency_ms: number;
  detail: string;
}

export interface OnlineStore {
  readonly kind: 'sqlite' | 'redis';
  /** File path or host:port, for messages and health. */
  readonly target: string;
  write(view: OnlineView, rows: readonly OnlineRow[]): Promise<OnlineWriteResult>;
  /** One entry per key, in order; null when the key has no row for this view. */
  read(view: Pick<OnlineView, 'name' | 'join_key'>, keys: readonly string[], features: readonly string[]): Promise<(OnlineRecord | null)[]>;
  /** Removes every row of a view; returns how many entity keys had one. */
  deleteView(view: Pick<OnlineView, 'name' | 'join_key'>): Promise<number>;
  /** Removes everything the store keeps (every view's rows, the feature lists, its own bookkeeping); returns the rows removed. */
  drop(): Promise<number>;
  ping(): Promise<OnlinePing>;
  close(): Promise<void>;
}
