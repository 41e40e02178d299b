/** streams.*: topics, produce, browse, live tail, consumer groups, and the trip replayer. */
import { z } from 'zod';
import { JobSchema, empty, method } from './common.js';

const topicName = z
  .string()
  .min(1)
  .max(249)
  .regex(/^[a-zA-Z0-9._-]+$/, 'a topic name uses letters, digits, ".", "_" or "-" (Kafka\'s rule)');
const groupName = z.string().min(1).max(255);
const offset = z.number().int().min(0);
const partition = z.number().int().min(0);

/** Milliseconds since 1970, or an ISO 8601 time. */
export const TimeInputSchema = z.union([
  z.number().int().min(0),
  z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'expected an ISO 8601 time such as 2026-01-31T10:00:00Z, or milliseconds since 1970' }),
]);
export const timeInputMs = (t: z.infer<typeof TimeInputSchema>): number => (typeof t === 'number' ? t : Date.parse(t));

export const TopicSummarySchema = z.object({
  name: z.string(),
  partitions: z.number().int(),
  replication_factor: z.number().int(),
  retention_ms: z.number().nullable(),
  retention_bytes: z.number().nullable(),
  messages: z.number().int(),
  internal: z.boolean(),
});

export const PartitionInfoSchema = z.object({
  partition: z.number().int(),
  low: z.number().int(),
  high: z.number().int(),
  messages: z.number().int(),
  leader: z.number().int().nullable(),
  replicas: z.array(z.number().int()),
  isr: z.array(z.number().int()),
});

export const TopicSchemaInfoSchema = z.object({
  title: z.string(),
  description: z.string(),
  json_schema: z.record(z.string(), z.unknown()).nullable(),
});

export const TopicDescriptionSchema = TopicSummarySchema.extend({
  partition_info: z.array(PartitionInfoSchema),
  config: z.record(z.string(), z.string().nullable()),
  /** The platform schema produce checks against, for the platform topics; null for others. */
  schema: TopicSchemaInfoSchema.nullable(),
});
export type TopicDescriptionView = z.infer<typeof TopicDescriptionSchema>;

export const MessageViewSchema = z.object({
  topic: z.string(),
  partition: z.number().int(),
  offset: z.number().int(),
  timestamp: z.string().describe('ISO 8601'),
  timestamp_ms: z.number(),
  key: z.string().nullable(),
  headers: z.record(z.string(), z.string()),
  /** json and text: the value as UTF-8 text; binary: base64; null: a tombstone. */
  encoding: z.enum(['json', 'text', 'binary', 'null']),
  value: z.string().nullable(),
  /** The parsed value when it is JSON. */
  json: z.unknown().optional(),
  size: z.number().int(),
});
export type MessageView = z.infer<typeof MessageViewSchema>;

export const ProducedOffsetSchema = z.object({ partition: z.number().int(), offset: z.number().int() });

export const OutgoingMessageSchema = z
  .object({
    key: z.string().nullable().optional(),
    /** Any JSON value; written as its JSON text. */
    value: z.unknown().optional(),
    /** Text written as it is (e.g. to test what happens with something that is not JSON). */
    text: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    timestamp: TimeInputSchema.optional(),
    partition: partition.optional(),
  })
  .strict()
  .refine((m) => m.value === undefined || m.text === undefined, { message: 'give value (JSON) or text, not both', path: ['text'] });

export const ProduceInputSchema = z
  .object({
    topic: topicName,
    messages: z.array(OutgoingMessageSchema).min(1).max(10_000),
    /** Check the topic's schema (default). */
    validate: z.boolean().default(true),
  })
  .strict();

export const StartSchema = z.union([
  z.literal('earliest'),
  z.literal('latest'),
  z.object({ offset }).strict(),
  z.object({ timestamp: TimeInputSchema }).strict(),
]);

export const MessageFilterSchema = z
  .object({
    text: z.string().min(1).optional(),
    field: z.string().min(1).optional(),
    equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  })
  .strict()
  .refine((f) => f.equals === undefined || f.field !== undefined, { message: 'equals needs a field', path: ['equals'] });

