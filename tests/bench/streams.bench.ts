/**
 * Stream engine throughput, each figure beside a reference measured in the same run:
 *   - LocalBus produce (batches of 1,000 trip messages) vs plain better-sqlite3 inserts of the same rows
 *     into the same table layout (the floor of what the log can do);
 *   - LocalBus produce with the trip schema checked on every message;
 *   - LocalBus consume in a consumer group (handler + commit per batch) vs a plain range scan;
 *   - KafkaBus produce through kafkajs (idempotent, acks=all, batches of 1,000) vs Kafka's own
 *     org.apache.kafka.tools.ProducerPerformance with the same record count, size and settings, on the
 *     same broker.
 *
 *   npx tsx tests/bench/streams.bench.ts [messages]
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { parseTripMessage, tripToMessage } from '../../src-main/engines/data/message.js';
import { generateTrips, tripOfBatchRow } from '../../src-main/engines/data/generator/index.js';
import { KafkaBus } from '../../src-main/engines/streams/kafka/bus.js';
import { LocalBus } from '../../src-main/engines/streams/local/bus.js';
import { STREAMS_MIGRATIONS } from '../../src-main/engines/streams/local/schema.js';
import { schemaLookup } from '../../src-main/engines/streams/topics.js';
import type { OutgoingMessage } from '../../src-main/engines/streams/types.js';
import { DEFAULT_CONFIG_YAML, parseConfig } from '../../src-main/platform/config.js';
import { migrate } from '../../src-main/platform/db/sqlite.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { ensureService } from '../helpers/services.js';
import type { BenchRow } from './run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface StreamsBenchOptions {
  /** Messages for the embedded log (default 500,000). */
  localMessages?: number;
  /** Messages for Kafka, ours and the reference each (default 200,000). */
  kafkaMessages?: number;
  batchSize?: number;
  /** Skip the Kafka half (no broker). */
  skipKafka?: boolean;
}

export interface StreamsBenchResult {
  local: {
    messages: number;
    value_bytes: number;
    produce_per_s: number;
    produce_validated_per_s: number;
    sqlite_insert_per_s: number;
    consume_per_s: number;
    sqlite_scan_per_s: number;
  };
  kafka: {
    messages: number;
    record_bytes: number;
    kafkajs_produce_per_s: number;
    producer_performance_per_s: number;
    ratio: number;
  } | null;
  kafka_skipped_reason: string | null;
}

const rate = (n: number, ms: number): number => Math.round(n / (ms / 1000));

/** Real trip messages (generator), cycled to `n`, keyed by trip id. */
function tripMessages(n: number): OutgoingMessage[] {
  const pool: string[] = [];
  const ids: string[] = [];
  for (const b of generateTrips({ rows: Math.min(n, 20_000), seed: 11 }, undefined, { batchSize: 8192 })) {
    for (let k = 0; k < b.length; k++) {
      const t = tripOfBatchRow(b, k);
      pool.push(JSON.stringify(tripToMessage(t)));
      ids.push(t.trip_id);
    }
  }
  return Array.from({ length: n }, (_, i) => ({ key: i < pool.length ? ids[i]! : `${ids[i % pool.length]}-r${Math.floor(i / pool.length)}`, value: pool[i % pool.length]! }));
}

async function timed(fn: () => Promise<void> | void): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function batches<T>(all: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size));
  return out;
}

