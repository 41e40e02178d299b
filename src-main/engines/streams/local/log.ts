/**
 * The embedded append-only log: topics, their partitions' offsets, appends in one transaction per batch,
 * range reads, offsets by time, and retention by time and by size.
 *
 * Retention removes a prefix of a partition only (the log start offset moves forward, as Kafka deletes
 * its oldest segments), so offsets stay dense after the start and consumers never see holes.
 */
import type Database from 'better-sqlite3';
import type { Db } from '../../../platform/db/sqlite.js';
import { AppError } from '../../../platform/errors.js';
import type { PartitionRange } from '../messages.js';
import type { BusMessage, Headers, ProducedOffset, TopicCreate } from '../types.js';

export interface TopicRow {
  id: number;
  name: string;
  partitions: number;
  replication_factor: number;
  retention_ms: number | null;
  retention_bytes: number | null;
  created_at: number;
}

export interface PartitionRow {
  partition: number;
  low: number;
  high: number;
  bytes: number;
  max_ts: number | null;
}

export interface AppendRow {
  partition: number;
  ts: number;
  key: string | null;
  value: Buffer | null;
  headers: string | null;
  size: number;
}

type RawMessage = [offset: number, ts: number, key: string | null, value: Buffer | null, headers: string | null];

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function checkTopicName(name: string): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new AppError('INVALID_INPUT', `invalid topic name "${name}": use 1-249 letters, digits, ".", "_" or "-" (Kafka's rule)`, { topic: name });
  }
}

/** How often time retention runs on the write path for one topic. */
const TIME_RETENTION_EVERY_MS = 1000;

export class LocalLog {
  private readonly stmt: {
    topicByName: Database.Statement<[string], TopicRow>;
    topics: Database.Statement<[], TopicRow>;
    insertTopic: Database.Statement<[string, number, number, number | null, number | null, number]>;
    insertPartition: Database.Statement<[number, number]>;
    partitions: Database.Statement<[number], PartitionRow>;
    partition: Database.Statement<[number, number], PartitionRow>;
    updatePartition: Database.Statement<[number, number, number | null, number, number]>;
    insertMessage: Database.Statement<[number, number, number, number, string | null, Buffer | null, string | null, number]>;
    insertTimeIndex: Database.Statement<[number, number, number, number]>;
    read: Database.Statement<[number, number, number, number], RawMessage>;
    timeEntry: Database.Statement<[number, number, number], { base_offset: number }>;
    firstAtOrAfter: Database.Statement<[number, number, number, number], { offset: number }>;
  };
  private readonly lastTimeRetention = new Map<number, number>();

