/**
 * Readers of the embedded log that keep running: a consumer-group member (reads its partitions from the
 * committed offsets, calls the handler, commits after it returns) and a live tail (reads from the end,
 * no group). Both sleep on the Wakeup when there is nothing new.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../platform/logging.js';
import { GROUP_SESSION_TIMEOUT_MS, type BusMessage, type ConsumeOptions, type Subscription, type Tail, type TailOptions } from '../types.js';
import type { LocalGroups } from './groups.js';
import type { LocalLog, TopicRow } from './log.js';
import type { Wakeup } from './wakeup.js';

export interface LocalParts {
  log: LocalLog;
  groups: LocalGroups;
  wakeup: Wakeup;
  logger: Logger;
}

export interface GroupTiming {
  sessionTimeoutMs: number;
  heartbeatMs: number;
  /** Longest sleep when idle; writes wake readers sooner. */
  idleMs: number;
}

export const DEFAULT_TIMING: GroupTiming = { sessionTimeoutMs: GROUP_SESSION_TIMEOUT_MS, heartbeatMs: 1_000, idleMs: 250 };
const DEFAULT_MAX_BATCH = 500;
const TAIL_BATCH = 1000;

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

interface Owned {
  topic: TopicRow;
  partition: number;
}

export class LocalSubscription implements Subscription {
  readonly memberId: string;
  readonly group: string;
  readonly done: Promise<void>;
  private stopping = false;
  private readonly wake = new AbortController();
  private generation = -1;
  private owned: Owned[] = [];
  private readonly positions = new Map<string, number>();
  private lastHeartbeat = 0;

  constructor(
    private readonly parts: LocalParts,
    private readonly opts: ConsumeOptions,
    private readonly timing: GroupTiming,
  ) {
    this.group = opts.group;
    const client = opts.clientId ?? 'taxi-mlops';
    this.memberId = `${client}-${randomUUID()}`;
    this.join();
    // Started on the next turn so that a handler never runs inside the constructor.
    this.done = Promise.resolve().then(() => this.loop());
    // Callers that only call stop() must not get an unhandled rejection; awaiting `done` still throws.
    this.done.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await this.done.catch(() => undefined);
  }

  private join(): void {
    this.parts.groups.join(this.group, {
      memberId: this.memberId,
      clientId: this.opts.clientId ?? 'taxi-mlops',
      host: os.hostname(),
      topics: this.opts.topics,
      sessionTimeoutMs: this.timing.sessionTimeoutMs,
    });
    this.lastHeartbeat = Date.now();
    this.generation = -1;
  }

  private async loop(): Promise<void> {
    const { groups, wakeup, logger } = this.parts;
    try {
      while (!this.stopping) {
        this.heartbeatIfDue();
        this.refreshAssignment();
        const worked = await this.pollOnce();
        if (!worked && !this.stopping) await wakeup.wait(this.timing.idleMs, this.wake.signal);
      }
    } catch (e) {
      logger.warn({ group: this.group, member: this.memberId, err: (e as Error).message }, 'consumer stopped: the handler failed; its batch was not committed');
      throw e;
    } finally {
      groups.leave(this.group, this.memberId);
    }
  }

  private heartbeatIfDue(): void {
    if (Date.now() - this.lastHeartbeat < this.timing.heartbeatMs) return;
    this.lastHeartbeat = Date.now();
    // A handler slower than the session timeout got this member expired; it joins again.
    if (!this.parts.groups.heartbeat(this.group, this.memberId)) this.join();
  }

  private refreshAssignment(): void {
    const { groups, log } = this.parts;
    const generation = groups.generation(this.group);
    if (generation === this.generation) return;
    const topics = new Map(this.opts.topics.map((t) => [t, log.findTopic(t)]));
    const assignment = groups.assignment(this.group, this.memberId, (t) => topics.get(t)?.partitions ?? 0);
    const committed = new Map(groups.committed(this.group).map((o) => [keyOf(o.topic, o.partition), o.offset]));
    const kept = new Map(this.positions);
    this.positions.clear();
    this.owned = [];
    for (const [name, partitions] of assignment) {
      const topic = topics.get(name);
      if (!topic) continue;
      const ranges = new Map(log.ranges(topic).map((r) => [r.partition, r]));
      for (const partition of partitions) {
        const k = keyOf(name, partition);
        const fromCommit = committed.get(k);
        const start = fromCommit ?? (this.opts.fromBeginning ? ranges.get(partition)!.low : ranges.get(partition)!.high);
        // A partition this member keeps across the rebalance continues where it was, never behind the commit.
        this.positions.set(k, Math.max(start, kept.get(k) ?? start));
        this.owned.push({ topic, partition });
      }
    }
    this.generation = generation;
    this.parts.logger.debug({ group: this.group, member: this.memberId, generation, partitions: this.owned.length }, 'assignment');
    this.opts.onAssignment?.(this.owned.length);
  }

  private async pollOnce(): Promise<boolean> {
    let worked = false;
    for (const { topic, partition } of this.owned) {
      if (this.stopping) break;
      const k = keyOf(topic.name, partition);
      const messages = this.parts.log.read(topic, partition, this.positions.get(k)!, this.opts.maxBatch ?? DEFAULT_MAX_BATCH);
      if (messages.length === 0) continue;
      await this.opts.handler({ topic: topic.name, partition, messages });
      const next = messages[messages.length - 1]!.offset + 1;
      this.positions.set(k, next);
      worked = true;
      if (!this.parts.groups.commit(this.group, this.memberId, this.generation, [{ topic: topic.name, partition, offset: next }])) break;
      this.heartbeatIfDue();
    }
    return worked;
  }
}

export class LocalTail implements Tail {
  private stopping = false;
  private readonly wake = new AbortController();
  private readonly done: Promise<void>;

  constructor(
    private readonly parts: LocalParts,
    private readonly topic: TopicRow,
    private readonly opts: TailOptions,
    private readonly idleMs: number,
  ) {
    const wanted = opts.partitions ? new Set(opts.partitions) : null;
    const positions = new Map(
      parts.log
        .ranges(topic)
        .filter((r) => !wanted || wanted.has(r.partition))
        .map((r) => [r.partition, r.high]),
    );
    this.done = this.loop(positions);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await this.done;
  }

  private async loop(positions: Map<number, number>): Promise<void> {
    while (!this.stopping) {
      let batch: BusMessage[] = [];
      try {
        for (const [partition, from] of positions) {
          const got = this.parts.log.read(this.topic, partition, from, TAIL_BATCH);
          if (got.length === 0) continue;
          positions.set(partition, got[got.length - 1]!.offset + 1);
          batch = batch.concat(got);
        }
        if (batch.length > 0) this.opts.onMessages(batch.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset));
      } catch (e) {
        this.opts.onError?.(e as Error);
        return;
      }
      if (batch.length === 0 && !this.stopping) await this.parts.wakeup.wait(this.idleMs, this.wake.signal);
    }
  }
}
