/**
 * Feast's feature-server routes on `taxi-mlops serve`, so Feast clients and notebooks keep working:
 *   POST /get-online-features      { features: ["view:feature"] | feature_service, entities: { key: [values] }, full_feature_names }
 *   POST /push                     { push_source_name (a feature view), df: { column: [values] }, to: online | offline | online_and_offline }
 *   POST /materialize              { start_ts, end_ts, feature_views? }
 *   POST /materialize-incremental  { end_ts, feature_views? }
 * Each goes through the contract (same checks as the console). Materialization runs as a job; like
 * Feast's server the route answers when it is done (or after `wait_s`, with the job to follow).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Job, MethodName } from '../contract.js';
import { dispatch } from '../dispatch.js';
import { httpStatusOf } from '../http.js';
import type { Services } from '../../platform/services.js';
import { isTerminal } from '../../platform/jobs/manager.js';

const TO: Record<string, 'online' | 'offline' | 'both'> = { online: 'online', offline: 'offline', online_and_offline: 'both', both: 'both' };

const MaterializeBody = z
  .object({
    start_ts: z.union([z.string(), z.number()]).optional(),
    end_ts: z.union([z.string(), z.number()]).optional(),
    feature_views: z.array(z.string().min(1)).optional(),
    wait_s: z.number().min(0).max(3600).default(600),
  })
  .passthrough();

async function send(reply: FastifyReply, s: Services, method: MethodName, input: unknown): Promise<FastifyReply> {
  const res = await dispatch(s, method, input);
  if (!res.ok) return reply.code(httpStatusOf(res.error.code)).send({ detail: res.error.message, code: res.error.code, details: res.error.details ?? null });
  return reply.send(res.result);
}

/** Waits for a job up to `seconds`; Feast's server blocks until materialization ends. */
async function settle(s: Services, job: Job, seconds: number): Promise<Job> {
  if (isTerminal(job.status)) return job;
  const timer = new Promise<Job>((r) => setTimeout(() => r(s.jobs.get(job.id)), seconds * 1000).unref());
  return Promise.race([s.jobs.wait(job.id), timer]);
}

async function materializeRoute(reply: FastifyReply, s: Services, method: 'features.materialize' | 'features.materializeIncremental', body: unknown): Promise<FastifyReply> {
  const parsed = MaterializeBody.safeParse(body ?? {});
  if (!parsed.success) return reply.code(400).send({ detail: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '), code: 'INVALID_INPUT' });
  const b = parsed.data;
  const input =
    method === 'features.materialize'
      ? { start: b.start_ts, end: b.end_ts, ...(b.feature_views ? { views: b.feature_views } : {}) }
      : { ...(b.end_ts !== undefined ? { end: b.end_ts } : {}), ...(b.feature_views ? { views: b.feature_views } : {}) };
  const res = await dispatch(s, method, input);
  if (!res.ok) return reply.code(httpStatusOf(res.error.code)).send({ detail: res.error.message, code: res.error.code, details: res.error.details ?? null });
  const job = await settle(s, res.result as Job, b.wait_s);
  const status = job.status === 'succeeded' ? 200 : isTerminal(job.status) ? (job.error?.code === 'INVALID_INPUT' ? 400 : 500) : 202;
  return reply.code(status).send({ job_id: job.id, status: job.status, result: job.result, error: job.error });
}

export function registerFeastRoutes(app: FastifyInstance, s: Services): void {
  app.post('/get-online-features', (req, reply) => send(reply, s, 'features.getOnline', req.body));
  app.post('/push', (req, reply) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const to = typeof b.to === 'string' ? TO[b.to] : undefined;
    if (b.to !== undefined && !to) return reply.code(400).send({ detail: `to: expected online, offline or online_and_offline, got ${JSON.stringify(b.to)}`, code: 'INVALID_INPUT' });
    return send(reply, s, 'features.push', { view: b.push_source_name ?? b.view, rows: b.df ?? b.rows, to: to ?? 'online' });
  });
  app.post('/materialize', (req, reply) => materializeRoute(reply, s, 'features.materialize', req.body));
  app.post('/materialize-incremental', (req, reply) => materializeRoute(reply, s, 'features.materializeIncremental', req.body));
}
