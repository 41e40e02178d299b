/**
 * The platform's topics (names from config.yaml `topics:`) and the schema of each. A produce batch is
 * checked against its topic's schema before anything is written; `taxi-raw-data` uses the trip message
 * format with the workspace's validation rules, so what the replayer or a user publishes is what the
 * importer would accept.
 */
import { z } from 'zod';
import type { Config, ValidationRules } from '../../platform/config.js';
import { formatPath } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import { parseTripMessage, TripMessageSchema } from '../data/message.js';
import type { Bus, Headers, OutgoingMessage, TopicCreate } from './types.js';

export type PlatformTopicKey = keyof Config['topics'];
export const PLATFORM_TOPIC_KEYS = ['raw', 'features', 'predictions', 'metrics', 'alerts', 'raw_dead_letter'] as const satisfies readonly PlatformTopicKey[];

/** Kafka's default `message.max.bytes` (1 MB + record overhead); both buses refuse bigger messages. */
export const MAX_MESSAGE_BYTES = 1_048_588;

/** Headers of a dead letter: why it was refused and where it came from. The value is the original bytes. */
export const DEAD_LETTER_HEADERS = {
  reason: 'dlq.reason',
  /** JSON array of { field, reason, message }. */
  errors: 'dlq.errors',
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  failedAt: 'dlq.failed_at',
} as const;

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'expected an ISO 8601 time such as 2016-01-31T10:00:00Z' });
const scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);
const name = z.string().min(1);

export const FeaturesMessageSchema = z.object({
  trip_id: name,
  taxi_id: name,
  pickup_community_area: z.number().int().nullable(),
  /** The trip's pickup time: the event time of the features. */
  event_timestamp: isoTime,
  /** Feature name → value, as the online store holds them (`trip_features.trip_distance`…). */
  features: z.record(z.string(), scalar),
  computed_at: isoTime,
});

export const PredictionMessageSchema = z.object({
  trip_id: name,
  model_name: name,
  model_version: name,
  /** Which arm served it under A/B (champion / challenger), or null. */
  variant: z.string().nullable().optional(),
  prediction: z.number(),
  features: z.record(z.string(), scalar),
  latency_ms: z.number().nonnegative(),
  predicted_at: isoTime,
  event_timestamp: isoTime.optional(),
});

const modelRef = { model_name: name, model_version: name, computed_at: isoTime };

export const MetricMessageSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('window'),
    ...modelRef,
    window_start: isoTime,
    window_end: isoTime,
    count: z.number().int().nonnegative(),
    rmse: z.number().nonnegative().nullable(),
    mae: z.number().nonnegative().nullable(),
    r2: z.number().nullable(),
  }),
  z.object({
    kind: z.literal('prediction_error'),
    ...modelRef,
    trip_id: name,
    prediction: z.number(),
    actual: z.number(),
    /** prediction − actual */
    error: z.number(),
    abs_error: z.number().nonnegative(),
  }),
]);

export const AlertMessageSchema = z.object({
  rule: name,
  severity: z.enum(['info', 'warning', 'critical']),
  message: name,
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  fired_at: isoTime,
  labels: z.record(z.string(), z.string()).optional(),
});

export type FeaturesMessage = z.infer<typeof FeaturesMessageSchema>;
export type PredictionMessage = z.infer<typeof PredictionMessageSchema>;
export type MetricMessage = z.infer<typeof MetricMessageSchema>;
export type AlertMessage = z.infer<typeof AlertMessageSchema>;

export interface SchemaProblem {
  field: string;
  message: string;
}

export interface TopicSchema {
  key: PlatformTopicKey;
  title: string;
  description: string;
  /** The value's JSON Schema, for the console's produce form. */
  jsonSchema: Record<string, unknown> | null;
  check(value: Buffer | null, headers: Headers): SchemaProblem[];
}

export interface PlatformTopic {
  key: PlatformTopicKey;
  spec: TopicCreate;
  schema: TopicSchema;
}

