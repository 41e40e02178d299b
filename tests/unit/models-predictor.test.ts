import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { dispatch } from '../../src-main/api/dispatch.js';
import { startHttpServer, type HttpServer } from '../../src-main/api/http.js';
import { getRegistry } from '../../src-main/engines/registry/index.js';
import type { RegistryStore } from '../../src-main/engines/registry/types.js';
import { getPredictor, tripBucket } from '../../src-main/engines/models/predictor.js';
import { loadModelVersion } from '../../src-main/engines/models/model-io.js';
import type { FeatureSpec } from '../../src-main/engines/models/feature-spec.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

const MODEL = 'chicago_taxi_fare';
let s: Services;
let r: RegistryStore;
let server: HttpServer;
let cleanup: () => void;
let experimentId: string;

/** A linear "model" predicting intercept + slope × trip distance (+ slope × 0 for the area feature). */
async function registerLinear(intercept: number, slope: number): Promise<string> {
  const spec: FeatureSpec = {
    format: 'taxi-mlops/feature-spec@1',
    feature_service: 'fare_model',
    task: 'fare',
    label: 'fare_amount',
    label_scale: { mean: 0, std: 1 },
    features: [
      { name: 'trip_features__trip_distance', type: 'numerical', mean: 0, std: 1, clip: [-1e6, 1e6], impute: 0 },
      { name: 'area_demand__trips_1h', type: 'numerical', mean: 0, std: 1, clip: [-1e6, 1e6], impute: 0 },
    ],
    input_dim: 2,
  };
  const run = await r.createRun({ experiment_id: experimentId });
  const id = run.info.run_id;
  await r.uploadArtifact(id, 'model/MLmodel', Buffer.from(toYaml({ flavors: { taxi_mlops: { algorithm: 'linear', model_file: 'linear.json', feature_spec: 'feature_spec.json' } } })));
  await r.uploadArtifact(id, 'model/feature_spec.json', Buffer.from(JSON.stringify(spec)));
  await r.uploadArtifact(id, 'model/linear.json', Buffer.from(JSON.stringify({ format: 'taxi-mlops/linear@1', weights: [slope, 0], intercept, l2: 0 })));
  const v = await r.createModelVersion({ name: MODEL, source: `runs:/${id}/model`, run_id: id });
  return v.version;
}

const predict = async (input: unknown) => {
  const res = await dispatch(s, 'models.predict', input);
  if (!res.ok) throw Object.assign(new Error(res.error.message), res.error);
  return res.result as { predictions: { trip_id: string; prediction: number; model_version: string; variant: string | null; feature_statuses: Record<string, string>; features: Record<string, unknown> }[]; latency_ms: number };
};

let v1: string;
let v2: string;
let v3: string;

