/**
 * A consumer-group member on Kafka: kafkajs consumer with auto-commit off; each partition batch goes to
 * the handler in slices of `maxBatch`, and the slice's offsets are committed only after the handler
 * resolved. A handler error stops the member without committing, so the group gets the slice again.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { AppError } from '../../../platform/errors.js';
import type { Logger } from '../../../platform/logging.js';
import { GROUP_SESSION_TIMEOUT_MS, type ConsumeOptions, type Subscription } from '../types.js';
import { asAppError, kafkaErrorType } from './errors.js';
import { busMessageOf } from './reader.js';

const DEFAULT_MAX_BATCH = 500;
const JOIN_TIMEOUT_MS = 30_000;
const REBALANCE_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR']);

export class KafkaSubscription implements Subscription {
  readonly group: string;
  memberId = '';
  readonly done: Promise<void>;
  private readonly consumer: Consumer;
  private settle!: { resolve: () => void; reject: (e: unknown) => void };
  private failure: unknown = null;
  private stopping: Promise<void> | null = null;

  private constructor(
    kafka: Kafka,
    private readonly opts: ConsumeOptions,
    private readonly logger: Logger,
    private readonly brokers: readonly string[],
  ) {
    this.group = opts.group;
    this.consumer = kafka.consumer({
      groupId: opts.group,
      sessionTimeout: GROUP_SESSION_TIMEOUT_MS,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined);
  }

  static async start(kafka: Kafka, opts: ConsumeOptions, logger: Logger, brokers: readonly string[]): Promise<KafkaSubscription> {
    const sub = new KafkaSubscription(kafka, opts, logger, brokers);
    await sub.run();
    return sub;
  }

  private async run(): Promise<void> {
    const c = this.consumer;
    const joined = new Promise<void>((resolve) => {
      c.on(c.events.GROUP_JOIN, (e) => {
        this.memberId = e.payload.memberId;
        const owned = Object.values(e.payload.memberAssignment as Record<string, number[]>).reduce((n, parts) => n + parts.length, 0);
        this.opts.onAssignment?.(owned);
        resolve();
      });
    });
    c.on(c.events.CRASH, (e) => {
      if (!e.payload.restart) void this.fail(asAppError(e.payload.error, `consumer group "${this.group}" stopped`, this.brokers, { group: this.group }));
    });
    try {
      await c.connect();
      await c.subscribe({ topics: this.opts.topics, fromBeginning: this.opts.fromBeginning ?? false });
      await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (p) => this.onBatch(p) });
      await Promise.race([
        joined,
        new Promise((_, reject) =>
          setTimeout(() => reject(new AppError('TIMEOUT', `consumer group "${this.group}" did not join within ${JOIN_TIMEOUT_MS / 1000} s`, { group: this.group })), JOIN_TIMEOUT_MS).unref(),
        ),
      ]);
    } catch (e) {
      await c.disconnect().catch(() => undefined);
      throw asAppError(e, `consumer group "${this.group}"`, this.brokers, { group: this.group });
    }
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const max = this.opts.maxBatch ?? DEFAULT_MAX_BATCH;
    for (let i = 0; i < batch.messages.length; i += max) {
      if (this.failure || this.stopping || !isRunning() || isStale()) return;
      const slice = batch.messages.slice(i, i + max);
      try {
        await this.opts.handler({ topic: batch.topic, partition: batch.partition, messages: slice.map((m) => busMessageOf(batch.topic, batch.partition, m)) });
      } catch (e) {
        this.logger.warn({ group: this.group, topic: batch.topic, partition: batch.partition, err: (e as Error).message }, 'consumer stopped: the handler failed; its batch was not committed');
        void this.fail(e);
        return;
      }
      const last = slice[slice.length - 1]!.offset;
      resolveOffset(last);
      await this.commit(batch.topic, batch.partition, Number(last) + 1);
      await heartbeat();
    }
  }

  private async commit(topic: string, partition: number, offset: number): Promise<void> {
    try {
      await this.consumer.commitOffsets([{ topic, partition, offset: String(offset) }]);
    } catch (e) {
      // Lost the partition in a rebalance: the new owner starts from the last commit (at least once).
      if (!REBALANCE_ERRORS.has(kafkaErrorType(e) ?? '')) throw e;
      this.logger.info({ group: this.group, topic, partition, offset }, 'commit refused after a rebalance; the new owner reprocesses from the last commit');
    }
  }

  private async fail(e: unknown): Promise<void> {
    if (this.failure) return;
    this.failure = e;
    // Disconnecting from inside eachBatch would wait for eachBatch itself; let it return first.
    setImmediate(() => {
      void this.consumer.disconnect().finally(() => this.settle.reject(e));
    });
  }

  stop(): Promise<void> {
    this.stopping ??= this.consumer
      .disconnect()
      .catch((e: Error) => this.logger.debug({ group: this.group, err: e.message }, 'consumer did not disconnect cleanly'))
      .then(() => {
        if (this.failure) this.settle.reject(this.failure);
        else this.settle.resolve();
      });
    return this.stopping.then(() => undefined);
  }
}
