/**
 * The feature store through the contract and Feast's routes on `serve`: generated trips → transform →
 * materialize → online reads with statuses, push, historical retrieval, stats, scheduler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src-main/api/contract.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import { startHttpServer, type HttpServer } from '../../src-main/api/http.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

let s: Services;
let server: HttpServer;
let cleanup: () => void;

async function ok<T>(method: string, input?: unknown): Promise<T> {
  const r = await dispatch(s, method, input);
  if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
  return r.result as T;
}
async function runJob(method: string, input: unknown): Promise<Job> {
  const job = await ok<Job>(method, input);
  const done = await s.jobs.wait(job.id);
  if (done.status !== 'succeeded') throw new Error(`${method}: ${done.status} ${JSON.stringify(done.error)}`);
  return done;
}
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

// Recent trips, so that online values are inside their TTL when read now.
const now = Date.now();
const day = 86_400_000;
const start = new Date(now - 3 * day).toISOString().slice(0, 10);

beforeAll(async () => {
  const t = tempWorkspace();
  cleanup = t.cleanup;
  s = await openServices({ workspace: t.dir, mode: 'server' });
  server = await startHttpServer({ services: s, port: 0, staticDir: t.dir });
  await runJob('data.generate', { rows: 20_000, seed: 5, start, end: new Date(now - 60_000).toISOString() });
}, 180_000);
afterAll(async () => {
  await server.close();
  await s.close();
  cleanup();
});

describe('feature store API', () => {
  it('lists and validates the shipped definitions', async () => {
    const list = await ok<{ views: { name: string; features: { name: string }[] }[]; services: { name: string }[] }>('features.list');
    expect(list.views.map((v) => v.name)).toEqual(expect.arrayContaining(['trip_features', 'taxi_activity', 'area_demand']));
    expect(list.views.find((v) => v.name === 'taxi_activity')!.features.map((f) => f.name)).toEqual(
      expect.arrayContaining(['trips_1h', 'trips_24h', 'avg_fare_7d', 'tip_rate_7d']),
    );
    expect(list.services.map((x) => x.name)).toContain('fare_model');
    expect(await ok('features.validate')).toEqual({ ok: true, problems: [] });
  });

  it('transforms, materializes and serves online values with statuses through Feast\'s route', async () => {
    const t = await runJob('features.transform', {});
    expect((t.result as { rows: number }).rows).toBeGreaterThan(20_000);
    const m = await post('/materialize', { start_ts: `${start}T00:00:00Z`, end_ts: new Date(now + 60_000).toISOString() });
    expect(m.status).toBe(200);
    expect(m.body.status).toBe('succeeded');

    const hist = await ok<{ rows: { taxi_id: string }[] }>('features.getHistorical', {
      entities: [{ taxi_id: 'gtaxi-0001', event_timestamp: now }],
      features: ['taxi_activity:trips_24h'],
    });
    expect(hist.rows).toHaveLength(1);

    // A taxi that drove recently is PRESENT; an unknown one NOT_FOUND.
    const stats = await ok<{ view: string; features: { feature: string; top: { value: string }[] | null }[] }[]>('features.stats', { views: ['trip_features'] });
    expect(stats[0]!.view).toBe('trip_features');
    const r = await post('/get-online-features', {
      features: ['taxi_activity:trips_24h', 'taxi_activity:avg_fare_7d'],
      entities: { taxi_id: ['gtaxi-0001', 'no-such-taxi'] },
    });
    expect(r.status).toBe(200);
    const body = r.body as { metadata: { feature_names: string[] }; results: { values: unknown[]; statuses: string[] }[] };
    expect(body.metadata.feature_names).toEqual(['taxi_id', 'trips_24h', 'avg_fare_7d']);
    expect(body.results[0]!.values).toEqual(['gtaxi-0001', 'no-such-taxi']);
    expect(body.results[1]!.statuses[1]).toBe('NOT_FOUND');
    expect(['PRESENT', 'OUTSIDE_MAX_AGE', 'NULL_VALUE']).toContain(body.results[1]!.statuses[0]);
  }, 180_000);

  it('pushes rows online and reads them back as PRESENT', async () => {
    const ts = new Date().toISOString();
    const p = await post('/push', {
      push_source_name: 'taxi_activity',
      df: { taxi_id: ['pushed-taxi'], event_timestamp: [ts], trips_1h: [3], trips_24h: [9], avg_fare_7d: [12.5], tip_rate_7d: [0.1] },
      to: 'online',
    });
    expect(p.status).toBe(200);
    const r = await post('/get-online-features', { features: ['taxi_activity:trips_24h'], entities: { taxi_id: ['pushed-taxi'] } });
    const body = r.body as { results: { values: unknown[]; statuses: string[] }[] };
    expect(body.results[1]).toMatchObject({ values: [9], statuses: ['PRESENT'] });
  });

  it('answers bad requests with the field and close names', async () => {
    const r = await post('/get-online-features', { features: ['taxi_activity:trips_25h'], entities: { taxi_id: ['x'] } });
    expect(r.status).toBe(400);
    expect(String(r.body.detail)).toMatch(/trips_25h/);
    expect(String(r.body.detail)).toMatch(/trips_24h|trips_1h/);
    const push = await post('/push', { push_source_name: 'taxi_activity', df: {}, to: 'sideways' });
    expect(push.status).toBe(400);
  });

  it('runs the scheduler in-process and reports its tasks', async () => {
    const st = await ok<{ running: boolean; tasks: { name: string; interval_s: number; next_run_at: string | null }[] }>('features.scheduler.start', {});
    expect(st.running).toBe(true);
    expect(st.tasks.map((t) => [t.name, t.interval_s])).toEqual([
      ['refresh', 3600],
      ['materialize', 1800],
      ['alerts', 300],
    ]);
    const job = await ok<{ job: Job | null }>('features.scheduler.runNow', { task: 'materialize' });
    expect(job.job).not.toBeNull();
    await s.jobs.wait(job.job!.id);
    const runs = await ok<Job[]>('features.scheduler.runs', {});
    expect(runs.some((j) => j.id === job.job!.id)).toBe(true);
    const stopped = await ok<{ running: boolean }>('features.scheduler.stop');
    expect(stopped.running).toBe(false);
    const hist = await ok<{ runs: { mode: string }[]; watermarks: { view: string }[] }>('features.runs', {});
    // The explicit materialization above already reached past now, so the incremental run had nothing to add.
    expect(hist.runs.some((r) => r.mode === 'materialize')).toBe(true);
    expect((await s.jobs.wait(job.job!.id)).status).toBe('succeeded');
    expect(hist.watermarks.map((w) => w.view)).toEqual(expect.arrayContaining(['taxi_activity']));
  }, 120_000);
});
