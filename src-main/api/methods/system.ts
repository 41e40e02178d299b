/** system.*: facts about the running app and the health of its services. */
import { z } from 'zod';
import { ServiceHealthSchema, empty, method } from './common.js';

export const systemMethods = {
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
} as const;
