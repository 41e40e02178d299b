/** features.*: the feature store — definitions, transform, materialization, online and historical reads, push, scheduler. */
import { z } from 'zod';
import { JobSchema, empty, method } from './common.js';
import {
  GetOnlineFeaturesInputSchema,
  MaterializationRunSchema,
  MaterializeIncrementalInputSchema,
  MaterializeInputSchema,
  OnlineFeaturesResponseSchema,
  PushInputSchema,
  PushResultSchema,
  ViewWatermarkSchema,
} from '../../engines/features/online-schemas.js';

const ValueType = z.enum(['string', 'int', 'double', 'bool']);

export const FeatureDefSchema = z.object({
  name: z.string(),
  kind: z.enum(['column', 'time_part', 'aggregate']),
  dtype: ValueType,
  /** Column read, time part of a column, or aggregate with its window — in words, for the console. */
  expression: z.string(),
});

export const FeatureViewSchema = z.object({
  name: z.string(),
  entity: z.string(),
  join_key: z.string(),
  join_key_type: ValueType,
  ttl_seconds: z.number(),
  source: z.string(),
  description: z.string(),
  features: z.array(FeatureDefSchema),
});

export const FeatureRequestSchema = z.union([
  z.array(z.string().min(1)).min(1).describe('"view:feature" references'),
  z.object({ feature_service: z.string().min(1) }).strict(),
]);

export const TransformInputSchema = z
  .object({
    views: z.array(z.string().min(1)).min(1).optional().describe('feature views to transform; default: all'),
    start: z.string().min(1).optional().describe('first pickup time (ISO date or date-time, UTC-labelled)'),
    end: z.string().min(1).optional().describe('pickups before this time (exclusive)'),
  })
  .strict()
  .default({});

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const HistoricalInputSchema = z
  .object({
    entities: z.union([
      z.array(z.record(z.string(), Scalar)).min(1).max(1_000_000).describe('entity rows: join keys and event_timestamp'),
      z.object({ csv: z.string().min(1) }).strict(),
      z.object({ parquet: z.string().min(1) }).strict(),
    ]),
    features: FeatureRequestSchema,
    output: z.union([z.object({ csv: z.string().min(1) }).strict(), z.object({ parquet: z.string().min(1) }).strict()]).optional(),
    full_feature_names: z.boolean().default(true),
    timestamp_column: z.string().min(1).default('event_timestamp'),
    /** Rows returned inline when no output file is asked for. */
    limit: z.number().int().min(1).max(100_000).default(1000),
  })
  .strict();

const HistogramBinSchema = z.object({ lo: z.number(), hi: z.number(), count: z.number() });

