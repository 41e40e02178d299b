/**
 * system.metrics: per contract method latency (p50/p95/p99), throughput and error rate over a rolling
 * window, and the process series (CPU, memory, event-loop delay, calls), disk use per store and service
 * health sampled every few seconds into a bounded in-memory series.
 */
import { z } from 'zod';
import { ServiceHealthSchema, method } from './common.js';

const ms = z.number().nullable();

export const MethodStatsSchema = z.object({
  method: z.string(),
  calls: z.number(),
  errors: z.number(),
  calls_per_s: z.number(),
  error_rate: z.number().nullable(),
  p50: ms,
  p95: ms,
  p99: ms,
  max: ms,
  mean: ms,
  total_calls: z.number(),
  total_errors: z.number(),
  truncated: z.boolean(),
});

export const SystemSampleSchema = z.object({
  at: z.string(),
  cpu_percent: z.number(),
  cpu_user_percent: z.number(),
  cpu_system_percent: z.number(),
  rss_bytes: z.number(),
  heap_used_bytes: z.number(),
  heap_total_bytes: z.number(),
  external_bytes: z.number(),
  event_loop_p50_ms: ms,
  event_loop_p99_ms: ms,
  event_loop_max_ms: ms,
  calls: z.number(),
  errors: z.number(),
  p99_ms: ms,
  methods: z.record(z.string(), z.object({ calls: z.number(), p99_ms: ms })),
  disk: z.record(z.string(), z.number()).nullable(),
  health: z.record(z.string(), ms).nullable(),
});

export const StoreSizeSchema = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['sqlite', 'folder']),
  bytes: z.number(),
  files: z.number(),
  exists: z.boolean(),
  partial: z.boolean(),
});

export const systemMetricsMethods = {
  'system.metrics': method({
    description: 'Per-method latency p50/p95/p99, calls/s and error rate over a rolling window; CPU, memory, event-loop delay, disk per store and service health sampled over time.',
    input: z
      .object({
        /** The rolling window of the per-method table, in seconds. */
        window_s: z.number().int().min(5).max(3600).default(60),
        /** Only samples taken after this time (a poller asks for what is new). */
        since: z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'expected an ISO 8601 time' }).optional(),
      })
      .strict()
      .default({ window_s: 60 }),
    output: z.object({
      at: z.string(),
      window_s: z.number(),
      interval_ms: z.number(),
      capacity: z.number(),
      started_at: z.string(),
      methods: z.array(MethodStatsSchema),
      samples: z.array(SystemSampleSchema),
      disk: z.object({ at: z.string(), stores: z.array(StoreSizeSchema) }).nullable(),
      health: z.object({ at: z.string(), services: z.array(ServiceHealthSchema) }).nullable(),
    }),
  }),
} as const;
