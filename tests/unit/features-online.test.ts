/**
 * The online feature store: one suite run against every backend — SQLite, the real Redis of the test
 * services, and a 3-node Redis Cluster on loopback (scripts/services/redis-cluster.sh) — covering
 * newer-wins writes, batch reads, serving statuses, materialization (full, incremental, failing halfway
 * then retried, cancelled) and push. Then what only Redis has: an unreachable server, a server that
 * goes away and comes back, a password, key TTL.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { featureViewsOf } from '../../src-main/engines/features/definitions.js';
import { listMaterializationRuns, listWatermarks, watermarkOf } from '../../src-main/engines/features/materializations.js';
import { materialize, materializeIncremental, onlineViewOf } from '../../src-main/engines/features/materialize.js';
import { listPartitions, partitionDirOf, viewColumnsOf, viewRelationSql } from '../../src-main/engines/features/offline.js';
import { openOnlineStore } from '../../src-main/engines/features/online/index.js';
import { ByteWriter, schemaIdOf, writeRecord } from '../../src-main/engines/features/online/codec.js';
import { openRedisOnlineStore, slotOf } from '../../src-main/engines/features/online/redis.js';
import type { RedisProfile } from '../../src-main/engines/features/online/redis-connect.js';
import { openSqliteOnlineStore } from '../../src-main/engines/features/online/sqlite.js';
import { SETTLED_READS } from '../../src-main/engines/features/online/row-cache.js';
import type { OnlineRow, OnlineStore, OnlineView } from '../../src-main/engines/features/online/types.js';
import { push } from '../../src-main/engines/features/push.js';
import { acquireOfflineWriteLock, transformFeatures } from '../../src-main/engines/features/transform.js';
import { getOnlineFeatures, isoOf } from '../../src-main/engines/features/serving.js';
import type { FeatureValue, FeatureView } from '../../src-main/engines/features/types.js';
import { APP_MIGRATIONS } from '../../src-main/platform/db/app-schema.js';
import { openDatabase, type Db } from '../../src-main/platform/db/sqlite.js';
import { openEngineDb, queryRows, runSql, sqlIdent, sqlString } from '../../src-main/platform/duckdb.js';
import { AppError } from '../../src-main/platform/errors.js';
import { inlineContext, type JobContext, type ProgressReport } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { openServices } from '../../src-main/platform/services.js';
import { openWorkspace, type Workspace } from '../../src-main/platform/workspace.js';
import { ensureService, isCI } from '../helpers/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const RUN = `t${process.pid}x${Date.now().toString(36)}`;

// ---------- backends ----------

const redis = await ensureService('redis');
const CLUSTER_PORTS = (process.env.REDIS_CLUSTER_PORTS ?? '16391 16392 16393').split(/\s+/).filter(Boolean).map(Number);

async function clusterAnswers(): Promise<boolean> {
  const c = new Redis({ host: '127.0.0.1', port: CLUSTER_PORTS[0], lazyConnect: true, retryStrategy: () => null, connectTimeout: 1000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return /cluster_state:ok/.test(await c.cluster('INFO'));
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/** The loopback Redis Cluster, started by its script when it does not answer; null (or a throw under CI) when it cannot be. */
async function ensureCluster(): Promise<string | null> {
  const url = `redis://${CLUSTER_PORTS.map((p) => `127.0.0.1:${p}`).join(',')}`;
  if (await clusterAnswers()) return url;
  const started = await new Promise<string | null>((resolve) =>
    execFile('bash', [path.join(repoRoot, 'scripts/services/redis-cluster.sh'), 'start'], { cwd: repoRoot, timeout: 120_000 }, (err, _o, stderr) =>
      resolve(err ? `${err.message}\n${stderr}` : null),
    ),
  );
  if (started === null && (await clusterAnswers())) return url;
  const reason = `redis cluster on ${CLUSTER_PORTS.join(',')} is not available: ${started ?? 'cluster_state is not ok'}`;
  if (isCI()) throw new Error(reason);
  console.warn(`[services] SKIPPING Redis Cluster tests — ${reason}`);
  return null;
}
const clusterUrl = redis ? await ensureCluster() : null;

/** Deletes every key under a prefix, on each master. */
async function dropPrefix(client: Redis | Cluster, prefix: string): Promise<number> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  let n = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await Promise.all(keys.map((k) => node.del(k))).then((d) => d.reduce((a, b) => a + b, 0));
    } while (cursor !== '0');
  }
  return n;
}

interface Backend {
  name: string;
  available: boolean;
  /** A store for one test; `count(view, joinKey)` counts stored entity rows of a view. */
  open(ws: Workspace, prefix: string): Promise<OnlineStore>;
  count(ws: Workspace, prefix: string, view: string, joinKey: string): Promise<number>;
  cleanup(prefix: string): Promise<void>;
}

const redisProfile = (url: string, mode: RedisProfile['mode'], extra: Partial<RedisProfile> = {}): RedisProfile => ({
  type: 'redis',
  connection_string: url,
  mode,
  ...extra,
});

