/**
 * Smoke tests of the real services the integration tests use (scripts/services/*.sh): each one is
 * reached on its loopback port and does a real round trip. Under CI a service that cannot be started
 * fails the run (ensureService throws); elsewhere its block is skipped with the reason printed.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureService, KAFKA_PORT, MLFLOW_PORT, REDIS_PORT } from '../helpers/services.js';

const unique = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;

// Start (or find) all three at once; each resolves to null only outside CI when it cannot start.
const [redisEp, kafkaEp, mlflowEp] = await Promise.all([ensureService('redis'), ensureService('kafka'), ensureService('mlflow')]);

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!redisEp)('Redis service', () => {
  const redis = redisEp ? new Redis(redisEp.url, { lazyConnect: true, maxRetriesPerRequest: 1 }) : null;
  const prefix = `smoke:${unique}`;

  afterAll(async () => {
    if (!redis) return;
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('listens on the configured loopback port without persistence', async () => {
    expect(redisEp).toMatchObject({ host: '127.0.0.1', port: REDIS_PORT, url: `redis://127.0.0.1:${REDIS_PORT}` });
    await redis!.connect();
    expect(await redis!.ping()).toBe('PONG');
    const [, port] = (await redis!.config('GET', 'port')) as [string, string];
    expect(Number(port)).toBe(REDIS_PORT);
    const [, save] = (await redis!.config('GET', 'save')) as [string, string];
    expect(save).toBe('');
    const [, aof] = (await redis!.config('GET', 'appendonly')) as [string, string];
    expect(aof).toBe('no');
  });

  it('INFO server reports a Redis version', async () => {
    const info = await redis!.info('server');
    const version = /^redis_version:(\d+)\.(\d+)\.(\d+)\r?$/m.exec(info);
    expect(version, info.slice(0, 200)).not.toBeNull();
    expect(Number(version![1])).toBeGreaterThanOrEqual(6);
    expect(info).toMatch(new RegExp(`^tcp_port:${REDIS_PORT}\\r?$`, 'm'));
  });

  it('round-trips SET/GET and HSET/HGETALL', async () => {
    const key = `${prefix}:str`;
    expect(await redis!.set(key, 'fare=12.5', 'EX', 60)).toBe('OK');
    expect(await redis!.get(key)).toBe('fare=12.5');
    expect(await redis!.get(`${prefix}:missing`)).toBeNull();

    const hkey = `${prefix}:hash`;
    expect(await redis!.hset(hkey, { trip_miles: '3.2', fare: '12.5', company: 'Flash Cab' })).toBe(3);
    expect(await redis!.hgetall(hkey)).toEqual({ trip_miles: '3.2', fare: '12.5', company: 'Flash Cab' });
    expect(await redis!.hmget(hkey, 'fare', 'nope')).toEqual(['12.5', null]);
    expect(await redis!.hset(hkey, 'fare', '13')).toBe(0); // update, not a new field
    expect(await redis!.hget(hkey, 'fare')).toBe('13');
  });
});

describe.skipIf(!kafkaEp)('Kafka service', () => {
  const kafka = new Kafka({
    clientId: `smoke-${unique}`,
    brokers: [kafkaEp?.url ?? `127.0.0.1:${KAFKA_PORT}`],
    // kafkajs logs retriable errors (e.g. "coordinator is loading" on a fresh broker) at ERROR level;
    // failures surface as thrown errors in the assertions instead.
    logLevel: logLevel.NOTHING,
    retry: { retries: 8 },
  });
  const admin = kafka.admin();
  const topic = `smoke-${unique}`;
  const groupId = `smoke-group-${unique}`;
  let created = false;

  afterAll(async () => {
    if (created) await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('answers metadata as a single KRaft broker on the configured port', async () => {
    expect(kafkaEp).toMatchObject({ host: '127.0.0.1', port: KAFKA_PORT, url: `127.0.0.1:${KAFKA_PORT}` });
    await admin.connect();
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.brokers[0]).toMatchObject({ host: '127.0.0.1', port: KAFKA_PORT, nodeId: 1 });
    expect(cluster.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('does not auto-create topics', async () => {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 1 } });
    await producer.connect();
    try {
      await expect(
        producer.send({ topic: `smoke-absent-${unique}`, messages: [{ value: 'x' }], acks: -1, timeout: 2000 }),
      ).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
    expect(await admin.listTopics()).not.toContain(`smoke-absent-${unique}`);
  });

  it('creates, produces to, consumes from and deletes a 3-partition topic', async () => {
    const createdNow = await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    expect(createdNow).toBe(true);
    created = true;
    expect(await admin.listTopics()).toContain(topic);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics).toHaveLength(1);
    expect(meta.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    for (const p of meta.topics[0]!.partitions) expect(p.leader).toBe(1);

    const sent = Array.from({ length: 10 }, (_, i) => ({ key: `taxi-${i % 4}`, value: JSON.stringify({ trip: i, fare: 5 + i }) }));
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const acks = await producer.send({ topic, messages: sent, acks: -1 });
    await producer.disconnect();
    expect(acks.every((a) => a.errorCode === 0)).toBe(true);

    const highWater = await admin.fetchTopicOffsets(topic);
    expect(highWater).toHaveLength(3);
    expect(highWater.reduce((n, p) => n + Number(p.high), 0)).toBe(10);

    type Got = { partition: number; offset: number; key: string; value: string };
    const got: Got[] = [];
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommitThreshold: 1,
      eachMessage: async ({ partition, message }) => {
        got.push({ partition, offset: Number(message.offset), key: message.key!.toString(), value: message.value!.toString() });
      },
    });
    try {
      await waitFor('10 messages', async () => (got.length >= 10 ? true : undefined));
      // The committed offsets of the group reach the end of every partition.
      await waitFor('committed offsets', async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const done = committed!.partitions.every((p) => {
          const hw = highWater.find((h) => h.partition === p.partition)!;
          return Number(p.offset) === Number(hw.high);
        });
        return done ? true : undefined;
      });
    } finally {
      await consumer.disconnect();
    }

    expect(got).toHaveLength(10);
    expect(got.map((m) => m.value).sort()).toEqual(sent.map((m) => m.value).sort());
    // Each key went to exactly one partition, and each partition's offsets run 0..n-1 in produce order.
    for (const key of new Set(sent.map((m) => m.key))) {
      const parts = new Set(got.filter((m) => m.key === key).map((m) => m.partition));
      expect(parts.size, `partitions of ${key}`).toBe(1);
    }
    for (const p of [0, 1, 2]) {
      const inPartition = got.filter((m) => m.partition === p);
      expect(inPartition.map((m) => m.offset)).toEqual(inPartition.map((_, i) => i));
      expect(inPartition.length).toBe(Number(highWater.find((h) => h.partition === p)!.high));
      const trips = inPartition.map((m) => (JSON.parse(m.value) as { trip: number }).trip);
      expect(trips).toEqual([...trips].sort((a, b) => a - b));
    }
    for (const m of got) {
      const trip = (JSON.parse(m.value) as { trip: number }).trip;
      expect(m.key).toBe(`taxi-${trip % 4}`);
    }

    const groups = await admin.describeGroups([groupId]);
    expect(groups.groups[0]).toMatchObject({ groupId, state: 'Empty' });
    await admin.deleteGroups([groupId]);

    await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    created = false;
    await waitFor('topic deletion', async () => ((await admin.listTopics()).includes(topic) ? undefined : true));
  });
});

describe.skipIf(!mlflowEp)('MLflow tracking server', () => {
  const base = mlflowEp?.url ?? `http://127.0.0.1:${MLFLOW_PORT}`;
  let experimentId: string | undefined;

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} -> HTTP ${res.status}: ${text.slice(0, 300)}`);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  afterAll(async () => {
    if (experimentId) await call('POST', '/api/2.0/mlflow/experiments/delete', { experiment_id: experimentId }).catch(() => undefined);
  });

  it('answers /health on the configured port', async () => {
    expect(mlflowEp).toMatchObject({ host: '127.0.0.1', port: MLFLOW_PORT, url: `http://127.0.0.1:${MLFLOW_PORT}` });
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect((await res.text()).trim()).toBe('OK');
  });

  it('creates an experiment, logs a run with a param and metrics, and reads them back', async () => {
    const name = `smoke-${unique}`;
    const exp = await call<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', { name });
    experimentId = exp.experiment_id;
    expect(experimentId).toMatch(/^\d+$/);
    const byName = await call<{ experiment: { experiment_id: string; name: string; lifecycle_stage: string } }>(
      'GET',
      `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
    );
    expect(byName.experiment).toMatchObject({ experiment_id: experimentId, name, lifecycle_stage: 'active' });

    const t0 = Date.now();
    const created = await call<{ run: { info: { run_id: string; experiment_id: string; status: string; artifact_uri: string } } }>(
      'POST',
      '/api/2.0/mlflow/runs/create',
      { experiment_id: experimentId, start_time: t0, run_name: 'smoke-run', tags: [{ key: 'suite', value: 'services' }] },
    );
    const runId = created.run.info.run_id;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(created.run.info).toMatchObject({ experiment_id: experimentId, status: 'RUNNING' });

    await call('POST', '/api/2.0/mlflow/runs/log-batch', {
      run_id: runId,
      params: [{ key: 'model_type', value: 'linear' }],
      metrics: [
        { key: 'rmse', value: 4.25, timestamp: t0, step: 0 },
        { key: 'rmse', value: 3.5, timestamp: t0 + 1, step: 1 },
        { key: 'r2', value: 0.81, timestamp: t0, step: 1 },
      ],
      tags: [{ key: 'stage', value: 'smoke' }],
    });
    await call('POST', '/api/2.0/mlflow/runs/update', { run_id: runId, status: 'FINISHED', end_time: t0 + 2 });

    type KV<V> = { key: string; value: V };
    const got = await call<{
      run: {
        info: { run_id: string; status: string; run_name: string };
        data: { metrics?: (KV<number> & { step: number })[]; params?: KV<string>[]; tags?: KV<string>[] };
      };
    }>('GET', `/api/2.0/mlflow/runs/get?run_id=${runId}`);
    expect(got.run.info).toMatchObject({ run_id: runId, status: 'FINISHED', run_name: 'smoke-run' });
    expect(got.run.data.params).toEqual([{ key: 'model_type', value: 'linear' }]);
    const metrics = Object.fromEntries((got.run.data.metrics ?? []).map((m) => [m.key, m]));
    expect(metrics.rmse).toMatchObject({ value: 3.5, step: 1 }); // latest value by step
    expect(metrics.r2?.value).toBeCloseTo(0.81, 10);
    const tags = Object.fromEntries((got.run.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ suite: 'services', stage: 'smoke' });

    const history = await call<{ metrics: (KV<number> & { step: number })[] }>(
      'GET',
      `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=rmse`,
    );
    expect(history.metrics.map((m) => [m.step, m.value]).sort()).toEqual([
      [0, 4.25],
      [1, 3.5],
    ]);

    const search = await call<{ runs?: { info: { run_id: string } }[] }>('POST', '/api/2.0/mlflow/runs/search', {
      experiment_ids: [experimentId],
      filter: "params.model_type = 'linear' and metrics.rmse < 4",
    });
    expect((search.runs ?? []).map((r) => r.info.run_id)).toEqual([runId]);

    // Artifacts are served by the tracking server (--serve-artifacts): upload, list, download.
    const artifactUri = created.run.info.artifact_uri;
    expect(artifactUri).toMatch(/^mlflow-artifacts:\//);
    const artifactPath = artifactUri.replace(/^mlflow-artifacts:\/+/, '');
    const content = `smoke ${unique}\n`;
    const put = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${artifactPath}/notes/smoke.txt`, {
      method: 'PUT',
      body: content,
    });
    expect(put.status, await put.clone().text()).toBe(200);
    const list = await call<{ files?: { path: string; is_dir: boolean }[] }>(
      'GET',
      `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=notes`,
    );
    expect(list.files?.map((f) => f.path)).toEqual(['notes/smoke.txt']);
    const download = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${artifactPath}/notes/smoke.txt`);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(content);
  });

  it('reports an unknown run as RESOURCE_DOES_NOT_EXIST', async () => {
    const res = await fetch(`${base}/api/2.0/mlflow/runs/get?run_id=${'0'.repeat(32)}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error_code: string }).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});
