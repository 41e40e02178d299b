/**
 * Decoded rows of the SQLite online store's smaller views, kept in memory between reads.
 *
 * A serving request reads every view it names, and views keyed by a small entity (taxis, community
 * areas) are read again and again. Served from here, such a row costs neither a B-tree probe nor a JSON
 * parse, nor the garbage of one: garbage is what sets the serving p99 (a young collection takes about a
 * millisecond).
 *
 * Exactness: the cache holds only what the database holds now.
 * - Other connections' writes (a materialization job, another process): the store reads SQLite's
 *   `PRAGMA data_version` before every read and empties the cache when it moved.
 * - This connection's own writes forget the keys they wrote; deletes and drops forget the view.
 *
 * A view with more rows than `capacity` is not cached at all: a view of a million trips read at random
 * would only churn entries through the old generation. Its size is checked the first time it is read
 * (counting stops at capacity + 1), and a view that outgrows the cache later is found out when the
 * cache fills up. Either way it stays uncached for the life of the store, or until it is deleted.
 */
import type { FeatureValue } from '../types.js';

/** A stored row as decoded: values in the order of the feature list `schema_id` names. */
export interface CachedRow {
  event_ts: number;
  created_ts: number;
  schema_id: number;
  /** Frozen: records handed out share it. */
  values: readonly FeatureValue[];
}

export interface RowCacheStats {
  rows: number;
  views: number;
  too_big: string[];
}

export class RowCache {
  private version: number | null = null;
  private readonly views = new Map<string, Map<string, CachedRow>>();
  private readonly tooBig = new Set<string>();
  /** Views whose size was checked (see caches()). */
  private readonly counted = new Set<string>();

  constructor(readonly capacity: number) {}

  /** Empties the cache when the database changed under it (`data_version` moved). */
  sync(dataVersion: number): void {
    if (dataVersion === this.version) return;
    this.views.clear();
    this.version = dataVersion;
  }

  /**
   * Whether `view` is cached. The first time a view is asked about, `countUpTo(capacity + 1)` says how many
   * rows it has: a view already too big is never cached, so its rows do not churn through the cache
   * before it is found out.
   */
  caches(view: string, countUpTo: (limit: number) => number): boolean {
    if (this.capacity <= 0 || this.tooBig.has(view)) return false;
    if (!this.counted.has(view)) {
      this.counted.add(view);
      if (countUpTo(this.capacity + 1) > this.capacity) {
        this.tooBig.add(view);
        return false;
      }
    }
    return true;
  }

  get(view: string, key: string): CachedRow | undefined {
    return this.views.get(view)?.get(key);
  }

  put(view: string, key: string, row: CachedRow): void {
    if (this.capacity <= 0 || this.tooBig.has(view)) return;
    let rows = this.views.get(view);
    if (!rows) this.views.set(view, (rows = new Map()));
    if (rows.size >= this.capacity && !rows.has(key)) {
      this.tooBig.add(view);
      this.views.delete(view);
      return;
    }
    Object.freeze(row.values);
    rows.set(key, row);
  }

  /** Forgets rows this connection has just written (whether or not the newer-wins rule kept them). */
  forgetKeys(view: string, keys: Iterable<string>): void {
    const rows = this.views.get(view);
    if (rows) for (const k of keys) rows.delete(k);
  }

  /** Forgets a deleted view (or every view): its rows, and whether it was too big. */
  forgetView(view: string | null): void {
    if (view === null) {
      this.views.clear();
      this.tooBig.clear();
      this.counted.clear();
    } else {
      this.views.delete(view);
      this.tooBig.delete(view);
      this.counted.delete(view);
    }
  }

  stats(): RowCacheStats {
    let rows = 0;
    for (const m of this.views.values()) rows += m.size;
    return { rows, views: this.views.size, too_big: [...this.tooBig].sort() };
  }
}