export const BrowseInputSchema = z
  .object({
    topic: topicName,
    partition: partition.optional(),
    from: StartSchema.default('latest'),
    limit: z.number().int().min(1).max(1000).default(100),
    filter: MessageFilterSchema.optional(),
    max_scan: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();

export const BrowseResultSchema = z.object({
  topic: z.string(),
  messages: z.array(MessageViewSchema),
  next: z.array(ProducedOffsetSchema),
  scanned: z.number().int(),
  reached_end: z.boolean(),
});

export const TailEventSchema = z.object({
  tail_id: z.string(),
  topic: z.string(),
  messages: z.array(MessageViewSchema),
  /** Messages not sent because the tail was faster than a screen can show. */
  dropped: z.number().int(),
  ended: z.boolean(),
  error: z.string().nullable(),
});
export type TailEvent = z.infer<typeof TailEventSchema>;

export const GroupStateSchema = z.enum(['Stable', 'Empty', 'PreparingRebalance', 'CompletingRebalance', 'Dead', 'Unknown']);

export const GroupSummarySchema = z.object({
  group: z.string(),
  state: GroupStateSchema,
  members: z.number().int(),
  topics: z.array(z.string()),
  lag: z.number().int(),
});

export const GroupDescriptionSchema = z.object({
  group: z.string(),
  state: GroupStateSchema,
  members: z.array(
    z.object({
      member_id: z.string(),
      client_id: z.string(),
      host: z.string(),
      assignments: z.array(z.object({ topic: z.string(), partitions: z.array(z.number().int()) })),
    }),
  ),
  offsets: z.array(
    z.object({
      topic: z.string(),
      partition: z.number().int(),
      committed: z.number().int().nullable(),
      low: z.number().int(),
      high: z.number().int(),
      lag: z.number().int().nullable(),
    }),
  ),
  lag: z.number().int(),
});

export const ResetTargetSchema = z.union([
  z.literal('earliest'),
  z.literal('latest'),
  z.object({ timestamp: TimeInputSchema }).strict(),
  z.object({ offset }).strict(),
]);

export const ResetInputSchema = z
  .object({
    group: groupName,
    topic: topicName,
    to: ResetTargetSchema,
    partitions: z.array(partition).min(1).optional(),
    dry_run: z.boolean().default(false),
  })
  .strict();

export const ResetResultSchema = z.object({
  group: z.string(),
  topic: z.string(),
  applied: z.boolean(),
  offsets: z.array(z.object({ partition: z.number().int(), from: z.number().int().nullable(), to: z.number().int() })),
});

export const ReplayInputSchema = z
  .object({
    /** 'sample' (the bundled real trips), 'synthetic' (the generator), or the path of a CSV file in either layout. */
    source: z.string().min(1),
    /** Trips per second; 0 = as fast as possible. */
    rate: z.number().min(0).max(1_000_000).default(100),
    /** Trips to publish; default: the whole file, or 10,000 synthetic trips. */
    limit: z.number().int().min(1).max(100_000_000).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
    /** Default: the raw topic of config.yaml (taxi-raw-data). */
    topic: topicName.optional(),
  })
  .strict();
export type ReplayInput = z.infer<typeof ReplayInputSchema>;

export const ReplaySummarySchema = z.object({
  source: z.string(),
  topic: z.string(),
  published: z.number().int(),
  skipped: z.number().int().describe('trips the raw topic schema refused (counted, not sent)'),
  rate_target: z.number(),
  rate_actual: z.number().describe('trips per second while sending'),
  duration_ms: z.number(),
  first_trip_id: z.string().nullable(),
  last_trip_id: z.string().nullable(),
});
export type ReplaySummary = z.infer<typeof ReplaySummarySchema>;

export const streamsMethods = {
  'streams.topics.list': method({
    description: 'Topics with their partition count, retention and message count.',
    input: empty,
    output: z.object({ topics: z.array(TopicSummarySchema) }),
  }),
  'streams.topics.create': method({
    description: 'Create a topic with partitions, replication and retention (time and size).',
    input: z
      .object({
        name: topicName,
        partitions: z.number().int().min(1).max(10_000).default(3),
        replication_factor: z.number().int().min(1).max(32).default(1),
        /** Milliseconds; null keeps messages forever. Default 7 days, Kafka's default. */
        retention_ms: z.number().int().min(1).nullable().default(604_800_000),
        /** Per partition; null = no size limit. */
        retention_bytes: z.number().int().min(1).nullable().default(null),
      })
      .strict(),
    output: TopicDescriptionSchema,
  }),
  'streams.topics.delete': method({
    description: 'Delete a topic and its messages.',
    input: z.object({ name: topicName }).strict(),
    output: z.object({ deleted: z.string() }),
  }),
  'streams.topics.describe': method({
    description: 'A topic with per-partition low/high offsets, its settings and its schema.',
    input: z.object({ name: topicName }).strict(),
    output: TopicDescriptionSchema,
  }),
  'streams.produce': method({
    description: "Produce a batch of messages (key, value, headers); the topic's schema is checked first and a bad batch writes nothing.",
    input: ProduceInputSchema,
    output: z.object({ topic: z.string(), offsets: z.array(ProducedOffsetSchema) }),
  }),
  'streams.browse': method({
    description: 'Read messages of a topic from an offset, a time or the end, with a limit and a text or JSON-field filter.',
    input: BrowseInputSchema,
    output: BrowseResultSchema,
  }),
  'streams.tail.start': method({
    description: 'Follow a topic from its end; messages arrive as streams.tail events until stopped or max_seconds pass.',
    input: z
      .object({
        topic: topicName,
        partition: partition.optional(),
        max_seconds: z.number().int().min(1).max(86_400).default(600),
      })
      .strict(),
    output: z.object({ tail_id: z.string(), topic: z.string(), expires_at: z.string() }),
  }),
  'streams.tail.stop': method({
    description: 'Stop a live tail.',
    input: z.object({ tail_id: z.string().min(1) }).strict(),
    output: z.object({ tail_id: z.string(), stopped: z.boolean() }),
  }),
  'streams.groups.list': method({
    description: 'Consumer groups with their state, members, topics and total lag.',
    input: empty,
    output: z.object({ groups: z.array(GroupSummarySchema) }),
  }),
  'streams.groups.describe': method({
    description: 'A consumer group: members and their partitions, committed offsets and lag per partition.',
    input: z.object({ group: groupName }).strict(),
    output: GroupDescriptionSchema,
  }),
  'streams.groups.reset': method({
    description: "Reset a consumer group's offsets on a topic to earliest, latest, a time or an offset (the group must be inactive).",
    input: ResetInputSchema,
    output: ResetResultSchema,
  }),
  'streams.groups.delete': method({
    description: 'Delete an inactive consumer group and its committed offsets.',
    input: z.object({ group: groupName }).strict(),
    output: z.object({ deleted: z.string() }),
  }),
  'streams.replay': method({
    description: 'Publish trips (the bundled sample, synthetic, or a CSV file) to the raw topic at a steady rate.',
    input: ReplayInputSchema,
    output: JobSchema,
    job: true,
  }),
} as const;