function redisBackend(name: string, url: string | null, mode: RedisProfile['mode']): Backend {
  const admin = (): Redis | Cluster =>
    mode === 'cluster' ? new Cluster(CLUSTER_PORTS.map((port) => ({ host: '127.0.0.1', port }))) : new Redis(url ?? 'redis://127.0.0.1:1');
  return {
    name,
    available: url !== null,
    open: (_ws, prefix) => openRedisOnlineStore(redisProfile(url!, mode), { keyPrefix: prefix }),
    async count(_ws, prefix, view) {
      const c = admin();
      try {
        const nodes = c instanceof Cluster ? (await new Promise((r) => c.once('ready', r)), c.nodes('master')) : [c];
        let n = 0;
        for (const node of nodes) {
          let cursor = '0';
          do {
            const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}${view}:*`, 'COUNT', 1000);
            cursor = next;
            n += keys.length;
          } while (cursor !== '0');
        }
        return n;
      } finally {
        c.disconnect();
      }
    },
    async cleanup(prefix) {
      const c = admin();
      try {
        if (c instanceof Cluster) await new Promise((r) => c.once('ready', r));
        await dropPrefix(c, prefix);
      } finally {
        c.disconnect();
      }
    },
  };
}

const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    available: true,
    open: async (ws) => openSqliteOnlineStore(ws.paths.onlineDb),
    async count(ws, _prefix, view) {
      const db = new Database(ws.paths.onlineDb, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM online_features WHERE view = ?').get(view) as { n: number }).n;
      } finally {
        db.close();
      }
    },
    cleanup: async () => undefined,
  },
  redisBackend('redis', redis?.url ?? null, 'standalone'),
  redisBackend('redis cluster', clusterUrl, 'cluster'),
];

// ---------- helpers ----------

const VIEW: OnlineView = { name: 'v1', join_key: 'thing', features: ['a', 'b', 'c'] };
const row = (key: string, event_ts: number, created_ts: number, values: FeatureValue[]): OnlineRow => ({ key, event_ts, created_ts, values });
const ms = (iso: string): number => Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`);

function viewOf(ws: Workspace, name: string): FeatureView {
  return featureViewsOf(ws.config).find((v) => v.name === name)!;
}

interface OfflineRow {
  key: FeatureValue;
  /** UTC, "2016-01-01 10:00:00". */
  ev: string;
  cr?: string;
  values: Record<string, FeatureValue>;
}

/** Writes rows in the offline layout, one Parquet file per date partition, typed by the view's columns. */
async function writeOffline(ws: Workspace, view: FeatureView, rows: OfflineRow[], part = 'part-0'): Promise<void> {
  const cols = viewColumnsOf(view);
  const lit = (v: FeatureValue): string => (v === null ? 'NULL' : typeof v === 'string' ? sqlString(v) : String(v));
  const byDate = new Map<string, OfflineRow[]>();
  for (const r of rows) byDate.set(r.ev.slice(0, 10), [...(byDate.get(r.ev.slice(0, 10)) ?? []), r]);
  const engine = await openEngineDb(ws, { threads: 1 });
  try {
    for (const [date, rs] of byDate) {
      const tuples = rs.map(
        (r) =>
          `(${[lit(r.key), `TIMESTAMP ${sqlString(r.ev)}`, `TIMESTAMP ${sqlString(r.cr ?? r.ev)}`, ...view.features.map((f) => lit(r.values[f.name] ?? null))].join(', ')})`,
      );
      const select = cols.map((c, i) => `CAST(col${i} AS ${c.sql}) AS ${sqlIdent(c.name)}`).join(', ');
      const dir = partitionDirOf(ws, view.name, date);
      fs.mkdirSync(dir, { recursive: true });
      await runSql(engine.conn, `COPY (SELECT ${select} FROM (VALUES ${tuples.join(', ')})) TO ${sqlString(path.join(dir, `${part}.parquet`))} (FORMAT parquet)`);
    }
  } finally {
    engine.close();
  }
}

const area = (n: number, ev: string, trips: number, fare: number | null, cr?: string): OfflineRow => ({
  key: n,
  ev,
  cr,
  values: { trips_1h: trips, avg_fare_1h: fare, avg_trip_seconds_1h: trips * 60 },
});

function ctxOf(ws: Workspace, onProgress?: (p: ProgressReport) => void, signal?: AbortSignal): JobContext {
  return inlineContext(ws, silentLogger(), onProgress, signal);
}

/** The real store, failing on its Nth write call: a run that breaks halfway. */
function failingOn(store: OnlineStore, nth: number): OnlineStore {
  let calls = 0;
  return {
    kind: store.kind,
    target: store.target,
    write: async (view, rows) => {
      calls++;
      if (calls === nth) throw new AppError('UNAVAILABLE', `${store.target} went away (write ${calls}, as the test asked)`);
      return store.write(view, rows);
    },
    read: (view, keys, features) => store.read(view, keys, features),
    deleteView: (view) => store.deleteView(view),
    drop: () => store.drop(),
    ping: () => store.ping(),
    close: () => Promise.resolve(),
  };
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

// ---------- the shared suite ----------

const skipped = BACKENDS.filter((b) => !b.available).map((b) => b.name);
if (skipped.length) console.warn(`[services] online-store suite skips: ${skipped.join(', ')}`);

describe.each(BACKENDS.filter((b) => b.available))('online store: $name', (backend) => {
  let ws: Workspace;
  let cleanupWs: () => void;
  let store: OnlineStore;
  let prefix: string;
  let db: Db;
  let n = 0;

  beforeEach(async () => {
    const t = tempWorkspace('taxi-online-');
    ws = t.workspace;
    cleanupWs = t.cleanup;
    prefix = `${RUN}-${backend.name.replace(/\W/g, '')}-${n++}:`;
    store = await backend.open(ws, prefix);
    db = openDatabase(ws.paths.appDb, 'app.db', APP_MIGRATIONS);
  });

  afterEach(async () => {
    await store.close();
    db.close();
    await backend.cleanup(prefix);
    cleanupWs();
  });

  it('a write never replaces a newer value with an older one; created time breaks ties', async () => {
    expect(await store.write(VIEW, [row('k', 2000, 10, [1, 'first', true])])).toEqual({ rows: 1, written: 1, kept_newer: 0 });
    // Older event time: kept out, even with a later created time.
    expect(await store.write(VIEW, [row('k', 1999, 99, [2, 'older', false])])).toMatchObject({ written: 0, kept_newer: 1 });
    // Same event time, earlier created time: kept out.
    expect(await store.write(VIEW, [row('k', 2000, 9, [3, 'earlier created', false])])).toMatchObject({ written: 0, kept_newer: 1 });
    expect((await store.read(VIEW, ['k'], ['a', 'b']))[0]).toEqual({ event_ts: 2000, created_ts: 10, values: [1, 'first'] });
    // Same event time, later created time (a correction): replaces.
    expect(await store.write(VIEW, [row('k', 2000, 11, [4, 'corrected', null])])).toMatchObject({ written: 1 });
    // Exactly the same stamp again (re-materializing the same data): rewrites.
    expect(await store.write(VIEW, [row('k', 2000, 11, [5, 'same stamp', null])])).toMatchObject({ written: 1 });
    expect((await store.read(VIEW, ['k'], ['a', 'b', 'c']))[0]).toEqual({ event_ts: 2000, created_ts: 11, values: [5, 'same stamp', null] });
    // Newer: replaces; within one batch rows are taken in order, each against what is stored.
    const r = await store.write(VIEW, [row('k', 3000, 1, [6, 'newer', true]), row('k', 2500, 1, [7, 'stale in batch', true]), row('j', 1, 1, [0, 'j', false])]);
    expect(r).toEqual({ rows: 3, written: 2, kept_newer: 1 });
    expect((await store.read(VIEW, ['k'], ['a']))[0]!.values).toEqual([6]);
  });

  it('reads a batch in order, with null for keys that have no row', async () => {
    await store.write(VIEW, [row('k1', 1, 1, [1, 'one', true]), row('k2', 2, 2, [2, 'two', false]), row('k3', 3, 3, [3, 'three', null])]);
    const got = await store.read(VIEW, ['k3', 'missing', 'k1', 'k1', ''], ['b', 'a']);
    expect(got).toEqual([
      { event_ts: 3, created_ts: 3, values: ['three', 3] },
      null,
      { event_ts: 1, created_ts: 1, values: ['one', 1] },
      { event_ts: 1, created_ts: 1, values: ['one', 1] },
      null,
    ]);
    expect(await store.read(VIEW, [], ['a'])).toEqual([]);
  });

  it('keeps every value type exactly', async () => {
    const values: FeatureValue[] = ['Ünïcode "quoted" \\ line\nbreak\ttab 🚕', 2 ** 53 - 1, -12.345678901234567];
    await store.write(VIEW, [row('types', 1_700_000_000_123, 1_700_000_000_456, values), row('other', 5, 5, ['', -7, 0.1])]);
    await store.write(VIEW, [row('bools', 5, 5, [true, false, null])]);
    const got = await store.read(VIEW, ['types', 'other', 'bools'], ['a', 'b', 'c']);
    expect(got[0]).toEqual({ event_ts: 1_700_000_000_123, created_ts: 1_700_000_000_456, values });
    expect(got[1]!.values).toEqual(['', -7, 0.1]);
    expect(got[2]!.values).toEqual([true, false, null]);
  });

  it('reads rows written with an older feature list by name; a feature they lack is undefined', async () => {
    await store.write({ ...VIEW, features: ['a', 'b'] }, [row('old', 1, 1, ['a-old', 'b-old'])]);
    await store.write({ ...VIEW, features: ['c', 'b', 'a'] }, [row('new', 2, 2, ['c-new', 'b-new', 'a-new'])]);
    const got = await store.read(VIEW, ['old', 'new'], ['b', 'c', 'a']);
    expect(got[0]!.values).toEqual(['b-old', undefined, 'a-old']);
    expect(got[1]!.values).toEqual(['b-new', 'c-new', 'a-new']);
  });

  it('keeps views of one entity apart; deleting a view leaves the other', async () => {
    const other: OnlineView = { name: 'v2', join_key: VIEW.join_key, features: ['x'] };
    await store.write(VIEW, [row('k', 1, 1, [1, 2, 3]), row('only-v1', 1, 1, [1, 2, 3])]);
    await store.write(other, [row('k', 5, 5, ['x-value'])]);
    expect(await store.deleteView(VIEW)).toBe(2);
    expect(await store.read(VIEW, ['k', 'only-v1'], ['a'])).toEqual([null, null]);
    expect((await store.read(other, ['k'], ['x']))[0]!.values).toEqual(['x-value']);
    expect(await backend.count(ws, prefix, 'v2', VIEW.join_key)).toBe(1);
  });

  it('drop removes every view, and writes after it start afresh', async () => {
    const other: OnlineView = { name: 'v2', join_key: 'other', features: ['x'] };
    await store.write(VIEW, [row('k', 1, 1, [1, 2, 3]), row('k2', 1, 1, [1, 2, 3])]);
    await store.write(other, [row('k', 5, 5, ['x-value'])]);
    expect(await store.drop()).toBe(3);
    expect(await store.read(VIEW, ['k', 'k2'], ['a'])).toEqual([null, null]);
    expect(await store.read(other, ['k'], ['x'])).toEqual([null]);
    expect(await backend.count(ws, prefix, 'v1', VIEW.join_key)).toBe(0);
    await store.write(VIEW, [row('k', 1, 1, [7, 8, 9])]);
    expect((await store.read(VIEW, ['k'], ['c']))[0]!.values).toEqual([9]);
  });

  it('refuses bad rows before writing any of the batch', async () => {
    await expect(store.write(VIEW, [row('fine', 1, 1, [1, 2, 3]), row('short', 1, 1, [1, 2])])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/row 1 \(key short\).*2 values.*3 features/),
    });
    await expect(store.write(VIEW, [row('fine', 1, 1, [1, 2, 3]), row('neg', -5, 1, [1, 2, 3])])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('event_ts -5'),
    });
    expect(await store.read(VIEW, ['fine'], ['a'])).toEqual([null]);
  });

  it('answers a ping with its target and latency', async () => {
    const p = await store.ping();
    expect(p.kind).toBe(store.kind);
    expect(p.target).toBe(store.target);
    expect(p.latency_ms).toBeGreaterThanOrEqual(0);
    expect(p.detail.length).toBeGreaterThan(0);
  });

  it("serves Feast's response with PRESENT, NULL_VALUE, NOT_FOUND and OUTSIDE_MAX_AGE", async () => {
    const trips = viewOf(ws, 'trip_features');
    const areas = viewOf(ws, 'area_demand'); // ttl 2h
    const now = ms('2016-01-01T12:00:00');
    const tripValues = (d: number): FeatureValue[] =>
      trips.features.map((f) => (f.name === 'company' ? null : f.dtype === 'string' ? 'Cash' : f.dtype === 'int' ? Math.round(d) : d));
    await store.write(onlineViewOf(trips), [row('t1', ms('2016-01-01T11:00:00'), now, tripValues(3.5))]);
    await store.write(onlineViewOf(areas), [
      row('8', ms('2016-01-01T11:30:00'), now, [12, 9.5, null]),
      row('32', ms('2016-01-01T09:59:59'), now, [4, 20, 600]), // older than now − 2h
    ]);
    const res = await getOnlineFeatures(
      {
        entities: { trip_id: ['t1', 't2', 't1'], pickup_community_area: [8, 32, 77] },
        features: ['trip_features:trip_distance', 'trip_features:company', 'area_demand:trips_1h', 'area_demand:avg_trip_seconds_1h'],
      },
      { workspace: ws, store, now: () => now },
    );
    expect(res.metadata.feature_names).toEqual(['trip_id', 'pickup_community_area', 'trip_distance', 'company', 'trips_1h', 'avg_trip_seconds_1h']);
    const [tripId, areaId, distance, company, trips1h, seconds] = res.results;
    expect(tripId).toEqual({ values: ['t1', 't2', 't1'], statuses: ['PRESENT', 'PRESENT', 'PRESENT'], event_timestamps: Array(3).fill('1970-01-01T00:00:00.000Z') });
    expect(areaId!.values).toEqual([8, 32, 77]);
    expect(distance).toEqual({
      values: [3.5, null, 3.5],
      statuses: ['PRESENT', 'NOT_FOUND', 'PRESENT'],
      event_timestamps: ['2016-01-01T11:00:00.000Z', '1970-01-01T00:00:00.000Z', '2016-01-01T11:00:00.000Z'],
    });
    expect(company!.statuses).toEqual(['NULL_VALUE', 'NOT_FOUND', 'NULL_VALUE']);
    expect(trips1h).toEqual({
      values: [12, null, null],
      statuses: ['PRESENT', 'OUTSIDE_MAX_AGE', 'NOT_FOUND'],
      event_timestamps: ['2016-01-01T11:30:00.000Z', '2016-01-01T09:59:59.000Z', '1970-01-01T00:00:00.000Z'],
    });
    expect(seconds!.statuses).toEqual(['NULL_VALUE', 'OUTSIDE_MAX_AGE', 'NOT_FOUND']);
    // The same request by rows and with full names; a second later the 11:00 trip row is still fresh
    // (ttl 1d) while nothing changes for the area row 8 until 13:30.
    const byRows = await getOnlineFeatures(
      {
        entities: [
          { trip_id: 't1', pickup_community_area: 8 },
          { trip_id: 't2', pickup_community_area: 32 },
          { trip_id: 't1', pickup_community_area: 77 },
        ],
        features: ['trip_features:trip_distance', 'trip_features:company', 'area_demand:trips_1h', 'area_demand:avg_trip_seconds_1h'],
        full_feature_names: true,
      },
      { workspace: ws, store, now: () => now + 1000 },
    );
    expect(byRows.metadata.feature_names.slice(2)).toEqual(['trip_features__trip_distance', 'trip_features__company', 'area_demand__trips_1h', 'area_demand__avg_trip_seconds_1h']);
    expect(byRows.results).toEqual(res.results);
    // After 13:30 the area row 8 is outside its max age too.
    const later = await getOnlineFeatures({ entities: { pickup_community_area: [8] }, features: ['area_demand:trips_1h'] }, { workspace: ws, store, now: () => ms('2016-01-01T13:30:01') });
    expect(later.results[1]!.statuses).toEqual(['OUTSIDE_MAX_AGE']);
  });

  it('plans a repeated request once per configuration, and a reloaded configuration afresh', async () => {
    const areas = viewOf(ws, 'area_demand');
    await store.write(onlineViewOf(areas), [row('8', ms('2016-01-01T11:30:00'), ms('2016-01-01T11:30:00'), [12, 9.5, 300])]);
    const ask = (config: typeof ws.config) =>
      getOnlineFeatures({ entities: { pickup_community_area: [8] }, features: ['area_demand:*'] }, { workspace: ws, store, config, now: () => ms('2016-01-01T12:00:00') });
    const first = await ask(ws.config);
    first.metadata.feature_names.push('changed by a caller');
    const again = await ask(ws.config);
    expect(again.metadata.feature_names).toEqual(['pickup_community_area', ...areas.features.map((f) => f.name)]);
    expect(again.results.slice(1).map((r) => r.values[0])).toEqual([12, 9.5, 300]);
    // The view loses a feature in a reloaded config: the same request now reads what is left.
    const fv = ws.config.feature_store.feature_views;
    const reloaded = { ...ws.config, feature_store: { ...ws.config.feature_store, feature_views: { ...fv, area_demand: { ...fv.area_demand!, features: fv.area_demand!.features.slice(1) } } } };
    const after = await ask(reloaded);
    expect(after.metadata.feature_names).toEqual(['pickup_community_area', ...areas.features.slice(1).map((f) => f.name)]);
    expect(after.results.slice(1).map((r) => r.values[0])).toEqual([9.5, 300]);
  });

  it('rejects entity values of the wrong type, naming the entity and position', async () => {
    const call = (entities: Record<string, FeatureValue[]>, features: string[]) => getOnlineFeatures({ entities, features }, { workspace: ws, store });
    await expect(call({ taxi_id: ['a', 17] }, ['taxi_activity:trips_1h'])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'entity taxi_id: value at position 1 is 17 (number); expected a string',
      details: { entity: 'taxi_id', position: 1 },
    });
    await expect(call({ pickup_community_area: [8, 8.5] }, ['area_demand:trips_1h'])).rejects.toMatchObject({ message: expect.stringContaining('position 1 is 8.5 (number); expected an integer') });
    await expect(call({ pickup_community_area: ['8'] }, ['area_demand:trips_1h'])).rejects.toMatchObject({ message: expect.stringContaining('position 0 is "8" (string)') });
    // A value that is no scalar at all fails the input check, naming its place.
    await expect(call({ taxi_id: ['a', { id: 'b' } as unknown as FeatureValue] }, ['taxi_activity:trips_1h'])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'get-online-features: entities.taxi_id: value at position 1 is an object; expected a string, number, boolean or null',
    });
    await expect(call({ taxi_id: 'a' as unknown as FeatureValue[] }, ['taxi_activity:trips_1h'])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'get-online-features: entities.taxi_id: expected an array of entity values; got string',
    });
    await expect(call({ trip_id: ['t1'] }, ['area_demand:trips_1h'])).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('needs entity pickup_community_area') });
    await expect(call({ trip_id: ['t1', 't2'], taxi_id: ['x'] }, ['trip_features:company'])).rejects.toMatchObject({ message: expect.stringContaining('different lengths') });
    await expect(call({ trip_id: ['t1'] }, ['trip_features:distance'])).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('trip_features:trip_distance') });
    await expect(getOnlineFeatures({ entities: { taxi_id: ['a'], pickup_community_area: [1] }, feature_service: 'fare_model' }, { workspace: ws, store })).rejects.toMatchObject({
      message: expect.stringContaining('full_feature_names'),
    });
  });

  it('columns that are all PRESENT share one frozen statuses array, which no caller can change under another', async () => {
    const areas = viewOf(ws, 'area_demand');
    const now = ms('2016-01-01T12:00:00');
    await store.write(onlineViewOf(areas), [row('8', ms('2016-01-01T11:30:00'), now, [12, 9.5, 300]), row('9', ms('2016-01-01T11:30:00'), now, [1, null, 60])]);
    const ask = () => getOnlineFeatures({ entities: { pickup_community_area: [8, 9] }, features: ['area_demand:*'] }, { workspace: ws, store, now: () => now });
    const first = await ask();
    const [, trips1h, fare] = first.results;
    expect(trips1h!.statuses).toEqual(['PRESENT', 'PRESENT']);
    expect(fare!.statuses).toEqual(['PRESENT', 'NULL_VALUE']);
    expect(() => trips1h!.statuses.push('NOT_FOUND')).toThrow(TypeError);
    expect(() => (first.results[0]!.event_timestamps[0] = 'x')).toThrow(TypeError);
    const second = await ask();
    expect(second.results).toEqual(first.results);
    expect(second.results[1]!.statuses).toBe(trips1h!.statuses);
    expect(second.results[0]!.event_timestamps).toEqual(['1970-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z']);
    // A bulk request's constant columns are its own, not kept for sharing.
    const bulk = () =>
      getOnlineFeatures({ entities: { pickup_community_area: new Array<number>(10_001).fill(8) }, features: ['area_demand:trips_1h'] }, { workspace: ws, store, now: () => now });
    const [a, b] = [await bulk(), await bulk()];
    expect(a.results[1]!.statuses.every((x) => x === 'PRESENT')).toBe(true);
    expect(a.results[1]!.statuses).not.toBe(b.results[1]!.statuses);
    expect(a.results[1]!.statuses).toEqual(b.results[1]!.statuses);
  });

  it('materializes the latest row per entity in [start, end), then incrementally from the watermark', async () => {
    const areas = viewOf(ws, 'area_demand');
    await writeOffline(ws, areas, [
      area(8, '2016-01-01 10:00:00', 5, 10),
      area(8, '2016-01-01 11:00:00', 7, 11),
      area(32, '2016-01-01 09:00:00', 3, 20, '2016-01-01 09:05:00'),
      area(32, '2016-01-01 09:00:00', 4, 21, '2016-01-01 09:10:00'), // same event, created later: wins
      area(32, '2015-12-31 23:59:59', 99, 99), // before the range
      area(76, '2016-01-02 01:00:00', 9, 30), // at or after the end
    ]);
    const progress: ProgressReport[] = [];
    const r = await materialize({ start: '2016-01-01', end: '2016-01-02T00:00:00Z' }, ctxOf(ws, (p) => progress.push(p)), { store, appDb: db });
    expect(r.mode).toBe('materialize');
    expect(r.views.find((v) => v.view === 'area_demand')).toMatchObject({ rows: 2, written: 2, status: 'succeeded', start: '2016-01-01T00:00:00.000Z', end: '2016-01-02T00:00:00.000Z' });
    expect(r.views.map((v) => v.view)).toEqual(['trip_features', 'taxi_activity', 'area_demand']);
    expect(progress.at(-1)).toMatchObject({ done: 2, total: 2, unit: 'rows' });
    const read = async (keys: string[]) => (await store.read(onlineViewOf(areas), keys, ['trips_1h', 'avg_fare_1h'])).map((x) => x && { ev: new Date(x.event_ts).toISOString(), values: x.values });
    expect(await read(['8', '32', '76'])).toEqual([
      { ev: '2016-01-01T11:00:00.000Z', values: [7, 11] },
      { ev: '2016-01-01T09:00:00.000Z', values: [4, 21] },
      null,
    ]);
    expect(watermarkOf(db, 'area_demand')).toBe(ms('2016-01-02T00:00:00'));

    // Later data arrives; incremental materialization takes [watermark, end).
    await writeOffline(ws, areas, [area(8, '2016-01-02 05:00:00', 11, 12)], 'part-1');
    const inc = await materializeIncremental({ end: '2016-01-03' }, ctxOf(ws), { store, appDb: db });
    expect(inc.views.find((v) => v.view === 'area_demand')).toMatchObject({ start: '2016-01-02T00:00:00.000Z', end: '2016-01-03T00:00:00.000Z', rows: 2, written: 2 });
    expect(await read(['8', '76'])).toEqual([
      { ev: '2016-01-02T05:00:00.000Z', values: [11, 12] },
      { ev: '2016-01-02T01:00:00.000Z', values: [9, 30] },
    ]);
    expect(watermarkOf(db, 'area_demand')).toBe(ms('2016-01-03T00:00:00'));
    // Nothing new: up to date, no run recorded, watermark kept.
    const again = await materializeIncremental({ end: '2016-01-03', views: ['area_demand'] }, ctxOf(ws), { store, appDb: db });
    expect(again.views).toEqual([expect.objectContaining({ view: 'area_demand', status: 'up_to_date', rows: 0, run_id: null })]);

    // Re-materializing the old range never moves values or the watermark back.
    const old = await materialize({ start: '2016-01-01', end: '2016-01-02', views: ['area_demand'] }, ctxOf(ws), { store, appDb: db });
    expect(old.views[0]).toMatchObject({ rows: 2, written: 1 }); // area 32 rewritten as it was; area 8 kept newer
    expect((await read(['8']))[0]!.values).toEqual([11, 12]);
    expect(watermarkOf(db, 'area_demand')).toBe(ms('2016-01-03T00:00:00'));
    expect(await backend.count(ws, prefix, 'area_demand', 'pickup_community_area')).toBe(3);

    const runs = listMaterializationRuns(db, { view: 'area_demand' });
    expect(runs.map((x) => [x.mode, x.status, x.rows])).toEqual([
      ['materialize', 'succeeded', 2],
      ['incremental', 'succeeded', 2],
      ['materialize', 'succeeded', 2],
    ]);
    expect(listWatermarks(db).map((w) => w.view).sort()).toEqual(['area_demand', 'taxi_activity', 'trip_features']);
  });

  it('incremental with no watermark starts at end − ttl', async () => {
    const areas = viewOf(ws, 'area_demand'); // ttl 2h
    await writeOffline(ws, areas, [area(8, '2016-01-01 09:59:59', 1, 1), area(8, '2016-01-01 10:00:00', 2, 2), area(9, '2016-01-01 09:00:00', 3, 3)]);
    const r = await materializeIncremental({ end: '2016-01-01T12:00:00Z', views: ['area_demand'] }, ctxOf(ws), { store, appDb: db });
    expect(r.views[0]).toMatchObject({ start: '2016-01-01T10:00:00.000Z', rows: 1 });
    const got = await store.read(onlineViewOf(areas), ['8', '9'], ['trips_1h']);
    expect(got.map((x) => x?.values[0] ?? null)).toEqual([2, null]);
  });

  it('materializes keys of every type exactly: text with tabs and newlines, integers, doubles, booleans', async () => {
    const trips = viewOf(ws, 'trip_features');
    const weird = ['plain', 'tab\there', 'new\nline', 'ünï 🚕', ''];
    await writeOffline(
      ws,
      trips,
      weird.map((key, i) => ({ key, ev: '2016-04-01 10:00:00', values: { trip_seconds: i } })),
    );
    const entity = (name: string, value_type: FeatureView['entity']['value_type']) => ({ name, join_key: name, value_type, description: '' });
    const byDouble: FeatureView = { ...viewOf(ws, 'area_demand'), name: 'by_fare', entity: entity('fare_amount', 'double') };
    const byBool: FeatureView = { ...viewOf(ws, 'area_demand'), name: 'by_flag', entity: entity('trip_id_derived', 'bool') };
    await writeOffline(ws, byDouble, [area(3, '2016-04-01 10:00:00', 1, 1), area(12.5, '2016-04-01 10:00:00', 2, 2)]);
    await writeOffline(ws, byBool, [area(0, '2016-04-01 10:00:00', 3, 3), area(1, '2016-04-01 11:00:00', 4, 4)].map((r, i) => ({ ...r, key: i === 1 })));
    const views = [trips, byDouble, byBool, viewOf(ws, 'area_demand')];
    const r = await materialize({ start: '2016-04-01', end: '2016-04-02' }, ctxOf(ws), { store, appDb: db, views });
    expect(r.views.map((v) => [v.view, v.rows])).toEqual([
      ['trip_features', 5],
      ['by_fare', 2],
      ['by_flag', 2],
      ['area_demand', 0],
    ]);
    const got = await store.read(onlineViewOf(trips), weird, ['trip_seconds']);
    expect(got.map((g) => g?.values[0])).toEqual([0, 1, 2, 3, 4]);
    expect((await store.read(onlineViewOf(byDouble), ['3', '12.5', '3.0'], ['trips_1h'])).map((g) => g?.values[0] ?? null)).toEqual([1, 2, null]);
    expect((await store.read(onlineViewOf(byBool), ['false', 'true'], ['trips_1h'])).map((g) => g?.values[0] ?? null)).toEqual([3, 4]);
  });

  it('reads a large view in several slices, each entity once and in full', { timeout: 120_000 }, async () => {
    const trips = viewOf(ws, 'trip_features');
    const n = 70_000; // more than one block query (65,536 rows)
    const exprs: Record<string, string> = {
      trip_id: `'t-' || lpad(CAST(i AS VARCHAR), 6, '0')`,
      event_timestamp: `TIMESTAMP '2016-06-01' + to_seconds(i)`,
      created_timestamp: `TIMESTAMP '2016-07-01'`,
      trip_seconds: 'i',
      company: `'c' || CAST(i % 7 AS VARCHAR)`,
    };
    const select = viewColumnsOf(trips).map((c) => `CAST(${exprs[c.name] ?? 'NULL'} AS ${c.sql}) AS ${sqlIdent(c.name)}`);
    const engine = await openEngineDb(ws, { threads: 1 });
    try {
      const dir = partitionDirOf(ws, 'trip_features', '2016-06-01');
      fs.mkdirSync(dir, { recursive: true });
      // One day holds 86,400 seconds: every row lands in the 2016-06-01 partition.
      await runSql(engine.conn, `COPY (SELECT ${select.join(', ')} FROM range(${n}) r(i)) TO ${sqlString(path.join(dir, 'big.parquet'))} (FORMAT parquet)`);
    } finally {
      engine.close();
    }
    const r = await materialize({ start: '2016-06-01', end: '2016-06-02', views: ['trip_features'] }, ctxOf(ws), { store, appDb: db });
    expect(r.views[0]).toMatchObject({ rows: n, written: n });
    expect(await backend.count(ws, prefix, 'trip_features', 'trip_id')).toBe(n);
    const keys = [0, 1, 2047, 2048, 65_535, 65_536, 65_537, n - 1].map((i) => `t-${String(i).padStart(6, '0')}`);
    const got = await store.read(onlineViewOf(trips), keys, ['trip_seconds', 'company']);
    expect(got.map((g) => g!.values)).toEqual([0, 1, 2047, 2048, 65_535, 65_536, 65_537, n - 1].map((i) => [i, `c${i % 7}`]));
  });

  it('a run that fails halfway keeps the watermark and records the failure; the retry completes it without duplicates', async () => {
    const trips = viewOf(ws, 'trip_features');
    const rows: OfflineRow[] = Array.from({ length: 50 }, (_, i) => ({
      key: `trip-${String(i).padStart(3, '0')}`,
      ev: `2016-03-0${1 + (i % 3)} 1${i % 10}:00:00`,
      values: Object.fromEntries(trips.features.map((f) => [f.name, f.dtype === 'string' ? `s${i}` : f.dtype === 'double' ? i + 0.5 : i])),
    }));
    await writeOffline(ws, trips, rows);
    const range = { start: '2016-03-01', end: '2016-03-04', views: ['trip_features'] };
    await expect(materialize(range, ctxOf(ws), { store: failingOn(store, 3), appDb: db, batchRows: 10 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(watermarkOf(db, 'trip_features')).toBeNull();
    const failed = listMaterializationRuns(db, { view: 'trip_features' });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ status: 'failed', rows: 20, error: { code: 'UNAVAILABLE', message: expect.stringContaining('went away') } });
    expect(await backend.count(ws, prefix, 'trip_features', 'trip_id')).toBe(20);

    const ok = await materialize(range, ctxOf(ws), { store, appDb: db, batchRows: 10 });
    expect(ok.views[0]).toMatchObject({ status: 'succeeded', rows: 50, written: 50 });
    expect(watermarkOf(db, 'trip_features')).toBe(ms('2016-03-04T00:00:00'));
    expect(listMaterializationRuns(db, { view: 'trip_features' }).map((x) => x.status)).toEqual(['succeeded', 'failed']);
    expect(await backend.count(ws, prefix, 'trip_features', 'trip_id')).toBe(50);
    const got = await store.read(onlineViewOf(trips), rows.map((r) => r.key as string), ['trip_distance', 'payment_type']);
    expect(got.map((g) => g!.values)).toEqual(rows.map((r) => [r.values.trip_distance, r.values.payment_type]));
  });

  it('a cancelled run stops between batches and is recorded as cancelled', async () => {
    const trips = viewOf(ws, 'trip_features');
    await writeOffline(
      ws,
      trips,
      Array.from({ length: 30 }, (_, i) => ({ key: `c${i}`, ev: '2016-03-01 10:00:00', values: {} })),
    );
    const ac = new AbortController();
    const ctx = ctxOf(ws, (p) => p.done >= 10 && ac.abort(), ac.signal);
    await expect(materialize({ start: '2016-03-01', end: '2016-03-02', views: ['trip_features'] }, ctx, { store, appDb: db, batchRows: 10 })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(listMaterializationRuns(db)[0]).toMatchObject({ status: 'cancelled', rows: 10 });
    expect(watermarkOf(db, 'trip_features')).toBeNull();
  });

  it('pushes rows online, offline (a new Parquet part per date) or both, after checking every row', async () => {
    const areas = viewOf(ws, 'area_demand');
    const rowsIn = [
      { pickup_community_area: 8, event_timestamp: '2016-05-01T10:00:00Z', trips_1h: 3, avg_fare_1h: 12.5, avg_trip_seconds_1h: null },
      { pickup_community_area: 9, event_timestamp: ms('2016-05-02T10:00:00'), trips_1h: 1, avg_fare_1h: 7, avg_trip_seconds_1h: 300 },
    ];
    const ctx = { workspace: ws, store, now: () => ms('2016-05-03T00:00:00') };
    const online = await push('area_demand', rowsIn, 'online', ctx);
    expect(online).toEqual({ view: 'area_demand', rows: 2, online: { written: 2, kept_newer: 0 }, offline: null });
    expect(listPartitions(ws, 'area_demand')).toEqual([]);
    const got = await store.read(onlineViewOf(areas), ['8', '9'], ['avg_fare_1h', 'avg_trip_seconds_1h']);
    expect(got.map((g) => g!.values)).toEqual([[12.5, null], [7, 300]]);
    expect(got[0]!.created_ts).toBe(ms('2016-05-03T00:00:00'));

    const both = await push('area_demand', { pickup_community_area: [10], event_timestamp: ['2016-05-02 23:00:00'], trips_1h: [2], avg_fare_1h: [9], avg_trip_seconds_1h: [60] }, 'both', ctx);
    expect(both.online).toEqual({ written: 1, kept_newer: 0 });
    const offline = await push('area_demand', rowsIn, 'offline', ctx);
    expect(offline.online).toBeNull();
    expect(offline.offline!.partitions).toEqual(['2016-05-01', '2016-05-02']);
    expect(listPartitions(ws, 'area_demand').map((p) => [p.date, p.files.length])).toEqual([
      ['2016-05-01', 1],
      ['2016-05-02', 2],
    ]);
    const engine = await openEngineDb(ws, { threads: 1 });
    try {
      const stored = await queryRows<Record<string, unknown>>(engine.conn, `SELECT * FROM ${viewRelationSql(ws, areas)} ORDER BY event_timestamp`);
      expect(stored.map((s) => [s.pickup_community_area, (s.event_timestamp as Date).toISOString(), s.trips_1h, s.avg_fare_1h, s.avg_trip_seconds_1h])).toEqual([
        [8, '2016-05-01T10:00:00.000Z', 3, 12.5, null],
        [9, '2016-05-02T10:00:00.000Z', 1, 7, 300],
        [10, '2016-05-02T23:00:00.000Z', 2, 9, 60],
      ]);
    } finally {
      engine.close();
    }
    // Pushed offline rows materialize like any others.
    const m = await materialize({ start: '2016-05-01', end: '2016-05-03', views: ['area_demand'] }, ctxOf(ws), { store, appDb: db });
    expect(m.views[0]).toMatchObject({ rows: 3 });
  });

  it('refuses a bad push without writing anything', async () => {
    const ctx = { workspace: ws, store };
    const good = { pickup_community_area: 8, event_timestamp: '2016-05-01T10:00:00Z', trips_1h: 3, avg_fare_1h: 12.5, avg_trip_seconds_1h: 1 };
    const cases: [Record<string, FeatureValue>, RegExp][] = [
      [{ ...good, trips_1h: 2.5 }, /row 1: trips_1h is 2.5; expected an integer/],
      [{ ...good, pickup_community_area: 'eight' }, /row 1: pickup_community_area is "eight"; expected an integer/],
      [{ ...good, event_timestamp: 'yesterday' }, /row 1: event_timestamp is "yesterday"/],
      [{ ...good, tips: 1 }, /row 1: unknown column tips/],
      [Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'avg_fare_1h')), /row 1 has no avg_fare_1h/],
    ];
    for (const [bad, message] of cases) {
      await expect(push('area_demand', [good, bad], 'both', ctx)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(message) });
    }
    await expect(push('area_demnd', [good], 'online', ctx)).rejects.toMatchObject({ message: expect.stringContaining('area_demand') });
    expect(await store.read(onlineViewOf(viewOf(ws, 'area_demand')), ['8'], ['trips_1h'])).toEqual([null]);
    expect(listPartitions(ws, 'area_demand')).toEqual([]);
  });
});

