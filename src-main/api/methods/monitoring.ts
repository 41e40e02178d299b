/**
 * monitoring.*: data drift (job) and stored reports, data quality, correlation, permutation importance
 * (job), model performance per window with the model-drift rule, A/B comparison, alerts (list,
 * acknowledge, evaluate as a job). Event `monitoring.alert` when an alert fires or resolves.
 */
import { z } from 'zod';
import { DRIFT_METHODS } from '../../engines/monitoring/config-schema.js';
import { JobSchema, method } from './common.js';

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'expected a date or ISO 8601 time such as 2016-01-31T10:00:00Z' });
const name = z.string().min(1);
const version = z.union([z.string().min(1), z.number().int().positive()]);

/** Reference or current data: a model version's training (or evaluation) set, a trip-store time range, a trips file, a stream window. */
export const DataSourceSchema = z.union([
  z.object({ model: name, version, set: z.enum(['train', 'eval']).optional() }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ stream_window_minutes: z.number().positive().max(7 * 24 * 60) }).strict(),
  z.object({ start: isoTime.optional(), end: isoTime.optional() }).strict(),
]);

const DriftMethodSchema = z.enum(DRIFT_METHODS);

export const DriftInputSchema = z
  .object({
    reference: DataSourceSchema,
    current: DataSourceSchema,
    columns: z.array(name).optional(),
    methods: z.record(z.string(), DriftMethodSchema).optional(),
    thresholds: z.record(z.string(), z.number()).optional(),
    drift_share: z.number().gt(0).max(1).optional(),
  })
  .strict();
export type DriftInput = z.infer<typeof DriftInputSchema>;

const SideStatsSchema = z.object({
  rows: z.number(),
  count: z.number(),
  missing: z.number(),
  unique: z.number(),
  mean: z.number().nullable(),
  std: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
});

const DistributionSchema = z.union([
  z.object({ kind: z.literal('histogram'), edges: z.array(z.number()), reference: z.array(z.number()), current: z.array(z.number()) }),
  z.object({
    kind: z.literal('categories'),
    categories: z.array(z.string()),
    reference: z.array(z.number()),
    current: z.array(z.number()),
    other: z.object({ reference: z.number(), current: z.number() }).nullable(),
  }),
]);

export const ColumnDriftSchema = z.object({
  column: z.string(),
  type: z.enum(['numerical', 'categorical']),
  method: DriftMethodSchema.nullable(),
  method_title: z.string().nullable(),
  score_kind: z.enum(['p_value', 'distance']).nullable(),
  threshold: z.number().nullable(),
  score: z.number().nullable(),
  statistic: z.number().nullable(),
  drifted: z.boolean(),
  skipped: z.string().nullable(),
  reference: SideStatsSchema,
  current: SideStatsSchema,
  distribution: DistributionSchema.nullable(),
});

export const DriftReportSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  reference: z.object({ label: z.string(), kind: z.string(), spec: z.unknown() }),
  current: z.object({ label: z.string(), kind: z.string(), spec: z.unknown() }),
  reference_rows: z.number(),
  current_rows: z.number(),
  columns: z.array(ColumnDriftSchema),
  dataset: z.object({ columns: z.number(), drifted_columns: z.number(), share: z.number(), drift_share: z.number(), drift: z.boolean() }),
  duration_ms: z.number(),
  timings: z.object({ load_ms: z.number(), columns_ms: z.number() }),
});

export const ReportSummarySchema = z.object({
  id: z.string(),
  created_at: z.string(),
  reference: z.string(),
  current: z.string(),
  columns: z.number(),
  drifted_columns: z.number(),
  share: z.number(),
  drift: z.boolean(),
  drifted: z.array(z.string()),
});

const ColumnQualitySchema = z.object({
  column: z.string(),
  type: z.enum(['numerical', 'categorical']),
  count: z.number(),
  missing: z.number(),
  missing_share: z.number(),
  unique: z.number(),
  mean: z.number().nullable(),
  std: z.number().nullable(),
  min: z.number().nullable(),
  q25: z.number().nullable(),
  median: z.number().nullable(),
  q75: z.number().nullable(),
  max: z.number().nullable(),
  most_common: z.object({ value: z.string(), count: z.number(), share: z.number() }).nullable(),
  constant: z.boolean(),
  almost_constant: z.boolean(),
  out_of_range: z.object({ count: z.number(), min: z.number(), max: z.number() }).nullable(),
  new_categories: z.array(z.string()).nullable(),
  missing_categories: z.array(z.string()).nullable(),
});

export const QualityResultSchema = z.object({
  source: z.string(),
  rows: z.number(),
  duplicates: z.object({ key: z.string(), count: z.number() }).nullable(),
  columns: z.array(ColumnQualitySchema),
  problems: z.array(z.string()),
  duration_ms: z.number(),
});

const matrix = z.array(z.array(z.number().nullable()));
export const CorrelationResultSchema = z.object({ source: z.string(), columns: z.array(z.string()), pearson: matrix, spearman: matrix, rows: z.number() });

export const ImportanceInputSchema = z
  .object({
    model: name,
    version: version.optional(),
    alias: name.optional(),
    rows: z.number().int().min(10).max(200_000).optional(),
    repeats: z.number().int().min(1).max(20).optional(),
    seed: z.number().int().min(0).optional(),
  })
  .strict();

const MetricsSchema = z.object({ count: z.number(), rmse: z.number().nullable(), mae: z.number().nullable(), r2: z.number().nullable(), mean_abs_error: z.number().nullable() });

