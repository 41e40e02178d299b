/**
 * The processor's state store (SQLite, one file per profile and consumer group under
 * <workspace>/processor/): the seen-set of trips, the window state of every aggregated view, the
 * event-time watermark per source partition, and the last status snapshot.
 *
 * Why this order makes a crash harmless: a batch's trips are recorded (seen-set row in state
 * `pending`, their contributions to the windows) in one transaction *before* any output is produced;
 * outputs follow; then the trips are marked `done`; then the bus commits the offsets. Redelivered after
 * a crash, a `pending` trip has its outputs produced again from the same state (the window rows are
 * keyed by trip id, so nothing is added twice) and a `done` trip is skipped. The seen-set and the
 * windows expire by event time: a trip older than the watermark minus the allowed lateness is "late":
 * it still gets features and a prediction, but no longer changes the aggregates (it could not be told
 * apart from one already counted and since expired).
 */
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, type Db, type Migration } from '../../../platform/db/sqlite.js';
import Database, { type Statement } from 'better-sqlite3';
import type { Workspace } from '../../../platform/workspace.js';
import type { Trip } from '../../data/trip.js';
import type { FeatureValue } from '../../features/types.js';
import { entityOf, eventMs, knownAtMs, rowFeatureValue, stateValues, type RowDef, type ViewPlan } from './plan.js';
import { ViewWindows } from './windows.js';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'seen-set, watermarks, dead letters written, status',
    up: (db) => {
      db.exec(`
        CREATE TABLE seen (
          trip_id TEXT PRIMARY KEY,
          event_ts INTEGER NOT NULL,
          -- 0: recorded, outputs pending; 1: outputs produced
          state INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX seen_event ON seen(event_ts);
        CREATE TABLE watermarks (
          topic TEXT NOT NULL,
          partition INTEGER NOT NULL,
          max_event_ts INTEGER NOT NULL,
          PRIMARY KEY (topic, partition)
        ) WITHOUT ROWID;
        CREATE TABLE dead_letters (
          topic TEXT NOT NULL,
          partition INTEGER NOT NULL,
          offset INTEGER NOT NULL,
          written_at INTEGER NOT NULL,
          PRIMARY KEY (topic, partition, offset)
        ) WITHOUT ROWID;
        CREATE TABLE status (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL, updated_at INTEGER NOT NULL);
      `);
    },
  },
];

export type TripState = 'new' | 'pending' | 'done';

export interface StagedTrip {
  trip: Trip;
  /** Already fully processed before (a duplicate or a redelivery after its outputs were produced). */
  duplicate: boolean;
  /** Older than the watermark minus the allowed lateness: features computed, aggregates untouched. */
  late: boolean;
  /** Per view, the entity key (null: the trip has none, the view is skipped) and the feature values. */
  views: { key: string | null; values: FeatureValue[] | null }[];
}

const safeName = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);

/** <workspace>/processor/<profile>-<group>.db */
export function stateFileOf(ws: Workspace, group: string): string {
  return path.join(ws.paths.root, 'processor', `${safeName(ws.profile.name)}-${safeName(group)}.db`);
}

interface ViewStatements {
  insert: Statement;
  expire: Statement;
  /** The table's rows in memory, where features are computed from (windows.ts). */
  windows: ViewWindows;
}

export class ProcessorState {
  readonly file: string;
  private readonly db: Db;
  private readonly views: ViewStatements[];
  private readonly seen = new Map<string, number>();
  private readonly putSeen: Statement;
  private readonly doneSeen: Statement;
  private readonly putDead: Statement;
  private readonly getDead: Statement;
  private readonly putWatermark: Statement;
  private watermarkCache: number | null | undefined = undefined;
  private source: { topic: string; partitions: number[] } | null = null;
  private sourceKey = '';

  private constructor(
    file: string,
    private readonly plans: readonly ViewPlan[],
    private readonly latenessMs: number,
  ) {
    this.file = file;
    this.db = openDatabase(file, 'processor state', MIGRATIONS);
    this.views = plans.map((p) => this.prepareView(p));
    this.loadSeen();
    this.putSeen = this.db.prepare('INSERT INTO seen (trip_id, event_ts, state) VALUES (?, ?, 0) ON CONFLICT (trip_id) DO NOTHING');
    this.doneSeen = this.db.prepare('UPDATE seen SET state = 1 WHERE trip_id = ?');
    this.getDead = this.db.prepare('SELECT 1 FROM dead_letters WHERE topic = ? AND partition = ? AND offset = ?').pluck();
    this.putDead = this.db.prepare('INSERT OR IGNORE INTO dead_letters (topic, partition, offset, written_at) VALUES (?, ?, ?, ?)');
    this.putWatermark = this.db.prepare(
      `INSERT INTO watermarks (topic, partition, max_event_ts) VALUES (?, ?, ?)
       ON CONFLICT (topic, partition) DO UPDATE SET max_event_ts = max(max_event_ts, excluded.max_event_ts)`,
    );
  }