// ---------- Redis only ----------

describe.skipIf(!redis)('redis online store: failures, password, key TTL', () => {
  const prefix = `${RUN}-redis-only:`;
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(redis!.url);
  });
  afterAll(async () => {
    await dropPrefix(admin, prefix);
    admin.disconnect();
  });

  it('an unreachable Redis fails at once with UNAVAILABLE naming host:port', { timeout: 15_000 }, async () => {
    const port = await closedPort();
    const err = (await openRedisOnlineStore(redisProfile(`redis://127.0.0.1:${port}`, 'standalone'), { keyPrefix: prefix }).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    const clusterErr = (await openRedisOnlineStore(redisProfile(`redis://127.0.0.1:${port}`, 'cluster'), { keyPrefix: prefix }).catch((e: unknown) => e)) as AppError;
    expect(clusterErr).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`127.0.0.1:${port}`) });
  });

  it('materializing into an unreachable Redis records a failed run and keeps the watermark', { timeout: 30_000 }, async () => {
    const port = await closedPort();
    const t = tempWorkspace('taxi-online-down-');
    try {
      const cfg = fs.readFileSync(t.workspace.paths.config, 'utf8').replace('active_profile: local', 'active_profile: cluster').replace('redis://127.0.0.1:6379', `redis://127.0.0.1:${port}`);
      fs.writeFileSync(t.workspace.paths.config, cfg);
      const ws = openWorkspace(t.dir);
      await writeOffline(ws, viewOf(ws, 'area_demand'), [area(8, '2016-01-01 10:00:00', 5, 10)]);
      await expect(openOnlineStore(ws)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`127.0.0.1:${port}`) });
      await expect(materialize({ start: '2016-01-01', end: '2016-01-02' }, ctxOf(ws))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      const db = openDatabase(ws.paths.appDb, 'app.db', APP_MIGRATIONS);
      try {
        const runs = listMaterializationRuns(db);
        expect(runs).toHaveLength(3);
        for (const r of runs) expect(r).toMatchObject({ status: 'failed', rows: 0, error: { code: 'UNAVAILABLE', message: expect.stringContaining(`127.0.0.1:${port}`) } });
        expect(listWatermarks(db)).toEqual([]);
      } finally {
        db.close();
      }
    } finally {
      t.cleanup();
    }
  });

  describe('against a Redis of its own', () => {
    let servers: ChildProcess[] = [];
    let port = 0;
    let dir = '';
    const portOpen = (p: number): Promise<boolean> =>
      new Promise((resolve) => {
        const sock = net.connect(p, '127.0.0.1');
        sock.once('connect', () => (sock.destroy(), resolve(true)));
        sock.once('error', () => resolve(false));
      });
    /** redis-server with the given arguments, answering on `on` (default: the test's port). */
    const spawnRedis = async (args: string[], on = port): Promise<void> => {
      servers.push(spawn('redis-server', [...args, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }));
      for (let i = 0; i < 200; i++) {
        if (await portOpen(on)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`redis-server on ${on} did not start`);
    };
    const start = (args: string[] = []): Promise<void> => spawnRedis(['--port', String(port), ...args]);
    const stop = async (): Promise<void> => {
      const all = servers;
      servers = [];
      for (const s of all) {
        if (s.exitCode !== null || s.signalCode !== null) continue;
        const exited = new Promise((r) => s.once('exit', r));
        s.kill('SIGKILL');
        await exited;
      }
    };
    beforeEach(async () => {
      port = await closedPort();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-redis-'));
    });
    afterEach(async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('finds the master through Sentinel', { timeout: 30_000 }, async () => {
      await start();
      const sentinelPort = await closedPort();
      const conf = path.join(dir, 'sentinel.conf');
      fs.writeFileSync(conf, `port ${sentinelPort}\nsentinel monitor taxi-master 127.0.0.1 ${port} 1\n`);
      await spawnRedis([conf, '--sentinel'], sentinelPort);
      const profile = redisProfile(`redis://127.0.0.1:${sentinelPort}`, 'sentinel', { sentinel_master: 'taxi-master' });
      const store = await openRedisOnlineStore(profile, { keyPrefix: prefix });
      try {
        expect(await store.write(VIEW, [row('s', 1, 1, [1, 2, 3])])).toMatchObject({ written: 1 });
        expect((await store.read(VIEW, ['s', 'other'], ['c']))[0]!.values).toEqual([3]);
        expect((await store.ping()).detail).toContain('sentinel');
      } finally {
        await store.close();
      }
      const direct = new Redis({ port, lazyConnect: true });
      await direct.connect();
      expect(await direct.exists(`${prefix}v1:s`)).toBe(1);
      direct.disconnect();
      await expect(openRedisOnlineStore(redisProfile(`redis://127.0.0.1:${sentinelPort}`, 'sentinel'), { keyPrefix: prefix })).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
        message: expect.stringContaining('sentinel_master'),
      });
    });

    it('speaks TLS with the CA, client certificate and key of the profile', { timeout: 60_000 }, async () => {
      const ssl = (args: string[]): Promise<void> =>
        new Promise((resolve, reject) => execFile('openssl', args, { cwd: dir }, (err, _o, stderr) => (err ? reject(new Error(`openssl ${args[0]}: ${stderr}`)) : resolve())));
      await ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=taxi-test-ca']);
      for (const name of ['server', 'client']) {
        await ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=127.0.0.1']);
        fs.writeFileSync(path.join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1\n');
        await ssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
      }
      await spawnRedis(['--port', '0', '--tls-port', String(port), '--tls-cert-file', path.join(dir, 'server.crt'), '--tls-key-file', path.join(dir, 'server.key'), '--tls-ca-cert-file', path.join(dir, 'ca.crt')]);
      process.env.TAXI_SECRET_ONLINE_TEST_TLS_KEY = fs.readFileSync(path.join(dir, 'client.key'), 'utf8');
      try {
        // File paths relative to the workspace, as config.yaml would give them.
        const tls = { enabled: true, ca_file: 'ca.crt', cert_file: 'client.crt', key: { secret: 'online-test-tls-key' }, reject_unauthorized: true };
        const store = await openRedisOnlineStore(redisProfile(`rediss://127.0.0.1:${port}`, 'standalone', { tls }), { keyPrefix: prefix, baseDir: dir });
        try {
          expect(await store.write(VIEW, [row('tls', 1, 1, [1, 2, 3])])).toMatchObject({ written: 1 });
          expect((await store.read(VIEW, ['tls'], ['b']))[0]!.values).toEqual([2]);
        } finally {
          await store.close();
        }
        // The server asks for a client certificate: without one the connection is refused, quickly and by name.
        const noCert = redisProfile(`rediss://127.0.0.1:${port}`, 'standalone', { tls: { enabled: true, ca_file: 'ca.crt', reject_unauthorized: true } });
        await expect(openRedisOnlineStore(noCert, { keyPrefix: prefix, baseDir: dir })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`127.0.0.1:${port}`) });
        const missingCa = redisProfile(`rediss://127.0.0.1:${port}`, 'standalone', { tls: { enabled: true, ca_file: 'nope.crt', reject_unauthorized: true } });
        await expect(openRedisOnlineStore(missingCa, { keyPrefix: prefix, baseDir: dir, where: 'profiles.cluster.online_store' })).rejects.toMatchObject({
          code: 'INVALID_CONFIG',
          message: expect.stringMatching(/profiles\.cluster\.online_store\.tls\.ca_file: cannot read .*nope\.crt \(ENOENT\)/),
        });
      } finally {
        delete process.env.TAXI_SECRET_ONLINE_TEST_TLS_KEY;
      }
    });

    it('a Redis that goes away fails writes with UNAVAILABLE at once, and is used again when it is back', { timeout: 30_000 }, async () => {
      await start();
      const store = await openRedisOnlineStore(redisProfile(`redis://127.0.0.1:${port}`, 'standalone'), { keyPrefix: prefix });
      try {
        expect(await store.write(VIEW, [row('k', 1, 1, [1, 2, 3])])).toMatchObject({ written: 1 });
        await stop();
        await expect(store.write(VIEW, [row('k', 2, 2, [4, 5, 6])])).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`127.0.0.1:${port}`) });
        await expect(store.read(VIEW, ['k'], ['a'])).rejects.toMatchObject({ code: 'UNAVAILABLE' });
        await start();
        let back = false;
        for (let i = 0; i < 100 && !back; i++) {
          back = await store.ping().then(
            () => true,
            async () => (await new Promise((r) => setTimeout(r, 100)), false),
          );
        }
        expect(back).toBe(true);
        // A fresh server (no persistence): the write goes through and reads back.
        expect(await store.write(VIEW, [row('k', 2, 2, [4, 5, 6])])).toMatchObject({ written: 1 });
        expect((await store.read(VIEW, ['k'], ['a']))[0]!.values).toEqual([4]);
        // The feature list went with the rows, so another client can decode them.
        const other = await openRedisOnlineStore(redisProfile(`redis://127.0.0.1:${port}`, 'standalone'), { keyPrefix: prefix });
        expect((await other.read(VIEW, ['k'], ['c']))[0]!.values).toEqual([6]);
        await other.close();
      } finally {
        await store.close();
      }
    });

    it('authenticates with the password secret, and says so when it is wrong', { timeout: 30_000 }, async () => {
      await start(['--requirepass', 'pw-of-the-test']);
      process.env.TAXI_SECRET_ONLINE_TEST_REDIS = 'pw-of-the-test';
      try {
        const profile = redisProfile(`redis://127.0.0.1:${port}`, 'standalone', { password: { secret: 'online-test-redis' } });
        const store = await openRedisOnlineStore(profile, { keyPrefix: prefix });
        expect(await store.write(VIEW, [row('k', 1, 1, [1, 2, 3])])).toMatchObject({ written: 1 });
        await store.close();
        process.env.TAXI_SECRET_ONLINE_TEST_REDIS = 'wrong';
        await expect(openRedisOnlineStore(profile, { keyPrefix: prefix })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/credentials|WRONGPASS/) });
        delete process.env.TAXI_SECRET_ONLINE_TEST_REDIS;
        await expect(openRedisOnlineStore(profile, { keyPrefix: prefix })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('TAXI_SECRET_ONLINE_TEST_REDIS') });
        await expect(openRedisOnlineStore(redisProfile(`redis://:pw@127.0.0.1:${port}`, 'standalone'), { keyPrefix: prefix })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      } finally {
        delete process.env.TAXI_SECRET_ONLINE_TEST_REDIS;
      }
    });
  });

  it('gives every written key the profile key TTL', async () => {
    const store = await openRedisOnlineStore(redisProfile(redis!.url, 'standalone', { key_ttl_seconds: 60 }), { keyPrefix: prefix });
    try {
      await store.write(VIEW, [row('ttl', 1, 1, [1, 2, 3])]);
      const pttl = await admin.pttl(`${prefix}v1:ttl`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(60_000);
      const plain = await openRedisOnlineStore(redisProfile(redis!.url, 'standalone'), { keyPrefix: prefix });
      await plain.write(VIEW, [row('no-ttl', 1, 1, [1, 2, 3])]);
      expect(await admin.pttl(`${prefix}v1:no-ttl`)).toBe(-1);
      await plain.close();
    } finally {
      await store.close();
    }
  });

  it('a stored record that is not a JSON array of values fails the read with INTERNAL, never a wrong answer', async () => {
    const p = `${prefix}corrupt:`;
    const store = await openRedisOnlineStore(redisProfile(redis!.url, 'standalone'), { keyPrefix: p });
    try {
      await store.write(VIEW, [row('good', 1, 1, [1, 2, 3])]);
      const stored = (await admin.getBuffer(`${p}v1:good`))!;
      const header = stored.subarray(0, 16);
      // A body that is not JSON, and one that would parse as two rows if records were only joined.
      for (const body of ['{not json', '1],[2']) {
        await admin.set(`${p}v1:bad`, Buffer.concat([header, Buffer.from(body)]));
        await expect(store.read(VIEW, ['good', 'bad'], ['a'])).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('JSON array of values') });
      }
      expect(await store.read(VIEW, ['good'], ['a', 'b', 'c'])).toEqual([{ event_ts: 1, created_ts: 1, values: [1, 2, 3] }]);
    } finally {
      await store.close();
    }
  });

  it('moves rows of the old layout (a hash per entity, a field per view) to a key per view, once, and never over a newer row', async () => {
    const p = `${prefix}upgrade:`;
    // Layout 1 as an older version wrote it: the record of codec.ts in a field named like the view.
    const record = (eventTs: number, values: FeatureValue[]): Buffer => {
      const w = new ByteWriter(256);
      writeRecord(w, eventTs, eventTs, schemaIdOf(VIEW.features), JSON.stringify(values));
      return Buffer.from(w.view().subarray(4));
    };
    await admin.hset(`${p}thing:a`, 'v1', record(10, [1, 2, 3]), 'v2', record(10, [7, 8, 9]));
    await admin.hset(`${p}thing:b:with:colons`, 'v1', record(10, [4, 5, 6]));
    await admin.hset(`${p}#schemas:v1`, String(schemaIdOf(VIEW.features)), JSON.stringify(VIEW.features));
    await admin.hset(`${p}#schemas:v2`, String(schemaIdOf(VIEW.features)), JSON.stringify(VIEW.features));
    // A row the new layout already has, newer than the old hash's: it must stay.
    await admin.set(`${p}v1:b:with:colons`, record(20, [40, 50, 60]));
    // Hashes that are not ours stay as they are: a field that names no view, a record of an unknown
    // feature list, a value too short to be a record.
    await admin.hset(`${p}thing:foreign`, 'name', 'not a record', 'v1', 'short');
    const alien = record(10, [9, 9, 9]);
    alien.writeUInt32BE(12345, 12);
    await admin.hset(`${p}thing:alien`, 'v1', alien);
    await admin.hset(`${p}thing:a`, 'note', 'kept');
    const store = await openRedisOnlineStore(redisProfile(redis!.url, 'standalone'), { keyPrefix: p });
    try {
      const read = async (view: string, keys: string[]) => (await store.read({ name: view, join_key: 'thing' }, keys, ['a', 'b', 'c'])).map((r) => r?.values ?? null);
      expect(await read('v1', ['a', 'b:with:colons', 'nope'])).toEqual([[1, 2, 3], [40, 50, 60], null]);
      expect(await read('v2', ['a'])).toEqual([[7, 8, 9]]);
      expect(await admin.exists(`${p}thing:b:with:colons`)).toBe(0);
      expect(await admin.hgetall(`${p}thing:a`)).toEqual({ note: 'kept' });
      expect(await admin.hgetall(`${p}thing:foreign`)).toEqual({ name: 'not a record', v1: 'short' });
      expect(await admin.hlen(`${p}thing:alien`)).toBe(1);
      expect(await admin.exists(`${p}v1:foreign`, `${p}v1:alien`, `${p}note:a`)).toBe(0);
      expect(await admin.get(`${p}#layout`)).toBe('2');
      expect(await admin.hlen(`${p}#schemas:v1`)).toBe(1);
    } finally {
      await store.close();
    }
    // Once: a hash written after the upgrade (by something else) is not taken for an old row.
    await admin.hset(`${p}thing:c`, 'v1', record(10, [0, 0, 0]));
    const again = await openRedisOnlineStore(redisProfile(redis!.url, 'standalone'), { keyPrefix: p });
    try {
      expect((await again.read({ name: 'v1', join_key: 'thing' }, ['c'], ['a']))[0]).toBeNull();
      expect(await admin.exists(`${p}thing:c`)).toBe(1);
    } finally {
      await again.close();
    }
  });

});

