/**
 * The complete integration test (system.selftest) through the job system, as the console and the CLI run
 * it: on the embedded profile, and on a cluster profile against the real Redis, Kafka and MLflow. Checks
 * the report (every step passed, figures consistent), that the operator's workspace and servers are left
 * as they were (scratch folder, namespaced topics, Redis keys, registered model removed), and that a
 * failing step is reported with its code while the steps needing it are skipped.
 */
import fs from 'node:fs';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src-main/api/contract.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import type { SelftestReport } from '../../src-main/api/methods/selftest.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { createScratch, STALE_SCRATCH_MS } from '../../src-main/engines/selftest/scratch.js';
import { ensureService, type ServiceEndpoint } from '../helpers/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

async function runSelftest(s: Services, input: Record<string, unknown>): Promise<{ job: Job; report: SelftestReport }> {
  const res = await dispatch(s, 'system.selftest', input);
  if (!res.ok) throw new Error(`system.selftest: ${res.error.code}: ${res.error.message}`);
  const job = await s.jobs.wait((res.result as Job).id);
  const rep = await dispatch(s, 'system.selftest.report', {});
  if (!rep.ok) throw new Error(`system.selftest.report: ${rep.error.message}`);
  return { job, report: rep.result as SelftestReport };
}

const step = (r: SelftestReport, name: string) => r.steps.find((x) => x.name === name)!;

function checkPassedReport(r: SelftestReport, profile: string): void {
  console.log(`[selftest ${profile}]\n${r.summary}`);
  expect(r.status).toBe('passed');
  expect(r.profile.name).toBe(profile);
  expect(r.steps.map((x) => [x.name, x.status])).toEqual(
    ['import', 'transform', 'materialize', 'train_linear', 'train_mlp', 'register', 'stream', 'predictions', 'drift', 'alert'].map((n) => [n, 'passed']),
  );
  for (const x of r.steps) expect(x.duration_ms).toBeGreaterThan(0);
  const imp = step(r, 'import').figures;
  expect(Number(imp.rows_written)).toBe(Number(imp.rows_accepted));
  expect(Number(imp.rows_read)).toBe(Number(imp.rows_accepted) + Number(imp.rows_rejected));
  const lin = step(r, 'train_linear').figures;
  expect(Number(lin.rmse)).toBeLessThan(Number(lin.baseline_rmse));
  const p = step(r, 'predictions').figures;
  expect(p.on_topic).toBe(Number(p.trips_in) - Number(p.dead_letters) - Number(p.duplicates));
  expect(Number(p.dead_letters)).toBeGreaterThanOrEqual(2);
  const d = step(r, 'drift').figures;
  expect(Number(d.drifted_columns)).toBeGreaterThanOrEqual(1);
  // The drift applied makes trips longer: distance or duration must be among the drifted.
  expect((d.drifted as string[]).some((c) => /trip_distance|trip_seconds/.test(c))).toBe(true);
  expect(step(r, 'alert').figures.rule).toBe('selftest_drift');
  expect(r.versions.app).toMatch(/^\d+\.\d+\.\d+/);
  expect(fs.existsSync(r.namespace.scratch)).toBe(false);
  expect(r.summary).toContain('PASSED: 10 passed, 0 failed, 0 skipped');
}

