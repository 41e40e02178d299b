import type { HandlersFor } from '../handler-types.js';
import type { processorMethods, ProcessorStatus } from '../methods/processor.js';
import type { Services } from '../../platform/services.js';

/** A snapshot older than this from a processor that said it was running means it died (crash, SIGKILL). */
const STALE_MS = 5000;

async function status(group: string, s: Services): Promise<ProcessorStatus> {
  const { stateFileOf, readStatusSnapshot } = await import('../../engines/streams/processor/state.js');
  const snap = readStatusSnapshot(stateFileOf(s.workspace, group));
  const job = s.jobs.list({ kind: 'streams.process', status: 'running', limit: 20 }).find((j) => ((j.input as { group?: string }).group ?? group) === group) ?? null;
  if (!snap) {
    return {
      running: job !== null,
      state: job ? 'running' : 'never_run',
      job_id: job?.id ?? null,
      group,
      processed: 0,
      trips: 0,
      dead_lettered: 0,
      duplicates: 0,
      late: 0,
      predicted: 0,
      prediction_skipped: 0,
      skip_reason: null,
      rate_per_s: 0,
      lag: null,
      last_error: null,
      retries: 0,
      started_at: null,
      updated_at: null,
      p50_ms: null,
      p99_ms: null,
      watermark: null,
      bus: null,
      online_store: null,
    };
  }
  const last = snap.json as ProcessorStatus;
  const fresh = Date.now() - snap.updated_at < STALE_MS;
  const running = last.running && fresh;
  return { ...last, running, state: last.running && !fresh ? 'stopped' : last.state, rate_per_s: running ? last.rate_per_s : 0, job_id: job?.id ?? null, group };
}

export const processorHandlers: HandlersFor<keyof typeof processorMethods> = {
  'streams.processor.start': (i, s) => s.jobs.start('streams.process', i),
  'streams.processor.status': (i, s) => status(i.group, s),
};