describe.skipIf(!clusterUrl)('redis cluster', () => {
  it('computes hash slots like the server, hash tags included', async () => {
    const c = new Redis({ host: '127.0.0.1', port: CLUSTER_PORTS[0] });
    try {
      for (const key of ['chicago_taxi:trip_id:abc', '{user1000}.following', 'foo{}{bar}', 'foo{{bar}}zap', 'a{b}c{d}', 'ключ', '']) {
        expect(slotOf(Buffer.from(key))).toBe(await c.cluster('KEYSLOT', key));
      }
    } finally {
      c.disconnect();
    }
  });
});

describe('offline pushes and transforms', () => {
  let ws: Workspace;
  let cleanupWs: () => void;
  beforeEach(() => {
    const t = tempWorkspace('taxi-push-offline-');
    ws = t.workspace;
    cleanupWs = t.cleanup;
  });
  afterEach(() => cleanupWs());

  const rowsIn = [
    { pickup_community_area: 8, event_timestamp: '2016-05-01T10:00:00Z', trips_1h: 3, avg_fare_1h: 12.5, avg_trip_seconds_1h: null },
    { pickup_community_area: 9, event_timestamp: '2016-05-02T10:00:00Z', trips_1h: 1, avg_fare_1h: 7, avg_trip_seconds_1h: 300 },
  ];

  async function storedRows(): Promise<unknown[][]> {
    const engine = await openEngineDb(ws, { threads: 1 });
    try {
      const rows = await queryRows<Record<string, unknown>>(engine.conn, `SELECT * FROM ${viewRelationSql(ws, viewOf(ws, 'area_demand'))} ORDER BY event_timestamp`);
      return rows.map((r) => [r.pickup_community_area, (r.event_timestamp as Date).toISOString(), r.trips_1h]);
    } finally {
      engine.close();
    }
  }

  it('pushed parts survive a transform that re-runs their dates', async () => {
    await push('area_demand', rowsIn, 'offline', { workspace: ws });
    const before = await storedRows();
    expect(before).toEqual([
      [8, '2016-05-01T10:00:00.000Z', 3],
      [9, '2016-05-02T10:00:00.000Z', 1],
    ]);
    // The trip store is empty, so the transform computes nothing for these dates: before the fix it
    // swapped both date folders out and the pushed rows were gone.
    const summary = await transformFeatures({ views: ['area_demand'], start: '2016-05-01', end: '2016-05-03' }, inlineContext(ws, silentLogger()));
    expect(summary.views[0]!.removed).toEqual([]);
    expect(await storedRows()).toEqual(before);
    expect(listPartitions(ws, 'area_demand').map((p) => [p.date, p.files.map((f) => path.basename(f)).every((f) => /^push-.*\.parquet$/.test(f))])).toEqual([
      ['2016-05-01', true],
      ['2016-05-02', true],
    ]);
    // And a second run finds them again (they were carried, not left behind in the swapped-out folder).
    await transformFeatures({ views: ['area_demand'], start: '2016-05-01', end: '2016-05-03' }, inlineContext(ws, silentLogger()));
    expect(await storedRows()).toEqual(before);
  });

  it('a push waits for the offline write lock before moving its parts in', async () => {
    const release = acquireOfflineWriteLock(ws);
    let done = false;
    const pushing = push('area_demand', rowsIn, 'offline', { workspace: ws }).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(done).toBe(false);
    expect(listPartitions(ws, 'area_demand')).toEqual([]);
    release();
    const r = await pushing;
    expect(r.offline!.partitions).toEqual(['2016-05-01', '2016-05-02']);
    expect(await storedRows()).toHaveLength(2);
    // The lock is free again afterwards.
    acquireOfflineWriteLock(ws)();
  });
});

