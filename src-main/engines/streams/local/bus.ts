/**
 * LocalBus: the Bus on the embedded log in streams.db, for the offline profile. Same semantics as
 * KafkaBus — partitions chosen by Kafka's partitioner, offsets from 0 per partition, consumer groups
 * with committed offsets and lag, resets only while a group is inactive.
 */
import type { Db } from '../../../platform/db/sqlite.js';
import { openDatabase } from '../../../platform/db/sqlite.js';
import { AppError } from '../../../platform/errors.js';
import { silentLogger, type Logger } from '../../../platform/logging.js';
import { fetchMessages, type MessageSource, type ScanPlan } from '../messages.js';
import { Partitioner } from '../partitioner.js';
import { checkBatch, MAX_MESSAGE_BYTES, type SchemaLookup } from '../topics.js';
import type {
  Bus,
  BusMessage,
  ConsumeOptions,
  FetchRequest,
  FetchResult,
  GroupDescription,
  GroupPartitionOffset,
  GroupSummary,
  OutgoingMessage,
  ProducedOffset,
  ProduceOptions,
  ResetRequest,
  ResetResult,
  Subscription,
  Tail,
  TailOptions,
  TopicCreate,
  TopicDescription,
  TopicSummary,
} from '../types.js';
import { DEFAULT_TIMING, LocalSubscription, LocalTail, type GroupTiming, type LocalParts } from './consumer.js';
import { assignmentOf, LocalGroups } from './groups.js';
import { LocalLog, type TopicRow } from './log.js';
import { STREAMS_MIGRATIONS } from './schema.js';
import { Wakeup } from './wakeup.js';
import { trackReader, type Stoppable } from '../open-readers.js';

export interface LocalBusOptions {
  /** streams.db */
  file: string;
  schemas?: SchemaLookup;
  logger?: Logger;
  timing?: Partial<GroupTiming>;
  /** How often retention runs besides the write path (default 30 s; 0 = only on writes and on demand). */
  retentionIntervalMs?: number;
}

const SCAN_CHUNK = 1000;

export class LocalBus implements Bus {
  readonly kind = 'local' as const;
  readonly target: string;
  private readonly log: LocalLog;
  private readonly groups: LocalGroups;
  private readonly wakeup: Wakeup;
  private readonly partitioner = new Partitioner();
  private readonly logger: Logger;
  private readonly timing: GroupTiming;
  private readonly schemas: SchemaLookup;
  private readonly open = new Set<Stoppable>();
  private readonly retentionTimer: NodeJS.Timeout | null;
  private closed = false;

  constructor(
    private readonly db: Db,
    opts: Omit<LocalBusOptions, 'file'> & { target: string },
  ) {
    this.target = opts.target;
    this.log = new LocalLog(db);
    this.groups = new LocalGroups(db);
    this.wakeup = new Wakeup(db);
    this.logger = opts.logger ?? silentLogger();
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.schemas = opts.schemas ?? (() => undefined);
    const every = opts.retentionIntervalMs ?? 30_000;
    this.retentionTimer = every > 0 ? setInterval(() => this.retentionTick(), every) : null;
    this.retentionTimer?.unref();
  }

  static open(opts: LocalBusOptions): LocalBus {
    return new LocalBus(openDatabase(opts.file, 'streams.db', STREAMS_MIGRATIONS), { ...opts, target: opts.file });
  }

  private get parts(): LocalParts {
    return { log: this.log, groups: this.groups, wakeup: this.wakeup, logger: this.logger };
  }

  private alive(): void {
    if (this.closed) throw new AppError('UNAVAILABLE', `the stream log ${this.target} is closed`, { target: this.target });
  }

  // ---------- topics ----------

  async listTopics(): Promise<TopicSummary[]> {
    this.alive();
    return this.log.topics().map((t) => this.summaryOf(t));
  }

  async createTopic(spec: TopicCreate): Promise<TopicDescription> {
    this.alive();
    const t = this.log.create(spec);
    this.logger.info({ topic: t.name, partitions: t.partitions, retention_ms: t.retention_ms, retention_bytes: t.retention_bytes }, 'topic created');
    return this.describeRow(t);
  }

