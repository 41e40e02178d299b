/**
 * Training on the real sample (resources/data): import → transform → `models.train` jobs for the linear
 * model and the MLP, through the job system (worker threads) as the console and CLI run them. Checks the
 * models against predicting the mean, what is logged and registered, that the served model reproduces
 * the evaluation predictions, and the failure paths (cancel, no data, changed param, duplicate name).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src-main/api/contract.js';
import type { TrainResult } from '../../src-main/api/methods/models.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import { getRegistry } from '../../src-main/engines/registry/index.js';
import type { RegistryStore } from '../../src-main/engines/registry/types.js';
import { loadModelVersion } from '../../src-main/engines/models/model-io.js';
import { referenceOf } from '../../src-main/engines/models/reference.js';
import { openEngineDb, queryRows, sqlString } from '../../src-main/platform/duckdb.js';
import { resourcePath } from '../../src-main/platform/resources.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

const MODEL = 'chicago_taxi_fare';
let s: Services;
let r: RegistryStore;
let cleanup: () => void;
let linear: TrainResult;
let mlp: TrainResult;

async function start(method: string, input: unknown): Promise<Job> {
  const res = await dispatch(s, method, input);
  if (!res.ok) throw new Error(`${method}: ${res.error.code}: ${res.error.message}`);
  return res.result as Job;
}
async function runJob(method: string, input: unknown): Promise<Job> {
  const done = await s.jobs.wait((await start(method, input)).id);
  if (done.status !== 'succeeded') throw new Error(`${method}: ${done.status} ${JSON.stringify(done.error)}`);
  return done;
}
const versionCount = async (): Promise<number> => (await r.searchModelVersions({ filter: `name = '${MODEL}'` })).items.length;

beforeAll(async () => {
  const t = tempWorkspace('taxi-train-');
  cleanup = t.cleanup;
  s = await openServices({ workspace: t.dir, mode: 'server' });
  r = await getRegistry(s);
  await runJob('data.import', { path: resourcePath('data', 'chicago_taxi_trips_sample.csv'), layout: 'auto', source: 'tfx-sample' });
  await runJob('features.transform', {});
  linear = (await runJob('models.train', { algorithm: 'linear' })).result as TrainResult;
  mlp = (await runJob('models.train', { algorithm: 'mlp', epochs: 40, alias: 'champion' })).result as TrainResult;
  console.log(
    `[models] real sample: linear RMSE ${linear.metrics.rmse} MAE ${linear.metrics.mae} R² ${linear.metrics.r2} (${linear.duration_ms} ms); ` +
      `MLP RMSE ${mlp.metrics.rmse} MAE ${mlp.metrics.mae} R² ${mlp.metrics.r2} (${mlp.epochs_run} epochs, ${mlp.duration_ms} ms); ` +
      `mean baseline RMSE ${linear.baseline.rmse} MAE ${linear.baseline.mae}`,
  );
}, 1_200_000);

afterAll(async () => {
  await s?.close();
  cleanup?.();
});

describe('training on the real sample', () => {
  it('beats predicting the mean by a wide margin, and the MLP is not worse than the linear model', () => {
    // Same split for both: the latest 20% of the usable trips.
    expect(mlp.rows).toEqual(linear.rows);
    expect(linear.rows.eval).toBeGreaterThan(2000);
    expect(mlp.baseline.rmse).toBeCloseTo(linear.baseline.rmse!, 9);
    // Measured: linear ≈ 0.36 × and MLP ≈ 0.30 × the baseline RMSE.
    expect(linear.metrics.rmse!).toBeLessThan(0.6 * linear.baseline.rmse!);
    expect(linear.metrics.mae!).toBeLessThan(0.6 * linear.baseline.mae!);
    expect(linear.metrics.r2!).toBeGreaterThan(0.6);
    expect(mlp.metrics.rmse!).toBeLessThan(0.6 * mlp.baseline.rmse!);
    expect(mlp.metrics.rmse!).toBeLessThanOrEqual(linear.metrics.rmse! * 1.05);
    expect(Math.abs(linear.baseline.r2!)).toBeLessThan(0.05);
  });

  it('evaluates per pickup hour over every evaluation trip', () => {
    expect(linear.per_hour.reduce((n, h) => n + h.count, 0)).toBe(linear.rows.eval);
    expect(new Set(linear.per_hour.map((h) => h.hour)).size).toBe(linear.per_hour.length);
    for (const h of linear.per_hour) expect(h.hour).toBeGreaterThanOrEqual(0);
  });

  it('logs params, metrics with per-epoch and per-hour histories, artifacts, and registers versions', async () => {
    const run = await r.getRun(mlp.run_id);
    expect(run.info.status).toBe('FINISHED');
    const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
    expect(params).toMatchObject({ algorithm: 'mlp', task: 'fare', feature_service: 'fare_model', train_rows: String(mlp.rows.train), epochs: '40' });
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    expect(metrics.rmse).toBeCloseTo(mlp.metrics.rmse!, 9);
    expect(metrics.baseline_rmse).toBeCloseTo(mlp.baseline.rmse!, 9);
    const loss = (await r.getMetricHistory(mlp.run_id, 'val_loss')).items;
    expect(loss.map((m) => m.step)).toEqual(Array.from({ length: mlp.epochs_run }, (_, i) => i + 1));
    const byHour = (await r.getMetricHistory(mlp.run_id, 'rmse_by_hour')).items;
    expect(byHour.map((m) => m.step).sort((a, b) => a - b)).toEqual(mlp.per_hour.map((h) => h.hour));
    const files = (await r.listArtifacts(mlp.run_id, 'model')).map((f) => f.path).sort();
    expect(files).toEqual(['model/MLmodel', 'model/feature_spec.json', 'model/model.json', 'model/weights.bin']);
    expect((await r.listArtifacts(linear.run_id, 'model')).map((f) => f.path)).toContain('model/linear.json');
    expect((await r.listArtifacts(mlp.run_id, 'reference')).map((f) => f.path).sort()).toEqual(['reference/eval.parquet', 'reference/profile.json', 'reference/train.parquet']);
    const v = await r.getModelVersion(MODEL, mlp.version);
    expect(v.run_id).toBe(mlp.run_id);
    expect(v.tags).toEqual(expect.arrayContaining([{ key: 'taxi.algorithm', value: 'mlp' }]));
    expect((await r.getModelVersionByAlias(MODEL, 'champion')).version).toBe(mlp.version);
    const list = await dispatch(s, 'models.list', {});
    if (!list.ok) throw new Error(list.error.message);
    const versions = (list.result as { versions: { version: string; features: unknown[] }[] }).versions;
    expect(versions.map((x) => x.version)).toEqual([mlp.version, linear.version]);
    expect(versions[0]!.features).toHaveLength(17);
  });

  it('saves the evaluation set with predictions that the loaded (served) model reproduces', async () => {
    for (const t of [linear, mlp]) {
      const ref = await referenceOf(s, MODEL, t.version);
      expect(ref.profile.rows).toBe(t.rows.train);
      expect(ref.profile.features).toHaveLength(17);
      const model = await loadModelVersion(s, MODEL, t.version);
      const db = await openEngineDb(s.workspace, { threads: 1, memoryLimit: '256MB' });
      try {
        const rows = await queryRows<Record<string, number | string | null>>(db.conn, `SELECT * FROM read_parquet(${sqlString(ref.evalParquet)})`);
        expect(rows).toHaveLength(t.rows.eval);
        const train = await queryRows<{ n: bigint }>(db.conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(ref.trainParquet)})`);
        expect(Number(train[0]!.n)).toBe(t.rows.train);
        const out = model.predictRows(rows);
        let worst = 0;
        rows.forEach((row, i) => (worst = Math.max(worst, Math.abs(out[i]! - Number(row.prediction)))));
        expect(worst).toBeLessThan(1e-6);
        let se = 0;
        rows.forEach((row, i) => (se += (out[i]! - Number(row.fare_amount)) ** 2));
        expect(Math.sqrt(se / rows.length)).toBeCloseTo(t.metrics.rmse!, 6);
      } finally {
        db.close();
      }
    }
  });

  it('refuses to change a logged param and a duplicate model name, leaving the registry as it was', async () => {
    await expect(r.logParam(linear.run_id, 'algorithm', 'mlp')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect((await r.getRun(linear.run_id)).data.params.find((p) => p.key === 'algorithm')?.value).toBe('linear');
    const before = await versionCount();
    await expect(r.createRegisteredModel({ name: MODEL })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    expect(await versionCount()).toBe(before);
    expect((await r.getModelVersionByAlias(MODEL, 'champion')).version).toBe(mlp.version);
  });

  it('a range without trips fails with INVALID_INPUT and registers nothing', async () => {
    const before = await versionCount();
    const job = await s.jobs.wait((await start('models.train', { algorithm: 'linear', start: '2030-01-01', end: '2030-02-01' })).id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('usable trips') });
    expect(await versionCount()).toBe(before);
  });

  it('a cancelled training stops during the epochs and registers nothing', async () => {
    const before = await versionCount();
    const job = await start('models.train', { algorithm: 'mlp', epochs: 500, patience: 500, max_rows: 3000 });
    await new Promise<void>((resolve) => {
      const off = s.events.subscribe((e) => {
        if (e.event === 'jobs.progress' && e.payload.id === job.id && /^epoch \d+\//.test(e.payload.progress.message ?? '')) {
          off();
          resolve();
        }
      });
    });
    expect((await dispatch(s, 'jobs.cancel', { id: job.id })).ok).toBe(true);
    const done = await s.jobs.wait(job.id);
    expect(done.status).toBe('cancelled');
    expect(await versionCount()).toBe(before);
  });

  it('trains the big_tipper classifier with accuracy and AUC', async () => {
    const t = (await runJob('models.train', { algorithm: 'linear', task: 'big_tipper' })).result as TrainResult;
    console.log(`[models] big_tipper linear: accuracy ${t.metrics.accuracy} AUC ${t.metrics.auc} (majority class accuracy ${t.baseline.accuracy})`);
    expect(t.registered_model).toBe('chicago_taxi_big_tipper');
    expect(t.metrics.auc!).toBeGreaterThan(0.75);
    expect(t.metrics.accuracy!).toBeGreaterThanOrEqual(t.baseline.accuracy!);
  });
});