const DAY_MS = 86_400_000;
const DEFAULT_PARTITIONS = 3;

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> | null {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The value as JSON, or the problem that stops it being JSON. */
function parseJson(value: Buffer | null): { ok: true; json: unknown } | { ok: false; problem: SchemaProblem } {
  if (value === null) return { ok: false, problem: { field: '(value)', message: 'the value is empty (null); expected a JSON object' } };
  try {
    return { ok: true, json: JSON.parse(value.toString('utf8')) as unknown };
  } catch (e) {
    return { ok: false, problem: { field: '(value)', message: `not JSON: ${(e as Error).message}` } };
  }
}

function zodSchema(key: PlatformTopicKey, title: string, description: string, schema: z.ZodType): TopicSchema {
  return {
    key,
    title,
    description,
    jsonSchema: jsonSchemaOf(schema),
    check(value) {
      const parsed = parseJson(value);
      if (!parsed.ok) return [parsed.problem];
      const r = schema.safeParse(parsed.json);
      return r.success ? [] : r.error.issues.map((i) => ({ field: formatPath(i.path), message: i.message }));
    },
  };
}

function rawSchema(rules: ValidationRules): TopicSchema {
  return {
    key: 'raw',
    title: 'Trip message',
    description: 'One taxi trip in the platform guide\'s message format (trip_id, pickup/dropoff times and places, distance, fare…), checked with the import rules.',
    jsonSchema: jsonSchemaOf(TripMessageSchema),
    check(value) {
      const parsed = parseJson(value);
      if (!parsed.ok) return [parsed.problem];
      const r = parseTripMessage(parsed.json, rules);
      return r.ok ? [] : r.errors.map((e) => ({ field: e.field, message: e.message }));
    },
  };
}

const deadLetterSchema: TopicSchema = {
  key: 'raw_dead_letter',
  title: 'Dead letter',
  description: `A raw message the processor refused: the original bytes as the value, the reason in the "${DEAD_LETTER_HEADERS.reason}" header.`,
  jsonSchema: null,
  check(_value, headers) {
    const reason = headers[DEAD_LETTER_HEADERS.reason];
    return reason && reason.trim() !== '' ? [] : [{ field: `headers.${DEAD_LETTER_HEADERS.reason}`, message: 'a dead letter must say why it was refused' }];
  },
};

/** The six platform topics with their settings and schemas, named as config.yaml names them. */
export function platformTopics(config: Config): PlatformTopic[] {
  const t = config.topics;
  const spec = (n: string, retentionDays: number): TopicCreate => ({
    name: n,
    partitions: DEFAULT_PARTITIONS,
    replication_factor: -1,
    retention_ms: retentionDays * DAY_MS,
    retention_bytes: null,
  });
  return [
    { key: 'raw', spec: spec(t.raw, 7), schema: rawSchema(config.data.validation) },
    { key: 'features', spec: spec(t.features, 7), schema: zodSchema('features', 'Trip features', 'The online features computed for one trip.', FeaturesMessageSchema) },
    {
      key: 'predictions',
      spec: spec(t.predictions, 7),
      schema: zodSchema('predictions', 'Fare prediction', 'One prediction: trip, model name and version, the prediction, the features used, latency.', PredictionMessageSchema),
    },
    {
      key: 'metrics',
      spec: spec(t.metrics, 30),
      schema: zodSchema('metrics', 'Model metric', 'A window of model performance (RMSE, MAE, R²) or the error of one prediction once its fare is known.', MetricMessageSchema),
    },
    { key: 'alerts', spec: spec(t.alerts, 30), schema: zodSchema('alerts', 'Alert', 'An alert rule that fired: rule, severity, message, value, threshold, time.', AlertMessageSchema) },
    { key: 'raw_dead_letter', spec: spec(t.raw_dead_letter, 30), schema: deadLetterSchema },
  ];
}

export type SchemaLookup = (topic: string) => TopicSchema | undefined;

export function schemaLookup(config: Config): SchemaLookup {
  const byName = new Map(platformTopics(config).map((p) => [p.spec.name, p.schema]));
  return (topic) => byName.get(topic);
}

/** Bytes of a value as the wire carries them. */
export function valueBytes(value: OutgoingMessage['value']): Buffer | null {
  if (value === null) return null;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function messageBytes(key: string | null | undefined, value: Buffer | null, headers: Headers | undefined): number {
  let n = (key ? Buffer.byteLength(key) : 0) + (value?.length ?? 0);
  if (headers) for (const k in headers) n += Buffer.byteLength(k) + Buffer.byteLength(String(headers[k]));
  return n;
}

export interface CheckedMessage {
  value: Buffer | null;
  /** Bytes of key, value and headers: what retention.bytes counts. */
  size: number;
}

function refuse(topic: string, index: number, problems: SchemaProblem[], extra: Record<string, unknown> = {}): AppError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return new AppError('INVALID_INPUT', `${topic}: message ${index}: ${first.field}: ${first.message}${more}; nothing was written`, {
    topic,
    index,
    field: first.field,
    problems,
    ...extra,
  });
}

/**
 * Checks a whole batch before a byte is written: partition numbers, sizes, header types and, unless
 * `validate` is false, the topic's schema. Returns the encoded values and sizes; throws on the first bad message.
 */
export function checkBatch(
  topic: string,
  partitions: number,
  messages: readonly OutgoingMessage[],
  schema: TopicSchema | undefined,
  validate: boolean,
): CheckedMessage[] {
  return messages.map((m, index) => {
    const value = valueBytes(m.value);
    if (m.partition !== undefined && (!Number.isInteger(m.partition) || m.partition < 0 || m.partition >= partitions)) {
      throw refuse(topic, index, [{ field: 'partition', message: `partition ${m.partition} does not exist (the topic has ${partitions}: 0..${partitions - 1})` }]);
    }
    if (m.timestamp !== undefined && (!Number.isFinite(m.timestamp) || m.timestamp < 0)) {
      throw refuse(topic, index, [{ field: 'timestamp', message: `expected milliseconds since 1970, got ${m.timestamp}` }]);
    }
    if (m.headers) {
      for (const [k, v] of Object.entries(m.headers)) {
        if (typeof v !== 'string') throw refuse(topic, index, [{ field: `headers.${k}`, message: 'header values must be text' }]);
      }
    }
    const size = messageBytes(m.key, value, m.headers);
    if (size > MAX_MESSAGE_BYTES) {
      throw refuse(topic, index, [{ field: '(value)', message: `message is ${size} bytes, more than the ${MAX_MESSAGE_BYTES} bytes allowed` }], { bytes: size });
    }
    if (validate && schema) {
      const problems = schema.check(value, m.headers ?? {});
      if (problems.length > 0) throw refuse(topic, index, problems, { schema: schema.title });
    }
    return { value, size };
  });
}

/** Creates the platform topics that do not exist yet; returns the names created. */
export async function ensurePlatformTopics(bus: Bus, config: Config): Promise<string[]> {
  const existing = new Set((await bus.listTopics()).map((t) => t.name));
  const created: string[] = [];
  for (const p of platformTopics(config)) {
    if (existing.has(p.spec.name)) continue;
    try {
      await bus.createTopic(p.spec);
      created.push(p.spec.name);
    } catch (e) {
      // Another process (a job worker, a second console) created it in the meantime.
      if (!(e instanceof AppError && e.code === 'ALREADY_EXISTS')) throw e;
    }
  }
  return created;
}
