/**
 * system.selftest: the platform guide's complete integration test as a job (one progress step per stage),
 * and the last report it wrote to logs/integration_test_report.json.
 */
import { z } from 'zod';
import { JobSchema, ApiErrorSchema, method, empty } from './common.js';

export const SELFTEST_STEPS = [
  'import',
  'transform',
  'materialize',
  'train_linear',
  'train_mlp',
  'register',
  'stream',
  'predictions',
  'drift',
  'alert',
] as const;
export type SelftestStepName = (typeof SELFTEST_STEPS)[number];

export const SelftestInputSchema = z
  .object({
    profile: z.string().min(1).optional().describe('profile of config.yaml to test (default: the active one)'),
    /** Trips of the bundled sample replayed through the processor. */
    stream_trips: z.number().int().min(10).max(12_000).default(1000),
    epochs: z.number().int().min(1).max(50).default(3),
    /** Keep the scratch workspace (and, on a cluster, its topics, keys and registry entries) for inspection. */
    keep: z.boolean().default(false),
    /** Stop after this step (for a shortened run in the console's tests); later steps are reported skipped. */
    until: z.enum(SELFTEST_STEPS).optional(),
  })
  .strict()
  .default({ stream_trips: 1000, epochs: 3, keep: false });
export type SelftestInput = z.input<typeof SelftestInputSchema>;
export type SelftestOptions = z.output<typeof SelftestInputSchema>;

export const SelftestStepSchema = z.object({
  name: z.string(),
  title: z.string(),
  status: z.enum(['pending', 'running', 'passed', 'failed', 'skipped']),
  duration_ms: z.number(),
  figures: z.record(z.string(), z.unknown()),
  error: ApiErrorSchema.nullable(),
});
export type SelftestStep = z.infer<typeof SelftestStepSchema>;

export const SelftestReportSchema = z.object({
  /** running while the job is on: the report is rewritten after every step, so the console shows the list live. */
  status: z.enum(['running', 'passed', 'failed', 'cancelled']),
  started_at: z.string(),
  finished_at: z.string(),
  duration_ms: z.number(),
  profile: z.object({ name: z.string(), kind: z.string(), online_store: z.string(), bus: z.string(), registry: z.string() }),
  namespace: z.object({ scratch: z.string(), project: z.string(), topics: z.record(z.string(), z.string()), registered_model: z.string(), kept: z.boolean(), cleanup: z.array(z.string()) }),
  versions: z.record(z.string(), z.string()),
  steps: z.array(SelftestStepSchema),
  summary: z.string(),
  report_file: z.string(),
});
export type SelftestReport = z.infer<typeof SelftestReportSchema>;

export const selftestMethods = {
  'system.selftest': method({
    description: 'Complete integration test against a profile in a scratch workspace: import → transform → materialize → train → register → stream → predictions → drift → alert; writes logs/integration_test_report.json.',
    input: SelftestInputSchema,
    output: JobSchema,
    job: true,
  }),
  // The Jobs tab's log pane: the job_logs lines a worker relayed (jobs.get carries progress, not the log).
  'jobs.logs': method({
    description: 'Log lines of one job (what its worker logged), oldest first; the last `limit`.',
    input: z.object({ id: z.string().min(1), limit: z.number().int().min(1).max(5000).default(500) }).strict(),
    output: z.object({ id: z.string(), lines: z.array(z.object({ at: z.string(), level: z.string(), message: z.string() })) }),
  }),
  'system.selftest.report': method({
    description: 'The last self-test report (logs/integration_test_report.json), or null when none was written.',
    input: empty,
    output: SelftestReportSchema.nullable(),
  }),
} as const;