export const PerformanceInputSchema = z
  .object({
    model: name.optional(),
    version: version.optional(),
    alias: name.optional(),
    /** stream: prediction errors from the metrics topic; offline: the version's evaluation set. */
    source: z.enum(['stream', 'offline']).default('stream'),
    window_minutes: z.number().positive().max(366 * 24 * 60).optional(),
    /** Stream look-back (default 24 h). */
    since: isoTime.optional(),
    until: isoTime.optional(),
  })
  .strict();

export const PerformanceResultSchema = z.object({
  model: z.string(),
  version: z.string().nullable(),
  source: z.enum(['stream', 'offline']),
  window_minutes: z.number(),
  windows: z.array(MetricsSchema.extend({ start: z.string(), end: z.string(), degradation: z.number().nullable(), degraded: z.boolean(), judged: z.boolean() })),
  overall: MetricsSchema,
  baseline_rmse: z.number().nullable(),
  model_drift: z.object({ detected: z.boolean(), consecutive: z.number(), needed: z.number(), since: z.string().nullable(), message: z.string() }),
});

export const AbInputSchema = z
  .object({
    model: name.optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    alpha: z.number().gt(0).lt(1).default(0.05),
  })
  .strict();

export const AbResultSchema = z.object({
  variants: z.array(MetricsSchema.extend({ variant: z.string(), model_versions: z.array(z.string()) })),
  test: z.object({ t: z.number(), df: z.number(), p_value: z.number(), mean_a: z.number(), mean_b: z.number(), a: z.string(), b: z.string(), alpha: z.number() }).nullable(),
  verdict: z.string(),
});

export const AlertSchema = z.object({
  id: z.number(),
  rule: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  state: z.enum(['firing', 'resolved']),
  message: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  labels: z.record(z.string(), z.string()),
  fired_at: z.string(),
  resolved_at: z.string().nullable(),
  acknowledged_at: z.string().nullable(),
  acknowledged_by: z.string().nullable(),
});

export const AlertEventSchema = z.object({ alert: AlertSchema, event: z.enum(['fired', 'resolved']) });

const sourceInput = z.object({ source: DataSourceSchema.default({}), reference: DataSourceSchema.optional(), columns: z.array(name).optional() }).strict();

export const monitoringMethods = {
  'monitoring.drift': method({
    description: 'Data drift per column (Evidently\'s default tests, or per-column methods) between reference and current data; stores the report.',
    input: DriftInputSchema,
    output: JobSchema,
    job: true,
  }),
  'monitoring.reports': method({
    description: 'Stored drift reports, newest first.',
    input: z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict().default({ limit: 50 }),
    output: z.object({ reports: z.array(ReportSummarySchema) }),
  }),
  'monitoring.report': method({
    description: 'One stored drift report (JSON); the HTML export is at GET /reports/<id>.html.',
    input: z.object({ id: name }).strict(),
    output: DriftReportSchema,
  }),
  'monitoring.quality': method({
    description: 'Data quality of a data set: missing values, duplicates, out-of-range values, new/missing categories, constant columns, per-column statistics.',
    input: sourceInput,
    output: QualityResultSchema,
  }),
  'monitoring.correlation': method({
    description: 'Pearson and Spearman correlation matrices of the numerical columns and the fare.',
    input: sourceInput,
    output: CorrelationResultSchema,
  }),
  'monitoring.importance': method({
    description: 'Permutation importance of a model version on its evaluation set.',
    input: ImportanceInputSchema,
    output: JobSchema,
    job: true,
  }),
  'monitoring.performance': method({
    description: 'RMSE, MAE and R² per time window (stream or evaluation set), the baseline and the model-drift verdict.',
    input: PerformanceInputSchema,
    output: PerformanceResultSchema,
  }),
  'monitoring.ab': method({
    description: 'A/B: per-variant metrics from the stream, Welch\'s t-test on absolute errors and a plain-language verdict.',
    input: AbInputSchema,
    output: AbResultSchema,
  }),
  'monitoring.alerts': method({
    description: 'Alerts (firing first, then resolved), their event history and the configured rules.',
    input: z
      .object({ state: z.enum(['firing', 'resolved']).optional(), rule: name.optional(), limit: z.number().int().min(1).max(1000).default(100) })
      .strict()
      .default({ limit: 100 }),
    output: z.object({
      alerts: z.array(AlertSchema),
      history: z.array(z.object({ id: z.number(), alert_id: z.number(), rule: z.string(), event: z.enum(['fired', 'resolved', 'acknowledged']), value: z.number().nullable(), at: z.string() })),
      rules: z.array(z.object({ name: z.string(), metric: z.string(), comparison: z.string(), threshold: z.number(), window: z.union([z.number(), z.string()]), severity: z.string(), description: z.string().optional() })),
    }),
  }),
  'monitoring.alerts.ack': method({
    description: 'Acknowledge an alert.',
    input: z.object({ id: z.number().int().positive(), by: z.string().min(1).max(200).default('console') }).strict(),
    output: AlertSchema,
  }),
  'monitoring.alerts.evaluate': method({
    description: 'Evaluate every alert rule now; fires or resolves alerts, publishes firings to the alerts topic.',
    input: z.object({}).strict().default({}),
    output: JobSchema,
    job: true,
  }),
};

export const monitoringEvents = {
  'monitoring.alert': AlertEventSchema,
};