describe('event time formatting', () => {
  it('isoOf spells times exactly like Date.toISOString', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647), seed / 2147483647);
    const edges = [0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 1_709_164_800_000, 4_102_444_800_000, 253_402_300_799_999];
    const cases = [...edges, ...Array.from({ length: 20_000 }, () => Math.floor(rand() * 253_402_300_799_999))];
    for (const ms of cases) expect(isoOf(ms)).toBe(new Date(ms).toISOString());
    // Outside 1970–9999 it falls back to Date, which writes the extended year.
    expect(isoOf(253_402_300_800_000)).toBe('+010000-01-01T00:00:00.000Z');
  });
});

/** Two stores on one backend: `store` caches up to 5 rows per view, `other` (a job's, another process's) none. */
const CACHE_BACKENDS: { name: string; available: boolean; open(ws: Workspace, prefix: string, cacheRows: number): Promise<OnlineStore>; cleanup(prefix: string): Promise<void> }[] = [
  { name: 'sqlite', available: true, open: async (ws, _p, cacheRows) => openSqliteOnlineStore(ws.paths.onlineDb, { cacheRows }), cleanup: async () => undefined },
  {
    name: 'redis',
    available: redis !== null,
    open: (_ws, keyPrefix, cacheRows) => openRedisOnlineStore(redisProfile(redis!.url, 'standalone'), { keyPrefix, cacheRows }),
    cleanup: redisBackend('redis', redis?.url ?? null, 'standalone').cleanup,
  },
];

