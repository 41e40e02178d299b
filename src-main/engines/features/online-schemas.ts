/**
 * The inputs and outputs of the online side of the feature store (materialize, get-online-features,
 * push, the run history), as zod schemas. Only zod here, so the API contract and the renderer can use
 * them without loading DuckDB, SQLite or ioredis.
 */
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';

// ---------- materialize ----------

/**
 * Milliseconds since the epoch from a number, a date (2016-01-31, midnight UTC) or an ISO date-time;
 * a date-time without an offset is UTC, like the stored timestamps.
 */
export function instantMs(v: number | string): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : null;
  const text = v.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text)) return null;
  const utc = /[T ]/.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? `${text.replace(' ', 'T')}Z` : text.replace(' ', 'T');
  const ms = Date.parse(utc);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

export const InstantSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = instantMs(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `expected an ISO 8601 time (2016-01-31T23:45:00Z or 2016-01-31) or epoch milliseconds; got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});

const ViewNames = z.array(z.string().min(1)).min(1).optional().describe('feature views; all when absent');

export const MaterializeInputSchema = z
  .object({ start: InstantSchema, end: InstantSchema, views: ViewNames })
  .strict()
  .refine((i) => i.start < i.end, { message: 'start must be before end', path: ['end'] });
export type MaterializeInput = z.input<typeof MaterializeInputSchema>;

export const MaterializeIncrementalInputSchema = z
  .object({ end: InstantSchema.optional().describe('default: now'), views: ViewNames })
  .strict();
export type MaterializeIncrementalInput = z.input<typeof MaterializeIncrementalInputSchema>;

export const MaterializeViewResultSchema = z.object({
  view: z.string(),
  start: z.string(),
  end: z.string(),
  rows: z.number().describe('entities with a row in the range'),
  written: z.number().describe('rows stored; the others lost to a newer online value'),
  status: z.enum(['succeeded', 'up_to_date']),
  run_id: z.number().nullable(),
});

export const MaterializeResultSchema = z.object({
  batch_id: z.string(),
  mode: z.enum(['materialize', 'incremental']),
  store: z.string().describe('sqlite file or redis host:port'),
  views: z.array(MaterializeViewResultSchema),
  rows: z.number(),
  written: z.number(),
  duration_ms: z.number(),
});
export type MaterializeResult = z.infer<typeof MaterializeResultSchema>;

// ---------- get-online-features ----------

export const FeatureValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const FeatureStatusSchema = z.enum(['PRESENT', 'NULL_VALUE', 'NOT_FOUND', 'OUTSIDE_MAX_AGE']);

const isFeatureValue = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Why a column of entity values is refused: where the first bad value is, and what it is. */
function entityValuesError(input: unknown): string {
  if (!Array.isArray(input)) return `expected an array of entity values; got ${input === null ? 'null' : typeof input}`;
  const at = input.findIndex((v) => !isFeatureValue(v));
  const v: unknown = input[at];
  return `value at position ${at} is ${Array.isArray(v) ? 'an array' : v === undefined ? 'undefined' : `an ${typeof v}`}; expected a string, number, boolean or null`;
}

/**
 * A column of entity values, checked by one plain predicate rather than as an array of a union: zod's
 * array and union parses allocated about 180 bytes per value (a seventh of a 100-row request's garbage),
 * and a refinement with a context kept more of each request alive across young collections, which made
 * them slower. The error still names the position.
 */
const EntityValuesSchema = z.custom<FeatureValue[]>((v) => Array.isArray(v) && v.every(isFeatureValue), {
  error: (iss) => entityValuesError(iss.input),
  // Not aborting lets the union of columns and rows report this issue rather than "Invalid input".
  abort: false,
});
type FeatureValue = z.infer<typeof FeatureValueSchema>;

/** At most this many entity rows per request. */
export const MAX_ENTITY_ROWS = 100_000;

export const GetOnlineFeaturesInputSchema = z
  .object({
    entities: z
      .union([
        z.record(z.string(), EntityValuesSchema).describe('columns: join key → values, one per entity row'),
        z.array(z.record(z.string(), FeatureValueSchema)).describe('rows: one object of join keys per entity row'),
      ])
      .describe('entity rows, by column ({ "taxi_id": ["a", "b"] }) or by row ([{ "taxi_id": "a" }])'),
    features: z.array(z.string().min(1)).min(1).optional().describe('"view:feature" or "view:*" references'),
    feature_service: z.string().min(1).optional(),
    full_feature_names: z.boolean().default(false).describe('name columns view__feature instead of feature'),
  })
  .strict()
  .refine((i) => (i.features === undefined) !== (i.feature_service === undefined), {
    message: 'give either features or feature_service (exactly one)',
    path: ['features'],
  });
export type GetOnlineFeaturesInput = z.input<typeof GetOnlineFeaturesInputSchema>;
export type GetOnlineFeaturesRequest = z.output<typeof GetOnlineFeaturesInputSchema>;

export const OnlineFeaturesResponseSchema = z.object({
  metadata: z.object({ feature_names: z.array(z.string()) }),
  results: z.array(
    z.object({
      values: z.array(FeatureValueSchema),
      statuses: z.array(FeatureStatusSchema),
      event_timestamps: z.array(z.string()),
    }),
  ),
});
export type OnlineFeaturesResponse = z.infer<typeof OnlineFeaturesResponseSchema>;

/** Parses input the way the API does, for direct calls: INVALID_INPUT naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.join('.') || '(input)';
  throw new AppError('INVALID_INPUT', `${what}: ${field}: ${issue.message}`, { field, issues: r.error.issues });
}

// ---------- push ----------

export const MAX_PUSH_ROWS = 100_000;

const CellSchema = z.union([FeatureValueSchema, z.number()]);

export const PushInputSchema = z
  .object({
    view: z.string().min(1),
    rows: z
      .union([
        z.array(z.record(z.string(), CellSchema)).describe('one object per row: join key, event_timestamp, [created_timestamp], features'),
        z.record(z.string(), z.array(CellSchema)).describe("columns, like Feast's push df"),
      ])
      .describe('feature rows of the view'),
    to: z.enum(['online', 'offline', 'both']).default('online'),
  })
  .strict();
export type PushInput = z.input<typeof PushInputSchema>;
export type PushRows = PushInput['rows'];
export type PushTarget = z.output<typeof PushInputSchema>['to'];

export const PushResultSchema = z.object({
  view: z.string(),
  rows: z.number(),
  online: z.object({ written: z.number(), kept_newer: z.number() }).nullable(),
  offline: z.object({ files: z.array(z.string()), partitions: z.array(z.string()) }).nullable(),
});
export type PushResult = z.infer<typeof PushResultSchema>;

// ---------- run history ----------

export const MaterializationRunSchema = z.object({
  id: z.number(),
  batch_id: z.string().describe('shared by the views of one materialize call'),
  mode: z.enum(['materialize', 'incremental']),
  view: z.string(),
  start: z.string(),
  end: z.string(),
  rows: z.number(),
  written: z.number(),
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
});

export const ViewWatermarkSchema = z.object({
  view: z.string(),
  watermark: z.string().describe('end of the newest range materialized in full; the next incremental run starts here'),
  watermark_ms: z.number(),
  updated_at: z.string(),
});

export const MaterializationRunsInputSchema = z
  .object({ view: z.string().min(1).optional(), limit: z.number().int().min(1).max(1000).default(50) })
  .strict()
  .default({ limit: 50 });