/** The same rows straight into the log's table with one prepared statement: what SQLite itself allows. */
function sqliteInsertMs(file: string, messages: readonly OutgoingMessage[], batchSize: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  migrate(db, 'bench.db', STREAMS_MIGRATIONS);
  const insert = db.prepare('INSERT INTO messages (topic_id, partition, offset, ts, key, value, headers, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const t0 = performance.now();
  // The values start as the same JS strings ours get; a BLOB needs their bytes either way.
  const tx = db.transaction((from: number) => {
    const now = Date.now();
    for (let i = from; i < Math.min(from + batchSize, messages.length); i++) {
      const value = Buffer.from(messages[i]!.value as string);
      insert.run(1, i % 3, i, now, messages[i]!.key!, value, null, value.length);
    }
  });
  for (let i = 0; i < messages.length; i += batchSize) tx(i);
  const ms = performance.now() - t0;
  db.close();
  return ms;
}

function sqliteScanMs(file: string, n: number): number {
  const db = new Database(file, { readonly: true });
  const read = db.prepare('SELECT offset, ts, key, value, headers FROM messages WHERE topic_id = 1 AND partition = ? AND offset >= ? ORDER BY offset LIMIT 1000').raw(true);
  let count = 0;
  const t0 = performance.now();
  for (let p = 0; p < 3; p++) {
    for (let from = 0; ; ) {
      const rows = read.all(p, from) as [number][];
      if (rows.length === 0) break;
      count += rows.length;
      from = rows[rows.length - 1]![0] + 1;
    }
  }
  const ms = performance.now() - t0;
  db.close();
  if (count !== n) throw new Error(`scan read ${count} of ${n} rows`);
  return ms;
}

async function localBench(dir: string, n: number, batchSize: number): Promise<StreamsBenchResult['local']> {
  const messages = tripMessages(n);
  const config = parseConfig(DEFAULT_CONFIG_YAML, 'default config');
  const bus = LocalBus.open({ file: path.join(dir, 'streams.db'), schemas: schemaLookup(config), retentionIntervalMs: 0 });
  try {
    await bus.createTopic({ name: 'bench', partitions: 3, replication_factor: 1, retention_ms: null, retention_bytes: null });
    await bus.createTopic({ name: config.topics.raw, partitions: 3, replication_factor: 1, retention_ms: null, retention_bytes: null });
    const chunks = batches(messages, batchSize);
    await bus.produce('bench', chunks[0]!.slice(0, 100));
    const produceMs = await timed(async () => {
      for (const c of chunks) await bus.produce('bench', c);
    });
    // The generator's rare outliers (e.g. beyond max_trip_distance_miles) would refuse a whole batch.
    const valid = messages.slice(0, 100_000).filter((m) => parseTripMessage(JSON.parse(m.value as string), config.data.validation).ok);
    const validatedN = valid.length;
    const validatedMs = await timed(async () => {
      for (const c of batches(valid, batchSize)) await bus.produce(config.topics.raw, c);
    });
    let seen = 0;
    const total = n + 100;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const consumeMs = await timed(async () => {
      const sub = await bus.consume({
        group: 'bench',
        topics: ['bench'],
        fromBeginning: true,
        maxBatch: batchSize,
        handler: async (b) => {
          seen += b.messages.length;
          if (seen >= total) done();
        },
      });
      await finished;
      await sub.stop();
    });
    const sqliteMs = sqliteInsertMs(path.join(dir, 'plain.db'), messages, batchSize);
    const scanMs = sqliteScanMs(path.join(dir, 'plain.db'), n);
    return {
      messages: n,
      value_bytes: Math.round(messages.reduce((s, m) => s + (m.value as string).length, 0) / n),
      produce_per_s: rate(n, produceMs),
      produce_validated_per_s: rate(validatedN, validatedMs),
      sqlite_insert_per_s: rate(n, sqliteMs),
      consume_per_s: rate(total, consumeMs),
      sqlite_scan_per_s: rate(n, scanMs),
    };
  } finally {
    await bus.close();
  }
}

/** Kafka's ProducerPerformance on the same broker; records/s from its summary line. */
function producerPerformance(broker: string, topic: string, n: number, recordBytes: number): Promise<number> {
  const args = [
    '-Dlog4j.configuration=file:' + path.join(root, 'scripts/services/kafka/tools-log4j.properties'),
    '-cp',
    `${path.join(root, '.services/kafka/libs')}/*`,
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    topic,
    '--num-records',
    String(n),
    '--record-size',
    String(recordBytes),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${broker}`,
    'acks=all',
    'enable.idempotence=true',
    'linger.ms=5',
  ];
  return new Promise((resolve, reject) => {
    execFile('java', args, { timeout: 300_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const m = /(\d+) records sent, ([\d.]+) records\/sec/.exec(stdout.split('\n').filter(Boolean).at(-1) ?? '');
      if (err || !m) return reject(new Error(`ProducerPerformance failed: ${err?.message ?? 'no summary line'}\n${stdout.slice(-500)}\n${stderr.slice(-500)}`));
      resolve(Number(m[2]));
    });
  });
}

async function kafkaBench(broker: string, n: number, batchSize: number): Promise<NonNullable<StreamsBenchResult['kafka']>> {
  const bus = new KafkaBus({ config: { type: 'kafka', brokers: [broker], client_id: 'taxi-bench' }, logger: silentLogger() });
  const stamp = Date.now().toString(36);
  const ours = `bench-kafkajs-${stamp}`;
  const theirs = `bench-perf-${stamp}`;
  const messages = tripMessages(n);
  const recordBytes = Math.round(messages.reduce((s, m) => s + (m.value as string).length, 0) / n);
  try {
    for (const t of [ours, theirs]) await bus.createTopic({ name: t, partitions: 3, replication_factor: 1, retention_ms: 3_600_000, retention_bytes: null });
    await bus.produce(ours, messages.slice(0, 100));
    const chunks = batches(messages, batchSize);
    const ms = await timed(async () => {
      for (const c of chunks) await bus.produce(ours, c);
    });
    const reference = await producerPerformance(broker, theirs, n, recordBytes);
    const kafkajs = rate(n, ms);
    return { messages: n, record_bytes: recordBytes, kafkajs_produce_per_s: kafkajs, producer_performance_per_s: Math.round(reference), ratio: Math.round((kafkajs / reference) * 100) / 100 };
  } finally {
    for (const t of [ours, theirs]) await bus.deleteTopic(t).catch(() => undefined);
    await bus.close();
  }
}

export async function runStreamsBench(opts: StreamsBenchOptions = {}): Promise<StreamsBenchResult> {
  const batchSize = opts.batchSize ?? 1000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-streams-bench-'));
  try {
    const local = await localBench(dir, opts.localMessages ?? 500_000, batchSize);
    let kafka: StreamsBenchResult['kafka'] = null;
    let reason: string | null = null;
    if (opts.skipKafka) reason = 'skipped by option';
    else {
      const ep = await ensureService('kafka');
      if (!ep) reason = 'Kafka not available';
      else kafka = await kafkaBench(ep.url, opts.kafkaMessages ?? 200_000, batchSize);
    }
    return { local, kafka, kafka_skipped_reason: reason };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows for `npm run bench` (tests/bench/run.ts). */
export async function benchRows(quick: boolean): Promise<BenchRow[]> {
  const r = await runStreamsBench(quick ? { localMessages: 100_000, kafkaMessages: 50_000 } : {});
  const l = r.local;
  const rows: BenchRow[] = [
    {
      bench: 'streams',
      what: `LocalBus produce, batches of 1,000 trip messages (${l.value_bytes} B), ${l.messages.toLocaleString('en-US')} msgs`,
      ours: l.produce_per_s,
      reference: l.sqlite_insert_per_s,
      unit: 'msgs/s',
      ratio: Math.round((l.produce_per_s / l.sqlite_insert_per_s) * 100) / 100,
      target: '≥ 100k msgs/s; reference: plain better-sqlite3 inserts, same table',
    },
    {
      bench: 'streams',
      what: 'LocalBus produce to taxi-raw-data, trip schema checked per message',
      ours: l.produce_validated_per_s,
      reference: l.produce_per_s,
      unit: 'msgs/s',
      ratio: Math.round((l.produce_validated_per_s / l.produce_per_s) * 100) / 100,
      target: 'reported; reference: the same produce without a schema',
    },
    {
      bench: 'streams',
      what: 'LocalBus consume in a group (handler + commit per batch of 1,000)',
      ours: l.consume_per_s,
      reference: l.sqlite_scan_per_s,
      unit: 'msgs/s',
      ratio: Math.round((l.consume_per_s / l.sqlite_scan_per_s) * 100) / 100,
      target: '≥ 200k msgs/s; reference: plain better-sqlite3 range scan',
    },
  ];
  if (r.kafka) {
    rows.push({
      bench: 'streams',
      what: `KafkaBus produce via kafkajs (idempotent, acks=all, batches of 1,000, ${r.kafka.record_bytes} B), ${r.kafka.messages.toLocaleString('en-US')} msgs`,
      ours: r.kafka.kafkajs_produce_per_s,
      reference: r.kafka.producer_performance_per_s,
      unit: 'msgs/s',
      ratio: r.kafka.ratio,
      target: "reported; reference: Kafka's ProducerPerformance, same broker, size and acks",
    });
  } else {
    rows.push({ bench: 'streams', what: 'KafkaBus produce via kafkajs', ours: null, reference: null, unit: 'msgs/s', ratio: null, target: 'reported', note: r.kafka_skipped_reason ?? '' });
  }
  return rows;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const n = process.argv[2] ? Number(process.argv[2]) : undefined;
  const r = await runStreamsBench(n ? { localMessages: n, kafkaMessages: Math.min(n, 200_000) } : {});
  const f = (x: number): string => x.toLocaleString('en-US');
  const l = r.local;
  console.log(`LocalBus produce   ${f(l.produce_per_s)} msgs/s   (plain SQLite inserts ${f(l.sqlite_insert_per_s)}/s; ${l.messages} msgs of ${l.value_bytes} B)`);
  console.log(`LocalBus produce with the trip schema checked   ${f(l.produce_validated_per_s)} msgs/s`);
  console.log(`LocalBus consume   ${f(l.consume_per_s)} msgs/s   (plain SQLite range scan ${f(l.sqlite_scan_per_s)}/s)`);
  if (r.kafka) {
    console.log(`KafkaBus produce (kafkajs)   ${f(r.kafka.kafkajs_produce_per_s)} msgs/s   vs ProducerPerformance ${f(r.kafka.producer_performance_per_s)} msgs/s   ratio ${r.kafka.ratio}`);
  } else console.log(`KafkaBus: ${r.kafka_skipped_reason}`);
  console.log(JSON.stringify(r));
}
