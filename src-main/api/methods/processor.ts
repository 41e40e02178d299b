/** streams.processor.*: the stream processor (raw trips → features → predictions → errors) as a job, and its status. */
import { z } from 'zod';
import { JobSchema, method } from './common.js';

export const DEFAULT_PROCESSOR_GROUP = 'taxi-stream-processor';

const groupName = z.string().min(1).max(255);

export const ProcessorInputSchema = z
  .object({
    group: groupName.default(DEFAULT_PROCESSOR_GROUP).describe('consumer group; its committed offsets say where to continue'),
    from: z.enum(['earliest', 'latest']).default('earliest').describe('where to start on partitions the group never committed'),
    limit: z.number().int().min(1).optional().describe('stop after this many messages (the batch that reaches it is finished)'),
    idle_exit_ms: z.number().int().min(100).max(86_400_000).optional().describe('stop after this long without a message; default: run until cancelled'),
    max_batch: z.number().int().min(1).max(5000).default(500),
    metrics_window_minutes: z.number().int().min(1).max(1440).default(5).describe('span of the RMSE/MAE/R² window messages'),
    window_every_ms: z.number().int().min(100).max(3_600_000).default(60_000).describe('how often window messages are published'),
    lateness_s: z.number().int().min(0).max(90 * 86_400).default(86_400).describe('how far behind the event-time watermark a trip may be and still count in the aggregates'),
  })
  .strict();
export type ProcessorInput = z.input<typeof ProcessorInputSchema>;
export type ProcessorOptions = z.output<typeof ProcessorInputSchema>;

const Counters = {
  processed: z.number().int().describe('raw messages handled (trips, dead letters and duplicates)'),
  trips: z.number().int().describe('valid trips processed (duplicates excluded)'),
  dead_lettered: z.number().int(),
  duplicates: z.number().int().describe('trips already processed (a replay or a redelivery after their outputs were produced)'),
  late: z.number().int().describe('trips older than the watermark minus the lateness: predicted, not counted in the aggregates'),
  predicted: z.number().int(),
  prediction_skipped: z.number().int().describe('trips processed without a prediction (no model to serve)'),
  skip_reason: z.string().nullable(),
};

export const ProcessorSummarySchema = z.object({
  group: z.string(),
  ...Counters,
  stopped: z.enum(['limit', 'idle', 'cancelled']),
  duration_ms: z.number(),
  busy_ms: z.number().describe('time spent handling batches (the rest was waiting for messages or for a backend)'),
  rate_per_s: z.number().describe('messages per second over the whole run'),
  p50_ms: z.number().nullable(),
  p99_ms: z.number().nullable(),
  state_file: z.string(),
});
export type ProcessorSummary = z.infer<typeof ProcessorSummarySchema>;

export const ProcessorStatusSchema = z.object({
  running: z.boolean(),
  state: z.enum(['running', 'retrying', 'stopped', 'never_run']),
  job_id: z.string().nullable(),
  group: z.string(),
  ...Counters,
  rate_per_s: z.number().describe('messages per second over the last 10 s'),
  lag: z.number().nullable().describe('messages of the raw topic the group has not committed yet'),
  last_error: z.string().nullable(),
  retries: z.number().int().describe('consecutive failed attempts (bus, online store, model) being retried'),
  started_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  p50_ms: z.number().nullable().describe('publish → prediction latency, recent predictions'),
  p99_ms: z.number().nullable(),
  watermark: z.string().nullable().describe('event time up to which every partition has been read'),
  bus: z.string().nullable(),
  online_store: z.string().nullable(),
});
export type ProcessorStatus = z.infer<typeof ProcessorStatusSchema>;

export const processorMethods = {
  'streams.processor.start': method({
    description:
      'Start the stream processor: consume the raw topic in a consumer group, dead-letter bad messages, compute and push online features, publish features, predictions and prediction errors.',
    input: ProcessorInputSchema,
    output: JobSchema,
    job: true,
  }),
  'streams.processor.status': method({
    description: 'What the stream processor of a consumer group is doing: counts, rate, lag, latency, last error.',
    input: z.object({ group: groupName.default(DEFAULT_PROCESSOR_GROUP) }).strict().default({ group: DEFAULT_PROCESSOR_GROUP }),
    output: ProcessorStatusSchema,
  }),
};
