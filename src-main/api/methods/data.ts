/** data.*: trip import, synthetic generation, and what the trip store holds. */
import { z } from 'zod';
import { JobSchema, empty, method } from './common.js';

export const ImportLayoutSchema = z.enum(['auto', 'tfx', 'portal', 'canonical']);

export const ImportSummarySchema = z.object({
  file: z.string(),
  layout: z.enum(['tfx', 'portal', 'canonical']),
  rows_read: z.number().int(),
  rows_accepted: z.number().int(),
  rows_rejected: z.number().int(),
  rows_duplicate: z.number().int().describe('accepted rows already in the store (re-import)'),
  rows_written: z.number().int(),
  rejected_by_reason: z.record(z.string(), z.number().int()),
  rejects_file: z.string().nullable(),
  months: z.array(z.string()),
  duration_ms: z.number(),
});
export type ImportSummary = z.infer<typeof ImportSummarySchema>;

export const DriftNameSchema = z.enum(['none', 'longer_trips', 'night_shift', 'fare_hike', 'airport_surge']);
export type DriftName = z.infer<typeof DriftNameSchema>;

const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'expected an ISO date such as 2016-01-31 or 2016-01-31T10:00:00Z' });

export const GenerateInputSchema = z
  .object({
    rows: z.number().int().min(1).max(100_000_000),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
    start: isoDate.optional(),
    end: isoDate.optional(),
    drift: DriftNameSchema.default('none'),
    /** Where to write: into the workspace trip store (default) or to a CSV/Parquet file. */
    output: z.string().min(1).optional(),
  })
  .strict()
  .refine((v) => !v.start || !v.end || Date.parse(v.start) < Date.parse(v.end), {
    message: 'start must be before end',
    path: ['end'],
  });
export type GenerateInput = z.infer<typeof GenerateInputSchema>;

export const GenerateSummarySchema = z.object({
  rows: z.number().int(),
  seed: z.number().int(),
  drift: DriftNameSchema,
  start: z.string(),
  end: z.string(),
  output: z.string(),
  months: z.array(z.string()),
  duration_ms: z.number(),
});
export type GenerateSummary = z.infer<typeof GenerateSummarySchema>;

export const ImportInputSchema = z
  .object({
    path: z.string().min(1),
    layout: ImportLayoutSchema.default('auto'),
    /** Name recorded as the source of the trips (defaults to the file name). */
    source: z.string().min(1).optional(),
  })
  .strict();
export type ImportInput = z.infer<typeof ImportInputSchema>;

export const DataSummarySchema = z.object({
  trips: z.number().int(),
  first_pickup: z.string().nullable(),
  last_pickup: z.string().nullable(),
  months: z.array(z.object({ month: z.string(), rows: z.number().int() })),
  sources: z.array(z.object({ source: z.string(), rows: z.number().int() })),
  rejects: z.object({ files: z.number().int(), rows: z.number().int() }),
  store_path: z.string(),
});
export type DataSummary = z.infer<typeof DataSummarySchema>;

export const dataMethods = {
  'data.import': method({
    description: 'Import a CSV of trips (TFX or City of Chicago layout) into the trip store; bad rows go to a rejects file.',
    input: ImportInputSchema,
    output: JobSchema,
    job: true,
  }),
  'data.generate': method({
    description: 'Generate synthetic trips calibrated on the real sample, optionally with drift.',
    input: GenerateInputSchema,
    output: JobSchema,
    job: true,
  }),
  'data.summary': method({
    description: 'What the trip store holds: rows per month and per source, rejects.',
    input: empty,
    output: DataSummarySchema,
  }),
} as const;