  async deleteTopic(name: string): Promise<void> {
    this.alive();
    this.log.drop(name);
    this.logger.info({ topic: name }, 'topic deleted');
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    this.alive();
    return this.describeRow(this.log.topic(name));
  }

  private summaryOf(t: TopicRow): TopicSummary {
    const messages = this.log.partitions(t).reduce((n, p) => n + p.high - p.low, 0);
    return {
      name: t.name,
      partitions: t.partitions,
      replication_factor: t.replication_factor,
      retention_ms: t.retention_ms,
      retention_bytes: t.retention_bytes,
      messages,
      internal: false,
    };
  }

  private describeRow(t: TopicRow): TopicDescription {
    const partition_info = this.log.partitions(t).map((p) => ({
      partition: p.partition,
      low: p.low,
      high: p.high,
      messages: p.high - p.low,
      leader: 0,
      replicas: [0],
      isr: [0],
    }));
    return {
      ...this.summaryOf(t),
      partition_info,
      config: {
        'cleanup.policy': 'delete',
        'retention.ms': String(t.retention_ms ?? -1),
        'retention.bytes': String(t.retention_bytes ?? -1),
        'max.message.bytes': String(MAX_MESSAGE_BYTES),
      },
    };
  }

  // ---------- produce and read ----------

  async produce(topic: string, messages: readonly OutgoingMessage[], opts: ProduceOptions = {}): Promise<ProducedOffset[]> {
    this.alive();
    const t = this.log.topic(topic);
    if (messages.length === 0) return [];
    const checked = checkBatch(topic, t.partitions, messages, this.schemas(topic), opts.validate ?? true);
    const partitions = this.partitioner.assign(topic, t.partitions, messages);
    const now = Date.now();
    const rows = messages.map((m, i) => ({
      partition: partitions[i]!,
      ts: m.timestamp ?? now,
      key: m.key ?? null,
      value: checked[i]!.value,
      headers: m.headers !== undefined && Object.keys(m.headers).length > 0 ? JSON.stringify(m.headers) : null,
      size: checked[i]!.size,
    }));
    const offsets = this.log.append(t, rows, now);
    this.wakeup.notify();
    return offsets;
  }

  private get source(): MessageSource {
    return {
      ranges: async (topic, partition) => this.log.ranges(this.log.topic(topic), partition),
      offsetForTime: async (topic, partition, ts) => this.log.offsetForTime(this.log.topic(topic), partition, ts),
      scan: async (topic, plans, visit) => this.scan(this.log.topic(topic), plans, visit),
    };
  }

  private scan(t: TopicRow, plans: readonly ScanPlan[], visit: (m: BusMessage) => boolean): void {
    for (const plan of plans) {
      let from = plan.from;
      partition: while (from < plan.to) {
        const got = this.log.read(t, plan.partition, from, Math.min(SCAN_CHUNK, plan.to - from));
        if (got.length === 0) break;
        for (const m of got) {
          if (m.offset >= plan.to || !visit(m)) break partition;
        }
        from = got[got.length - 1]!.offset + 1;
      }
    }
  }

  async fetch(req: FetchRequest): Promise<FetchResult> {
    this.alive();
    return fetchMessages(this.source, req);
  }

  async tail(opts: TailOptions): Promise<Tail> {
    this.alive();
    const t = this.log.topic(opts.topic);
    for (const p of opts.partitions ?? []) this.log.ranges(t, p);
    return this.track(new LocalTail(this.parts, t, opts, this.timing.idleMs));
  }

  // ---------- consumer groups ----------

  async consume(opts: ConsumeOptions): Promise<Subscription> {
    this.alive();
    if (opts.topics.length === 0) throw new AppError('INVALID_INPUT', `consumer group "${opts.group}": subscribe to at least one topic`, { group: opts.group });
    for (const t of opts.topics) this.log.topic(t);
    const sub = this.track(new LocalSubscription(this.parts, opts, this.timing));
    this.logger.info({ group: opts.group, member: sub.memberId, topics: opts.topics }, 'consumer joined');
    return sub;
  }

