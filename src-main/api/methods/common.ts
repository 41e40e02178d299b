/**
 * Shapes shared by every part of the contract, and the helper that declares a method.
 */
import { z } from 'zod';

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

export const empty = z.object({}).strict().default({});

export interface MethodDef<I extends z.ZodType, O extends z.ZodType> {
  input: I;
  output: O;
  description: string;
  /** Methods that start long work return a job; clients follow it through `jobs.progress`. */
  job?: boolean;
}

export const method = <I extends z.ZodType, O extends z.ZodType>(def: MethodDef<I, O>): MethodDef<I, O> => def;
