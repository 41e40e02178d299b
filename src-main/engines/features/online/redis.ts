/**
 * The Redis online store.
 *
 * Layout (version 2, chosen for read latency):
 *   <prefix><view>:<entity key>       a string per view and entity key: the record of codec.ts (stamp,
 *                                     schema id, values)
 *   <prefix>#schemas:<view>           a hash: schema id → the feature list (JSON) rows were written with
 *   <prefix>#version:<view>           "<token> <rows>": a token that changes with every write storing a row
 *                                     of the view, and how many keys of the view writes have created
 *   <prefix>#layout                   "2"
 * A batch read is then one native MGET per view: about 20 µs of server time for 100 keys, where a Lua
 * script doing 100 HGETs took 180 µs and, with the script's garbage collection, now and then 2.5 ms —
 * that tail set the p99 of get-online-features. Layout 1 kept one hash per entity with a field per
 * view; a store opened on a prefix that still has layout-1 hashes moves them over once (see migrate()).
 * With the profile's key_ttl_seconds every written key gets that expiry, so keys of entities that stop
 * appearing leave memory by themselves.
 *
 * Writes go through one Lua script that takes rows packed in a single argument (u16 key length, key,
 * u32 record length, record): per row a GET and, when a value is there, a byte comparison of the 12-byte
 * stamps decides, so a newer value always wins and the check-and-set is atomic per key. Packing keeps
 * the client's cost per row to a buffer copy (ioredis spends microseconds per command or argument). A
 * call declares the key of its first row, which routes it; in Cluster mode the rows of a call all hash
 * to one slot (Redis Cluster lets a script touch only the slot of its declared keys), in standalone and
 * Sentinel mode a call takes up to ROWS_PER_CALL rows.
 *
 * Row cache (row-cache.ts; standalone and Sentinel, and only without key_ttl_seconds, since an expiring
 * key changes nothing anyone could see). Views with few entities (taxis, areas) are kept decoded in
 * memory, so a serving request reads them without a round trip's worth of records, parsing or garbage.
 * It stays exact through the view's version token:
 * - the write script sets a new token in the same atomic call that stores rows (a token made of a random
 *   per-store part and a counter, so a token never comes back and a reader cannot mistake new rows for
 *   old ones); deleting a view or dropping the store removes the tokens first;
 * - a read fetches the token in the same MGET as the keys it has not cached, so token and rows are of
 *   one moment; rows are cached only under the token read with them, cached rows are served only when
 *   that token is still the view's, and hits found stale are read again;
 * - a view without a token (rows written before tokens existed, or being deleted) is never cached;
 * - a view whose version changes within a few hundred reads (one the stream processor pushes to) is read
 *   without the cache until a version lasts, so changes do not cost reads a second round trip (row-cache.ts);
 * - the version also carries the view's row count, so a view too big for the cache (the million trips) is
 *   known as such on its first read and never fills the cache. The count restarts when the version is
 *   removed; a view it undercounts is still found out when the cache fills up.
 * A key changed behind the app's back (redis-cli, another tool) is not seen until the view's next write.
 */
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { AppError } from '../../../platform/errors.js';
import { ByteWriter, checkRow, decodeRecords, indexMap, pick, RECORD_HEADER_BYTES, schemaIdOf, STAMP_BYTES, valuesText, writeEncodedRecord, writeRecord } from './codec.js';
import { mgetPrefixed } from './redis-mget.js';
import { DEFAULT_CACHE_ROWS, recordWith, RowCache, type CachedRow } from './row-cache.js';
import { connectRedis, redisError, type ConnectOptions, type RedisClient, type RedisProfile } from './redis-connect.js';
import type { OnlinePing, OnlineRecord, OnlineRow, OnlineStore, OnlineView, OnlineWriteResult } from './types.js';

/** Rows per script call: a call blocks Redis for about 2 µs per row, so readers wait at most ~1 ms. */
const ROWS_PER_CALL = 512;
const SCAN_COUNT = 1000;