beforeAll(async () => {
  const t = tempWorkspace('taxi-models-');
  cleanup = t.cleanup;
  s = await openServices({ workspace: t.dir, mode: 'server' });
  r = await getRegistry(s);
  experimentId = await r.createExperiment({ name: 'predictor-test' });
  await r.createRegisteredModel({ name: MODEL });
  v1 = await registerLinear(10, 2);
  v2 = await registerLinear(20, 2);
  v3 = await registerLinear(30, 2);
  server = await startHttpServer({ services: s, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await s?.close();
  cleanup?.();
});

describe('predictor', () => {
  it('serves the newest version when no champion alias exists, with NOT_FOUND for features the online store lacks', async () => {
    const out = await predict({ requests: [{ trip_id: 'x-1', features: { trip_distance: 1.5 } }] });
    const p = out.predictions[0]!;
    expect(p.model_version).toBe(v3);
    expect(p.variant).toBeNull();
    expect(p.prediction).toBeCloseTo(30 + 2 * 1.5, 9);
    expect(p.feature_statuses).toEqual({ trip_features__trip_distance: 'REQUEST', area_demand__trips_1h: 'NOT_FOUND' });
  });

  it('reads online features for the request entities and reports their statuses', async () => {
    const now = new Date().toISOString();
    const pushed = await dispatch(s, 'features.push', { view: 'trip_features', rows: [
        {
          trip_id: 'online-1',
          event_timestamp: now,
          trip_distance: 4,
          ...Object.fromEntries(['trip_seconds', 'passenger_count', 'pickup_hour', 'pickup_weekday', 'pickup_month', 'pickup_community_area', 'dropoff_community_area', 'payment_type', 'company'].map((f) => [f, null])),
        },
      ],
    });
    expect(pushed.ok ? null : pushed.error).toBeNull();
    const out = await predict({ version: v1, requests: [{ trip_id: 'online-1', pickup_community_area: 8 }, { trip_id: 'missing-1' }] });
    expect(out.predictions[0]!.prediction).toBeCloseTo(10 + 2 * 4, 9);
    expect(out.predictions[0]!.feature_statuses).toEqual({ trip_features__trip_distance: 'PRESENT', area_demand__trips_1h: 'NOT_FOUND' });
    expect(out.predictions[0]!.features.trip_features__trip_distance).toBe(4);
    // Missing values are imputed from the spec (0 here): the intercept alone.
    expect(out.predictions[1]!.prediction).toBeCloseTo(10, 9);
    expect(out.predictions[1]!.feature_statuses.trip_features__trip_distance).toBe('NOT_FOUND');
  });

  it('uses the new version on the next request after the champion alias moves', async () => {
    const set = async (alias: string, version: string) => expect((await dispatch(s, 'registry.aliases.set', { name: MODEL, alias, version })).ok).toBe(true);
    await set('champion', v1);
    await dispatch(s, 'models.setChallengerShare', { share: 0 });
    const a = await predict({ requests: [{ trip_id: 'move-1', features: { trip_features__trip_distance: 1 } }] });
    expect(a.predictions[0]).toMatchObject({ model_version: v1, variant: 'champion' });
    await set('champion', v2);
    const b = await predict({ requests: [{ trip_id: 'move-1', features: { trip_features__trip_distance: 1 } }] });
    expect(b.predictions[0]).toMatchObject({ model_version: v2, variant: 'champion', prediction: 22 });
    const state = await (await getPredictor(s)).state();
    expect(state.champion.version).toBe(v2);
    expect(state.cache.loaded.map((l) => l.version)).toEqual(expect.arrayContaining([v1, v2]));
    expect(state.cache.invalidations).toBeGreaterThan(0);
  });

  it('splits trips between champion and challenger by the share, the same trip always to the same side', async () => {
    await dispatch(s, 'registry.aliases.set', { name: MODEL, alias: 'champion', version: v1 });
    await dispatch(s, 'registry.aliases.set', { name: MODEL, alias: 'challenger', version: v3 });
    await dispatch(s, 'models.setChallengerShare', { share: 0.3 });
    const ids = Array.from({ length: 2000 }, (_, i) => `ab-${i}`);
    const first = await predict({ requests: ids.map((trip_id) => ({ trip_id })) });
    const challenger = first.predictions.filter((p) => p.variant === 'challenger');
    expect(challenger.length / ids.length).toBeGreaterThan(0.26);
    expect(challenger.length / ids.length).toBeLessThan(0.34);
    for (const p of first.predictions) expect(p.model_version).toBe(p.variant === 'challenger' ? v3 : v1);
    // Sticky: the same trips asked again, one by one and in another order, land on the same side.
    const again = await predict({ requests: [...ids].reverse().map((trip_id) => ({ trip_id })) });
    const side = new Map(first.predictions.map((p) => [p.trip_id, p.variant]));
    for (const p of again.predictions) expect(p.variant).toBe(side.get(p.trip_id));
    for (const id of ids.slice(0, 20)) expect((await predict({ requests: [{ trip_id: id }] })).predictions[0]!.variant).toBe(side.get(id));
    // The routing is the hash, not a coin.
    for (const p of first.predictions) expect(p.variant === 'challenger').toBe(tripBucket(p.trip_id) < 0.3);
  });

  it('keeps a share set from the console across a restart: it is saved to config.yaml, comments and all', async () => {
    const before = fs.readFileSync(s.workspace.paths.config, 'utf8');
    expect((await dispatch(s, 'models.setChallengerShare', { share: 0.35 })).ok).toBe(true);
    const text = fs.readFileSync(s.workspace.paths.config, 'utf8');
    expect(text).toMatch(/challenger_share: 0\.35/);
    // Only that value changed.
    expect(text.replace(/challenger_share: [\d.]+/, '')).toBe(before.replace(/challenger_share: [\d.]+/, ''));
    const again = await openServices({ workspace: s.workspace.paths.root, mode: 'cli' });
    try {
      const r = await dispatch(again, 'models.serving', {});
      expect(r).toMatchObject({ ok: true, result: { challenger_share: 0.35 } });
    } finally {
      await again.close();
    }
    // Out of range is refused and changes neither the file nor the running share.
    expect(await dispatch(s, 'models.setChallengerShare', { share: 1.5 })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(fs.readFileSync(s.workspace.paths.config, 'utf8')).toBe(text);
    expect((await getPredictor(s)).challengerShare).toBe(0.35);
  });

  it('pins an alias or a version when asked, and refuses unknown features, aliases and both at once', async () => {
    const byAlias = await predict({ alias: 'challenger', requests: [{ trip_id: 'pin-1' }] });
    expect(byAlias.predictions[0]).toMatchObject({ model_version: v3, variant: null });
    await expect(predict({ alias: 'nope', requests: [{ trip_id: 'pin-1' }] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(predict({ version: v1, requests: [{ trip_id: 'p', features: { fare_amount: 3 } }] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('fare_amount') });
    await expect(predict({ version: v1, requests: [{ trip_id: 'p', features: { trips_1h: 3 } }] })).resolves.toBeTruthy();
    await expect(predict({ alias: 'champion', version: 1, requests: [{ trip_id: 'p' }] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(predict({ requests: [] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('a corrupt model artifact fails to load with the file named, and the registry is unchanged', async () => {
    const run = await r.createRun({ experiment_id: experimentId });
    const id = run.info.run_id;
    await r.uploadArtifact(id, 'model/MLmodel', Buffer.from(toYaml({ flavors: { taxi_mlops: { algorithm: 'mlp' } } })));
    const spec = (await r.downloadArtifact((await r.getModelVersion(MODEL, v1)).run_id, 'model/feature_spec.json')).toString();
    await r.uploadArtifact(id, 'model/feature_spec.json', Buffer.from(spec));
    const topology = { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { units: 1, activation: 'linear', use_bias: true } }] } };
    await r.uploadArtifact(id, 'model/model.json', Buffer.from(JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'k', shape: [2, 1], dtype: 'float32' }, { name: 'b', shape: [1], dtype: 'float32' }] }] })));
    await r.uploadArtifact(id, 'model/weights.bin', Buffer.alloc(7));
    const bad = await r.createModelVersion({ name: MODEL, source: `runs:/${id}/model`, run_id: id });
    const before = await r.getRegisteredModel(MODEL);
    const versionsBefore = (await r.searchModelVersions({ filter: `name = '${MODEL}'` })).items.length;
    await expect(loadModelVersion(s, MODEL, bad.version)).rejects.toMatchObject({ code: 'INVALID_FILE', message: expect.stringMatching(/weights\.bin: holds 7 bytes but its manifest describes 12/) });
    await expect(predict({ version: bad.version, requests: [{ trip_id: 'c' }] })).rejects.toMatchObject({ code: 'INVALID_FILE' });
    // A garbled feature spec and a missing model file name themselves too.
    await r.uploadArtifact(id, 'model/feature_spec.json', Buffer.from('{"format": "taxi-mlops/feature-spec@1", "features": 3}'));
    await expect(loadModelVersion(s, MODEL, bad.version)).rejects.toMatchObject({ code: 'INVALID_FILE', message: expect.stringContaining('feature_spec.json') });
    const empty = (await r.createRun({ experiment_id: experimentId })).info.run_id;
    await r.uploadArtifact(empty, 'model/feature_spec.json', Buffer.from(spec));
    const none = await r.createModelVersion({ name: MODEL, source: `runs:/${empty}/model`, run_id: empty });
    await expect(loadModelVersion(s, MODEL, none.version)).rejects.toMatchObject({ code: 'INVALID_FILE', message: expect.stringContaining('model/MLmodel is missing') });
    const after = await r.getRegisteredModel(MODEL);
    expect(after.aliases).toEqual(before.aliases);
    expect((await r.searchModelVersions({ filter: `name = '${MODEL}'` })).items.length).toBe(versionsBefore + 1);
    // The good versions still serve.
    expect((await predict({ version: v1, requests: [{ trip_id: 'c' }] })).predictions[0]!.prediction).toBe(10);
  });

  it('keeps at most cache_size versions loaded', async () => {
    const p = await getPredictor(s);
    const cap = s.workspace.config.models.serving.cache_size;
    for (let k = 0; k < cap + 2; k++) await registerLinear(100 + k, 0);
    const versions = (await r.searchModelVersions({ filter: `name = '${MODEL}'` })).items.map((v) => v.version);
    for (const v of versions) await predict({ version: v, requests: [{ trip_id: 'lru' }] }).catch(() => undefined);
    const state = await p.state();
    expect(state.cache.size).toBe(cap);
    expect(state.cache.capacity).toBe(cap);
  });
});

describe('POST /predict', () => {
  const post = async (body: unknown) => {
    const res = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('predicts one trip given in the trip message format', async () => {
    await dispatch(s, 'models.setChallengerShare', { share: 0 });
    const res = await post({ trip_id: 'http-1', pickup_datetime: '2024-01-01T10:00:00Z', dropoff_datetime: '2024-01-01T10:30:00Z', passenger_count: 2, trip_distance: 3.5, fare_amount: 12.5 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ trip_id: 'http-1', model_version: v1, variant: 'champion', predicted_fare_amount: 10 + 2 * 3.5, prediction: 17 });
    expect((res.body.feature_statuses as Record<string, string>).trip_features__trip_distance).toBe('REQUEST');
  });

  it('predicts a batch of trips and the contract shape', async () => {
    const batch = await post({ trips: [{ trip_id: 'h-a', trip_distance: 1 }, { trip_id: 'h-b', trip_distance: 2 }] });
    expect(batch.status).toBe(200);
    expect((batch.body.predictions as { prediction: number }[]).map((p) => p.prediction)).toEqual([12, 14]);
    const contract = await post({ version: v2, requests: [{ trip_id: 'h-c', features: { trip_distance: 1 } }] });
    expect(contract.status).toBe(200);
    expect((contract.body.predictions as { prediction: number; model_version: string }[])[0]).toMatchObject({ prediction: 22, model_version: v2 });
  });

  it('answers bad input with 400 naming the field', async () => {
    const noId = await post({ trip_distance: 3 });
    expect(noId.status).toBe(400);
    expect(noId.body).toMatchObject({ code: 'INVALID_INPUT', detail: expect.stringContaining('trip_id') });
    const badTime = await post({ trip_id: 'x', pickup_datetime: 'yesterday' });
    expect(badTime.status).toBe(400);
    expect(badTime.body.detail).toContain('pickup_datetime');
    const unknownModel = await post({ trip_id: 'x', model: 'no_such_model' });
    expect(unknownModel.status).toBe(404);
  });
});