describe.each(CACHE_BACKENDS.filter((b) => b.available))('online store row cache: $name', (backend) => {
  let t: ReturnType<typeof tempWorkspace>;
  let store: OnlineStore;
  let other: OnlineStore;
  let prefix: string;
  let n = 0;
  beforeEach(async () => {
    t = tempWorkspace('taxi-online-cache-');
    prefix = `${RUN}-cache-${backend.name}-${n++}:`;
    store = await backend.open(t.workspace, prefix, 5);
    // Another connection to the same store, as a materialization job in a worker has.
    other = await backend.open(t.workspace, prefix, 0);
  });
  afterEach(async () => {
    await store.close();
    await other.close();
    await backend.cleanup(prefix);
    t.cleanup();
  });
  const keys = ['k1', 'k2', 'k3', 'k4', 'k5'];
  const valuesOf = async (s: OnlineStore, ks: string[] = keys) => (await s.read(VIEW, ks, ['a', 'b', 'c'])).map((r) => r?.values ?? null);

  it("serves what the database holds now: another connection's write is seen by the next read", async () => {
    await other.write(VIEW, keys.map((k, i) => row(k, 1, 1, [i, 'old', true])));
    expect(await valuesOf(store)).toEqual(keys.map((_, i) => [i, 'old', true]));
    expect((await store.ping()).detail).toContain('5 row(s) of 1 view(s) cached');
    await other.write(VIEW, [row('k3', 2, 2, [30, 'new', false])]);
    expect((await valuesOf(store))[2]).toEqual([30, 'new', false]);
    // A key first written elsewhere after it was asked for (and found missing) is found.
    expect(await valuesOf(store, ['k6'])).toEqual([null]);
    await other.write(VIEW, [row('k6', 1, 1, [6, 'six', null])]);
    expect(await valuesOf(store, ['k6'])).toEqual([[6, 'six', null]]);
  });

  it('forgets keys it writes itself, and a view it deletes or drops', async () => {
    await store.write(VIEW, keys.map((k, i) => row(k, 1, 1, [i, 'x', true])));
    await valuesOf(store);
    await store.write(VIEW, [row('k2', 3, 3, [99, 'mine', false])]);
    expect((await valuesOf(store))[1]).toEqual([99, 'mine', false]);
    // Kept-newer rows still read as stored.
    await store.write(VIEW, [row('k2', 2, 2, [-1, 'older', false])]);
    expect((await valuesOf(store))[1]).toEqual([99, 'mine', false]);
    await store.deleteView(VIEW);
    expect(await valuesOf(store)).toEqual(keys.map(() => null));
    await store.write(VIEW, [row('k1', 1, 1, [1, 'back', true])]);
    await valuesOf(store);
    await store.drop();
    expect(await valuesOf(store, ['k1'])).toEqual([null]);
  });

  it('leaves a view with more rows than its capacity uncached, and reads it right all the same', async () => {
    const many = Array.from({ length: 12 }, (_, i) => `m${i}`);
    await other.write(VIEW, many.map((k, i) => row(k, 1, 1, [i, k, i % 2 === 0])));
    expect(await valuesOf(store, many)).toEqual(many.map((k, i) => [i, k, i % 2 === 0]));
    expect((await store.ping()).detail).toContain('read from the store every time: v1');
    await other.write(VIEW, [row('m0', 5, 5, [100, 'changed', false])]);
    expect((await valuesOf(store, many))[0]).toEqual([100, 'changed', false]);
  });

  it('stops caching a view that outgrows its capacity later', async () => {
    const view2: OnlineView = { ...VIEW, name: 'v2' };
    await other.write(view2, [row('a', 1, 1, [1, 'a', true]), row('b', 1, 1, [2, 'b', true])]);
    expect((await store.read(view2, ['a', 'b'], ['a'])).map((r) => r?.values)).toEqual([[1], [2]]);
    expect((await store.ping()).detail).toContain('2 row(s) of 1 view(s) cached');
    const more = Array.from({ length: 8 }, (_, i) => `n${i}`);
    await other.write(view2, more.map((k, i) => row(k, 1, 1, [10 + i, k, false])));
    expect((await store.read(view2, ['a', 'b', ...more], ['a'])).map((r) => r?.values[0])).toEqual([1, 2, ...more.map((_, i) => 10 + i)]);
    expect((await store.ping()).detail).toContain('read from the store every time: v2');
  });

  it('hands out values no caller can change under the next one', async () => {
    await store.write(VIEW, [row('k1', 1, 1, [1, 'one', true])]);
    const [first] = await store.read(VIEW, ['k1'], ['a', 'b', 'c']);
    expect(() => (first!.values as unknown[]).push(2)).toThrow(TypeError);
    const [again] = await store.read(VIEW, ['k1'], ['a', 'b', 'c']);
    expect(again!.values).toEqual([1, 'one', true]);
  });

  it('never serves a value older than the last write that finished, with reads and writes interleaved', { timeout: 60_000 }, async () => {
    const ks = ['k1', 'k2', 'k3', 'k4'];
    const latest = new Map<string, number>();
    const written = async (k: string, v: number) => {
      await other.write(VIEW, [row(k, v, v, [v, k, true])]);
      latest.set(k, Math.max(latest.get(k) ?? 0, v));
    };
    const check = async () => {
      const floor = new Map(latest);
      const got = await store.read(VIEW, ks, ['a']);
      ks.forEach((k, i) => expect((got[i]?.values[0] as number | undefined) ?? 0).toBeGreaterThanOrEqual(floor.get(k) ?? 0));
    };
    // Deterministic interleavings: writes of one key among reads in flight, a few hundred times.
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (let v = 1; v <= 300; v++) {
      const k = ks[next() % ks.length]!;
      const inFlight = [check(), written(k, v), check()];
      if (next() % 3 === 0) inFlight.push(store.read(VIEW, [k], ['a']).then(() => undefined));
      await Promise.all(inFlight);
      await check();
    }
    expect((await store.read(VIEW, ks, ['a'])).map((r) => r?.values[0] ?? 0)).toEqual(ks.map((k) => latest.get(k) ?? 0));
  });
});