  constructor(private readonly db: Db) {
    this.stmt = {
      topicByName: db.prepare('SELECT * FROM topics WHERE name = ?'),
      topics: db.prepare('SELECT * FROM topics ORDER BY name'),
      insertTopic: db.prepare('INSERT INTO topics (name, partitions, replication_factor, retention_ms, retention_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      insertPartition: db.prepare('INSERT INTO partitions (topic_id, partition) VALUES (?, ?)'),
      partitions: db.prepare('SELECT partition, low, high, bytes, max_ts FROM partitions WHERE topic_id = ? ORDER BY partition'),
      partition: db.prepare('SELECT partition, low, high, bytes, max_ts FROM partitions WHERE topic_id = ? AND partition = ?'),
      updatePartition: db.prepare('UPDATE partitions SET high = ?, bytes = ?, max_ts = ? WHERE topic_id = ? AND partition = ?'),
      insertMessage: db.prepare('INSERT INTO messages (topic_id, partition, offset, ts, key, value, headers, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      insertTimeIndex: db.prepare('INSERT OR REPLACE INTO time_index (topic_id, partition, base_offset, max_ts) VALUES (?, ?, ?, ?)'),
      read: db
        .prepare<[number, number, number, number], RawMessage>(
          'SELECT offset, ts, key, value, headers FROM messages WHERE topic_id = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?',
        )
        .raw(true),
      timeEntry: db.prepare(
        'SELECT base_offset FROM time_index WHERE topic_id = ? AND partition = ? AND max_ts >= ? ORDER BY max_ts, base_offset LIMIT 1',
      ),
      firstAtOrAfter: db.prepare('SELECT offset FROM messages WHERE topic_id = ? AND partition = ? AND offset >= ? AND ts >= ? ORDER BY offset LIMIT 1'),
    };
  }

  findTopic(name: string): TopicRow | undefined {
    return this.stmt.topicByName.get(name);
  }

  topic(name: string): TopicRow {
    const t = this.findTopic(name);
    if (!t) throw new AppError('NOT_FOUND', `topic "${name}" does not exist`, { topic: name });
    return t;
  }

  topics(): TopicRow[] {
    return this.stmt.topics.all();
  }

  create(spec: TopicCreate): TopicRow {
    checkTopicName(spec.name);
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > 10_000) {
      throw new AppError('INVALID_INPUT', `topic "${spec.name}": partitions must be an integer from 1 to 10000, got ${spec.partitions}`, { topic: spec.name, field: 'partitions' });
    }
    return this.db
      .transaction(() => {
        if (this.findTopic(spec.name)) throw new AppError('ALREADY_EXISTS', `topic "${spec.name}" already exists`, { topic: spec.name });
        const replication = spec.replication_factor < 1 ? 1 : spec.replication_factor;
        const id = Number(this.stmt.insertTopic.run(spec.name, spec.partitions, replication, spec.retention_ms, spec.retention_bytes, Date.now()).lastInsertRowid);
        for (let p = 0; p < spec.partitions; p++) this.stmt.insertPartition.run(id, p);
        return this.topic(spec.name);
      })
      .immediate();
  }

  drop(name: string): void {
    this.db
      .transaction(() => {
        const t = this.topic(name);
        this.db.prepare('DELETE FROM messages WHERE topic_id = ?').run(t.id);
        this.db.prepare('DELETE FROM time_index WHERE topic_id = ?').run(t.id);
        this.db.prepare('DELETE FROM group_offsets WHERE topic = ?').run(name);
        this.db.prepare('DELETE FROM topics WHERE id = ?').run(t.id);
      })
      .immediate();
  }

  partitions(topic: TopicRow): PartitionRow[] {
    return this.stmt.partitions.all(topic.id);
  }

  ranges(topic: TopicRow, partition?: number): PartitionRange[] {
    if (partition === undefined) return this.partitions(topic).map(({ partition: p, low, high }) => ({ partition: p, low, high }));
    const row = this.stmt.partition.get(topic.id, partition);
    if (!row) {
      throw new AppError('NOT_FOUND', `topic "${topic.name}" has no partition ${partition} (it has ${topic.partitions}: 0..${topic.partitions - 1})`, {
        topic: topic.name,
        partition,
      });
    }
    return [{ partition, low: row.low, high: row.high }];
  }

  /** Appends rows in one transaction; returns each row's partition and offset, in order. */
  append(topic: TopicRow, rows: readonly AppendRow[], now = Date.now()): ProducedOffset[] {
    return this.db
      .transaction(() => {
        const state = new Map<number, PartitionRow & { base: number; batchMax: number }>();
        for (const p of this.partitions(topic)) state.set(p.partition, { ...p, base: p.high, batchMax: -Infinity });
        if (state.size === 0) throw new AppError('NOT_FOUND', `topic "${topic.name}" was deleted`, { topic: topic.name });
        const out: ProducedOffset[] = new Array(rows.length);
        for (let i = 0; i < rows.length; i++) {
          const r = rows[i]!;
          const st = state.get(r.partition)!;
          const offset = st.high++;
          this.stmt.insertMessage.run(topic.id, r.partition, offset, r.ts, r.key, r.value, r.headers, r.size);
          st.bytes += r.size;
          if (r.ts > st.batchMax) st.batchMax = r.ts;
          out[i] = { partition: r.partition, offset };
        }
        for (const st of state.values()) {
          if (st.high === st.base) continue;
          const raised = st.max_ts === null || st.batchMax > st.max_ts;
          const maxTs = raised ? st.batchMax : st.max_ts;
          this.stmt.updatePartition.run(st.high, st.bytes, maxTs, topic.id, st.partition);
          if (raised) this.stmt.insertTimeIndex.run(topic.id, st.partition, st.base, st.batchMax);
          if (topic.retention_bytes !== null && st.bytes > topic.retention_bytes) this.trimToBytes(topic, st.partition, topic.retention_bytes);
        }
        if (topic.retention_ms !== null && now - (this.lastTimeRetention.get(topic.id) ?? 0) >= TIME_RETENTION_EVERY_MS) {
          this.lastTimeRetention.set(topic.id, now);
          for (const p of state.keys()) this.expireByTime(topic, p, now - topic.retention_ms);
        }
        return out;
      })
      .immediate();
  }

  read(topic: TopicRow, partition: number, from: number, max: number): BusMessage[] {
    const rows = this.stmt.read.all(topic.id, partition, from, max);
    const out: BusMessage[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [offset, ts, key, value, headers] = rows[i]!;
      out[i] = { topic: topic.name, partition, offset, timestamp: ts, key, value, headers: headers === null ? {} : (JSON.parse(headers) as Headers) };
    }
    return out;
  }

  offsetForTime(topic: TopicRow, partition: number, timestamp: number): number {
    const [range] = this.ranges(topic, partition);
    const entry = this.stmt.timeEntry.get(topic.id, partition, timestamp);
    if (!entry) return range!.high;
    const hit = this.stmt.firstAtOrAfter.get(topic.id, partition, Math.max(entry.base_offset, range!.low), timestamp);
    return hit ? hit.offset : range!.high;
  }

  /** Applies both retention limits to every partition of every topic that has one; returns messages removed. */
  enforceRetention(now = Date.now()): number {
    let removed = 0;
    for (const t of this.topics()) {
      if (t.retention_ms === null && t.retention_bytes === null) continue;
      removed += this.db
        .transaction(() => {
          let n = 0;
          for (const p of this.partitions(t)) {
            if (t.retention_ms !== null) n += this.expireByTime(t, p.partition, now - t.retention_ms);
            if (t.retention_bytes !== null) n += this.trimToBytes(t, p.partition, t.retention_bytes);
          }
          return n;
        })
        .immediate();
    }
    return removed;
  }

  /** Removes the prefix whose running maximum timestamp is older than `cutoff`. */
  private expireByTime(topic: TopicRow, partition: number, cutoff: number): number {
    const p = this.stmt.partition.get(topic.id, partition);
    if (!p || p.low === p.high) return 0;
    const keepFrom = this.stmt.timeEntry.get(topic.id, partition, cutoff)?.base_offset ?? p.high;
    return keepFrom > p.low ? this.removePrefix(topic, p, keepFrom) : 0;
  }

  /** Removes the oldest messages until the partition holds at most `limit` bytes, always keeping the newest one. */
  private trimToBytes(topic: TopicRow, partition: number, limit: number): number {
    const p = this.stmt.partition.get(topic.id, partition);
    if (!p || p.bytes <= limit) return 0;
    let excess = p.bytes - limit;
    let keepFrom = p.low;
    const sizes = this.db
      .prepare<[number, number, number, number], [number, number]>('SELECT offset, size FROM messages WHERE topic_id = ? AND partition = ? AND offset >= ? AND offset < ? ORDER BY offset')
      .raw(true);
    for (const [offset, size] of sizes.iterate(topic.id, partition, p.low, p.high - 1)) {
      if (excess <= 0) break;
      excess -= size;
      keepFrom = offset + 1;
    }
    return keepFrom > p.low ? this.removePrefix(topic, p, keepFrom) : 0;
  }

  private removePrefix(topic: TopicRow, p: PartitionRow, keepFrom: number): number {
    const freed = this.db
      .prepare<[number, number, number], { bytes: number; n: number }>(
        'SELECT COALESCE(SUM(size), 0) AS bytes, COUNT(*) AS n FROM messages WHERE topic_id = ? AND partition = ? AND offset < ?',
      )
      .get(topic.id, p.partition, keepFrom)!;
    this.db.prepare('DELETE FROM messages WHERE topic_id = ? AND partition = ? AND offset < ?').run(topic.id, p.partition, keepFrom);
    this.rebaseTimeIndex(topic.id, p.partition, keepFrom);
    const empty = keepFrom >= p.high;
    this.db
      .prepare('UPDATE partitions SET low = ?, bytes = ?, max_ts = CASE WHEN ? THEN NULL ELSE max_ts END WHERE topic_id = ? AND partition = ?')
      .run(keepFrom, empty ? 0 : p.bytes - freed.bytes, empty ? 1 : 0, topic.id, p.partition);
    return freed.n;
  }

  /** Drops index entries before `keepFrom`; the one covering it is moved to start there, so no held message is left unindexed. */
  private rebaseTimeIndex(topicId: number, partition: number, keepFrom: number): void {
    const covering = this.db
      .prepare<[number, number, number], { base_offset: number; max_ts: number }>(
        'SELECT base_offset, max_ts FROM time_index WHERE topic_id = ? AND partition = ? AND base_offset <= ? ORDER BY base_offset DESC LIMIT 1',
      )
      .get(topicId, partition, keepFrom);
    this.db.prepare('DELETE FROM time_index WHERE topic_id = ? AND partition = ? AND base_offset < ?').run(topicId, partition, keepFrom);
    if (covering && covering.base_offset < keepFrom) this.stmt.insertTimeIndex.run(topicId, partition, keepFrom, covering.max_ts);
  }
}
