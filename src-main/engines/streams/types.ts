/**
 * The Bus: what the app needs from a Kafka-shaped log, implemented by LocalBus (SQLite, embedded) and
 * KafkaBus (kafkajs, cluster). Offsets, partitions, consumer groups and their semantics follow Kafka's,
 * so code written against one behaves the same against the other; one test suite runs on both.
 */

export interface TopicCreate {
  name: string;
  partitions: number;
  /** Stored but meaningless on the embedded log (one copy); -1 = the broker's default on Kafka. */
  replication_factor: number;
  /** null = keep forever. */
  retention_ms: number | null;
  /** Per partition, as in Kafka; null = no size limit. */
  retention_bytes: number | null;
}

export interface TopicSummary {
  name: string;
  partitions: number;
  replication_factor: number;
  retention_ms: number | null;
  retention_bytes: number | null;
  /** Messages currently held: the sum of high − low over partitions. */
  messages: number;
  /** Kafka's internal topics (`__consumer_offsets`…); never on the embedded log. */
  internal: boolean;
}

export interface PartitionInfo {
  partition: number;
  /** Log start offset: the first offset still held. */
  low: number;
  /** The offset the next message will get (Kafka's high watermark / log end). */
  high: number;
  messages: number;
  leader: number | null;
  replicas: number[];
  isr: number[];
}

export interface TopicDescription extends TopicSummary {
  partition_info: PartitionInfo[];
  /** Topic-level settings as the backend reports them (Kafka configs, or ours for the embedded log). */
  config: Record<string, string | null>;
}

export type Headers = Record<string, string>;

/** A message to produce. `value` is the payload as written on the wire (JSON text for our topics). */
export interface OutgoingMessage {
  key?: string | null;
  value: string | Uint8Array | null;
  headers?: Headers;
  /** Milliseconds since the epoch; default: now. */
  timestamp?: number;
  /** Default: Kafka's partitioner (murmur2 of the key, sticky for null keys). */
  partition?: number;
}

export interface ProduceOptions {
  /** Check the topic's schema before writing (default true). False is for replaying raw bytes as they came. */
  validate?: boolean;
}

export interface ProducedOffset {
  partition: number;
  offset: number;
}

export interface BusMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  key: string | null;
  value: Buffer | null;
  headers: Headers;
}

export type StartPosition =
  | { type: 'earliest' }
  /** The newest messages: the last `limit` (matching) ones before the end. */
  | { type: 'latest' }
  | { type: 'offset'; offset: number }
  /** The first message whose timestamp is ≥ this (Kafka's offsetsForTimes). */
  | { type: 'timestamp'; timestamp: number };

export interface MessageFilter {
  /** Case-insensitive substring of the key, the value text or a header. */
  text?: string;
  /** Dotted path into the JSON value (`company`, `features.trips_1h`). */
  field?: string;
  /** With `field`: the value must equal this (compared as text). Without it the field must be present. */
  equals?: string | number | boolean | null;
}

export interface FetchRequest {
  topic: string;
  /** One partition, or every partition when omitted (merged by timestamp). */
  partition?: number;
  from: StartPosition;
  limit: number;
  filter?: MessageFilter;
  /** Most messages read per partition while looking for matches (default 10,000). */
  maxScan?: number;
}

export interface FetchResult {
  messages: BusMessage[];
  /** Where to continue reading, per partition read. */
  next: ProducedOffset[];
  /** Messages read to find these. */
  scanned: number;
  /** Every partition read was read to its end. */
  reached_end: boolean;
}

export interface MessageBatch {
  topic: string;
  partition: number;
  messages: BusMessage[];
}