describe.skipIf(!redis)('redis online store: the row cache and view versions', () => {
  let admin: Redis;
  const p = `${RUN}-versions:`;
  beforeAll(() => {
    admin = new Redis(redis!.url);
  });
  afterAll(async () => {
    await dropPrefix(admin, p);
    admin.disconnect();
  });

  it('caches a view only while it has a version: rows set behind its back are read from Redis every time', async () => {
    const store = await openRedisOnlineStore(redisProfile(redis!.url, 'standalone'), { keyPrefix: p, cacheRows: 5 });
    try {
      await store.write(VIEW, [row('k1', 1, 1, [1, 'one', true])]);
      const record = (await admin.getBuffer(`${p}v1:k1`))!;
      expect(await admin.get(`${p}#version:v1`)).toMatch(/^[0-9a-f]{16}\.\d+ 1$/);
      expect(await store.read(VIEW, ['k1'], ['a'])).toEqual([{ event_ts: 1, created_ts: 1, values: [1] }]);
      expect((await store.ping()).detail).toContain('1 row(s) of 1 view(s) cached');
      // An older app wrote rows without a version: nothing of the view is cached, and a change is seen.
      await admin.del(`${p}#version:v1`);
      expect(await store.read(VIEW, ['k1'], ['b'])).toEqual([{ event_ts: 1, created_ts: 1, values: ['one'] }]);
      expect((await store.ping()).detail).toContain('0 row(s) of 0 view(s) cached');
      await admin.set(`${p}v1:k2`, record);
      expect((await store.read(VIEW, ['k2'], ['b']))[0]?.values).toEqual(['one']);
      await admin.del(`${p}v1:k2`);
      expect(await store.read(VIEW, ['k2'], ['b'])).toEqual([null]);
      // The next write versions the view again.
      await store.write(VIEW, [row('k3', 1, 1, [3, 'three', true])]);
      await store.read(VIEW, ['k1', 'k3'], ['a']);
      expect((await store.ping()).detail).toContain('2 row(s) of 1 view(s) cached');
      // A write that stores nothing (an older row) leaves the version, and the cache, as they are.
      const version = await admin.get(`${p}#version:v1`);
      expect(await store.write(VIEW, [row('k3', 0, 0, [0, 'older', false])])).toMatchObject({ written: 0 });
      expect(await admin.get(`${p}#version:v1`)).toBe(version);
    } finally {
      await store.close();
    }
  });

  it('knows from the version how many rows a view has, and never caches one too big, not even its first rows', async () => {
    const q = `${p}size:`;
    const store = await openRedisOnlineStore(redisProfile(redis!.url, 'standalone'), { keyPrefix: q, cacheRows: 5 });
    const writer = await openRedisOnlineStore(redisProfile(redis!.url, 'standalone'), { keyPrefix: q, cacheRows: 0 });
    try {
      const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
      await writer.write(VIEW, keys.slice(0, 4).map((k, i) => row(k, 1, 1, [i, k, true])));
      // Rewriting rows creates none; new keys add to the count.
      await writer.write(VIEW, keys.slice(0, 4).map((k, i) => row(k, 2, 2, [i, k, true])));
      expect((await admin.get(`${q}#version:v1`))!.split(' ')[1]).toBe('4');
      await store.read(VIEW, ['a'], ['a']);
      expect((await store.ping()).detail).toContain('1 row(s) of 1 view(s) cached');
      await writer.write(VIEW, keys.slice(4).map((k, i) => row(k, 1, 1, [i, k, true])));
      expect((await admin.get(`${q}#version:v1`))!.split(' ')[1]).toBe('6');
      expect((await store.read(VIEW, ['a', 'f'], ['b'])).map((r) => r?.values[0])).toEqual(['a', 'f']);
      expect((await store.ping()).detail).toMatch(/0 row\(s\) of 0 view\(s\) cached; read from the store every time: v1/);
    } finally {
      await store.close();
      await writer.close();
      await dropPrefix(admin, q);
    }
  });

  it('reads a view that changes every few reads without its cache, and caches it again once a version lasts', async () => {
    const q = `${p}changing:`;
    const store = await openRedisOnlineStore(redisProfile(redis!.url, 'standalone'), { keyPrefix: q, cacheRows: 5 });
    const writer = await openRedisOnlineStore(redisProfile(redis!.url, 'standalone'), { keyPrefix: q, cacheRows: 0 });
    const ks = ['k1', 'k2', 'k3'];
    const firsts = async () => (await store.read(VIEW, ks, ['a'])).map((r) => r?.values[0]);
    try {
      await writer.write(VIEW, ks.map((k) => row(k, 1, 1, [1, k, true])));
      expect(await firsts()).toEqual([1, 1, 1]);
      expect((await store.ping()).detail).toMatch(/; 3 row\(s\) of 1 view\(s\) cached$/);
      // A version that served one read: the view is changing, and is read without the cache.
      await writer.write(VIEW, [row('k2', 2, 2, [2, 'k2', true])]);
      expect(await firsts()).toEqual([1, 2, 1]);
      expect((await store.ping()).detail).toContain('0 row(s) of 0 view(s) cached; changing too often to cache: v1');
      await writer.write(VIEW, [row('k3', 3, 3, [3, 'k3', true])]);
      for (let i = 0; i < SETTLED_READS; i++) expect(await firsts()).toEqual([1, 2, 3]);
      expect((await store.ping()).detail).toMatch(/3 row\(s\) of 1 view\(s\) cached$/);
      // A change after a version that lasted: cached again from the next read on.
      await writer.write(VIEW, [row('k1', 4, 4, [4, 'k1', true])]);
      expect(await firsts()).toEqual([4, 2, 3]);
      expect((await store.ping()).detail).toMatch(/3 row\(s\) of 1 view\(s\) cached$/);
    } finally {
      await store.close();
      await writer.close();
      await dropPrefix(admin, q);
    }
  });

  it('a store with a key TTL caches nothing, since an expiring key is a change no version records', async () => {
    const store = await openRedisOnlineStore(redisProfile(redis!.url, 'standalone', { key_ttl_seconds: 60 }), { keyPrefix: `${p}ttl:` });
    try {
      await store.write(VIEW, [row('k1', 1, 1, [1, 'one', true])]);
      await store.read(VIEW, ['k1'], ['a']);
      expect((await store.ping()).detail).toContain('row cache off');
    } finally {
      await store.close();
    }
  });
});