  private track<T extends Stoppable>(reader: T): T {
    return trackReader(this.open, reader);
  }

  async listGroups(): Promise<GroupSummary[]> {
    this.alive();
    this.groups.expireDead();
    return this.groups.groupIds().map((g) => {
      const d = this.describe(g);
      return { group: g, state: d.state, members: d.members.length, topics: [...new Set(d.offsets.map((o) => o.topic))], lag: d.lag };
    });
  }

  async describeGroup(group: string): Promise<GroupDescription> {
    this.alive();
    this.groups.expireDead();
    if (!this.groups.exists(group)) throw new AppError('NOT_FOUND', `consumer group "${group}" does not exist`, { group });
    return this.describe(group);
  }

  private describe(group: string): GroupDescription {
    const members = this.groups.members(group);
    const partitionsOf = (topic: string): number => this.log.findTopic(topic)?.partitions ?? 0;
    const assignment = assignmentOf(members, partitionsOf);
    const committed = new Map(this.groups.committed(group).map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
    const topics = new Set([...this.groups.committed(group).map((o) => o.topic), ...members.flatMap((m) => JSON.parse(m.topics) as string[])]);
    const offsets: GroupPartitionOffset[] = [];
    for (const name of [...topics].sort()) {
      const t = this.log.findTopic(name);
      if (!t) continue;
      for (const r of this.log.ranges(t)) {
        const c = committed.get(`${name}\u0000${r.partition}`) ?? null;
        offsets.push({ topic: name, partition: r.partition, committed: c, low: r.low, high: r.high, lag: c === null ? null : Math.max(0, r.high - c) });
      }
    }
    return {
      group,
      state: members.length > 0 ? 'Stable' : 'Empty',
      members: members.map((m) => ({
        member_id: m.member_id,
        client_id: m.client_id,
        host: m.host,
        assignments: [...(assignment.get(m.member_id) ?? new Map<string, number[]>())].map(([topic, partitions]) => ({ topic, partitions })),
      })),
      offsets,
      lag: offsets.reduce((n, o) => n + (o.lag ?? 0), 0),
    };
  }

  async resetOffsets(req: ResetRequest): Promise<ResetResult> {
    this.alive();
    const t = this.log.topic(req.topic);
    const ranges = req.partitions ? req.partitions.map((p) => this.log.ranges(t, p)[0]!) : this.log.ranges(t);
    const committed = new Map(this.groups.committed(req.group).filter((o) => o.topic === req.topic).map((o) => [o.partition, o.offset]));
    const offsets = ranges.map((r) => {
      const to = req.to;
      const target =
        to.type === 'earliest' ? r.low : to.type === 'latest' ? r.high : to.type === 'timestamp' ? this.log.offsetForTime(t, r.partition, to.timestamp) : Math.min(Math.max(to.offset, r.low), r.high);
      return { partition: r.partition, from: committed.get(r.partition) ?? null, to: target };
    });
    if (!req.dryRun) {
      this.groups.setOffsets(req.group, offsets.map((o) => ({ topic: req.topic, partition: o.partition, offset: o.to })));
      this.logger.info({ group: req.group, topic: req.topic, to: req.to, offsets }, 'offsets reset');
    }
    return { group: req.group, topic: req.topic, applied: !req.dryRun, offsets };
  }

  async deleteGroup(group: string): Promise<void> {
    this.alive();
    this.groups.remove(group);
    this.logger.info({ group }, 'group deleted');
  }

  // ---------- retention and lifecycle ----------

  /** Applies retention now (it also runs on writes and every `retentionIntervalMs`); returns messages removed. */
  enforceRetention(now = Date.now()): number {
    this.alive();
    const removed = this.log.enforceRetention(now);
    if (removed > 0) this.logger.info({ removed }, 'retention removed messages');
    return removed;
  }

  private retentionTick(): void {
    try {
      if (!this.closed) this.enforceRetention();
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'retention run failed; it runs again later');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await Promise.all([...this.open].map((r) => r.stop()));
    this.wakeup.close();
    this.db.close();
  }
}
