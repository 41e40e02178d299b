/**
 * Our partitioner must put a key on the partition Kafka puts it on. Checked four ways: Kafka's own test
 * values for murmur2; kafkajs's DefaultPartitioner (Kafka's murmur2 in JS) on thousands of random keys;
 * the Java client's BuiltInPartitioner.partitionForKey, run from the broker's jars; and the real broker,
 * reading back where kafkajs's Java-compatible partitioner put keyed messages.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../src-main/engines/streams/kafka/bus.js';
import { murmur2, partitionForKey, Partitioner } from '../../src-main/engines/streams/partitioner.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { ensureService } from '../helpers/services.js';

const kafka = await ensureService('kafka');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const kafkaLibs = path.join(root, '.services/kafka/libs');
const hasJavaClient = fs.existsSync(kafkaLibs) && fs.readdirSync(kafkaLibs).some((f) => f.startsWith('kafka-clients-'));

/** Seeded so a failure can be reproduced. */
function randomKeys(n: number, seed = 1): Buffer[] {
  let x = seed;
  const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:/é漢字🚕';
  return Array.from({ length: n }, (_, i) => {
    if (i % 3 === 0) return crypto.createHash('sha256').update(String(next())).digest().subarray(0, next() % 33);
    const len = next() % 40;
    return Buffer.from(Array.from({ length: len }, () => [...alphabet][next() % [...alphabet].length]).join(''), 'utf8');
  });
}

describe('murmur2 and the default partitioner', () => {
  it("gives the values of Kafka's own murmur2 tests (UtilsTest)", () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it("agrees with kafkajs's DefaultPartitioner (Java-compatible) on 5,000 random keys and partition counts 1..64", () => {
    const theirs = Partitioners.DefaultPartitioner();
    const keys = randomKeys(5_000);
    keys.forEach((key, i) => {
      const n = 1 + (i % 64);
      const partitionMetadata = Array.from({ length: n }, (_, p) => ({ partitionId: p, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
      expect(partitionForKey(key, n)).toBe(theirs({ topic: 't', partitionMetadata, message: { key, value: null } }));
    });
    // A string key is its UTF-8 bytes.
    for (const key of ['trip-1', 'g42-123456', 'é漢字🚕']) expect(partitionForKey(key, 12)).toBe(partitionForKey(Buffer.from(key, 'utf8'), 12));
  });

  it.skipIf(!hasJavaClient)("agrees with the Java client's BuiltInPartitioner.partitionForKey (run from the broker's jars)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-partitioner-'));
    try {
      const source = path.join(dir, 'KafkaPartitions.java');
      fs.writeFileSync(
        source,
        `import java.io.*; import java.nio.charset.StandardCharsets; import java.util.Base64;
         import org.apache.kafka.clients.producer.internals.BuiltInPartitioner; import org.apache.kafka.common.utils.Utils;
         public class KafkaPartitions { public static void main(String[] a) throws Exception {
           BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)); StringBuilder out = new StringBuilder();
           for (String line; (line = in.readLine()) != null;) { if (line.isEmpty()) continue; String[] p = line.split("\\t", -1);
             byte[] key = Base64.getDecoder().decode(p[1]); out.append(Utils.murmur2(key)).append('\\t').append(BuiltInPartitioner.partitionForKey(key, Integer.parseInt(p[0]))).append('\\n'); }
           System.out.print(out); } }`,
      );
      const keys = randomKeys(2_000, 7);
      const counts = keys.map((_, i) => 1 + ((i * 7) % 100));
      const stdout = await new Promise<string>((resolve, reject) => {
        const child = execFile('java', ['-cp', `${kafkaLibs}/*`, source], { maxBuffer: 16 << 20, timeout: 120_000 }, (err, out, errOut) =>
          err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
        );
        child.stdin!.end(keys.map((k, i) => `${counts[i]}\t${k.toString('base64')}`).join('\n') + '\n');
      });
      const rows = stdout.trim().split('\n').map((l) => l.split('\t').map(Number));
      expect(rows).toHaveLength(keys.length);
      keys.forEach((key, i) => {
        expect(murmur2(key)).toBe(rows[i]![0]);
        expect(partitionForKey(key, counts[i]!)).toBe(rows[i]![1]);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keyless messages share one partition per batch and move on between batches; explicit partitions win', () => {
    const p = new Partitioner();
    const batch = (n: number) => p.assign('t', 5, Array.from({ length: n }, () => ({ key: null })));
    const seen = new Set<number>();
    for (let b = 0; b < 5; b++) {
      const got = batch(10);
      expect(new Set(got).size).toBe(1);
      seen.add(got[0]!);
    }
    expect(seen.size).toBe(5);
    expect(p.assign('t', 5, [{ key: 'k', partition: 4 }, { key: 'trip-1' }])).toEqual([4, partitionForKey('trip-1', 5)]);
  });
});

describe.skipIf(!kafka)('against the real broker', () => {
  const topic = `test-partitioner-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
  const bus = kafka ? new KafkaBus({ config: { type: 'kafka', brokers: [kafka.url], client_id: 'taxi-partitioner-test' }, logger: silentLogger() }) : null;

  afterAll(async () => {
    await bus?.deleteTopic(topic).catch(() => undefined);
    await bus?.close();
  });

  it("keys produced by kafkajs's Java-compatible partitioner land where partitionForKey says; KafkaBus puts them in the same place", async () => {
    await bus!.createTopic({ name: topic, partitions: 7, replication_factor: 1, retention_ms: 3_600_000, retention_bytes: null });
    const keys = Array.from({ length: 60 }, (_, i) => (i % 2 ? `trip-${i}` : `g42-${i * 7919}`));
    const client = new Kafka({ clientId: 'partitioner-test', brokers: [kafka!.url], logLevel: logLevel.NOTHING });
    const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic, messages: keys.map((key) => ({ key, value: 'kafkajs' })) });
    } finally {
      await producer.disconnect();
    }
    const ours = await bus!.produce(topic, keys.map((key) => ({ key, value: 'ours' })));
    const all = await bus!.fetch({ topic, from: { type: 'earliest' }, limit: 1000 });
    expect(all.messages).toHaveLength(120);
    for (const m of all.messages) expect(m.partition).toBe(partitionForKey(m.key!, 7));
    keys.forEach((key, i) => expect(ours[i]!.partition).toBe(partitionForKey(key, 7)));
    expect(new Set(all.messages.map((m) => m.partition)).size).toBeGreaterThan(3);
  });
});