describe('sqlite online store: a damaged row', () => {
  it('fails the read with INTERNAL naming the view, whatever the damage, and reads the other rows once it is mended', async () => {
    const t = tempWorkspace('taxi-online-damaged-');
    const store = openSqliteOnlineStore(t.workspace.paths.onlineDb);
    const raw = new Database(t.workspace.paths.onlineDb);
    try {
      await store.write(VIEW, ['k1', 'k2', 'k3', 'k4', 'bad'].map((k, i) => row(k, i + 1, i + 1, [i, 'x', true])));
      for (const payload of ['{not json', '1],[2', '7']) {
        raw.prepare("UPDATE online_features SET payload = ? WHERE entity_key = 'bad'").run(payload);
        await expect(store.read(VIEW, ['k1', 'k2', 'bad', 'k3', 'k4'], ['a'])).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('view v1') });
        // A read of fewer keys goes through single-row lookups: the same error.
        await expect(store.read(VIEW, ['bad'], ['a'])).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('view v1') });
      }
      raw.prepare("UPDATE online_features SET payload = '[9, \"y\", false]' WHERE entity_key = 'bad'").run();
      expect((await store.read(VIEW, ['k1', 'k2', 'bad', 'k3', 'k4'], ['a', 'c'])).map((r) => r?.values)).toEqual([[0, true], [1, true], [9, false], [2, true], [3, true]]);
    } finally {
      raw.close();
      await store.close();
      t.cleanup();
    }
  });
});

describe('online store opening', () => {
  it('chooses SQLite for the local profile', async () => {
    const t = tempWorkspace('taxi-online-open-');
    try {
      const store = await openOnlineStore(t.workspace);
      expect(store.kind).toBe('sqlite');
      expect(store.target).toBe(t.workspace.paths.onlineDb);
      await store.close();
    } finally {
      t.cleanup();
    }
  });
});

describe('materialization as a job', () => {
  it('runs in a worker thread with progress, records its run and logs to features.log', { timeout: 60_000 }, async () => {
    const t = tempWorkspace('taxi-online-job-');
    const s = await openServices({ workspace: t.dir, mode: 'cli' });
    try {
      await writeOffline(s.workspace, viewOf(s.workspace, 'area_demand'), [area(8, '2016-01-01 10:00:00', 5, 10), area(9, '2016-01-01 11:00:00', 6, 11)]);
      const job = s.jobs.start('features.materialize', { start: '2016-01-01', end: '2016-01-02T00:00:00Z', views: ['area_demand'] });
      expect(job.title).toBe('Materialize area_demand 2016-01-01T00:00 → 2016-01-02T00:00');
      const done = await s.jobs.wait(job.id);
      expect(done.status).toBe('succeeded');
      expect(done.progress).toMatchObject({ done: 2, total: 2, unit: 'rows', percent: 100 });
      expect(done.result).toMatchObject({ mode: 'materialize', rows: 2, views: [{ view: 'area_demand', status: 'succeeded' }] });
      expect(listMaterializationRuns(s.appDb)[0]).toMatchObject({ view: 'area_demand', status: 'succeeded', rows: 2 });
      const inc = await s.jobs.wait(s.jobs.start('features.materialize_incremental', { end: '2016-01-02', views: ['area_demand'] }).id);
      expect(inc.result).toMatchObject({ views: [{ status: 'up_to_date' }] });
      const log = fs.readFileSync(path.join(s.workspace.paths.logsDir, 'features.log'), 'utf8');
      expect(log).toContain('view materialized');
      const store = await openOnlineStore(s.workspace);
      const got = await store.read(onlineViewOf(viewOf(s.workspace, 'area_demand')), ['8', '9'], ['trips_1h']);
      await store.close();
      expect(got.map((g) => g!.values[0])).toEqual([5, 6]);
    } finally {
      await s.close();
      t.cleanup();
    }
  });
});

