/**
 * One Bus suite, run against the embedded log (LocalBus on SQLite) and a real Kafka broker (KafkaBus
 * through kafkajs): topic operations, produce and browse by offset and by time, filters, schema refusal
 * with nothing written, consumer groups with lag, commit after processing, offset resets, live tail.
 * Retention, reopening and cross-connection reads are embedded-log behaviour and run on LocalBus only.
 * Topic and group names are unique per run; everything created is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBus, openPlatformBus } from '../../src-main/engines/streams/index.js';
import { KafkaBus } from '../../src-main/engines/streams/kafka/bus.js';
import { kafkaConfigOf } from '../../src-main/engines/streams/kafka/client.js';
import { LocalBus } from '../../src-main/engines/streams/local/bus.js';
import { partitionForKey } from '../../src-main/engines/streams/partitioner.js';
import { MAX_MESSAGE_BYTES, platformTopics, type SchemaLookup } from '../../src-main/engines/streams/topics.js';
import type { Bus, BusMessage, OutgoingMessage } from '../../src-main/engines/streams/types.js';
import { DEFAULT_CONFIG_YAML, parseConfig } from '../../src-main/platform/config.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { openWorkspace } from '../../src-main/platform/workspace.js';
import { ensureService } from '../helpers/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

const kafka = await ensureService('kafka');
const run = `${Date.now().toString(36)}${randomUUID().slice(0, 4)}`;

// Topics named *-raw carry the trip message schema, *-dlq the dead-letter one, as the platform topics do.
const config = parseConfig(DEFAULT_CONFIG_YAML, 'default config');
const platform = platformTopics(config);
const schemas: SchemaLookup = (t) =>
  t.endsWith('-raw') ? platform.find((p) => p.key === 'raw')!.schema : t.endsWith('-dlq') ? platform.find((p) => p.key === 'raw_dead_letter')!.schema : undefined;

const tripMessage = (id: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  trip_id: id,
  pickup_datetime: '2024-01-01T10:00:00Z',
  dropoff_datetime: '2024-01-01T10:30:00Z',
  pickup_latitude: 41.88,
  pickup_longitude: -87.63,
  dropoff_latitude: 41.89,
  dropoff_longitude: -87.62,
  passenger_count: 2,
  trip_distance: 3.5,
  fare_amount: 12.5,
  ...over,
});

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const text = (m: BusMessage): string => m.value?.toString('utf8') ?? '';
const json = (m: BusMessage): Record<string, unknown> => JSON.parse(text(m)) as Record<string, unknown>;

interface Harness {
  bus: Bus;
  topic(partitions: number, suffix?: string, extra?: { retention_ms?: number | null; retention_bytes?: number | null }): Promise<string>;
  group(): string;
}

function busSuite(name: string, open: () => Promise<Bus>): Harness {
  const created: string[] = [];
  const groups: string[] = [];
  let n = 0;
  const h = {
    bus: null as unknown as Bus,
    async topic(partitions: number, suffix = 't', extra: { retention_ms?: number | null; retention_bytes?: number | null } = {}) {
      const topic = `test-${run}-${name}-${++n}-${suffix}`;
      await h.bus.createTopic({ name: topic, partitions, replication_factor: 1, retention_ms: extra.retention_ms ?? 3_600_000, retention_bytes: extra.retention_bytes ?? null });
      created.push(topic);
      return topic;
    },
    group() {
      const g = `test-${run}-${name}-g${++n}`;
      groups.push(g);
      return g;
    },
  };
  beforeAll(async () => {
    h.bus = await open();
  });
  afterAll(async () => {
    if (!h.bus) return;
    for (const g of groups) await h.bus.deleteGroup(g).catch(() => undefined);
    for (const t of created) await h.bus.deleteTopic(t).catch(() => undefined);
    await h.bus.close();
  });
  return h;
}

function sharedBusTests(name: string, open: () => Promise<Bus>): void {
  const h = busSuite(name, open);

  it('creates, lists, describes and deletes topics', async () => {
    const topic = await h.topic(3, 'ops');
    const d = await h.bus.describeTopic(topic);
    expect(d).toMatchObject({ name: topic, partitions: 3, retention_ms: 3_600_000, messages: 0, internal: false });
    expect(d.partition_info.map((p) => [p.partition, p.low, p.high])).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [2, 0, 0],
    ]);
    expect(d.config['retention.ms']).toBe('3600000');
    expect((await h.bus.listTopics()).find((t) => t.name === topic)).toMatchObject({ partitions: 3, messages: 0 });
    await expect(h.bus.createTopic({ name: topic, partitions: 1, replication_factor: 1, retention_ms: null, retention_bytes: null })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await expect(h.bus.createTopic({ name: 'no spaces allowed', partitions: 1, replication_factor: 1, retention_ms: null, retention_bytes: null })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await h.bus.deleteTopic(topic);
    await waitFor('the topic to disappear', async () => !(await h.bus.listTopics()).some((t) => t.name === topic));
    await expect(h.bus.describeTopic(topic)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(h.bus.deleteTopic(topic)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(h.bus.produce(topic, [{ value: '{}' }])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("produces keyed batches with headers; a key always lands on Kafka's partition for it; offsets count from 0 per partition", async () => {
    const topic = await h.topic(3, 'produce');
    const sent: OutgoingMessage[] = Array.from({ length: 30 }, (_, i) => ({
      key: `trip-${i % 10}`,
      value: JSON.stringify({ i, company: i % 3 === 0 ? 'Flash Cab' : 'Blue Diamond', nested: { n: i } }),
      headers: { source: 'test', idx: String(i) },
    }));
    const offsets = await h.bus.produce(topic, sent);
    expect(offsets).toHaveLength(30);
    const perPartition = new Map<number, number[]>();
    offsets.forEach((o, i) => {
      expect(o.partition).toBe(partitionForKey(sent[i]!.key!, 3));
      perPartition.set(o.partition, [...(perPartition.get(o.partition) ?? []), o.offset]);
    });
    for (const list of perPartition.values()) expect(list).toEqual(list.map((_, k) => k));

    const d = await h.bus.describeTopic(topic);
    expect(d.messages).toBe(30);
    for (const p of d.partition_info) expect(p.high).toBe(perPartition.get(p.partition)?.length ?? 0);

    const [p, list] = [...perPartition.entries()].find(([, l]) => l.length >= 5)!;
    const page = await h.bus.fetch({ topic, partition: p, from: { type: 'offset', offset: 2 }, limit: 3 });
    expect(page.messages.map((m) => m.offset)).toEqual([2, 3, 4]);
    const sentInP = sent.filter((_, i) => offsets[i]!.partition === p);
    page.messages.forEach((m, k) => {
      expect(m.partition).toBe(p);
      expect(m.key).toBe(sentInP[2 + k]!.key);
      expect(text(m)).toBe(sentInP[2 + k]!.value);
      expect(m.headers).toEqual(sentInP[2 + k]!.headers);
    });
    expect(page.next).toEqual([{ partition: p, offset: 5 }]);
    const following = await h.bus.fetch({ topic, partition: p, from: { type: 'offset', offset: page.next[0]!.offset }, limit: 100 });
    expect(following.messages.map((m) => m.offset)).toEqual(list.slice(5));
    expect(following.reached_end).toBe(true);

    const all = await h.bus.fetch({ topic, from: { type: 'earliest' }, limit: 100 });
    expect(all.messages).toHaveLength(30);
    expect(all.reached_end).toBe(true);
    expect(all.messages.map((m) => json(m).i).sort((a, b) => Number(a) - Number(b))).toEqual(sent.map((_, i) => i));

    const newest = await h.bus.fetch({ topic, from: { type: 'latest' }, limit: 4 });
    expect(newest.messages).toHaveLength(4);
    for (const m of newest.messages) expect(m.offset).toBeGreaterThanOrEqual(perPartition.get(m.partition)!.length - 4);
  });

  it('browses from a time: the first message at or after it, with timestamps kept', async () => {
    const topic = await h.topic(2, 'time');
    const base = Date.now() - 60_000;
    await h.bus.produce(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }), timestamp: base + i * 1000 })),
    );
    const r = await h.bus.fetch({ topic, from: { type: 'timestamp', timestamp: base + 5_500 }, limit: 100 });
    expect(r.messages.map((m) => json(m).i)).toEqual([6, 7, 8, 9]);
    expect(r.messages.map((m) => m.timestamp)).toEqual([6, 7, 8, 9].map((i) => base + i * 1000));
    const none = await h.bus.fetch({ topic, from: { type: 'timestamp', timestamp: base + 3_600_000 }, limit: 100 });
    expect(none.messages).toEqual([]);
    expect(none.reached_end).toBe(true);
  });

  it('filters by text and by a JSON field, and pages through the matches', async () => {
    const topic = await h.topic(1, 'filter');
    await h.bus.produce(
      topic,
      Array.from({ length: 20 }, (_, i) => ({
        key: `trip-${i}`,
        value: JSON.stringify({ i, company: i % 4 === 0 ? 'Flash Cab' : 'Blue Diamond', nested: { n: i } }),
        headers: { idx: String(i) },
      })),
    );
    const flash = await h.bus.fetch({ topic, from: { type: 'earliest' }, limit: 100, filter: { text: 'FLASH' } });
    expect(flash.messages.map((m) => json(m).i)).toEqual([0, 4, 8, 12, 16]);
    const byField = await h.bus.fetch({ topic, from: { type: 'earliest' }, limit: 100, filter: { field: 'company', equals: 'Flash Cab' } });
    expect(byField.messages.map((m) => m.offset)).toEqual([0, 4, 8, 12, 16]);
    const nested = await h.bus.fetch({ topic, from: { type: 'earliest' }, limit: 100, filter: { field: 'nested.n', equals: 7 } });
    expect(nested.messages.map((m) => m.key)).toEqual(['trip-7']);
    const header = await h.bus.fetch({ topic, from: { type: 'earliest' }, limit: 100, filter: { text: 'idx=13' } });
    expect(header.messages.map((m) => m.key)).toEqual(['trip-13']);
    expect((await h.bus.fetch({ topic, from: { type: 'earliest' }, limit: 100, filter: { field: 'nope' } })).messages).toEqual([]);
    const page1 = await h.bus.fetch({ topic, from: { type: 'earliest' }, limit: 2, filter: { field: 'company', equals: 'Flash Cab' } });
    expect(page1.messages.map((m) => m.offset)).toEqual([0, 4]);
    expect(page1.next).toEqual([{ partition: 0, offset: 5 }]);
    const page2 = await h.bus.fetch({ topic, from: { type: 'offset', offset: 5 }, limit: 2, filter: { field: 'company', equals: 'Flash Cab' } });
    expect(page2.messages.map((m) => m.offset)).toEqual([8, 12]);
    const lastTwo = await h.bus.fetch({ topic, from: { type: 'latest' }, limit: 2, filter: { text: 'flash' } });
    expect(lastTwo.messages.map((m) => m.offset)).toEqual([12, 16]);
  });

  it("refuses a batch with a bad message before writing anything, naming the message's index and field", async () => {
    const topic = await h.topic(3, 'raw');
    const good = (id: string): OutgoingMessage => ({ key: id, value: JSON.stringify(tripMessage(id)) });
    const { fare_amount: _drop, ...noFare } = tripMessage('t-2');
    const missing = h.bus.produce(topic, [good('t-1'), { key: 't-2', value: JSON.stringify(noFare) }, good('t-3')]);
    await expect(missing).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { topic, index: 1, field: 'fare_amount' } });
    await expect(missing).rejects.toThrow(/message 1: fare_amount: .*nothing was written/);
    await expect(h.bus.produce(topic, [{ key: 'x', value: 'not json {' }, good('t-4')])).rejects.toMatchObject({ details: { index: 0, field: '(value)' } });
    await expect(h.bus.produce(topic, [good('t-5'), good('t-6'), { key: 't-7', value: JSON.stringify(tripMessage('t-7', { pickup_latitude: 'north' })) }])).rejects.toMatchObject({
      details: { index: 2, field: 'pickup_latitude' },
    });
    await expect(h.bus.produce(topic, [good('t-8'), { key: 'big', value: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }], { validate: false })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { index: 1 },
    });
    await expect(h.bus.produce(topic, [good('t-9')].map((m) => ({ ...m, partition: 7 })))).rejects.toMatchObject({ details: { index: 0, field: 'partition' } });
    expect((await h.bus.describeTopic(topic)).messages).toBe(0);

    const dlq = await h.topic(1, 'dlq');
    await expect(h.bus.produce(dlq, [{ value: 'garbage' }])).rejects.toMatchObject({ details: { field: 'headers.dlq.reason' } });
    await h.bus.produce(dlq, [{ value: Buffer.from([0xff, 0x00, 0x01]), headers: { 'dlq.reason': 'not JSON' } }]);
    const kept = await h.bus.fetch({ topic: dlq, from: { type: 'earliest' }, limit: 10 });
    expect([...kept.messages[0]!.value!]).toEqual([0xff, 0x00, 0x01]);

    await h.bus.produce(topic, [good('t-10'), good('t-11')]);
    await h.bus.produce(topic, [{ key: 'raw', value: 'not json either' }], { validate: false });
    expect((await h.bus.describeTopic(topic)).messages).toBe(3);
  });

  it('consumer groups: members with their partitions, committed offsets and lag per partition', async () => {
    const topic = await h.topic(3, 'group');
    await h.bus.produce(topic, Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }) })));
    const group = h.group();
    const seen: BusMessage[] = [];
    const sub = await h.bus.consume({ group, topics: [topic], fromBeginning: true, clientId: 'suite', handler: async (b) => void seen.push(...b.messages) });
    await waitFor('12 messages', () => seen.length >= 12);
    const active = await waitFor('the commits', async () => {
      const d = await h.bus.describeGroup(group);
      return d.lag === 0 && d.offsets.every((o) => o.committed === o.high) ? d : undefined;
    });
    expect(active.state).toBe('Stable');
    expect(active.members).toHaveLength(1);
    expect(active.members[0]!.client_id).toBe('suite');
    expect(active.members[0]!.assignments).toEqual([{ topic, partitions: [0, 1, 2] }]);
    expect((await h.bus.listGroups()).find((g) => g.group === group)).toMatchObject({ members: 1, topics: [topic], lag: 0 });
    await sub.stop();
    await sub.done;
    expect(new Set(seen.map((m) => json(m).i)).size).toBe(12);

    const more = await h.bus.produce(topic, Array.from({ length: 5 }, (_, i) => ({ key: `m${i}`, value: JSON.stringify({ i: 100 + i }) })));
    const idle = await h.bus.describeGroup(group);
    expect(idle.state).toBe('Empty');
    expect(idle.members).toEqual([]);
    expect(idle.lag).toBe(5);
    for (const o of idle.offsets) {
      expect(o.lag).toBe(o.high - o.committed!);
      expect(o.lag).toBe(more.filter((m) => m.partition === o.partition).length);
    }
    expect((await h.bus.listGroups()).find((g) => g.group === group)).toMatchObject({ state: 'Empty', members: 0, lag: 5 });
    await expect(h.bus.describeGroup(`no-such-group-${run}`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('commits only after the handler returns: a consumer that fails before committing leaves its batch to the next one', async () => {
    const topic = await h.topic(1, 'atleastonce');
    await h.bus.produce(topic, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }) })));
    const group = h.group();
    let calls = 0;
    const first = await h.bus.consume({
      group,
      topics: [topic],
      fromBeginning: true,
      maxBatch: 5,
      handler: async (b) => {
        calls++;
        expect(b.messages.length).toBeLessThanOrEqual(5);
        if (calls === 2) throw new Error('crashed before commit');
      },
    });
    await expect(first.done).rejects.toThrow('crashed before commit');
    const after = await h.bus.describeGroup(group);
    expect(after.offsets).toEqual([expect.objectContaining({ partition: 0, committed: 5, lag: 15 })]);

    const got: number[] = [];
    const second = await h.bus.consume({ group, topics: [topic], fromBeginning: true, handler: async (b) => void got.push(...b.messages.map((m) => m.offset)) });
    await waitFor('the rest', () => got.length >= 15);
    await second.stop();
    expect(got).toEqual(Array.from({ length: 15 }, (_, k) => 5 + k));
    expect((await h.bus.describeGroup(group)).offsets[0]).toMatchObject({ committed: 20, lag: 0 });
  });

  it('resets group offsets to earliest, latest, a time and an offset, only while the group is inactive', async () => {
    const topic = await h.topic(2, 'reset');
    const base = Date.now() - 30_000;
    const offsets = await h.bus.produce(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: `key-${i}`, value: JSON.stringify({ i }), timestamp: base + i * 1000 })),
    );
    const high = [0, 1].map((p) => offsets.filter((o) => o.partition === p).length);
    const group = h.group();
    let seen = 0;
    const sub = await h.bus.consume({ group, topics: [topic], fromBeginning: true, handler: async (b) => void (seen += b.messages.length) });
    await waitFor('everything', async () => seen >= 10 && (await h.bus.describeGroup(group)).lag === 0);
    await expect(h.bus.resetOffsets({ group, topic, to: { type: 'earliest' } })).rejects.toMatchObject({ code: 'CONFLICT' });
    await sub.stop();

    const committed = async (): Promise<(number | null)[]> => (await h.bus.describeGroup(group)).offsets.map((o) => o.committed);
    const dry = await h.bus.resetOffsets({ group, topic, to: { type: 'earliest' }, dryRun: true });
    expect(dry).toMatchObject({ applied: false, offsets: [{ partition: 0, from: high[0], to: 0 }, { partition: 1, from: high[1], to: 0 }] });
    expect(await committed()).toEqual(high);

    await h.bus.resetOffsets({ group, topic, to: { type: 'earliest' } });
    expect(await committed()).toEqual([0, 0]);
    expect((await h.bus.describeGroup(group)).lag).toBe(10);

    await h.bus.resetOffsets({ group, topic, to: { type: 'latest' } });
    expect(await committed()).toEqual(high);

    const at = base + 5_500;
    const expected = [0, 1].map((p) => {
      const later = offsets.map((o, i) => ({ ...o, i })).filter((o) => o.partition === p && base + o.i * 1000 >= at);
      return later.length ? Math.min(...later.map((o) => o.offset)) : high[p]!;
    });
    await h.bus.resetOffsets({ group, topic, to: { type: 'timestamp', timestamp: at } });
    expect(await committed()).toEqual(expected);

    await h.bus.resetOffsets({ group, topic, to: { type: 'offset', offset: 1 }, partitions: [0] });
    expect(await committed()).toEqual([Math.min(1, high[0]!), expected[1]]);

    await h.bus.resetOffsets({ group, topic, to: { type: 'earliest' } });
    const again: number[] = [];
    const replay = await h.bus.consume({ group, topics: [topic], handler: async (b) => void again.push(...b.messages.map((m) => Number(json(m).i))) });
    await waitFor('the replay after the reset', () => again.length >= 10);
    await replay.stop();
    expect(again.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('tails new messages from the end of the topic', async () => {
    const topic = await h.topic(2, 'tail');
    await h.bus.produce(topic, [{ key: 'old', value: '"old"' }]);
    const got: BusMessage[] = [];
    const tail = await h.bus.tail({ topic, onMessages: (ms) => void got.push(...ms) });
    await h.bus.produce(topic, Array.from({ length: 4 }, (_, i) => ({ key: `new-${i}`, value: JSON.stringify(`new-${i}`) })));
    await waitFor('4 new messages', () => got.length >= 4);
    await new Promise((r) => setTimeout(r, 200));
    await tail.stop();
    expect(got.map((m) => m.key).sort()).toEqual(['new-0', 'new-1', 'new-2', 'new-3']);
  });
}

describe('LocalBus (embedded log in SQLite)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-streams-'));
  const file = path.join(dir, 'streams.db');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const open = async (): Promise<Bus> => LocalBus.open({ file, schemas, retentionIntervalMs: 0 });

  sharedBusTests('local', open);

  describe('embedded-log behaviour', () => {
    let bus: LocalBus;
    beforeAll(() => {
      bus = LocalBus.open({ file, schemas, retentionIntervalMs: 0 });
    });
    afterAll(async () => bus.close());

    it('keeps each partition within retention.bytes, dropping the oldest messages first', async () => {
      const name = `ret-bytes-${run}`;
      await bus.createTopic({ name, partitions: 1, replication_factor: 1, retention_ms: null, retention_bytes: 2_000 });
      for (let b = 0; b < 5; b++) {
        await bus.produce(name, Array.from({ length: 10 }, (_, i) => ({ key: `k${b}-${i}`, value: JSON.stringify({ b, i, pad: 'x'.repeat(70) }) })));
      }
      const d = await bus.describeTopic(name);
      expect(d.partition_info[0]!.high).toBe(50);
      expect(d.partition_info[0]!.low).toBeGreaterThan(0);
      const held = await bus.fetch({ topic: name, from: { type: 'earliest' }, limit: 100 });
      expect(held.messages[0]!.offset).toBe(d.partition_info[0]!.low);
      expect(held.messages.map((m) => m.offset)).toEqual(Array.from({ length: 50 - d.partition_info[0]!.low }, (_, k) => d.partition_info[0]!.low + k));
      const bytes = held.messages.reduce((n, m) => n + m.value!.length + m.key!.length, 0);
      expect(bytes).toBeLessThanOrEqual(2_000);
      expect(bytes + 100).toBeGreaterThan(2_000 - 100);
    });

    it('expires messages older than retention.ms (on write and on demand); a group committed before them resumes at the log start', async () => {
      const name = `ret-time-${run}`;
      await bus.createTopic({ name, partitions: 1, replication_factor: 1, retention_ms: 60_000, retention_bytes: null });
      const now = Date.now();
      await bus.produce(name, Array.from({ length: 3 }, (_, i) => ({ key: `expired-${i}`, value: '0', timestamp: now - 120_000 + i })));
      expect((await bus.describeTopic(name)).partition_info[0]).toMatchObject({ low: 3, high: 3, messages: 0 });

      await bus.produce(name, Array.from({ length: 5 }, (_, i) => ({ key: `old-${i}`, value: '1', timestamp: now - 30_000 + i })));
      const group = `ret-group-${run}`;
      await bus.resetOffsets({ group, topic: name, to: { type: 'earliest' } });
      await bus.produce(name, Array.from({ length: 5 }, (_, i) => ({ key: `new-${i}`, value: '2', timestamp: now + i })));
      expect(bus.enforceRetention(now + 45_000)).toBe(5);
      const d = await bus.describeTopic(name);
      expect(d.partition_info[0]).toMatchObject({ low: 8, high: 13, messages: 5 });
      const held = await bus.fetch({ topic: name, from: { type: 'earliest' }, limit: 100 });
      expect(held.messages.map((m) => m.key)).toEqual(['new-0', 'new-1', 'new-2', 'new-3', 'new-4']);
      expect((await bus.fetch({ topic: name, from: { type: 'timestamp', timestamp: now - 500_000 }, limit: 1 })).messages[0]!.offset).toBe(8);
      expect((await bus.fetch({ topic: name, from: { type: 'timestamp', timestamp: now + 2 }, limit: 1 })).messages[0]!.key).toBe('new-2');
      const got: number[] = [];
      const sub = await bus.consume({ group, topics: [name], handler: async (b) => void got.push(...b.messages.map((m) => m.offset)) });
      await waitFor('the held messages', () => got.length >= 5);
      await sub.stop();
      expect(got).toEqual([8, 9, 10, 11, 12]);
    });

    it('a consumer wakes up for messages another connection writes (a job worker, another process)', async () => {
      const name = `cross-${run}`;
      await bus.createTopic({ name, partitions: 2, replication_factor: 1, retention_ms: null, retention_bytes: null });
      const got: BusMessage[] = [];
      const sub = await bus.consume({ group: `cross-group-${run}`, topics: [name], handler: async (b) => void got.push(...b.messages) });
      await new Promise((r) => setTimeout(r, 100));
      const other = LocalBus.open({ file, retentionIntervalMs: 0 });
      const t0 = performance.now();
      await other.produce(name, [{ key: 'a', value: '"from the other connection"' }]);
      await waitFor('the message', () => got.length >= 1, 5_000);
      const latency = performance.now() - t0;
      await other.close();
      await sub.stop();
      expect(text(got[0]!)).toBe('"from the other connection"');
      // Waiting on the idle timeout (250 ms) would mean the change signal did not work.
      expect(latency).toBeLessThan(200);
    });

    it('keeps messages, offsets and committed groups across a reopen', async () => {
      const name = `reopen-${run}`;
      await bus.createTopic({ name, partitions: 2, replication_factor: 1, retention_ms: null, retention_bytes: null });
      const sent = await bus.produce(name, Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: String(i) })));
      await bus.resetOffsets({ group: `reopen-g-${run}`, topic: name, to: { type: 'latest' } });
      const again = LocalBus.open({ file, retentionIntervalMs: 0 });
      const d = await again.describeTopic(name);
      expect(d.messages).toBe(6);
      const next = await again.produce(name, [{ key: 'k0', value: 'x' }]);
      expect(next[0]).toEqual({ partition: sent[0]!.partition, offset: sent.filter((o) => o.partition === sent[0]!.partition).length });
      expect((await again.describeGroup(`reopen-g-${run}`)).lag).toBe(1);
      await again.close();
    });
  });
});

describe.skipIf(!kafka)('KafkaBus (real Kafka broker through kafkajs)', () => {
  sharedBusTests('kafka', async () => new KafkaBus({ config: { type: 'kafka', brokers: [kafka!.url], client_id: 'taxi-mlops-test' }, schemas, logger: silentLogger() }));
});

describe('the bus a profile names', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('kafkajs settings from the cluster profile: SASL with the password from the secret store, TLS with CA, client certificate and key', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-kafka-tls-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'ca.pem'), 'CA');
    fs.writeFileSync(path.join(dir, 'client.pem'), 'CERT');
    process.env.TAXI_SECRET_KAFKA_PASSWORD = 'pw-from-env';
    process.env.TAXI_SECRET_KAFKA_KEY = 'KEY';
    try {
      const cfg = kafkaConfigOf(
        {
          type: 'kafka',
          brokers: ['b1:9093', 'b2:9093'],
          client_id: 'console',
          sasl: { mechanism: 'scram-sha-512', username: 'taxi', password: { secret: 'kafka-password' } },
          tls: { enabled: true, ca_file: path.join(dir, 'ca.pem'), cert_file: path.join(dir, 'client.pem'), key: { secret: 'kafka-key' }, reject_unauthorized: true },
        },
        silentLogger(),
        'profiles.cluster.bus',
      );
      expect(cfg).toMatchObject({ clientId: 'console', brokers: ['b1:9093', 'b2:9093'], sasl: { mechanism: 'scram-sha-512', username: 'taxi', password: 'pw-from-env' } });
      const ssl = cfg.ssl as { ca: Buffer[]; cert: Buffer; key: string; rejectUnauthorized: boolean };
      expect([ssl.ca[0]!.toString(), ssl.cert.toString(), ssl.key, ssl.rejectUnauthorized]).toEqual(['CA', 'CERT', 'KEY', true]);
      expect(kafkaConfigOf({ type: 'kafka', brokers: ['b:1'], client_id: 'c', sasl: { mechanism: 'plain', username: 'u', password: { secret: 'kafka-password' } } }, silentLogger()).ssl).toBeUndefined();

      expect(() =>
        kafkaConfigOf({ type: 'kafka', brokers: ['b:1'], client_id: 'c', sasl: { mechanism: 'plain', username: 'u', password: { secret: 'nowhere' } } }, silentLogger(), 'profiles.cluster.bus'),
      ).toThrow(/profiles\.cluster\.bus\.sasl\.password: secret "nowhere" is not set .*TAXI_SECRET_NOWHERE/);
      expect(() =>
        kafkaConfigOf({ type: 'kafka', brokers: ['b:1'], client_id: 'c', tls: { enabled: true, ca_file: path.join(dir, 'missing.pem'), reject_unauthorized: true } }, silentLogger(), 'profiles.cluster.bus'),
      ).toThrow(/profiles\.cluster\.bus\.tls\.ca_file: cannot read .*missing\.pem \(ENOENT\)/);
      expect(() =>
        kafkaConfigOf({ type: 'kafka', brokers: ['b:1'], client_id: 'c', tls: { enabled: true, cert_file: path.join(dir, 'client.pem'), reject_unauthorized: true } }, silentLogger()),
      ).toThrow(/cert_file is set but key is not/);
    } finally {
      delete process.env.TAXI_SECRET_KAFKA_PASSWORD;
      delete process.env.TAXI_SECRET_KAFKA_KEY;
    }
  });

  it('openBus gives the embedded log for the local profile and KafkaBus for a cluster profile', async () => {
    const local = tempWorkspace('taxi-openbus-');
    dirs.push(local.dir);
    const embedded = await openPlatformBus(local.workspace);
    expect(embedded.kind).toBe('local');
    expect(embedded.target).toBe(local.workspace.paths.streamsDb);
    expect((await embedded.listTopics()).map((t) => t.name)).toContain('taxi-raw-data-dlq');
    await embedded.close();

    const file = local.workspace.paths.config;
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('active_profile: local', 'active_profile: cluster').replace('brokers: [127.0.0.1:9092]', `brokers: [${kafka?.url ?? '127.0.0.1:1'}]`));
    const clustered = openBus(openWorkspace(local.dir));
    expect(clustered.kind).toBe('kafka');
    if (kafka) expect((await clustered.listTopics()).length).toBeGreaterThan(0);
    await clustered.close();
  });
});