export interface ConsumeOptions {
  group: string;
  topics: string[];
  /**
   * Where a partition starts when the group has no committed offset: earliest (true) or latest (false,
   * Kafka's default). As in Kafka, "latest" is resolved when the member first fetches: on KafkaBus a
   * message produced right after consume() returns may fall before it. Processors want true.
   */
  fromBeginning?: boolean;
  /** Most messages per handler call (default 500). */
  maxBatch?: number;
  clientId?: string;
  /**
   * Called with consecutive messages of one partition. Their offsets are committed only after it
   * resolves (at least once); if it throws, the subscription stops without committing the batch, so
   * the group gets those messages again.
   */
  handler: (batch: MessageBatch) => Promise<void>;
  /** Called after each rebalance with the number of partitions this member now owns. */
  onAssignment?: (partitions: number) => void;
}

/**
 * How long a group waits for a silent member before giving its partitions to others, on both buses:
 * after a crash (kill -9) the partitions stay with the dead member for up to this long.
 */
export const GROUP_SESSION_TIMEOUT_MS = 10_000;

export interface Subscription {
  readonly group: string;
  readonly memberId: string;
  /** Leaves the group; the batch in flight finishes (and is committed) first. */
  stop(): Promise<void>;
  /** Resolves when stopped; rejects with the handler's error when it failed. */
  readonly done: Promise<void>;
}

export interface GroupMember {
  member_id: string;
  client_id: string;
  host: string;
  assignments: { topic: string; partitions: number[] }[];
}

export interface GroupPartitionOffset {
  topic: string;
  partition: number;
  /** null when the group never committed on this partition. */
  committed: number | null;
  low: number;
  high: number;
  /** high − committed; null without a commit. */
  lag: number | null;
}

export type GroupState = 'Stable' | 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Dead' | 'Unknown';

export interface GroupSummary {
  group: string;
  state: GroupState;
  members: number;
  topics: string[];
  /** Sum of the lag over committed partitions. */
  lag: number;
}

export interface GroupDescription {
  group: string;
  state: GroupState;
  members: GroupMember[];
  offsets: GroupPartitionOffset[];
  lag: number;
}

export type ResetTarget =
  | { type: 'earliest' }
  | { type: 'latest' }
  | { type: 'timestamp'; timestamp: number }
  | { type: 'offset'; offset: number };

export interface ResetRequest {
  group: string;
  topic: string;
  to: ResetTarget;
  /** Default: every partition of the topic. */
  partitions?: number[];
  /** Say what would change without changing it. */
  dryRun?: boolean;
}

export interface ResetResult {
  group: string;
  topic: string;
  applied: boolean;
  offsets: { partition: number; from: number | null; to: number }[];
}

export interface TailOptions {
  topic: string;
  /** Default: every partition. */
  partitions?: number[];
  onMessages: (messages: BusMessage[]) => void;
  onError?: (error: Error) => void;
}

export interface Tail {
  stop(): Promise<void>;
}

export interface Bus {
  readonly kind: 'local' | 'kafka';
  /** The streams.db path or the broker list, for messages and health. */
  readonly target: string;

  listTopics(): Promise<TopicSummary[]>;
  createTopic(spec: TopicCreate): Promise<TopicDescription>;
  deleteTopic(name: string): Promise<void>;
  describeTopic(name: string): Promise<TopicDescription>;

  /** All or nothing: a batch with a bad message is refused (naming its index and field) before anything is written. */
  produce(topic: string, messages: readonly OutgoingMessage[], opts?: ProduceOptions): Promise<ProducedOffset[]>;
  /** Browse: read without a group, from an offset, a time or the end, with an optional filter. */
  fetch(req: FetchRequest): Promise<FetchResult>;
  /** Live tail from the current end. */
  tail(opts: TailOptions): Promise<Tail>;

  consume(opts: ConsumeOptions): Promise<Subscription>;
  listGroups(): Promise<GroupSummary[]>;
  describeGroup(group: string): Promise<GroupDescription>;
  /** Like kafka-consumer-groups --reset-offsets: refused while the group has active members. */
  resetOffsets(req: ResetRequest): Promise<ResetResult>;
  deleteGroup(group: string): Promise<void>;

  close(): Promise<void>;
}
