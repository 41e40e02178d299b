import type { z } from 'zod';
import type { ParsedInput } from '../contract.js';
import { timeInputMs, type ResetTargetSchema, type StartSchema, type streamsMethods, type TopicDescriptionView } from '../methods/streams.js';
import type { HandlersFor } from '../handler-types.js';
import type { Services } from '../../platform/services.js';

// Loaded on first use: the console starts without kafkajs or the stream log.
const engine = () => import('../../engines/streams/index.js');
const bus = async (s: Services) => (await engine()).getBus(s);

async function tails(s: Services) {
  const { TailRegistry } = await import('../../engines/streams/tails.js');
  return s.resource(
    'streams.tails',
    async () => new TailRegistry(() => bus(s), (e) => s.events.publish('streams.tail', e)),
    (r) => r.stopAll(),
  );
}

async function withSchema(s: Services, d: Omit<TopicDescriptionView, 'schema'>): Promise<TopicDescriptionView> {
  const p = (await engine()).platformTopics(s.workspace.config).find((t) => t.spec.name === d.name);
  return { ...d, schema: p ? { title: p.schema.title, description: p.schema.description, json_schema: p.schema.jsonSchema } : null };
}

const startOf = (from: z.infer<typeof StartSchema>) =>
  from === 'earliest' || from === 'latest'
    ? ({ type: from } as const)
    : 'offset' in from
      ? ({ type: 'offset', offset: from.offset } as const)
      : ({ type: 'timestamp', timestamp: timeInputMs(from.timestamp) } as const);

const resetTargetOf = (to: z.infer<typeof ResetTargetSchema>) =>
  to === 'earliest' || to === 'latest'
    ? ({ type: to } as const)
    : 'offset' in to
      ? ({ type: 'offset', offset: to.offset } as const)
      : ({ type: 'timestamp', timestamp: timeInputMs(to.timestamp) } as const);

type Outgoing = ParsedInput<'streams.produce'>['messages'][number];

/** `text` is written as it is, `value` as JSON, neither as a null value (a tombstone). */
const valueText = (m: Outgoing): string | null => (m.text !== undefined ? m.text : m.value === undefined ? null : JSON.stringify(m.value));

function outgoingOf(m: Outgoing) {
  return {
    key: m.key ?? null,
    value: valueText(m),
    ...(m.headers ? { headers: m.headers } : {}),
    ...(m.timestamp !== undefined ? { timestamp: timeInputMs(m.timestamp) } : {}),
    ...(m.partition !== undefined ? { partition: m.partition } : {}),
  };
}

export const streamsHandlers: HandlersFor<keyof typeof streamsMethods> = {
  'streams.topics.list': async (_i, s) => ({ topics: await (await bus(s)).listTopics() }),
  'streams.topics.create': async (i, s) => withSchema(s, await (await bus(s)).createTopic(i)),
  'streams.topics.delete': async (i, s) => {
    await (await bus(s)).deleteTopic(i.name);
    return { deleted: i.name };
  },
  'streams.topics.describe': async (i, s) => withSchema(s, await (await bus(s)).describeTopic(i.name)),
  'streams.produce': async (i, s) => ({
    topic: i.topic,
    offsets: await (await bus(s)).produce(i.topic, i.messages.map(outgoingOf), { validate: i.validate }),
  }),
  'streams.browse': async (i, s) => {
    const r = await (await bus(s)).fetch({
      topic: i.topic,
      ...(i.partition !== undefined ? { partition: i.partition } : {}),
      from: startOf(i.from),
      limit: i.limit,
      ...(i.filter ? { filter: i.filter } : {}),
      ...(i.max_scan !== undefined ? { maxScan: i.max_scan } : {}),
    });
    const { viewOf } = await import('../../engines/streams/messages.js');
    return { topic: i.topic, messages: r.messages.map(viewOf), next: r.next, scanned: r.scanned, reached_end: r.reached_end };
  },
  'streams.tail.start': async (i, s) =>
    (await tails(s)).start({ topic: i.topic, maxSeconds: i.max_seconds, ...(i.partition !== undefined ? { partition: i.partition } : {}) }),
  'streams.tail.stop': async (i, s) => ({ tail_id: i.tail_id, stopped: await (await tails(s)).stop(i.tail_id) }),
  'streams.groups.list': async (_i, s) => ({ groups: await (await bus(s)).listGroups() }),
  'streams.groups.describe': async (i, s) => (await bus(s)).describeGroup(i.group),
  'streams.groups.reset': async (i, s) =>
    (await bus(s)).resetOffsets({
      group: i.group,
      topic: i.topic,
      to: resetTargetOf(i.to),
      dryRun: i.dry_run,
      ...(i.partitions ? { partitions: i.partitions } : {}),
    }),
  'streams.groups.delete': async (i, s) => {
    await (await bus(s)).deleteGroup(i.group);
    return { deleted: i.group };
  },
  'streams.replay': (i, s) => s.jobs.start('streams.replay', i),
};
