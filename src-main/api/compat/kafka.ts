/**
 * The platform guide's Kafka routes (its FastAPI "Kafka router"), on `taxi-mlops serve`:
 *   GET  /kafka/topics     → { topics: [names], details: [summaries] }
 *   POST /kafka/topics     { topic_name | name | topic, num_partitions | partitions, replication_factor, retention_ms }
 *   POST /kafka/messages   { topic, message | value | messages: [...], key?, headers? }
 * Request spellings of the old routes are accepted; everything goes through the contract methods, so
 * the checks (topic names, schemas, sizes) are the same as the console's. Errors answer FastAPI-style
 * with `detail`, plus our code.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Input, MethodName } from '../contract.js';
import { dispatch } from '../dispatch.js';
import type { Services } from '../../platform/services.js';

const STATUS: Record<string, number> = {
  INVALID_INPUT: 400,
  INVALID_CONFIG: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
};

type Body = Record<string, unknown>;

const first = (b: Body, ...names: string[]): unknown => names.map((n) => b[n]).find((v) => v !== undefined);

async function answer(s: Services, reply: FastifyReply, method: MethodName, input: unknown, shape: (r: unknown) => unknown, okStatus = 200): Promise<FastifyReply> {
  const res = await dispatch(s, method, input);
  if (!res.ok) return reply.code(STATUS[res.error.code] ?? 500).send({ detail: res.error.message, code: res.error.code, details: res.error.details ?? null });
  return reply.code(okStatus).send(shape(res.result));
}

function topicInput(b: Body): Input<'streams.topics.create'> {
  const partitions = first(b, 'num_partitions', 'partitions');
  const replication = first(b, 'replication_factor');
  const retention = first(b, 'retention_ms');
  return {
    name: first(b, 'topic_name', 'name', 'topic') as string,
    ...(partitions !== undefined ? { partitions: partitions as number } : {}),
    ...(replication !== undefined ? { replication_factor: replication as number } : {}),
    ...(retention !== undefined ? { retention_ms: retention as number | null } : {}),
  };
}

function messagesInput(b: Body): Input<'streams.produce'> {
  const list = Array.isArray(b.messages) ? (b.messages as unknown[]) : [first(b, 'message', 'value', 'data')];
  const one = (m: unknown, i: number): Input<'streams.produce'>['messages'][number] => {
    // A list item may be a bare value or { key, value, headers }.
    const wrapped = Array.isArray(b.messages) && m !== null && typeof m === 'object' && 'value' in (m as Body);
    const item = wrapped ? (m as Body) : { value: m };
    const key = item.key ?? (i === 0 || !Array.isArray(b.messages) ? b.key : undefined);
    const headers = item.headers ?? b.headers;
    return {
      value: item.value,
      ...(key !== undefined && key !== null ? { key: String(key) } : {}),
      ...(headers !== undefined ? { headers: headers as Record<string, string> } : {}),
    };
  };
  return { topic: first(b, 'topic', 'topic_name') as string, messages: list.map(one) };
}

export function registerKafkaRoutes(app: FastifyInstance, s: Services): void {
  app.get('/kafka/topics', async (_req, reply) =>
    answer(s, reply, 'streams.topics.list', {}, (r) => {
      const topics = (r as { topics: { name: string }[] }).topics;
      return { topics: topics.map((t) => t.name), details: topics };
    }),
  );
  app.post<{ Body: Body }>('/kafka/topics', async (req, reply) =>
    answer(s, reply, 'streams.topics.create', topicInput(req.body ?? {}), (r) => ({ status: 'created', topic: r }), 201),
  );
  app.post<{ Body: Body }>('/kafka/messages', async (req, reply) =>
    answer(s, reply, 'streams.produce', messagesInput(req.body ?? {}), (r) => {
      const x = r as { topic: string; offsets: { partition: number; offset: number }[] };
      return { status: 'sent', topic: x.topic, count: x.offsets.length, offsets: x.offsets };
    }),
  );
}
