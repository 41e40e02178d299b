/**
 * The one API contract. Every method and event is declared here once, with zod schemas for input and
 * output. Main (IPC), preload (window.api), the renderer's client and the HTTP/WS server all take their
 * names and types from this table, and every input is parsed against it at the boundary.
 */
import { z } from 'zod';

// ---------- shared shapes ----------

export const ApiErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ApiErrorShape = z.infer<typeof ApiErrorSchema>;

export const JobStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const JobProgressSchema = z.object({
  done: z.number(),
  total: z.number().nullable(),
  unit: z.string(),
  percent: z.number().nullable(),
  rate: z.number().nullable().describe('units per second'),
  eta_s: z.number().nullable(),
  message: z.string().nullable(),
});
export type JobProgressView = z.infer<typeof JobProgressSchema>;

export const JobSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  status: JobStatusSchema,
  input: z.unknown(),
  progress: JobProgressSchema,
  result: z.unknown().nullable(),
  error: ApiErrorSchema.nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
export type Job = z.infer<typeof JobSchema>;

export const ServiceHealthSchema = z.object({
  name: z.string(),
  kind: z.enum(['sqlite', 'parquet', 'redis', 'kafka', 'mlflow', 'filesystem']),
  target: z.string().describe('file path or host:port the check used'),
  status: z.enum(['ok', 'degraded', 'down']),
  latency_ms: z.number().nullable(),
  detail: z.string().nullable(),
});

export const ImportLayoutSchema = z.enum(['auto', 'tfx', 'portal']);

export const ImportSummarySchema = z.object({
  file: z.string(),
  layout: z.enum(['tfx', 'portal']),
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

const empty = z.object({}).strict().default({});

// ---------- methods ----------

interface MethodDef<I extends z.ZodType, O extends z.ZodType> {
  input: I;
  output: O;
  description: string;
  /** Methods that start long work return a job; clients follow it through `jobs.progress`. */
  job?: boolean;
}

const method = <I extends z.ZodType, O extends z.ZodType>(def: MethodDef<I, O>): MethodDef<I, O> => def;

export const methods = {
  'system.info': method({
    description: 'Application, runtime and workspace facts.',
    input: empty,
    output: z.object({
      app: z.string(),
      version: z.string(),
      node: z.string(),
      platform: z.string(),
      arch: z.string(),
      pid: z.number().int(),
      uptime_s: z.number(),
      workspace: z.string(),
      profile: z.string(),
      profile_kind: z.enum(['embedded', 'cluster']),
      mode: z.enum(['desktop', 'server', 'cli']),
    }),
  }),
  'system.health': method({
    description: 'Health of every service of the active profile, with latency.',
    input: empty,
    output: z.object({
      status: z.enum(['ok', 'degraded', 'down']),
      checked_at: z.string(),
      profile: z.string(),
      services: z.array(ServiceHealthSchema),
    }),
  }),
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
  'jobs.list': method({
    description: 'Jobs, newest first.',
    input: z
      .object({
        limit: z.number().int().min(1).max(1000).default(50),
        status: JobStatusSchema.optional(),
        kind: z.string().optional(),
      })
      .strict()
      .default({ limit: 50 }),
    output: z.array(JobSchema),
  }),
  'jobs.get': method({
    description: 'One job with its progress, result or error.',
    input: z.object({ id: z.string().min(1) }).strict(),
    output: JobSchema,
  }),
  'jobs.cancel': method({
    description: 'Cancel a queued or running job.',
    input: z.object({ id: z.string().min(1) }).strict(),
    output: JobSchema,
  }),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Input<M extends MethodName> = z.input<Methods[M]['input']>;
export type ParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type Output<M extends MethodName> = z.output<Methods[M]['output']>;

export const methodNames = Object.keys(methods) as MethodName[];
export const isMethodName = (name: string): name is MethodName => Object.hasOwn(methods, name);

// ---------- events ----------

export const events = {
  'jobs.progress': JobSchema,
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;
export const eventNames = Object.keys(events) as EventName[];
export const isEventName = (name: string): name is EventName => Object.hasOwn(events, name);

/** IPC channel names derive from the contract; nothing else may be sent over IPC. */
export const ipcInvokeChannel = 'api:invoke';
export const ipcEventChannel = (e: EventName): string => `api:event:${e}`;

/** The shape of window.api that preload exposes and the renderer client uses. */
export interface WindowApi {
  invoke<M extends MethodName>(method: M, input?: Input<M>): Promise<ApiResult<Output<M>>>;
  subscribe<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export type ApiResult<T> = { ok: true; result: T } | { ok: false; error: ApiErrorShape };