describe('self-test on the embedded profile', () => {
  let s: Services;
  let cleanup: () => void;
  beforeAll(async () => {
    const t = tempWorkspace('taxi-selftest-');
    cleanup = t.cleanup;
    s = await openServices({ workspace: t.dir, mode: 'server' });
  });
  afterAll(async () => {
    await s?.close();
    cleanup?.();
  });

  it('passes every step, writes the report, leaves the workspace as it was', async () => {
    const { job, report } = await runSelftest(s, {});
    expect(job.status).toBe('succeeded');
    expect(job.progress).toMatchObject({ done: 10, total: 10, unit: 'steps' });
    checkPassedReport(report, 'local');
    const onDisk = JSON.parse(fs.readFileSync(report.report_file, 'utf8')) as SelftestReport;
    expect(onDisk.steps).toEqual(report.steps);
    // Nothing of the run in the operator's own stores.
    const sum = await dispatch(s, 'data.summary', {});
    expect(sum.ok && (sum.result as { trips: number }).trips).toBe(0);
    expect(fs.readdirSync(s.workspace.paths.tmpDir).filter((f) => f.startsWith('selftest-'))).toEqual([]);
  }, 900_000);

  it('cancels: the running step ends CANCELLED, later steps are skipped, the scratch is removed', async () => {
    const res = await dispatch(s, 'system.selftest', {});
    if (!res.ok) throw new Error(res.error.message);
    const id = (res.result as Job).id;
    const file = `${s.workspace.paths.logsDir}/integration_test_report.json`;
    // Cancel while the transform runs (a step that is a job of its own in the scratch services).
    await expect
      .poll(() => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as SelftestReport).steps.find((x) => x.name === 'transform')?.status : null), { timeout: 120_000, interval: 200 })
      .toBe('running');
    s.jobs.cancel(id);
    const job = await s.jobs.wait(id);
    expect(job.status).toBe('cancelled');
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as SelftestReport;
    console.log(`[selftest cancelled]\n${report.summary}`);
    expect(report.status).toBe('cancelled');
    expect(step(report, 'import').status).toBe('passed');
    expect(step(report, 'transform')).toMatchObject({ status: 'failed', error: { code: 'CANCELLED' } });
    expect(report.steps.slice(2).every((x) => x.status === 'skipped')).toBe(true);
    expect(fs.existsSync(report.namespace.scratch)).toBe(false);
  }, 300_000);

  it('removes the scratch of a run killed before its cleanup, on the next run', async () => {
    const stale = createScratch(s.workspace, 'local', 'killed-run');
    fs.writeFileSync(`${stale.root}/marker`, 'left behind');
    const old = (Date.now() - 2 * STALE_SCRATCH_MS) / 1000;
    fs.utimesSync(stale.root, old, old);
    const { report } = await runSelftest(s, { until: 'import' });
    expect(report.status).toBe('passed');
    expect(fs.existsSync(stale.root)).toBe(false);
  }, 300_000);

  it('a failing step is reported with its code and the steps that need it are skipped', async () => {
    // A registry the profile cannot reach: training fails, everything downstream of it is skipped.
    const doc = parseDocument(fs.readFileSync(s.workspace.paths.config, 'utf8'));
    doc.setIn(['profiles', 'broken'], {
      kind: 'cluster',
      online_store: { type: 'sqlite', path: 'online.db' },
      bus: { type: 'local', path: 'streams.db' },
      registry: { type: 'mlflow', tracking_uri: 'http://127.0.0.1:9' },
    });
    fs.writeFileSync(s.workspace.paths.config, doc.toString());
    await s.reload?.();
    const { job, report } = await runSelftest(s, { profile: 'broken', until: 'register' });
    console.log(`[selftest broken registry]\n${report.summary}`);
    expect(job.status).toBe('succeeded');
    expect(report.status).toBe('failed');
    expect(step(report, 'import').status).toBe('passed');
    expect(step(report, 'train_linear')).toMatchObject({ status: 'failed' });
    expect(step(report, 'train_linear').error?.code).toMatch(/UNAVAILABLE|TIMEOUT/);
    expect(step(report, 'register')).toMatchObject({ status: 'skipped', error: { code: 'DEPENDENCY_FAILED' } });
    expect(step(report, 'stream')).toMatchObject({ status: 'skipped', error: null });
    expect(report.summary).toMatch(/FAIL train_linear .*(UNAVAILABLE|TIMEOUT)/);
  }, 900_000);
});

describe('self-test on a cluster profile (Redis, Kafka, MLflow)', () => {
  let s: Services;
  let cleanup: () => void;
  let eps: { redis: ServiceEndpoint; kafka: ServiceEndpoint; mlflow: ServiceEndpoint } | null = null;
  beforeAll(async () => {
    const [redis, kafka, mlflow] = await Promise.all([ensureService('redis'), ensureService('kafka'), ensureService('mlflow')]);
    if (!redis || !kafka || !mlflow) return;
    eps = { redis, kafka, mlflow };
    const t = tempWorkspace('taxi-selftest-cluster-');
    cleanup = t.cleanup;
    const doc = parseDocument(fs.readFileSync(t.workspace.paths.config, 'utf8'));
    doc.setIn(['profiles', 'cluster', 'online_store', 'connection_string'], `redis://${redis.host}:${redis.port}`);
    doc.setIn(['profiles', 'cluster', 'bus', 'brokers'], [`${kafka.host}:${kafka.port}`]);
    doc.setIn(['profiles', 'cluster', 'registry', 'tracking_uri'], `http://${mlflow.host}:${mlflow.port}`);
    fs.writeFileSync(t.workspace.paths.config, doc.toString());
    s = await openServices({ workspace: t.dir, mode: 'server' });
  });
  afterAll(async () => {
    await s?.close();
    cleanup?.();
  });

  it('passes every step against the servers and removes its topics, keys and registered model', async (ctx) => {
    if (!eps) return ctx.skip();
    const { job, report } = await runSelftest(s, { profile: 'cluster' });
    expect(job.status).toBe('succeeded');
    checkPassedReport(report, 'cluster');
    expect(report.profile).toMatchObject({ kind: 'cluster' });
    expect(report.profile.bus).toContain(`${eps.kafka.port}`);
    expect(report.namespace.cleanup.filter((n) => n.startsWith('could not'))).toEqual([]);
    // The servers keep nothing of the run.
    const kafka = new Kafka({ brokers: [`${eps.kafka.host}:${eps.kafka.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      for (const t of Object.values(report.namespace.topics)) expect(topics).not.toContain(t);
    } finally {
      await admin.disconnect();
    }
    const redis = new Redis({ host: eps.redis.host, port: eps.redis.port, lazyConnect: true });
    await redis.connect();
    try {
      expect(await redis.keys(`${report.namespace.project}:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
    const res = await fetch(`${eps.mlflow.url}/api/2.0/mlflow/registered-models/get?name=${encodeURIComponent(report.namespace.registered_model)}`);
    expect(res.status).toBe(404);
    // The secret-free report: no password-looking values in it.
    expect(JSON.stringify(report)).not.toMatch(/password\s*[:=]\s*[^{]/i);
  }, 900_000);
});
