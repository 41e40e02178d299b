/** jobs.*: long-running work, its progress, history and cancellation. */
import { z } from 'zod';
import { JobSchema, JobStatusSchema, method } from './common.js';

export const jobsMethods = {
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
