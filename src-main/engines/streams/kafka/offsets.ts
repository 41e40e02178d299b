/**
 * Sets a group's committed offsets. kafkajs's admin.setOffsets joins the group and then waits for a
 * fetch of up to 5 s before it leaves; joining as a paused member, committing and leaving takes a
 * fraction of that (Kafka accepts a commit only from a member unless it speaks the newer admin API,
 * which kafkajs does not).
 */
import type { Kafka } from 'kafkajs';
import { AppError } from '../../../platform/errors.js';

const JOIN_TIMEOUT_MS = 30_000;

export async function commitGroupOffsets(kafka: Kafka, group: string, topic: string, offsets: readonly { partition: number; offset: number }[]): Promise<void> {
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  try {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
    consumer.pause([{ topic }]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      joined,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new AppError('TIMEOUT', `could not join consumer group "${group}" to set its offsets within ${JOIN_TIMEOUT_MS / 1000} s`, { group })), JOIN_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    await consumer.commitOffsets(offsets.map((o) => ({ topic, partition: o.partition, offset: String(o.offset) })));
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