const WRITE_SCRIPT = `
local ttl, blob, token = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local byte, sub = string.byte, string.sub
local pos, len, written, created = 1, #blob, 0, 0
while pos <= len do
  local a, b = byte(blob, pos, pos + 1)
  local klen = a * 256 + b
  local key = sub(blob, pos + 2, pos + 1 + klen)
  pos = pos + 2 + klen
  local c, d, e, f = byte(blob, pos, pos + 3)
  local rlen = ((c * 256 + d) * 256 + e) * 256 + f
  local rec = sub(blob, pos + 4, pos + 3 + rlen)
  pos = pos + 4 + rlen
  local old = redis.call('GET', key)
  local store = true
  if not old then
    created = created + 1
  else
    for i = 1, 12 do
      local x, y = byte(old, i), byte(rec, i)
      if x ~= y then
        store = y > x
        break
      end
    end
  end
  if store then
    written = written + 1
    if ttl > 0 then redis.call('SET', key, rec, 'PX', ttl) else redis.call('SET', key, rec) end
  end
end
if written > 0 and KEYS[2] then
  -- The version is "<token> <rows of the view>": readers learn the view's size with its version.
  local prev = redis.call('GET', KEYS[2])
  local rows = created + (prev and tonumber(string.match(prev, ' (%d+)$')) or 0)
  redis.call('SET', KEYS[2], token .. ' ' .. rows)
end
return written
`;

const LAYOUT = '2';

type WriteCommand = (...args: (string | number | Buffer)[]) => Promise<number>;

/** CRC16-XMODEM, the hash of Redis Cluster key slots. */
const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

export function slotOf(key: Buffer): number {
  let bytes = key;
  const open = key.indexOf(0x7b); // '{'
  if (open >= 0) {
    const close = key.indexOf(0x7d, open + 1); // '}'
    if (close > open + 1) bytes = key.subarray(open + 1, close);
  }
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ b) & 0xff]!;
  return crc % 16384;
}

const globEscape = (s: string): string => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

export interface RedisStoreOptions extends ConnectOptions {
  /** Prefix of every key (e.g. "chicago_taxi:"), so several projects or test runs share a server. */
  keyPrefix: string;
  /** Rows per view kept decoded in memory (see the row cache above); 0 turns the cache off. */
  cacheRows?: number;
}

class RedisOnlineStore implements OnlineStore {
  readonly kind = 'redis' as const;
  private readonly schemas = new Map<string, Map<number, string[]>>();
  private readonly writer = new ByteWriter(256 * 1024);
  /** For batch reads' values (decodeRecords); separate from `writer`, which packs writes. */
  private readonly readScratch = new ByteWriter(64 * 1024);
  private readonly ttlMs: number;
  private readonly cache: RowCache;
  /** Versions of views are tokenBase.n, n counting this store's write calls (see the row cache above). */
  private readonly tokenBase = randomBytes(8).toString('hex');
  private tokenSeq = 0;
  private closed = false;

  constructor(
    private readonly client: RedisClient,
    readonly target: string,
    private readonly profile: RedisProfile,
    private readonly prefix: string,
    cacheRows: number,
  ) {
    this.ttlMs = (profile.key_ttl_seconds ?? 0) * 1000;
    this.cache = new RowCache(this.versioned() && this.ttlMs === 0 ? cacheRows : 0);
    // One script, declared with the view's version as second key or, in a Cluster, without it.
    client.defineCommand('taxiOnlineWrite', { numberOfKeys: 1, lua: WRITE_SCRIPT });
    client.defineCommand('taxiOnlineWriteVersioned', { numberOfKeys: 2, lua: WRITE_SCRIPT });
  }

  /** Whether views carry a version token: not in a Cluster, where it would sit in another slot than the rows. */
  private versioned(): boolean {
    return this.profile.mode !== 'cluster';
  }

