/**
 * Decoded rows of an online store's smaller views, kept in memory between reads (both stores use it).
 *
 * A serving request reads every view it names, and views keyed by a small entity (taxis, community
 * areas) are read again and again. Served from here, such a row costs neither a lookup nor a JSON parse,
 * nor the garbage of one: garbage is what sets the serving p99 (a young collection takes about a
 * millisecond).
 *
 * Exactness: the cache holds only what the store holds now. How a store knows is its own (see sqlite.ts
 * and redis.ts); the cache offers two ways:
 * - one version for the whole store (`sync`, SQLite's `PRAGMA data_version`): when it moves, every view
 *   is forgotten;
 * - a version per view (`moveTo`, a token Redis keeps next to the view's rows): rows are only ever put
 *   under the version they were read with, and a view whose version changed starts afresh. Cached rows
 *   are served before the store has confirmed the version, so a change costs the store a second round
 *   trip for them. A view whose version served fewer than SETTLED_READS reads is therefore read without
 *   the cache (a view the stream processor pushes to, say) until a version of it serves that many.
 *
 * A view with more rows than `capacity` is not cached at all: a view of a million trips read at random
 * would only churn entries through the old generation. A store may check a view's size the first time it
 * is read (`caches` with a counter; counting stops at capacity + 1); either way a view that outgrows the
 * cache is found out when the cache fills up. It then stays uncached for the life of the store, or until
 * it is deleted.
 */
import { pick } from './codec.js';
import type { OnlineRecord } from './types.js';

/** A stored row as decoded: the record with its values in the order of the feature list `schema_id` names. */
export interface CachedRow {
  schema_id: number;
  /** Frozen once cached, values included: reads that want every stored feature in order hand it out as it is. */
  record: OnlineRecord;
}

/**
 * The record of `row` with the wanted features (`index` from indexMap): the row's own record when they
 * are the stored ones in order — no garbage per row, which is the point of the cache.
 */
export function recordWith(row: CachedRow, index: readonly number[] | null): OnlineRecord {
  if (index === null) return row.record;
  const r = row.record;
  return { event_ts: r.event_ts, created_ts: r.created_ts, values: pick(r.values, index) };
}

export interface RowCacheStats {
  rows: number;
  views: number;
  too_big: string[];
  /** Views whose version changes too often to cache (see SETTLED_READS). */
  changing: string[];
}

/**
 * Reads a view's version must serve before a view that changed sooner is cached again: at most one read
 * in this many pays the second round trip of a change.
 */
export const SETTLED_READS = 200;

/** A view's version as reads found it. */
interface VersionState {
  token: string;
  /** Reads that found this version. */
  reads: number;
  /** The previous version served fewer than SETTLED_READS reads, and this one has not yet. */
  changing: boolean;
}

export class RowCache {
  private version: number | null = null;
  private readonly views = new Map<string, Map<string, CachedRow>>();
  /** The per-view version the rows in `views` were read at (stores that version views one by one). */
  private readonly versions = new Map<string, VersionState>();
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
  caches(view: string, countUpTo?: (limit: number) => number): boolean {
    if (this.capacity <= 0 || this.tooBig.has(view)) return false;
    if (countUpTo && !this.counted.has(view)) {
      this.counted.add(view);
      if (countUpTo(this.capacity + 1) > this.capacity) {
        this.tooBig.add(view);
        return false;
      }
    }
    return true;
  }

  /** A store that knows a view's size tells it here: a view with more rows than the capacity is not cached. */
  noteSize(view: string, rows: number): void {
    if (rows > this.capacity && this.capacity > 0 && !this.tooBig.has(view)) {
      this.tooBig.add(view);
      this.views.delete(view);
    }
  }

  /** The version the view's cached rows were read at; null when none may be served (none cached, or the view is changing). */
  tokenOf(view: string): string | null {
    const v = this.versions.get(view);
    return v && !v.changing ? v.token : null;
  }

  /**
   * Moves the view to version `token`, as a read found it (null: the store has no version for it, so
   * nothing of it may be cached): rows of another version are forgotten. Returns whether rows read at
   * `token` may be put.
   */
  moveTo(view: string, token: string | null): boolean {
    const v = this.versions.get(view);
    if (token === null) {
      this.versions.delete(view);
      this.views.delete(view);
      return false;
    }
    if (v?.token === token) {
      v.reads++;
      if (v.changing && v.reads >= SETTLED_READS) v.changing = false;
      return !v.changing && this.caches(view);
    }
    this.views.delete(view);
    const changing = v !== undefined && v.reads < SETTLED_READS;
    this.versions.set(view, { token, reads: 1, changing });
    return !changing && this.caches(view);
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
    Object.freeze(row.record.values);
    Object.freeze(row.record);
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
      this.versions.clear();
      this.tooBig.clear();
      this.counted.clear();
    } else {
      this.views.delete(view);
      this.versions.delete(view);
      this.tooBig.delete(view);
      this.counted.delete(view);
    }
  }

  stats(): RowCacheStats {
    let rows = 0;
    for (const m of this.views.values()) rows += m.size;
    const changing = [...this.versions].filter(([, v]) => v.changing).map(([view]) => view);
    return { rows, views: this.views.size, too_big: [...this.tooBig].sort(), changing: changing.sort() };
  }

  /** For a store's ping: what is cached, and which views are read from the store every time. */
  describe(): string {
    if (this.capacity <= 0) return 'row cache off';
    const c = this.stats();
    const tooBig = c.too_big.length ? `; read from the store every time: ${c.too_big.join(', ')}` : '';
    const changing = c.changing.length ? `; changing too often to cache: ${c.changing.join(', ')}` : '';
    return `${c.rows} row(s) of ${c.views} view(s) cached${tooBig}${changing}`;
  }
}

/**
 * Rows per view a store keeps decoded in memory: enough for every taxi or community area, about 4–8 MB
 * per view at full size. A view with more rows is read from the store every time.
 */
export const DEFAULT_CACHE_ROWS = 20_000;
