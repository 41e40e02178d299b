/**
 * Profiles against the real services in the headless server: a cluster profile pointing at the test
 * Redis, Kafka and MLflow is saved through the contract, tested (latency per service, a clear reason for
 * a closed port), activated — the running services' online store becomes Redis and the bus Kafka without
 * reopening them — and switched back to the embedded profile.
 */
import fs from 'node:fs';
import net from 'node:net';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch.js';
import { getOnlineStore } from '../../src-main/engines/features/runtime.js';
import { getBus } from '../../src-main/engines/streams/index.js';
import { getRegistry } from '../../src-main/engines/registry/index.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { ensureService } from '../helpers/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

const [redis, kafka, mlflow] = await Promise.all([ensureService('redis'), ensureService('kafka'), ensureService('mlflow')]);

let ws: ReturnType<typeof tempWorkspace>;
let s: Services;
const events: { event: string; payload: unknown }[] = [];

async function ok<T>(method: string, input?: unknown): Promise<T> {
  const r = await dispatch(s, method, input);
  if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
  return r.result as T;
}

/** A port nothing listens on: bound, noted, closed. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const clusterProfile = () => ({
  kind: 'cluster',
  description: 'test services',
  online_store: { type: 'redis', connection_string: redis!.url, mode: 'standalone' },
  bus: { type: 'kafka', brokers: [kafka!.url], client_id: `taxi-profiles-${process.pid}` },
  registry: { type: 'mlflow', tracking_uri: mlflow!.url },
});

beforeAll(async () => {
  ws = tempWorkspace('taxi-profiles-');
  s = await openServices({ workspace: ws.dir, mode: 'server' });
  s.events.subscribe((e) => events.push(e));
});

afterAll(async () => {
  await s?.close();
  ws?.cleanup();
});

describe.skipIf(!redis || !kafka || !mlflow)('profile switching against Redis, Kafka and MLflow', () => {
  it('saves a cluster profile into config.yaml, keeping the file valid and its comments', async () => {
    const view = await ok<{ name: string; active: boolean; kind: string; secrets: unknown[] }>('settings.profile.save', { name: 'testcluster', profile: clusterProfile() });
    expect(view).toMatchObject({ name: 'testcluster', active: false, kind: 'cluster', secrets: [] });
    const text = fs.readFileSync(s.workspace.paths.config, 'utf8');
    expect(text).toContain('testcluster:');
    expect(text).toContain(redis!.url);
    expect(text).toContain('# Which profile the app uses');
    const list = await ok<{ active: string; profiles: { name: string }[] }>('settings.profiles');
    expect(list.active).toBe('local');
    expect(list.profiles.map((p) => p.name)).toEqual(['local', 'cluster', 'testcluster']);
    expect(events.at(-1)).toMatchObject({ event: 'settings.changed', payload: { reason: 'saved', profile: 'testcluster', active_profile: 'local' } });
  });

  it('tests each service of the cluster profile with a latency', async () => {
    const r = await ok<{ ok: boolean; services: { service: string; kind: string; status: string; latency_ms: number | null; message: string }[] }>('settings.profile.test', {
      name: 'testcluster',
    });
    expect(r.services.map((x) => [x.service, x.kind, x.status])).toEqual([
      ['online_store', 'redis', 'ok'],
      ['bus', 'kafka', 'ok'],
      ['registry', 'mlflow', 'ok'],
    ]);
    expect(r.ok).toBe(true);
    for (const x of r.services) expect(x.latency_ms).toBeGreaterThan(0);
    expect(r.services[0]!.message).toMatch(/^Redis \d/);
    expect(r.services[1]!.message).toMatch(/broker/);
  });

  it('names the closed port when a service is unreachable, quickly', async () => {
    const port = await closedPort();
    const draft = { ...clusterProfile(), bus: { type: 'kafka', brokers: [`127.0.0.1:${port}`] }, online_store: { type: 'redis', connection_string: `redis://127.0.0.1:${port}` } };
    const t0 = Date.now();
    const r = await ok<{ ok: boolean; services: { service: string; status: string; latency_ms: number | null; message: string; code: string | null }[] }>('settings.profile.test', {
      profile: draft,
      timeout_ms: 4000,
    });
    expect(Date.now() - t0).toBeLessThan(9000);
    expect(r.ok).toBe(false);
    const [online, bus, registry] = r.services;
    expect(online).toMatchObject({ status: 'down', latency_ms: null, code: 'UNAVAILABLE' });
    expect(online!.message).toContain(`127.0.0.1:${port}`);
    expect(online!.message).toMatch(/unreachable/);
    expect(bus).toMatchObject({ status: 'down', code: 'UNAVAILABLE' });
    expect(bus!.message).toContain(`127.0.0.1:${port}`);
    expect(registry!.status).toBe('ok');
  });

  it('activates the cluster profile: the same services now use Redis and Kafka, no restart', async () => {
    const before = await getOnlineStore(s);
    expect(before.kind).toBe('sqlite');
    expect((await getBus(s)).kind).toBe('local');
    const r = await ok<{ active: string; previous: string; kind: string; closed_resources: string[] }>('settings.profile.activate', { name: 'testcluster' });
    expect(r).toMatchObject({ active: 'testcluster', previous: 'local', kind: 'cluster' });
    expect(r.closed_resources).toEqual(expect.arrayContaining(['online-store', 'bus']));
    expect(events.at(-1)).toMatchObject({ event: 'settings.changed', payload: { reason: 'activated', active_profile: 'testcluster', kind: 'cluster' } });
    const online = await getOnlineStore(s);
    expect(online.kind).toBe('redis');
    expect(online).not.toBe(before);
    expect((await online.ping()).detail).toMatch(/^Redis/);
    const bus = await getBus(s);
    expect(bus.kind).toBe('kafka');
    expect(bus.target).toBe(kafka!.url);
    expect((await getRegistry(s)).kind).toBe('mlflow');
    const info = await ok<{ profile: string; profile_kind: string }>('system.info');
    expect(info).toMatchObject({ profile: 'testcluster', profile_kind: 'cluster' });
    // The switch is on disk too: a restarted app comes back on the same profile.
    expect(fs.readFileSync(s.workspace.paths.config, 'utf8')).toMatch(/^active_profile: testcluster$/m);
    const topics = await ok<{ name: string }[] | { topics: { name: string }[] }>('streams.topics.list');
    const names = (Array.isArray(topics) ? topics : topics.topics).map((t) => t.name);
    expect(names).toContain('taxi-raw-data');
  });

  it('on the cluster profile, online writes land in Redis and produced messages in Kafka', async () => {
    const taxi = `profile-switch-${process.pid}-${Date.now()}`;
    const now = new Date().toISOString();
    await ok('features.push', { view: 'taxi_activity', rows: [{ taxi_id: taxi, event_timestamp: now, trips_1h: 2, trips_24h: 9, avg_fare_7d: 13.25, tip_rate_7d: 0.15 }], to: 'online' });
    const online = await ok<{ results: { values: unknown[]; statuses: string[] }[]; metadata: { feature_names: string[] } }>('features.getOnline', {
      entities: { taxi_id: [taxi] },
      features: ['taxi_activity:avg_fare_7d'],
    });
    expect(JSON.stringify(online)).toContain('13.25');
    // Read straight from Redis, not through the app: the view's key of that taxi is there.
    const client = new Redis(redis!.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      const key = `${s.workspace.config.project}:taxi_activity:${taxi}`;
      expect(await client.exists(key)).toBe(1);
      await client.del(key);
    } finally {
      client.disconnect();
    }
    // And a message produced through the services' bus is in the Kafka broker's log.
    const topic = `profile-switch-${process.pid}-${Date.now()}`;
    const bus = await getBus(s);
    await bus.createTopic({ name: topic, partitions: 1, replication_factor: -1, retention_ms: 3_600_000, retention_bytes: null });
    await bus.produce(topic, [{ key: 'k', value: 'hello kafka' }]);
    const admin = new Kafka({ clientId: 'profiles-check', brokers: [kafka!.url], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.map((o) => Number(o.high))).toEqual([1]);
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
  });

  it('refuses to delete the active profile', async () => {
    const r = await dispatch(s, 'settings.profile.delete', { name: 'testcluster' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('CONFLICT');
  });

  it('switches back to the embedded profile, keeping the scheduler and the live log tail on', async () => {
    await ok('features.scheduler.start', { run_now: false });
    await ok('logs.tail', { file: 'app.log', limit: 1, follow: true });
    await ok('settings.profile.activate', { name: 'local' });
    expect((await ok<{ running: boolean }>('features.scheduler.status')).running).toBe(true);
    await ok('features.scheduler.stop');
    const lines: string[] = [];
    const off = s.events.subscribe((e) => {
      if (e.event === 'logs.line') lines.push(...e.payload.entries.map((x) => x.msg));
    });
    s.log.app.info('after the switch');
    await vi.waitFor(() => expect(lines).toContain('after the switch'), { timeout: 5000 });
    off();
    expect((await getOnlineStore(s)).kind).toBe('sqlite');
    expect((await getBus(s)).kind).toBe('local');
    expect((await getRegistry(s)).kind).toBe('sqlite');
    expect(s.workspace.profile.name).toBe('local');
    await ok('settings.profile.delete', { name: 'testcluster' });
    expect((await ok<{ profiles: { name: string }[] }>('settings.profiles')).profiles.map((p) => p.name)).toEqual(['local', 'cluster']);
  });

  it('refuses a profile that fails the config schema and leaves config.yaml as it was', async () => {
    const before = fs.readFileSync(s.workspace.paths.config, 'utf8');
    const r = await dispatch(s, 'settings.profile.save', { name: 'bad', profile: { ...clusterProfile(), bus: { type: 'kafka', brokers: ['no-port'] } } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('INVALID_INPUT');
      expect(r.error.message).toContain('profile.bus.brokers[0]');
    }
    const inline = await dispatch(s, 'settings.profile.save', {
      name: 'bad',
      profile: { ...clusterProfile(), registry: { type: 'mlflow', tracking_uri: 'http://user:hunter2@127.0.0.1:5000' } },
    });
    expect(inline.ok).toBe(false);
    if (!inline.ok) expect(inline.error.message).toMatch(/registry\.tracking_uri: the URL carries a password/);
    expect(fs.readFileSync(s.workspace.paths.config, 'utf8')).toBe(before);
    expect(before).not.toContain('hunter2');
  });
});
