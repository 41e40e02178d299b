/**
 * Messages of a topic in a time window, read partition by partition from the first message at or after
 * `since` (the bus's offset-for-time lookup) up to `until`, capped at `max`.
 */
import type { Bus, BusMessage } from '../streams/types.js';

export async function readTopicWindow(bus: Bus, topic: string, since: number, until: number = Number.POSITIVE_INFINITY, max = 1_000_000): Promise<BusMessage[]> {
  const topics = await bus.listTopics();
  if (!topics.some((t) => t.name === topic)) return [];
  const desc = await bus.describeTopic(topic);
  const out: BusMessage[] = [];
  for (const p of desc.partition_info) {
    let from: { type: 'timestamp'; timestamp: number } | { type: 'offset'; offset: number } = { type: 'timestamp', timestamp: since };
    for (;;) {
      const r = await bus.fetch({ topic, partition: p.partition, from, limit: 5000, maxScan: 5000 });
      let past = false;
      for (const m of r.messages) {
        if (m.timestamp >= until) {
          past = true;
          break;
        }
        if (m.timestamp >= since) out.push(m);
      }
      const next = r.next.find((n) => n.partition === p.partition);
      if (past || r.reached_end || r.messages.length === 0 || !next || out.length >= max) break;
      from = { type: 'offset', offset: next.offset };
    }
    if (out.length >= max) break;
  }
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

/** The JSON values of messages (unparseable ones skipped). */
export function jsonValues<T>(messages: readonly BusMessage[]): { value: T; timestamp: number }[] {
  const out: { value: T; timestamp: number }[] = [];
  for (const m of messages) {
    if (!m.value) continue;
    try {
      out.push({ value: JSON.parse(m.value.toString('utf8')) as T, timestamp: m.timestamp });
    } catch {
      // Not JSON: a malformed message is not a metric.
    }
  }
  return out;
}