export const FeatureStatsSchema = z.object({
  feature: z.string(),
  dtype: ValueType,
  kind: z.enum(['column', 'time_part', 'aggregate']),
  count: z.number(),
  nulls: z.number(),
  null_fraction: z.number(),
  distinct: z.number(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  mean: z.number().nullable(),
  std: z.number().nullable(),
  quantiles: z.object({ p5: z.number(), p25: z.number(), p50: z.number(), p75: z.number(), p95: z.number() }).nullable(),
  histogram: z.array(HistogramBinSchema).nullable(),
  top: z.array(z.object({ value: z.string(), count: z.number() })).nullable(),
});

export const ViewStatsSchema = z.object({
  view: z.string(),
  entity: z.string(),
  ttl_seconds: z.number(),
  rows: z.number(),
  partitions: z.number(),
  bytes: z.number(),
  oldest_event: z.string().nullable(),
  newest_event: z.string().nullable(),
  last_written: z.string().nullable(),
  watermark: z.string().nullable(),
  watermark_lag_seconds: z.number().nullable(),
  features: z.array(FeatureStatsSchema),
});

const TaskStatusSchema = z.object({
  name: z.enum(['refresh', 'materialize', 'alerts']),
  kind: z.string(),
  interval_s: z.number(),
  next_run_at: z.string().nullable(),
  last_job: JobSchema.pick({ id: true, status: true, created_at: true, finished_at: true, error: true }).nullable(),
  skipped_overlaps: z.number(),
});

export const SchedulerStatusSchema = z.object({
  running: z.boolean(),
  started_at: z.string().nullable(),
  tasks: z.array(TaskStatusSchema),
});

export const featuresMethods = {
  'features.list': method({
    description: 'Entities, feature views (with their features) and feature services defined in config.yaml.',
    input: empty,
    output: z.object({
      entities: z.array(z.object({ name: z.string(), join_key: z.string(), value_type: ValueType, description: z.string() })),
      views: z.array(FeatureViewSchema),
      services: z.array(z.object({ name: z.string(), description: z.string(), features: z.array(z.string()) })),
    }),
  }),
  'features.validate': method({
    description: 'Check the feature definitions; every problem with its key path and reason.',
    input: empty,
    output: z.object({ ok: z.boolean(), problems: z.array(z.object({ path: z.string(), message: z.string() })) }),
  }),
  'features.stats': method({
    description: 'Per-view and per-feature statistics of the offline store, with freshness and watermark lag.',
    input: z
      .object({
        views: z.array(z.string().min(1)).optional(),
        bins: z.number().int().min(2).max(200).default(20),
        // false: the views' rows, partitions and freshness only — one metadata-sized pass instead of several full scans.
        features: z.boolean().default(true),
      })
      .strict()
      .default({ bins: 20, features: true }),
    output: z.array(ViewStatsSchema),
  }),
  'features.transform': method({
    description: 'Turn trips into feature rows (the TFX Transform output), replacing the date partitions of the range.',
    input: TransformInputSchema,
    output: JobSchema,
    job: true,
  }),
  'features.materialize': method({
    description: 'Load the latest feature values of [start, end) from the offline store into the online store.',
    input: MaterializeInputSchema,
    output: JobSchema,
    job: true,
  }),
  'features.materializeIncremental': method({
    description: 'Materialize each view from its watermark to `end` (default now).',
    input: MaterializeIncrementalInputSchema,
    output: JobSchema,
    job: true,
  }),
  'features.getOnline': method({
    description: 'Online feature values for entity rows, with a status and event timestamp per value (Feast get-online-features).',
    input: GetOnlineFeaturesInputSchema,
    output: OnlineFeaturesResponseSchema,
  }),
  'features.getHistorical': method({
    description: 'Point-in-time correct feature values for entity rows (training sets), inline or to CSV/Parquet.',
    input: HistoricalInputSchema,
    output: z.object({
      columns: z.array(z.object({ name: z.string(), type: z.string(), feature: z.string().nullable() })),
      row_count: z.number(),
      rows: z.array(z.record(z.string(), Scalar)).optional(),
      truncated: z.boolean(),
      output: z.string().optional(),
      duration_ms: z.number(),
    }),
  }),
  'features.push': method({
    description: 'Push feature rows to the online store, the offline store, or both (stream processing).',
    input: PushInputSchema,
    output: PushResultSchema,
  }),
  'features.runs': method({
    description: 'Materialization runs (newest first) and the watermark of each view.',
    input: z.object({ view: z.string().min(1).optional(), limit: z.number().int().min(1).max(1000).default(50) }).strict().default({ limit: 50 }),
    output: z.object({ runs: z.array(MaterializationRunSchema), watermarks: z.array(ViewWatermarkSchema) }),
  }),
  'features.scheduler.status': method({
    description: 'Whether the scheduler runs in this process, the next runs, and the last job of each task.',
    input: empty,
    output: SchedulerStatusSchema,
  }),
  'features.scheduler.start': method({
    description: 'Start refreshing and materializing on the configured intervals in this process.',
    input: z.object({ run_now: z.boolean().default(false) }).strict().default({ run_now: false }),
    output: SchedulerStatusSchema,
  }),
  'features.scheduler.stop': method({
    description: 'Stop the scheduler in this process (running jobs finish).',
    input: empty,
    output: SchedulerStatusSchema,
  }),
  'features.scheduler.runNow': method({
    description: 'Run one scheduled task now, unless it is already running.',
    input: z.object({ task: z.enum(['refresh', 'materialize', 'alerts']) }).strict(),
    output: z.object({ job: JobSchema.nullable(), reason: z.string().nullable() }),
  }),
  'features.scheduler.runs': method({
    description: 'The scheduler run history: jobs of the scheduled tasks, newest first.',
    input: z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict().default({ limit: 50 }),
    output: z.array(JobSchema),
  }),
} as const;
