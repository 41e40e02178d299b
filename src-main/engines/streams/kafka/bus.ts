/**
 * KafkaBus: the Bus on a real Kafka cluster through kafkajs. Admin operations through kafkajs admin,
 * an idempotent producer that places messages with our partitioner (the same choice as the embedded
 * log and as Kafka's Java client), groups through admin (describeGroups, fetchOffsets, setOffsets).
 */
import kafkajs, { AssignerProtocol, Kafka, Partitioners, type Admin, type KafkaConfig, type Producer } from 'kafkajs';
import { AppError } from '../../../platform/errors.js';
import { silentLogger, type Logger } from '../../../platform/logging.js';
import { fetchMessages, type MessageSource, type PartitionRange } from '../messages.js';
import { Partitioner } from '../partitioner.js';
import { checkBatch, type SchemaLookup } from '../topics.js';
import { checkTopicName } from '../local/log.js';
import type {
  Bus,
  ConsumeOptions,
  FetchRequest,
  FetchResult,
  GroupDescription,
  GroupMember,
  GroupPartitionOffset,
  GroupState,
  GroupSummary,
  OutgoingMessage,
  PartitionInfo,
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
import { kafkaConfigOf, type KafkaBusConfig } from './client.js';
import { asAppError, kafkaErrorType } from './errors.js';
import { BROWSE_GROUP_PREFIX, scanPartitions, tailPartitions } from './reader.js';
import { commitGroupOffsets } from './offsets.js';
import { KafkaSubscription } from './subscription.js';
import { trackReader, type Stoppable } from '../open-readers.js';

export interface KafkaBusOptions {
  config: KafkaBusConfig;
  /** Where the config lives, for messages (`profiles.cluster.bus`). */
  where?: string;
  schemas?: SchemaLookup;
  logger?: Logger;
}

/** Partition counts are cached this long between produces; a topic change invalidates them. */
const METADATA_TTL_MS = 30_000;
// Node's CommonJS interop sees only kafkajs's first few exports as named ones.
const { ConfigResourceTypes } = kafkajs;
const RETENTION_KEYS = ['retention.ms', 'retention.bytes', 'cleanup.policy', 'max.message.bytes', 'min.insync.replicas'];

const numberOrNull = (v: string | undefined | null): number | null => {
  if (v === undefined || v === null) return null;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : null;
};

export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly target: string;
  private readonly kafka: Kafka;
  private readonly clientConfig: KafkaConfig;
  private readonly brokers: readonly string[];
  private readonly logger: Logger;
  private readonly schemas: SchemaLookup;
  private readonly partitioner = new Partitioner();
  private readonly partitionCounts = new Map<string, { n: number; at: number }>();
  private admin: Promise<Admin> | null = null;
  private producer: Promise<Producer> | null = null;
  private readonly open = new Set<Stoppable>();
  private closed = false;

  constructor(opts: KafkaBusOptions) {
    this.logger = opts.logger ?? silentLogger();
    this.brokers = opts.config.brokers;
    this.target = opts.config.brokers.join(',');
    this.schemas = opts.schemas ?? (() => undefined);
    this.clientConfig = kafkaConfigOf(opts.config, this.logger, opts.where ?? 'bus');
    this.kafka = new Kafka(this.clientConfig);
  }

  // ---------- connections ----------

  private alive(): void {
    if (this.closed) throw new AppError('UNAVAILABLE', `the Kafka bus (${this.target}) is closed`, { brokers: this.brokers });
  }

  private async connected<T extends { connect(): Promise<void> }>(slot: 'admin' | 'producer', make: () => T): Promise<T> {
    this.alive();
    let p = this[slot] as Promise<T> | null;
    if (!p) {
      const client = make();
      p = client.connect().then(() => client);
      this[slot] = p as never;
      // A failed connection is forgotten, so the next call tries again (the broker may be back).
      p.catch(() => {
        if (this[slot] === (p as never)) this[slot] = null;
      });
    }
    try {
      return await p;
    } catch (e) {
      throw asAppError(e, `cannot connect to Kafka`, this.brokers);
    }
  }

  private getAdmin(): Promise<Admin> {
    return this.connected('admin', () => this.kafka.admin());
  }

  private getProducer(): Promise<Producer> {
    return this.connected('producer', () =>
      this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner }),
    );
  }

  private async withAdmin<T>(what: string, details: Record<string, unknown>, fn: (a: Admin) => Promise<T>): Promise<T> {
    const admin = await this.getAdmin();
    // Right after a topic is created (or a leader moves) a broker may answer with stale leadership for a
    // moment; kafkajs refreshes its metadata on the next call, so a few short retries settle it.
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(admin);
      } catch (e) {
        const type = kafkaErrorType(e);
        if (attempt < 5 && (type === 'NOT_LEADER_FOR_PARTITION' || type === 'LEADER_NOT_AVAILABLE')) {
          await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
          continue;
        }
        throw asAppError(e, what, this.brokers, details);
      }
    }
  }

  // ---------- topics ----------

  private async topicNames(): Promise<string[]> {
    return this.withAdmin('list topics', {}, (a) => a.listTopics());
  }

  private async requireTopic(name: string): Promise<void> {
    if (!(await this.topicNames()).includes(name)) throw new AppError('NOT_FOUND', `topic "${name}" does not exist on ${this.target}`, { topic: name });
  }

  private async ranges(topic: string): Promise<PartitionRange[]> {
    const offsets = await this.withAdmin(`read offsets of topic "${topic}"`, { topic }, (a) => a.fetchTopicOffsets(topic));
    return offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) })).sort((a, b) => a.partition - b.partition);
  }

  private async topicConfigs(names: string[]): Promise<Map<string, Record<string, string | null>>> {
    if (names.length === 0) return new Map();
    const res = await this.withAdmin('describe topic configs', { topics: names }, (a) =>
      a.describeConfigs({ includeSynonyms: false, resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: RETENTION_KEYS })) }),
    );
    return new Map(res.resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((c) => [c.configName, c.configValue ?? null]))]));
  }

  private async describeMany(names: string[]): Promise<TopicDescription[]> {
    if (names.length === 0) return [];
    const meta = await this.withAdmin('read topic metadata', { topics: names }, (a) => a.fetchTopicMetadata({ topics: names }));
    const configs = await this.topicConfigs(names);
    const out: TopicDescription[] = [];
    for (const t of meta.topics) {
      const ranges = new Map((await this.ranges(t.name)).map((r) => [r.partition, r]));
      const partition_info: PartitionInfo[] = t.partitions
        .map((p) => {
          const r = ranges.get(p.partitionId) ?? { low: 0, high: 0 };
          return { partition: p.partitionId, low: r.low, high: r.high, messages: r.high - r.low, leader: p.leader, replicas: p.replicas, isr: p.isr };
        })
        .sort((a, b) => a.partition - b.partition);
      const config = configs.get(t.name) ?? {};
      this.partitionCounts.set(t.name, { n: partition_info.length, at: Date.now() });
      out.push({
        name: t.name,
        partitions: partition_info.length,
        replication_factor: partition_info[0]?.replicas.length ?? 0,
        retention_ms: numberOrNull(config['retention.ms']),
        retention_bytes: numberOrNull(config['retention.bytes']),
        messages: partition_info.reduce((n, p) => n + p.messages, 0),
        internal: t.name.startsWith('__'),
        partition_info,
        config,
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async listTopics(): Promise<TopicSummary[]> {
    const all = await this.describeMany(await this.topicNames());
    return all.map(({ partition_info: _p, config: _c, ...summary }) => summary);
  }

  async createTopic(spec: TopicCreate): Promise<TopicDescription> {
    checkTopicName(spec.name);
    const configEntries = [
      ...(spec.retention_ms !== null ? [{ name: 'retention.ms', value: String(spec.retention_ms) }] : [{ name: 'retention.ms', value: '-1' }]),
      ...(spec.retention_bytes !== null ? [{ name: 'retention.bytes', value: String(spec.retention_bytes) }] : []),
    ];
    const created = await this.withAdmin(`create topic "${spec.name}"`, { topic: spec.name }, (a) =>
      a.createTopics({
        waitForLeaders: true,
        topics: [{ topic: spec.name, numPartitions: spec.partitions, replicationFactor: spec.replication_factor < 1 ? -1 : spec.replication_factor, configEntries }],
      }),
    );
    if (!created) throw new AppError('ALREADY_EXISTS', `topic "${spec.name}" already exists on ${this.target}`, { topic: spec.name });
    this.logger.info({ topic: spec.name, partitions: spec.partitions }, 'topic created');
    return this.describeTopic(spec.name);
  }

  async deleteTopic(name: string): Promise<void> {
    await this.requireTopic(name);
    await this.withAdmin(`delete topic "${name}"`, { topic: name }, (a) => a.deleteTopics({ topics: [name] }));
    this.partitionCounts.delete(name);
    this.logger.info({ topic: name }, 'topic deleted');
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    await this.requireTopic(name);
    const [d] = await this.describeMany([name]);
    if (!d) throw new AppError('NOT_FOUND', `topic "${name}" does not exist on ${this.target}`, { topic: name });
    return d;
  }

  // ---------- produce and read ----------

  private async partitionCount(topic: string): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (cached && Date.now() - cached.at < METADATA_TTL_MS) return cached.n;
    await this.requireTopic(topic);
    const meta = await this.withAdmin(`read metadata of topic "${topic}"`, { topic }, (a) => a.fetchTopicMetadata({ topics: [topic] }));
    const n = meta.topics[0]?.partitions.length ?? 0;
    this.partitionCounts.set(topic, { n, at: Date.now() });
    return n;
  }

  async produce(topic: string, messages: readonly OutgoingMessage[], opts: ProduceOptions = {}): Promise<ProducedOffset[]> {
    this.alive();
    const partitions = await this.partitionCount(topic);
    if (messages.length === 0) return [];
    const checked = checkBatch(topic, partitions, messages, this.schemas(topic), opts.validate ?? true);
    const assigned = this.partitioner.assign(topic, partitions, messages);
    const now = Date.now();
    const producer = await this.getProducer();
    let meta;
    try {
      meta = await producer.send({
        topic,
        acks: -1,
        messages: messages.map((m, i) => ({
          key: m.key ?? null,
          value: checked[i]!.value,
          partition: assigned[i]!,
          timestamp: String(m.timestamp ?? now),
          ...(m.headers && Object.keys(m.headers).length > 0 ? { headers: m.headers } : {}),
        })),
      });
    } catch (e) {
      if (kafkaErrorType(e) === 'UNKNOWN_TOPIC_OR_PARTITION') this.partitionCounts.delete(topic);
      throw asAppError(e, `produce ${messages.length} message(s) to "${topic}"`, this.brokers, { topic });
    }
    // kafkajs answers with one base offset per partition; messages of a partition follow in send order.
    const next = new Map(meta.map((r) => [r.partition, Number(r.baseOffset)]));
    return assigned.map((partition) => {
      const offset = next.get(partition)!;
      next.set(partition, offset + 1);
      return { partition, offset };
    });
  }

  private source(allPartitions: () => Promise<number[]>): MessageSource {
    return {
      ranges: async (topic, partition) => {
        await this.requireTopic(topic);
        const all = await this.ranges(topic);
        if (partition === undefined) return all;
        const one = all.find((r) => r.partition === partition);
        if (!one) throw new AppError('NOT_FOUND', `topic "${topic}" has no partition ${partition} (it has ${all.length}: 0..${all.length - 1})`, { topic, partition });
        return [one];
      },
      offsetForTime: async (topic, partition, ts) => {
        const offsets = await this.withAdmin(`find offsets by time in "${topic}"`, { topic }, (a) => a.fetchTopicOffsetsByTimestamp(topic, ts));
        return Number(offsets.find((o) => o.partition === partition)?.offset ?? Number.MAX_SAFE_INTEGER);
      },
      scan: async (topic, plans, visit) => {
        const admin = await this.getAdmin();
        try {
          await scanPartitions(this.kafka, admin, this.logger, topic, await allPartitions(), plans, visit);
        } catch (e) {
          throw asAppError(e, `read topic "${topic}"`, this.brokers, { topic });
        }
      },
    };
  }

  async fetch(req: FetchRequest): Promise<FetchResult> {
    this.alive();
    return fetchMessages(
      this.source(async () => (await this.ranges(req.topic)).map((r) => r.partition)),
      req,
    );
  }

  async tail(opts: TailOptions): Promise<Tail> {
    this.alive();
    await this.requireTopic(opts.topic);
    const ranges = await this.ranges(opts.topic);
    for (const p of opts.partitions ?? []) {
      if (!ranges.some((r) => r.partition === p)) throw new AppError('NOT_FOUND', `topic "${opts.topic}" has no partition ${p}`, { topic: opts.topic, partition: p });
    }
    const wanted = new Map(ranges.filter((r) => !opts.partitions || opts.partitions.includes(r.partition)).map((r) => [r.partition, r.high]));
    const admin = await this.getAdmin();
    const tail = await tailPartitions(
      this.kafka,
      admin,
      this.logger,
      opts.topic,
      wanted,
      ranges.map((r) => r.partition),
      opts.onMessages,
      (e) => opts.onError?.(asAppError(e, `tail of "${opts.topic}" stopped`, this.brokers, { topic: opts.topic })),
    ).catch((e: unknown) => {
      throw asAppError(e, `tail topic "${opts.topic}"`, this.brokers, { topic: opts.topic });
    });
    return this.track(tail);
  }

  // ---------- consumer groups ----------

  async consume(opts: ConsumeOptions): Promise<Subscription> {
    this.alive();
    if (opts.topics.length === 0) throw new AppError('INVALID_INPUT', `consumer group "${opts.group}": subscribe to at least one topic`, { group: opts.group });
    for (const t of opts.topics) await this.requireTopic(t);
    // Kafka reports the client id of a connection, so a member named by its caller needs its own client.
    const client = opts.clientId ? new Kafka({ ...this.clientConfig, clientId: opts.clientId }) : this.kafka;
    const sub = await KafkaSubscription.start(client, opts, this.logger, this.brokers);
    this.logger.info({ group: opts.group, member: sub.memberId, topics: opts.topics }, 'consumer joined');
    return this.track(sub);
  }

  private track<T extends Stoppable>(reader: T): T {
    return trackReader(this.open, reader);
  }

  async listGroups(): Promise<GroupSummary[]> {
    const listed = await this.withAdmin('list consumer groups', {}, (a) => a.listGroups());
    const ids = listed.groups.map((g) => g.groupId).filter((g) => !g.startsWith(BROWSE_GROUP_PREFIX)).sort();
    const out: GroupSummary[] = [];
    for (const g of ids) {
      const d = await this.describe(g);
      out.push({ group: g, state: d.state, members: d.members.length, topics: [...new Set(d.offsets.map((o) => o.topic))], lag: d.lag });
    }
    return out;
  }

  async describeGroup(group: string): Promise<GroupDescription> {
    const d = await this.describe(group);
    if (d.state === 'Dead' && d.offsets.length === 0) throw new AppError('NOT_FOUND', `consumer group "${group}" does not exist on ${this.target}`, { group });
    return d;
  }

  private async describe(group: string): Promise<GroupDescription> {
    const described = await this.withAdmin(`describe consumer group "${group}"`, { group }, (a) => a.describeGroups([group]));
    const g = described.groups[0];
    const members: GroupMember[] = (g?.members ?? []).map((m) => {
      const decoded = m.memberAssignment?.length ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      return {
        member_id: m.memberId,
        client_id: m.clientId,
        host: m.clientHost,
        assignments: Object.entries(decoded?.assignment ?? {}).map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) })),
      };
    });
    const committed = await this.withAdmin(`read offsets of consumer group "${group}"`, { group }, (a) => a.fetchOffsets({ groupId: group }));
    const topics = new Set([...committed.map((t) => t.topic), ...members.flatMap((m) => m.assignments.map((x) => x.topic))]);
    const existing = new Set(await this.topicNames());
    const offsets: GroupPartitionOffset[] = [];
    for (const topic of [...topics].sort()) {
      if (!existing.has(topic)) continue;
      const byPartition = new Map((committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      for (const r of await this.ranges(topic)) {
        const c = byPartition.get(r.partition);
        const value = c === undefined || c < 0 ? null : c;
        offsets.push({ topic, partition: r.partition, committed: value, low: r.low, high: r.high, lag: value === null ? null : Math.max(0, r.high - value) });
      }
    }
    return {
      group,
      state: (g?.state as GroupState | undefined) ?? 'Unknown',
      members,
      offsets: offsets.filter((o) => o.committed !== null || members.length > 0),
      lag: offsets.reduce((n, o) => n + (o.lag ?? 0), 0),
    };
  }

  async resetOffsets(req: ResetRequest): Promise<ResetResult> {
    await this.requireTopic(req.topic);
    const all = await this.ranges(req.topic);
    const ranges = req.partitions
      ? req.partitions.map((p) => {
          const r = all.find((x) => x.partition === p);
          if (!r) throw new AppError('NOT_FOUND', `topic "${req.topic}" has no partition ${p}`, { topic: req.topic, partition: p });
          return r;
        })
      : all;
    const byTime =
      req.to.type === 'timestamp'
        ? await this.withAdmin(`find offsets by time in "${req.topic}"`, { topic: req.topic }, (a) => a.fetchTopicOffsetsByTimestamp(req.topic, (req.to as { timestamp: number }).timestamp))
        : [];
    const committed = await this.withAdmin(`read offsets of consumer group "${req.group}"`, { group: req.group }, (a) => a.fetchOffsets({ groupId: req.group, topics: [req.topic] }));
    const current = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const offsets = ranges.map((r) => {
      const to = req.to;
      const target =
        to.type === 'earliest'
          ? r.low
          : to.type === 'latest'
            ? r.high
            : to.type === 'timestamp'
              ? Number(byTime.find((o) => o.partition === r.partition)?.offset ?? r.high)
              : Math.min(Math.max(to.offset, r.low), r.high);
      const from = current.get(r.partition);
      return { partition: r.partition, from: from === undefined || from < 0 ? null : from, to: target };
    });
    if (!req.dryRun) {
      const state = await this.describe(req.group);
      if (state.members.length > 0) {
        throw new AppError(
          'CONFLICT',
          `consumer group "${req.group}" has ${state.members.length} active member(s) (${state.members.map((m) => m.client_id).join(', ')}); stop them to reset its offsets`,
          { group: req.group, members: state.members.map((m) => m.member_id) },
        );
      }
      try {
        await commitGroupOffsets(this.kafka, req.group, req.topic, offsets.map((o) => ({ partition: o.partition, offset: o.to })));
      } catch (e) {
        throw asAppError(e, `reset offsets of consumer group "${req.group}"`, this.brokers, { group: req.group, topic: req.topic });
      }
      this.logger.info({ group: req.group, topic: req.topic, to: req.to, offsets }, 'offsets reset');
    }
    return { group: req.group, topic: req.topic, applied: !req.dryRun, offsets };
  }

  async deleteGroup(group: string): Promise<void> {
    const d = await this.describeGroup(group);
    if (d.members.length > 0) {
      throw new AppError('CONFLICT', `consumer group "${group}" has ${d.members.length} active member(s); stop them to delete it`, { group });
    }
    await this.withAdmin(`delete consumer group "${group}"`, { group }, (a) => a.deleteGroups([group]));
    this.logger.info({ group }, 'group deleted');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.open].map((r) => r.stop()));
    const quietly = async (p: Promise<{ disconnect(): Promise<void> }> | null): Promise<void> => {
      if (!p) return;
      await p.then((c) => c.disconnect()).catch(() => undefined);
    };
    await Promise.all([quietly(this.admin), quietly(this.producer)]);
  }
}

