/**
 * The error windows after a restart. Every prediction with a known fare is also published as a
 * `prediction_error` message on the metrics topic, so the RMSE/MAE/R² windows are rebuilt from the
 * messages of the last window span instead of starting empty (which made the first windows after a
 * restart describe only the trips seen since).
 */
import type { Bus, BusMessage } from '../types.js';
import type { ErrorWindows } from './metrics.js';

/** Read at most this many messages per partition: the windows are a view, not the record. */
const MAX_PER_PARTITION = 200_000;
const PAGE = 5000;

interface PastError {
  name: string;
  version: string;
  prediction: number;
  actual: number;
  at: number;
}

/** The prediction errors among `messages` (other metrics messages and unreadable ones are skipped). */
export function predictionErrorsOf(messages: readonly BusMessage[]): PastError[] {
  const out: PastError[] = [];
  for (const m of messages) {
    if (!m.value) continue;
    let v: { kind?: unknown; model_name?: unknown; model_version?: unknown; prediction?: unknown; actual?: unknown; computed_at?: unknown };
    try {
      v = JSON.parse(m.value.toString('utf8')) as typeof v;
    } catch {
      continue;
    }
    if (v.kind !== 'prediction_error' || typeof v.model_name !== 'string' || typeof v.prediction !== 'number' || typeof v.actual !== 'number') continue;
    const at = typeof v.computed_at === 'string' ? Date.parse(v.computed_at) : m.timestamp;
    if (Number.isFinite(at)) out.push({ name: v.model_name, version: String(v.model_version), prediction: v.prediction, actual: v.actual, at });
  }
  return out;
}

/**
 * Reads the metrics topic from `since` on every partition into `windows`, oldest first (the windows
 * expect outcomes in time order); returns the errors added.
 */
export async function restoreErrorWindows(bus: Bus, topic: string, windows: ErrorWindows, since: number): Promise<number> {
  const desc = await bus.describeTopic(topic);
  const past: PastError[] = [];
  for (const p of desc.partition_info) {
    let from: { type: 'timestamp'; timestamp: number } | { type: 'offset'; offset: number } = { type: 'timestamp', timestamp: since };
    for (let read = 0; read < MAX_PER_PARTITION; ) {
      const r = await bus.fetch({ topic, partition: p.partition, from, limit: PAGE, maxScan: PAGE });
      past.push(...predictionErrorsOf(r.messages).filter((e) => e.at >= since));
      read += r.messages.length;
      const next = r.next.find((n) => n.partition === p.partition);
      if (r.reached_end || r.messages.length === 0 || !next) break;
      from = { type: 'offset', offset: next.offset };
    }
  }
  past.sort((a, b) => a.at - b.at);
  for (const e of past) windows.add(e.name, e.version, e.prediction, e.actual, e.at);
  return past.length;
}