  private keyOf(view: string, key: string): string {
    return `${this.prefix}${view}:${key}`;
  }

  private layoutKey(): string {
    return `${this.prefix}#layout`;
  }

  private schemaKey(view: string): string {
    return `${this.prefix}#schemas:${view}`;
  }

  private versionKey(view: string): string {
    return `${this.prefix}#version:${view}`;
  }

  /** The script call storing `blob` (rows of `view`, routed by `firstKey`), setting a new version of the view. */
  private sendWrite(view: string, firstKey: string, blob: Buffer): Promise<number> {
    const c = this.client as unknown as { taxiOnlineWrite: WriteCommand; taxiOnlineWriteVersioned: WriteCommand };
    if (!this.versioned()) return c.taxiOnlineWrite(firstKey, this.ttlMs, blob);
    return c.taxiOnlineWriteVersioned(firstKey, this.versionKey(view), this.ttlMs, blob, `${this.tokenBase}.${++this.tokenSeq}`);
  }

  private async call<T>(doing: string, run: () => Promise<T>): Promise<T> {
    if (this.closed) throw new AppError('UNAVAILABLE', `the online store at ${this.target} is closed`, { target: this.target });
    try {
      return await run();
    } catch (e) {
      throw redisError(e, this.target, doing);
    }
  }

  /**
   * Records the feature list rows are written with. Sent with every write (one small command among the
   * batch's script calls) rather than once per process: a Redis that restarted empty, or a view deleted
   * by another process, gets it back with the rows that need it.
   */
  private async rememberSchema(view: string, id: number, features: readonly string[]): Promise<void> {
    await this.client.hsetnx(this.schemaKey(view), String(id), JSON.stringify(features));
    let byId = this.schemas.get(view);
    if (!byId) this.schemas.set(view, (byId = new Map()));
    byId.set(id, [...features]);
  }

  private async featuresOf(view: string, id: number): Promise<string[]> {
    const known = this.schemas.get(view)?.get(id);
    if (known) return known;
    const json = await this.client.hget(this.schemaKey(view), String(id));
    if (json === null) throw new AppError('INTERNAL', `Redis at ${this.target} has rows of view ${view} with an unknown feature list (schema ${id})`, { view, schema_id: id });
    const features = JSON.parse(json) as string[];
    let byId = this.schemas.get(view);
    if (!byId) this.schemas.set(view, (byId = new Map()));
    byId.set(id, features);
    return features;
  }

  /** Packs rows for the write script: u16 key length, key, u32 record length, record. */
  private pack(view: OnlineView, schemaId: number, rows: readonly OnlineRow[], index: readonly number[], from: number, to: number): Buffer {
    const w = this.writer;
    w.reset();
    for (let j = from; j < to; j++) {
      const r = rows[index[j]!]!;
      w.shortString(this.keyOf(view.name, r.key));
      writeRecord(w, r.event_ts, r.created_ts, schemaId, valuesText(r.values));
    }
    // The script call is sent later (auto-pipelined), so it needs its own copy.
    return Buffer.from(w.view());
  }

  /** Row indexes in groups that one script call may take: by slot in a Cluster, else simply in order. */
  private groups(view: OnlineView, rows: readonly OnlineRow[]): number[][] {
    if (this.profile.mode !== 'cluster') {
      const all = rows.map((_, i) => i);
      const out: number[][] = [];
      for (let i = 0; i < all.length; i += ROWS_PER_CALL) out.push(all.slice(i, i + ROWS_PER_CALL));
      return out;
    }
    const bySlot = new Map<number, number[]>();
    rows.forEach((r, i) => {
      const slot = slotOf(Buffer.from(this.keyOf(view.name, r.key)));
      const g = bySlot.get(slot);
      if (g) g.push(i);
      else bySlot.set(slot, [i]);
    });
    return [...bySlot.values()];
  }