  static open(file: string, plans: readonly ViewPlan[], latenessMs: number): ProcessorState {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return new ProcessorState(file, plans, latenessMs);
  }

  private prepareView(p: ViewPlan): ViewStatements {
    const cols = p.valueColumns.map((_, i) => `c${i}`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${p.table} (
        trip_id TEXT PRIMARY KEY, entity TEXT NOT NULL, start_ts INTEGER NOT NULL, known_ts INTEGER NOT NULL${cols.map((c) => `, ${c} REAL`).join('')}
      ) WITHOUT ROWID;
      -- Features are computed from the rows in memory; the table is read whole at start, and by time to expire.
      CREATE INDEX IF NOT EXISTS ${p.table}_known_ts ON ${p.table}(known_ts);`);
    const insert = this.db.prepare(
      `INSERT INTO ${p.table} (trip_id, entity, start_ts, known_ts${cols.map((c) => `, ${c}`).join('')}) VALUES (?, ?, ?, ?${cols.map(() => ', ?').join('')}) ON CONFLICT (trip_id) DO NOTHING`,
    );
    // Rows no window of a non-late trip can reach any more (see expire()).
    const expire = this.db.prepare(`DELETE FROM ${p.table} WHERE known_ts < ?`);
    return { insert, expire, windows: this.loadWindows(p) };
  }

  /** The seen-set in memory (it is bounded by the lateness), written through to its table. */
  private loadSeen(): void {
    this.seen.clear();
    for (const r of this.db.prepare('SELECT trip_id, state FROM seen').raw().iterate() as Iterable<[string, number]>) this.seen.set(r[0], r[1]);
  }

  private loadWindows(p: ViewPlan): ViewWindows {
    const windows = new ViewWindows(p);
    if (!p.aggregated) return windows;
    const cols = p.valueColumns.map((_, i) => `, c${i}`).join('');
    const rows = this.db.prepare(`SELECT entity, start_ts, known_ts${cols} FROM ${p.table} ORDER BY start_ts`).raw().iterate() as Iterable<unknown[]>;
    for (const r of rows) windows.add(r[0] as string, { start: r[1] as number, known: r[2] as number, values: r.slice(3) as (number | null)[] });
    return windows;
  }

  /**
   * Source partitions that hold messages. Until each has delivered some, there is no watermark: a
   * partition not read yet may still bring trips from long before what the others have shown.
   */
  setSourcePartitions(topic: string, partitions: readonly number[]): void {
    const key = `${topic}\u0000${[...partitions].sort((a, b) => a - b).join(',')}`;
    if (key === this.sourceKey) return;
    this.sourceKey = key;
    this.source = { topic, partitions: [...partitions] };
    this.watermarkCache = undefined;
  }

  /** The event-time watermark: the least of the newest pickup times seen per source partition. */
  watermark(): number | null {
    if (this.watermarkCache !== undefined) return this.watermarkCache;
    const src = this.source;
    if (!src || src.partitions.length === 0) return (this.watermarkCache = null);
    const rows = this.db.prepare('SELECT partition, max_event_ts FROM watermarks WHERE topic = ?').all(src.topic) as { partition: number; max_event_ts: number }[];
    const byPartition = new Map(rows.map((r) => [r.partition, r.max_event_ts]));
    let wm = Number.POSITIVE_INFINITY;
    for (const p of src.partitions) {
      const t = byPartition.get(p);
      if (t === undefined) return (this.watermarkCache = null);
      wm = Math.min(wm, t);
    }
    return (this.watermarkCache = wm);
  }

  /**
   * Records the trips of one source batch and computes their features, in one transaction: new trips
   * enter the seen-set (pending) and the windows; duplicates are flagged; late trips only get features.
   */
  stage(topic: string, partition: number, trips: readonly Trip[]): StagedTrip[] {
    try {
      return this.stageInTransaction(topic, partition, trips);
    } catch (e) {
      // The transaction rolled back; what was added to memory on the way must go too.
      this.views.forEach((v, i) => (v.windows = this.loadWindows(this.plans[i]!)));
      this.loadSeen();
      throw e;
    }
  }

  private stageInTransaction(topic: string, partition: number, trips: readonly Trip[]): StagedTrip[] {
    return this.db.transaction(() => {
      const wm = this.watermark();
      const lateBefore = wm === null ? Number.NEGATIVE_INFINITY : wm - this.latenessMs;
      const out: StagedTrip[] = [];
      const inBatch = new Set<string>();
      let maxTs = Number.NEGATIVE_INFINITY;
      for (const trip of trips) {
        const t = eventMs(trip);
        maxTs = Math.max(maxTs, t);
        const state = this.seen.get(trip.trip_id);
        // The same trip twice in one batch: the second copy is a duplicate, not a redelivery.
        if (state === 1 || (state === 0 && inBatch.has(trip.trip_id))) {
          out.push({ trip, duplicate: true, late: false, views: [] });
          continue;
        }
        const late = state === undefined && t < lateBefore;
        if (state === undefined) {
          this.putSeen.run(trip.trip_id, t);
          this.seen.set(trip.trip_id, 0);
        }
        inBatch.add(trip.trip_id);
        const known = knownAtMs(trip);
        const views = this.plans.map((p, vi) => {
          const key = entityOf(p, trip);
          if (key === null) return { key, values: null };
          if (p.aggregated && !late && state === undefined) {
            const values = stateValues(p, trip);
            this.views[vi]!.insert.run(trip.trip_id, key, t, known, ...values);
            this.views[vi]!.windows.add(key, { start: t, known, values });
          }
          return { key, values: this.featuresOf(p, vi, key, trip, t) };
        });
        out.push({ trip, duplicate: false, late, views });
      }
      if (trips.length > 0) {
        this.putWatermark.run(topic, partition, maxTs);
        this.watermarkCache = undefined;
      }
      return out;
    })();
  }

  private featuresOf(p: ViewPlan, vi: number, key: string, trip: Trip, t: number): FeatureValue[] {
    const values: FeatureValue[] = p.view.features.map((f) => (f.kind === 'aggregate' ? null : rowFeatureValue(f as RowDef, trip)));
    if (p.aggregated) this.views[vi]!.windows.aggregatesInto(key, t, values);
    return values;
  }

  /** After every output of a batch was produced: its trips are done, its dead letters written. */
  markDone(tripIds: readonly string[], deadLetters: readonly { topic: string; partition: number; offset: number }[]): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const id of tripIds) this.doneSeen.run(id);
      for (const d of deadLetters) this.putDead.run(d.topic, d.partition, d.offset, now);
    })();
    for (const id of tripIds) if (this.seen.has(id)) this.seen.set(id, 1);
  }

  /** True when this source message was already written to the dead-letter topic. */
  deadLetterWritten(topic: string, partition: number, offset: number): boolean {
    return this.getDead.get(topic, partition, offset) !== undefined;
  }

  /**
   * Drops what no future non-late trip can need: seen-set rows older than the lateness bound, window
   * rows whose values are known before any window of a non-late trip starts, dead-letter marks after a week.
   */
  expire(now = Date.now()): { seen: number; windows: number } {
    const wm = this.watermark();
    if (wm === null) return { seen: 0, windows: 0 };
    const lateBefore = wm - this.latenessMs;
    return this.db.transaction(() => {
      const expired = this.db.prepare('SELECT trip_id FROM seen WHERE event_ts < ?').pluck().all(lateBefore) as string[];
      for (const id of expired) this.seen.delete(id);
      const seen = this.db.prepare('DELETE FROM seen WHERE event_ts < ?').run(lateBefore).changes;
      let windows = 0;
      this.plans.forEach((p, i) => {
        if (!p.aggregated) return;
        windows += this.views[i]!.expire.run(lateBefore - p.longest_window_ms).changes;
        this.views[i]!.windows.expire(lateBefore - p.longest_window_ms);
      });
      this.db.prepare('DELETE FROM dead_letters WHERE written_at < ?').run(now - 7 * 86_400_000);
      return { seen, windows };
    })();
  }

  /** Rows held: for status and tests. */
  counts(): { seen: number; pending: number; windows: Record<string, number> } {
    const seen = this.db.prepare('SELECT count(*) FROM seen').pluck().get() as number;
    const pending = this.db.prepare('SELECT count(*) FROM seen WHERE state = 0').pluck().get() as number;
    const windows: Record<string, number> = {};
    for (const p of this.plans) if (p.aggregated) windows[p.view.name] = this.db.prepare(`SELECT count(*) FROM ${p.table}`).pluck().get() as number;
    return { seen, pending, windows };
  }

  writeStatus(status: unknown): void {
    this.db.prepare('INSERT INTO status (id, json, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at').run(JSON.stringify(status), Date.now());
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The last status a processor wrote to its state file, or null when it never ran. */
export function readStatusSnapshot(file: string): { json: unknown; updated_at: number } | null {
  if (!fs.existsSync(file)) return null;
  // Read without migrating: the processor may be creating this file right now.
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    const row = db.prepare('SELECT json, updated_at FROM status WHERE id = 1').get() as { json: string; updated_at: number } | undefined;
    return row ? { json: JSON.parse(row.json) as unknown, updated_at: row.updated_at } : null;
  } catch (e) {
    if (/no such table/.test((e as Error).message)) return null;
    throw e;
  } finally {
    db.close();
  }
}
