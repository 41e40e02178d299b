/**
 * Reading Kafka without a group of our own: kafkajs has no manual partition assignment, so browse and
 * tail run a short-lived consumer in a throwaway group (never committed, deleted afterwards), seek the
 * partitions they want and pause the others. Those groups carry BROWSE_GROUP_PREFIX and are hidden from
 * group listings.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../../platform/logging.js';
import type { ScanPlan } from '../messages.js';
import type { BusMessage, Headers } from '../types.js';

export const BROWSE_GROUP_PREFIX = 'taxi-mlops-browse-';

/** A browse ends when every partition reached its end, or nothing arrived for this long. */
const IDLE_MS = 2_000;
const SCAN_TIMEOUT_MS = 30_000;

export function busMessageOf(topic: string, partition: number, m: KafkaMessage): BusMessage {
  const headers: Headers = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    headers[k] = Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
  }
  return {
    topic,
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key === null || m.key === undefined ? null : m.key.toString('utf8'),
    value: m.value ?? null,
    headers,
  };
}

function browseConsumer(kafka: Kafka): { consumer: Consumer; groupId: string } {
  const groupId = `${BROWSE_GROUP_PREFIX}${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 10_000, allowAutoTopicCreation: false, retry: { retries: 2 } });
  return { consumer, groupId };
}

async function dispose(consumer: Consumer, admin: Admin, groupId: string, logger: Logger): Promise<void> {
  await consumer.disconnect().catch((e: Error) => logger.debug({ err: e.message }, 'browse consumer did not disconnect cleanly'));
  await admin.deleteGroups([groupId]).catch((e: Error) => logger.debug({ group: groupId, err: e.message }, 'browse group not deleted'));
}

/** Reads each plan's offsets [from, to) in order, calling `visit` until it returns false or the plan ends. */
export async function scanPartitions(
  kafka: Kafka,
  admin: Admin,
  logger: Logger,
  topic: string,
  allPartitions: readonly number[],
  plans: readonly ScanPlan[],
  visit: (m: BusMessage) => boolean,
): Promise<void> {
  const pending = new Map(plans.map((p) => [p.partition, { ...p, next: p.from }]));
  const { consumer, groupId } = browseConsumer(kafka);
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  let idle: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(idle);
    idle = setTimeout(finish, IDLE_MS);
  };
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, touch);
    // Offsets are resolved (the position moves on) but never committed: the group is thrown away.
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, pause }) => {
        touch();
        const plan = pending.get(batch.partition);
        if (!plan) return void pause();
        for (const km of batch.messages) {
          const offset = Number(km.offset);
          // A batch fetched before the seek took effect starts too early; skip what was already seen.
          if (offset < plan.next) continue;
          plan.next = offset + 1;
          if (offset >= plan.to || !visit(busMessageOf(topic, batch.partition, km)) || plan.next >= plan.to) {
            pending.delete(batch.partition);
            pause();
            break;
          }
        }
        if (pending.size === 0) finish();
      },
    });
    for (const p of plans) consumer.seek({ topic, partition: p.partition, offset: String(p.from) });
    const others = allPartitions.filter((p) => !pending.has(p));
    if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
    const timeout = setTimeout(finish, SCAN_TIMEOUT_MS);
    await finished;
    clearTimeout(timeout);
    if (pending.size > 0) logger.debug({ topic, partitions: [...pending.keys()] }, 'browse stopped before the end of some partitions');
  } finally {
    clearTimeout(idle);
    await dispose(consumer, admin, groupId, logger);
  }
}

/** Follows partitions from the given offsets until stopped. */
export async function tailPartitions(
  kafka: Kafka,
  admin: Admin,
  logger: Logger,
  topic: string,
  from: ReadonlyMap<number, number>,
  allPartitions: readonly number[],
  onMessages: (messages: BusMessage[]) => void,
  onError: (e: Error) => void,
): Promise<{ stop(): Promise<void> }> {
  const { consumer, groupId } = browseConsumer(kafka);
  const next = new Map(from);
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) onError(e.payload.error);
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const start = next.get(batch.partition);
        if (start === undefined) return;
        const fresh = batch.messages.filter((m) => Number(m.offset) >= (next.get(batch.partition) ?? start));
        if (fresh.length === 0) return;
        next.set(batch.partition, Number(fresh[fresh.length - 1]!.offset) + 1);
        onMessages(fresh.map((m) => busMessageOf(topic, batch.partition, m)));
      },
    });
    for (const [partition, offset] of from) consumer.seek({ topic, partition, offset: String(offset) });
    const others = allPartitions.filter((p) => !from.has(p));
    if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
  } catch (e) {
    await dispose(consumer, admin, groupId, logger);
    throw e;
  }
  let stopped = false;
  return {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await dispose(consumer, admin, groupId, logger);
    },
  };
}
