/**
 * The demo's streaming stage: the stream processor and a replay of the bundled sample run side by side
 * as two jobs on the embedded log (plus two malformed messages, to show the dead-letter path); the
 * processor stops once the stream has been quiet for a moment, and the counts are printed.
 */
import type { Job } from '../api/contract.js';
import { DEFAULT_PROCESSOR_GROUP, type ProcessorSummary } from '../api/methods/processor.js';
import { AppError } from '../platform/errors.js';
import type { Services } from '../platform/services.js';
import { call, followJob } from './follow.js';

export const STREAM_DEMO_STEPS = 1;

export interface StreamDemoOptions {
  trips: number;
  /** Trips per second of the replay. */
  rate: number;
}

export const STREAM_DEMO_DEFAULTS: StreamDemoOptions = { trips: 2000, rate: 1000 };

async function finish(s: Services, job: Job, quiet: boolean): Promise<Record<string, unknown>> {
  const done = await followJob(s, job, quiet);
  if (done.status !== 'succeeded') throw new AppError((done.error?.code ?? 'INTERNAL') as never, `${done.title}: ${done.error?.message ?? done.status}`);
  return done.result as Record<string, unknown>;
}

const ms = (v: number | null): string => (v === null ? '—' : `${Math.round(v)} ms`);

export async function runStreamDemo(s: Services, n: number, step: (n: number, text: string) => void, print: (line: string) => void, o: StreamDemoOptions = STREAM_DEMO_DEFAULTS): Promise<void> {
  const raw = s.workspace.config.topics.raw;
  // It stops after the messages this stage sends (the replayed trips and two bad ones), or after a quiet spell.
  const processorJob = await call(s, 'streams.processor.start', { group: DEFAULT_PROCESSOR_GROUP, limit: o.trips + 2, idle_exit_ms: 20_000 });
  // The replay starts once the processor has joined its group, so the latency printed is the stream's,
  // not the time a worker takes to start.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const joined = await call(s, 'streams.groups.describe', { group: DEFAULT_PROCESSOR_GROUP }).then((g) => g.members.length > 0, () => false);
    const job = s.jobs.get(processorJob.id);
    if (joined || job.status !== 'running' && job.status !== 'queued' || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const replayJob = await call(s, 'streams.replay', { source: 'sample', rate: o.rate, limit: o.trips, seed: 42 });
  // Two messages the processor must refuse: not JSON, and a trip without its times.
  await call(s, 'streams.produce', {
    topic: raw,
    validate: false,
    messages: [
      { key: 'demo-not-json', text: '{"trip_id": "demo-not-json", "fare_amount": 12.5' },
      { key: 'demo-missing-fields', value: { trip_id: 'demo-missing-fields', fare_amount: 9.75 } },
    ],
  });
  const [replayed, processed] = await Promise.all([finish(s, replayJob, true), finish(s, processorJob, false)]);
  const p = processed as unknown as ProcessorSummary;
  step(
    n,
    `stream processor on the embedded log: replayed ${Number(replayed.published).toLocaleString('en-US')} sample trips at ${o.rate}/s; ` +
      `processed ${p.processed.toLocaleString('en-US')} messages → ${p.predicted.toLocaleString('en-US')} predictions, ${p.dead_lettered} dead letters` +
      (p.duplicates ? `, ${p.duplicates.toLocaleString('en-US')} already processed before` : ''),
  );
  const busyRate = p.busy_ms > 0 ? Math.round((p.processed / p.busy_ms) * 1000) : 0;
  print(`    ${busyRate.toLocaleString('en-US')} messages/s while busy; publish → prediction latency p50 ${ms(p.p50_ms)}, p99 ${ms(p.p99_ms)}${p.prediction_skipped ? `; ${p.prediction_skipped} not predicted (${p.skip_reason ?? 'no model'})` : ''}`);
  print(`    topics: ${s.workspace.config.topics.predictions}, ${s.workspace.config.topics.features}, ${s.workspace.config.topics.metrics} (prediction errors, RMSE/MAE/R² windows), ${s.workspace.config.topics.raw_dead_letter}`);
}