  async write(view: OnlineView, rows: readonly OnlineRow[]): Promise<OnlineWriteResult> {
    rows.forEach((r, i) => checkRow(view, r, i));
    if (rows.length === 0) return { rows: 0, written: 0, kept_newer: 0 };
    const schemaId = schemaIdOf(view.features);
    return this.call(`writing ${rows.length} rows of view ${view.name}`, async () => {
      // Queued first on the same connection, so the feature list is stored before rows that use it.
      const schema = this.rememberSchema(view.name, schemaId, view.features);
      const calls: Promise<number>[] = [];
      for (const group of this.groups(view, rows)) {
        for (let i = 0; i < group.length; i += ROWS_PER_CALL) {
          const to = Math.min(i + ROWS_PER_CALL, group.length);
          const blob = this.pack(view, schemaId, rows, group, i, to);
          calls.push(this.sendWrite(view.name, this.keyOf(view.name, rows[group[i]!]!.key), blob));
        }
      }
      // Every call is awaited even when one fails, so no write is still in flight when this returns.
      const [schemaDone, ...settled] = await Promise.allSettled([schema, ...calls]);
      const failed = [schemaDone!, ...settled].find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      const written = settled.reduce((n, s) => n + Number((s as PromiseFulfilledResult<number>).value), 0);
      return { rows: rows.length, written, kept_newer: rows.length - written };
    });
  }

  async read(view: Pick<OnlineView, 'name' | 'join_key'>, keys: readonly string[], features: readonly string[]): Promise<(OnlineRecord | null)[]> {
    return this.call(`reading ${keys.length} keys of view ${view.name}`, async () => {
      if (this.cache.caches(view.name)) return this.recordsOf(view.name, await this.cachedRowsOf(view.name, keys), features);
      const { records, schemaIds } = decodeRecords(view.name, await this.fetch(view, keys), this.readScratch);
      const maps = new Map<number, number[] | null>();
      for (let i = 0; i < records.length; i++) {
        const rec = records[i];
        if (!rec) continue;
        let index = maps.get(schemaIds[i]!);
        if (index === undefined) maps.set(schemaIds[i]!, (index = indexMap(await this.featuresOf(view.name, schemaIds[i]!), features)));
        rec.values = pick(rec.values, index);
      }
      return records;
    });
  }

