/**
 * The `monitoring:` section of config.yaml: drift method overrides and thresholds, alert rules and the
 * model-drift rule. Everything is optional; an absent section means Evidently's defaults and the shipped
 * rules below. Kept free of engine imports so platform/config.ts can include it.
 */
import { z } from 'zod';

export const DRIFT_METHODS = ['ks', 'wasserstein', 'jensenshannon', 'psi', 'kl_div', 'chisquare', 'z'] as const;

/** What an alert rule can watch; each is computed over the rule's window by the evaluation job. */
export const ALERT_METRICS = [
  'drift.share',
  'drift.columns_drifted',
  'drift.dataset',
  'model.rmse',
  'model.mae',
  'model.r2',
  'model.degradation',
  'model.errors',
  'stream.dead_letters',
  'stream.predictions',
] as const;

const duration = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+\s*[smhdw]$/, 'expected seconds or a duration such as 15m, 1h, 1d'),
]);

export const AlertRuleSchema = z
  .object({
    name: z.string().min(1).regex(/^[\w.-]+$/, 'letters, digits, _ . - only'),
    metric: z.enum(ALERT_METRICS),
    comparison: z.enum(['>', '>=', '<', '<=', '==', '!=']),
    threshold: z.number(),
    /** How far back the metric looks (seconds, or 15m / 1h / 1d). */
    window: duration.default('1h'),
    severity: z.enum(['info', 'warning', 'critical']).default('warning'),
    description: z.string().optional(),
  })
  .strict();
export type AlertRule = z.infer<typeof AlertRuleSchema>;

const DEFAULT_RULES: z.input<typeof AlertRuleSchema>[] = [
  { name: 'data_drift', metric: 'drift.share', comparison: '>=', threshold: 0.5, window: '1d', severity: 'warning', description: 'Half or more of the monitored features drifted in the latest drift report' },
  { name: 'model_degradation', metric: 'model.degradation', comparison: '>', threshold: 0.2, window: '1h', severity: 'critical', description: 'Live RMSE more than 20% above the version\'s evaluation RMSE' },
  { name: 'dead_letters', metric: 'stream.dead_letters', comparison: '>', threshold: 100, window: '1h', severity: 'warning', description: 'More than 100 raw messages refused in the last hour' },
];

export const MonitoringConfigSchema = z
  .object({
    drift: z
      .object({
        /** Dataset drift when at least this share of the columns drifted (Evidently's drift_share). */
        drift_share: z.number().gt(0).max(1).default(0.5),
        /** Column → test, instead of the default choice (Evidently's per_column_method). */
        methods: z.record(z.string(), z.enum(DRIFT_METHODS)).default({}),
        /** Column → threshold, instead of the test's default (per_column_threshold). */
        thresholds: z.record(z.string(), z.number()).default({}),
      })
      .strict()
      .prefault({}),
    model_drift: z
      .object({
        /** A window's RMSE this share above the baseline (evaluation RMSE) counts as degraded. */
        degradation_share: z.number().positive().default(0.2),
        /** Model drift once this many consecutive windows are degraded. */
        windows: z.number().int().positive().default(3),
        window: duration.default('1h'),
        /** Windows with fewer predictions than this are not judged. */
        min_count: z.number().int().positive().default(30),
      })
      .strict()
      .prefault({}),
    alerts: z
      .object({ rules: z.array(AlertRuleSchema).default(DEFAULT_RULES.map((r) => AlertRuleSchema.parse(r))) })
      .strict()
      .prefault({}),
  })
  .strict();
export type MonitoringConfig = z.infer<typeof MonitoringConfigSchema>;

export function durationMs(d: number | string): number {
  if (typeof d === 'number') return d * 1000;
  const m = /^(\d+)\s*([smhdw])$/.exec(d)!;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as 's']! * 1000;
}
