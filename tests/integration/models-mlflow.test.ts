/**
 * Training and serving against a real MLflow tracking server (the cluster profile's registry): runs,
 * artifacts, versions and aliases go through MLflow's REST API, and the versions load back from the
 * artifact URIs MLflow gives them.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateInputSchema } from '../../src-main/api/contract.js';
import type { TrainResult } from '../../src-main/api/methods/models.js';
import { runGenerate } from '../../src-main/engines/data/generator/index.js';
import { materialize } from '../../src-main/engines/features/materialize.js';
import { openOnlineStore } from '../../src-main/engines/features/online/index.js';
import type { OnlineStore } from '../../src-main/engines/features/online/types.js';
import { transformFeatures } from '../../src-main/engines/features/transform.js';
import { loadModelFromRegistry } from '../../src-main/engines/models/model-io.js';
import { Predictor } from '../../src-main/engines/models/predictor.js';
import { referenceFromRegistry } from '../../src-main/engines/models/reference.js';
import { trainModel } from '../../src-main/engines/models/train.js';
import { MlflowRestStore } from '../../src-main/engines/registry/mlflow-rest/store.js';
import { openEngineDb, queryRows, sqlString } from '../../src-main/platform/duckdb.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { ensureService } from '../helpers/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

const mlflow = await ensureService('mlflow');
const DAY = 86_400_000;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

describe.skipIf(!mlflow)('models on an MLflow server', () => {
  const name = `taxi_fare_it_${crypto.randomBytes(4).toString('hex')}`;
  let ws: Workspace;
  let cleanup: () => void;
  let registry: MlflowRestStore;
  let store: OnlineStore;
  let linear: TrainResult;
  let mlp: TrainResult;

  beforeAll(async () => {
    const t = tempWorkspace('taxi-models-mlflow-');
    ws = t.workspace;
    cleanup = t.cleanup;
    const ctx = inlineContext(ws, silentLogger());
    const today = Date.parse(`${day(Date.now())}T00:00:00Z`);
    await runGenerate(GenerateInputSchema.parse({ rows: 6000, seed: 7, start: day(today - 4 * DAY), end: day(today - DAY) }), ctx);
    await transformFeatures({}, ctx);
    await materialize({ start: today - 5 * DAY, end: Date.now() }, ctx);
    registry = new MlflowRestStore({ trackingUri: mlflow!.url });
    store = await openOnlineStore(ws);
    linear = await trainModel({ algorithm: 'linear', registered_model: name, experiment: name, alias: 'champion' }, ctx, { registry });
    mlp = await trainModel({ algorithm: 'mlp', registered_model: name, experiment: name, epochs: 6 }, ctx, { registry });
  }, 900_000);

  afterAll(async () => {
    await store?.close();
    await registry?.close();
    cleanup?.();
  });

  it('logs the runs and registers both versions on MLflow, the alias on the linear one', async () => {
    expect(linear.metrics.rmse!).toBeLessThan(0.8 * linear.baseline.rmse!);
    expect(Number(mlp.version)).toBe(Number(linear.version) + 1);
    const run = await registry.getRun(mlp.run_id);
    expect(run.info.status).toBe('FINISHED');
    expect((await registry.getMetricHistory(mlp.run_id, 'loss')).items).toHaveLength(mlp.epochs_run);
    expect((await registry.getModelVersionByAlias(name, 'champion')).version).toBe(linear.version);
  });

  it('loads the versions back from MLflow and reproduces the saved evaluation predictions', async () => {
    for (const t of [linear, mlp]) {
      const model = await loadModelFromRegistry(registry, name, t.version);
      expect(model.algorithm).toBe(t.algorithm);
      const ref = await referenceFromRegistry(registry, ws, name, t.version);
      const db = await openEngineDb(ws, { threads: 1, memoryLimit: '256MB' });
      try {
        const rows = await queryRows<Record<string, number | string | null>>(db.conn, `SELECT * FROM read_parquet(${sqlString(ref.evalParquet)})`);
        expect(rows).toHaveLength(t.rows.eval);
        const out = model.predictRows(rows);
        rows.forEach((row, i) => expect(Math.abs(out[i]! - Number(row.prediction))).toBeLessThan(1e-6));
      } finally {
        db.close();
      }
    }
  });

  it('serves the champion from online features and follows the alias when it moves', async () => {
    const db = await openEngineDb(ws, { threads: 1, memoryLimit: '256MB' });
    const ref = await referenceFromRegistry(registry, ws, name, linear.version);
    const [trip] = await queryRows<{ trip_id: string; taxi_id: string; at: number }>(
      db.conn,
      `SELECT trip_id, taxi_id, CAST(epoch_ms(event_timestamp) AS DOUBLE) AS at FROM read_parquet(${sqlString(ref.evalParquet)}) ORDER BY event_timestamp DESC LIMIT 1`,
    );
    db.close();
    // Served a minute after that trip: with the wall clock the trip fell outside trip_features' one-day
    // ttl whenever the test ran late in the UTC day (the trips end yesterday).
    const p = new Predictor({
      registry,
      store,
      config: { ...ws.config, models: { ...ws.config.models, registered_model: name, serving: { ...ws.config.models.serving, challenger_share: 0 } } },
      workspace: ws,
      now: () => trip!.at + 60_000,
    });
    const a = await p.predict({ requests: [{ trip_id: trip!.trip_id, taxi_id: trip!.taxi_id }] });
    expect(a.predictions[0]).toMatchObject({ model_version: linear.version, variant: 'champion' });
    expect(a.predictions[0]!.feature_statuses.trip_features__trip_distance).toBe('PRESENT');
    await registry.setRegisteredModelAlias(name, 'champion', mlp.version);
    p.invalidate();
    const b = await p.predict({ requests: [{ trip_id: trip!.trip_id, taxi_id: trip!.taxi_id }] });
    expect(b.predictions[0]).toMatchObject({ model_version: mlp.version, variant: 'champion' });
  });
});