  /**
   * The rows of the keys, from the cache where it holds them at the view's current version. One MGET
   * reads the version and the keys not cached; hits turn out stale only when the version moved since
   * they were cached, and are then read again.
   */
  private async cachedRowsOf(view: string, keys: readonly string[]): Promise<(CachedRow | null)[]> {
    const out = new Array<CachedRow | null>(keys.length).fill(null);
    const cachedAt = this.cache.tokenOf(view);
    const missed: string[] = [];
    const missedAt: number[] = [];
    const hitAt: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const hit = cachedAt === null ? undefined : this.cache.get(view, keys[i]!);
      if (hit) {
        out[i] = hit;
        hitAt.push(i);
      } else {
        missed.push(keys[i]!);
        missedAt.push(i);
      }
    }
    const { version, rows } = await this.fetchVersioned(view, missed);
    for (let j = 0; j < rows.length; j++) out[missedAt[j]!] = rows[j]!;
    if (version !== cachedAt && hitAt.length > 0) {
      const again = await this.fetchVersioned(view, hitAt.map((i) => keys[i]!));
      for (let j = 0; j < hitAt.length; j++) out[hitAt[j]!] = again.rows[j]!;
    }
    return out;
  }

  /**
   * The rows of the keys and the view's version, from one MGET; the rows are cached under that version
   * when the cache may keep them.
   */
  private async fetchVersioned(view: string, keys: readonly string[]): Promise<{ version: string | null; rows: (CachedRow | null)[] }> {
    const [stored, ...blobs] = await mgetPrefixed(this.client, this.keyOf(view, ''), keys, this.readScratch, this.versionKey(view));
    const version = stored ? stored.toString('latin1') : null;
    if (version !== null) this.cache.noteSize(view, Number(/ (\d+)$/.exec(version)?.[1] ?? 0));
    const rows = this.rowsOfBlobs(view, blobs);
    // Synchronous from here on: no other read can move the view in between.
    if (this.cache.moveTo(view, version)) {
      for (let j = 0; j < rows.length; j++) if (rows[j]) this.cache.put(view, keys[j]!, rows[j]!);
    }
    return { version, rows };
  }

  private rowsOfBlobs(view: string, blobs: readonly (Buffer | null)[]): (CachedRow | null)[] {
    const { records, schemaIds } = decodeRecords(view, blobs, this.readScratch);
    return records.map((record, i) => (record ? { schema_id: schemaIds[i]!, record } : null));
  }

  /** Records with the wanted features picked out of rows (rows share their values when nothing is picked). */
  private async recordsOf(view: string, rows: readonly (CachedRow | null)[], features: readonly string[]): Promise<(OnlineRecord | null)[]> {
    const maps = new Map<number, number[] | null>();
    for (const row of rows) {
      if (row && !maps.has(row.schema_id)) maps.set(row.schema_id, indexMap(await this.featuresOf(view, row.schema_id), features));
    }
    return rows.map((row) => (row ? recordWith(row, maps.get(row.schema_id)!) : null));
  }

  /**
   * The stored records of the keys: one MGET outside a Cluster; in a Cluster keys spread over slots, and
   * per-key GETs are pipelined to each node.
   */
  private fetch(view: Pick<OnlineView, 'name'>, keys: readonly string[]): Promise<(Buffer | null)[]> {
    if (this.profile.mode === 'cluster') return Promise.all(keys.map((k) => this.client.getBuffer(this.keyOf(view.name, k))));
    return keys.length === 0 ? Promise.resolve([]) : mgetPrefixed(this.client, this.keyOf(view.name, ''), keys, this.readScratch);
  }

  private masters(): RedisClient[] {
    return this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
  }

  async deleteView(view: Pick<OnlineView, 'name' | 'join_key'>): Promise<number> {
    return this.call(`deleting view ${view.name}`, async () => {
      // The version first: from then on no reader caches the view, so none keeps a row removed below.
      await this.client.unlink(this.versionKey(view.name));
      const removed = await this.scanEach(`${globEscape(this.prefix)}${globEscape(view.name)}:*`, (node, keys) =>
        Promise.all(keys.map((k) => node.unlink(k))).then((n) => n.reduce((a, b) => a + b, 0)),
      );
      await this.client.del(this.schemaKey(view.name));
      this.schemas.delete(view.name);
      this.cache.forgetView(view.name);
      return removed;
    });
  }

  /** Moves the layout-1 rows among `keys` (see migrate()); returns how many moved. */
  private async migrateKeys(node: RedisClient, keys: readonly string[], known: ReadonlyMap<string, ReadonlySet<number>>): Promise<number> {
    // TYPE per key rather than SCAN's TYPE option, which Redis 5 lacks.
    const types = await Promise.all(keys.map((k) => node.type(k)));
    const hashes = keys.filter((k, i) => types[i] === 'hash' && !k.startsWith(`${this.prefix}#`) && k.indexOf(':', this.prefix.length) > 0);
    const counts = await Promise.all(
      hashes.map(async (key) => {
        const entity = key.slice(key.indexOf(':', this.prefix.length) + 1);
        const fields = Object.entries(await node.hgetallBuffer(key));
        const ours = fields.filter(([view, rec]) => rec.length >= RECORD_HEADER_BYTES && known.get(view)?.has(rec.readUInt32BE(STAMP_BYTES)) === true);
        await Promise.all(
          ours.map(([view, record]) => {
            // Packed as the write script reads rows (see pack()); copied out before the writer is reused.
            const target = this.keyOf(view, entity);
            const w = this.writer;
            w.reset();
            w.shortString(target);
            writeEncodedRecord(w, record);
            return this.sendWrite(view, target, Buffer.from(w.view()));
          }),
        );
        if (ours.length === fields.length) await node.del(key);
        else if (ours.length > 0) await node.hdel(key, ...ours.map(([view]) => view));
        return ours.length;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async drop(): Promise<number> {
    return this.call('removing every key of the store', async () => {
      // Versions first, as in deleteView.
      await this.scanEach(`${globEscape(this.prefix)}#version:*`, (node, keys) => Promise.all(keys.map((k) => node.unlink(k))).then(() => 0));
      const rows = await this.scanEach(`${globEscape(this.prefix)}*`, async (node, keys) => {
        const removed = await Promise.all(keys.map((k) => node.unlink(k)));
        // Only entity rows count; the feature lists and the layout mark are bookkeeping.
        return keys.filter((k, i) => removed[i] === 1 && !k.startsWith(`${this.prefix}#`)).length;
      });
      this.schemas.clear();
      this.cache.forgetView(null);
      return rows;
    });
  }

  /** Runs `each` on every batch of keys matching `match` on every master; sums what it returns. */
  private async scanEach(match: string, each: (node: RedisClient, keys: string[]) => Promise<number>): Promise<number> {
    let total = 0;
    for (const node of this.masters()) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
        cursor = next;
        if (keys.length) total += await each(node, keys);
      } while (cursor !== '0');
    }
    return total;
  }

  /**
   * Moves layout-1 rows (a hash per entity, a field per view) to layout 2, once per prefix; returns how
   * many rows moved. Only fields that are surely ours move: the field names a view with a stored feature
   * list, and the value is a record whose schema id is in that list — any other hash under the prefix is
   * left as it is. Rows go through the write script, so a row another process already wrote in the new
   * layout is not replaced by an older one; a hash is deleted (or loses the moved fields) after its rows
   * are written, and a migration cut short is simply done again on the next open. Moved keys get the
   * profile's TTL anew.
   */
  async migrate(): Promise<number> {
    return this.call('upgrading the key layout', async () => {
      if ((await this.client.get(this.layoutKey())) === LAYOUT) return 0;
      const schemaPrefix = `${this.prefix}#schemas:`;
      const known = new Map<string, Set<number>>();
      await this.scanEach(`${globEscape(schemaPrefix)}*`, async (node, keys) => {
        for (const k of keys) known.set(k.slice(schemaPrefix.length), new Set((await node.hkeys(k)).map(Number)));
        return 0;
      });
      const moved = known.size === 0 ? 0 : await this.scanEach(`${globEscape(this.prefix)}*`, (node, keys) => this.migrateKeys(node, keys, known));
      await this.client.set(this.layoutKey(), LAYOUT);
      return moved;
    });
  }

  async ping(): Promise<OnlinePing> {
    return this.call('pinging', async () => {
      const t0 = performance.now();
      await Promise.all(this.masters().map((n) => n.ping()));
      const latency = performance.now() - t0;
      const info = await this.masters()[0]!.info('server');
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
      return {
        kind: this.kind,
        target: this.target,
        latency_ms: Math.round(latency * 1000) / 1000,
        detail: `Redis ${version}, ${this.profile.mode}${this.profile.mode === 'cluster' ? ` (${this.masters().length} masters)` : ''}; ${this.cache.describe()}`,
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}

/** Connects to the profile's Redis; an unreachable server fails quickly with UNAVAILABLE naming host:port. */
export async function openRedisOnlineStore(profile: RedisProfile, opts: RedisStoreOptions): Promise<OnlineStore> {
  const { client, target } = await connectRedis(profile, opts);
  const store = new RedisOnlineStore(client, target, profile, opts.keyPrefix, opts.cacheRows ?? DEFAULT_CACHE_ROWS);
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
