/**
 * The real Python `mlflow` client (the pinned venv of scripts/services/lib.sh) against our `serve`:
 * set_tracking_uri, set_experiment, log_param(s), log_metric with steps, log_artifacts, register_model,
 * set_registered_model_alias, transition_model_version_stage — unchanged client code, with a bearer token
 * (MLFLOW_TRACKING_TOKEN) because the server requires one. Then everything is read back through our
 * contract and store, and the client reads it back too (get_metric_history, get_model_version_by_alias,
 * download_artifacts, search_runs with a filter).
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch.js';
import { startHttpServer, type HttpServer } from '../../src-main/api/http.js';
import { getRegistry, openRegistryStore } from '../../src-main/engines/registry/index.js';
import { MlflowRestStore } from '../../src-main/engines/registry/mlflow-rest/store.js';
import { DEFAULT_CONFIG_YAML } from '../../src-main/platform/config.js';
import { openWorkspace } from '../../src-main/platform/workspace.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { ensureService, isCI } from '../helpers/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const TOKEN = 'mlflow-client-test-token';

/** The venv python of the pinned MLflow; installing it is what `mlflow.sh start` does when it is missing. */
async function mlflowPython(): Promise<string | null> {
  await ensureService('mlflow');
  const venv = execFileSync('bash', ['-c', '. scripts/services/lib.sh && printf %s "$MLFLOW_VENV"'], { cwd: repoRoot, encoding: 'utf8' });
  const py = path.join(venv, 'bin', 'python');
  if (fs.existsSync(py)) return py;
  if (isCI()) throw new Error(`the MLflow venv python is missing at ${py} (scripts/services/install.sh mlflow)`);
  console.warn(`skipping: no MLflow venv at ${py}`);
  return null;
}

const python = await mlflowPython();

const CLIENT_SCRIPT = String.raw`
import json, os, tempfile
import mlflow
from mlflow import MlflowClient

mlflow.set_tracking_uri(os.environ["TRACKING_URI"])
exp_name, model_name = os.environ["EXPERIMENT"], os.environ["MODEL"]
mlflow.set_experiment(exp_name)
with mlflow.start_run(run_name="py-client") as run:
    mlflow.log_param("model", "mlp")
    mlflow.log_params({"lr": "0.01", "epochs": 5})
    for step, loss in enumerate([1.0, 0.5, 0.25, 0.125]):
        mlflow.log_metric("loss", loss, step=step)
    mlflow.log_metric("rmse", 3.25)
    mlflow.set_tag("team", "fares")
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "MLmodel"), "w") as f:
        f.write("flavors: {}\n")
    with open(os.path.join(d, "weights.json"), "w") as f:
        json.dump({"w": [1, 2, 3]}, f)
    mlflow.log_artifacts(d, artifact_path="model")
    mlflow.log_dict({"rmse": 3.25}, "eval/report.json")

mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", model_name)
client = MlflowClient()
client.set_registered_model_alias(model_name, "champion", mv.version)
client.transition_model_version_stage(model_name, mv.version, "Production")
by_alias = client.get_model_version_by_alias(model_name, "champion")
local = client.download_artifacts(run.info.run_id, "model/weights.json", tempfile.mkdtemp())
found = mlflow.search_runs(experiment_names=[exp_name], filter_string="metrics.rmse < 5 and params.model = 'mlp'", output_format="list")
print(json.dumps({
    "run_id": run.info.run_id,
    "experiment_id": run.info.experiment_id,
    "version": mv.version,
    "history": [[m.step, m.value] for m in client.get_metric_history(run.info.run_id, "loss")],
    "alias_version": by_alias.version,
    "alias_run_id": by_alias.run_id,
    "alias_stage": by_alias.current_stage,
    "weights": open(local).read(),
    "artifacts": sorted(a.path for a in client.list_artifacts(run.info.run_id, "model")),
    "found": [r.info.run_id for r in found],
}))
`;

function runPython(py: string, script: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      py,
      ['-c', script],
      { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: '1', ...env }, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`python client failed: ${err.message}\n${stderr.slice(-4000)}`)) : resolve(stdout)),
    );
  });
}

describe.skipIf(!python)('the Python mlflow client against taxi-mlops serve', () => {
  let s: Services;
  let server: HttpServer;
  let cleanup: () => void;
  let staticDir: string;
  let out: {
    run_id: string;
    experiment_id: string;
    version: string;
    history: [number, number][];
    alias_version: string;
    alias_run_id: string;
    alias_stage: string;
    weights: string;
    artifacts: string[];
    found: string[];
  };
  const u = Date.now().toString(36);
  const experiment = `py-client-${u}`;
  const model = `py-fare-model-${u}`;

  beforeAll(async () => {
    const t = tempWorkspace('taxi-mlflow-client-');
    cleanup = t.cleanup;
    staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-static-'));
    s = await openServices({ workspace: t.dir, mode: 'server' });
    server = await startHttpServer({ services: s, port: 0, staticDir, token: TOKEN });
    const stdout = await runPython(python!, CLIENT_SCRIPT, { TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: TOKEN, EXPERIMENT: experiment, MODEL: model });
    out = JSON.parse(stdout.trim().split('\n').at(-1)!);
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    await s?.close();
    cleanup?.();
    if (staticDir) fs.rmSync(staticDir, { recursive: true, force: true });
  });

  it('lets the client read back what it logged', () => {
    expect(out.history).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 0.25],
      [3, 0.125],
    ]);
    expect(out).toMatchObject({ version: '1', alias_version: '1', alias_run_id: out.run_id, alias_stage: 'Production', found: [out.run_id] });
    expect(JSON.parse(out.weights)).toEqual({ w: [1, 2, 3] });
    expect(out.artifacts).toEqual(['model/MLmodel', 'model/weights.json']);
  });

  it('shows the run through our contract: params, latest metrics, tags, history', async () => {
    const exp = await dispatch(s, 'registry.experiments.get', { name: experiment });
    expect(exp).toMatchObject({ ok: true, result: { experiment_id: out.experiment_id, name: experiment } });
    const found = await dispatch(s, 'registry.runs.search', { experiment_ids: [out.experiment_id], filter: "metrics.loss <= 0.125 and tags.team = 'fares'" });
    expect(found.ok && (found.result as { runs: { info: { run_id: string } }[] }).runs.map((r) => r.info.run_id)).toEqual([out.run_id]);

    const run = await dispatch(s, 'registry.runs.get', { run_id: out.run_id });
    expect(run.ok).toBe(true);
    const r = (run as { result: { info: Record<string, unknown>; data: { params: unknown[]; metrics: unknown[]; tags: { key: string; value: string }[] } } }).result;
    expect(r.info).toMatchObject({ run_name: 'py-client', status: 'FINISHED', experiment_id: out.experiment_id });
    expect(r.data.params).toEqual([
      { key: 'epochs', value: '5' },
      { key: 'lr', value: '0.01' },
      { key: 'model', value: 'mlp' },
    ]);
    expect(r.data.metrics).toEqual([
      expect.objectContaining({ key: 'loss', value: 0.125, step: 3 }),
      expect.objectContaining({ key: 'rmse', value: 3.25, step: 0 }),
    ]);
    expect(r.data.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'fares' }, { key: 'mlflow.runName', value: 'py-client' }]));

    const history = await dispatch(s, 'registry.runs.metricHistory', { run_id: out.run_id, key: 'loss' });
    expect((history as { result: { metrics: { value: number }[] } }).result.metrics.map((m) => m.value)).toEqual([1, 0.5, 0.25, 0.125]);
  });

  it('shows the registered model, its alias and stage, and the artifacts in the workspace', async () => {
    const v = await dispatch(s, 'registry.aliases.get', { name: model, alias: 'champion' });
    expect(v).toMatchObject({ ok: true, result: { version: '1', run_id: out.run_id, current_stage: 'Production', aliases: ['champion'] } });
    expect((v as { result: { source: string } }).result.source).toBe(`mlflow-artifacts:/${out.experiment_id}/${out.run_id}/artifacts/model`);

    const files = await dispatch(s, 'registry.artifacts.list', { run_id: out.run_id, path: 'model' });
    expect((files as { result: { files: unknown[] } }).result.files).toEqual([
      { path: 'model/MLmodel', is_dir: false, file_size: 12 },
      { path: 'model/weights.json', is_dir: false, file_size: '{"w": [1, 2, 3]}'.length },
    ]);
    const store = await getRegistry(s);
    expect(JSON.parse((await store.downloadArtifact(out.run_id, 'eval/report.json')).toString())).toEqual({ rmse: 3.25 });
    const onDisk = path.join(s.workspace.paths.artifactsDir, out.experiment_id, out.run_id, 'artifacts', 'model', 'weights.json');
    expect(JSON.parse(fs.readFileSync(onDisk, 'utf8'))).toEqual({ w: [1, 2, 3] });
  });

  it('answers MLflow-shaped errors, and refuses requests without the token', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const missing = await fetch(`${server.url}/api/2.0/mlflow/registered-models/get?name=nope-${u}`, { headers });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `no registered model named 'nope-${u}'` });
    const dup = await fetch(`${server.url}/ajax-api/2.0/mlflow/registered-models/create`, { method: 'POST', headers, body: JSON.stringify({ name: model }) });
    expect(dup.status).toBe(400);
    expect(await dup.json()).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS' });
    const bad = await fetch(`${server.url}/api/2.0/mlflow/runs/search`, { method: 'POST', headers, body: JSON.stringify({ experiment_ids: [out.experiment_id], filter: 'metrics.loss ~ 1' }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/position 13/) });
    const noField = await fetch(`${server.url}/api/2.0/mlflow/runs/log-metric`, { method: 'POST', headers, body: JSON.stringify({ run_id: out.run_id, key: 'x' }) });
    expect(await noField.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: "Missing value for required parameter 'value'" });
    const traversal = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${out.experiment_id}/${out.run_id}/artifacts/..%2F..%2Fescape.txt`, { method: 'PUT', headers, body: 'x' });
    expect(traversal.status).toBe(400);
    expect(fs.existsSync(path.join(s.workspace.paths.artifactsDir, out.experiment_id, 'escape.txt'))).toBe(false);
    const anonymous = await fetch(`${server.url}/api/2.0/mlflow/experiments/search`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(anonymous.status).toBe(401);
  });

  it("answers the platform guide's /mlflow routes and logs model metrics to the version's run", async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const info = await (await fetch(`${server.url}/mlflow/info`, { headers })).json();
    expect(info).toMatchObject({ status: 'ok', backend: 'sqlite', registered_models_count: 1 });
    const models = (await (await fetch(`${server.url}/mlflow/models`, { headers })).json()) as { models: { name: string }[] };
    expect(models.models.map((m) => m.name)).toEqual([model]);
    const exps = (await (await fetch(`${server.url}/mlflow/experiments`, { headers })).json()) as { experiments: { name: string }[] };
    expect(exps.experiments.map((e) => e.name)).toContain(experiment);
    const logged = await fetch(`${server.url}/mlflow/models/metrics`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model_name: model, alias: 'champion', metrics: { live_rmse: 3.5, live_mae: 2.1 }, step: 7 }),
    });
    expect(await logged.json()).toMatchObject({ run_id: out.run_id, version: '1', logged: 2, step: 7 });
    const store = await getRegistry(s);
    expect((await store.getMetricHistory(out.run_id, 'live_rmse')).items).toEqual([expect.objectContaining({ value: 3.5, step: 7 })]);
    const refused = await fetch(`${server.url}/mlflow/models/metrics`, { method: 'POST', headers, body: JSON.stringify({ model_name: model, metrics: {} }) });
    expect(refused.status).toBe(400);
  });

  it('drives the same registry through the contract methods the console and CLI use', async () => {
    const ok = async <T>(method: Parameters<typeof dispatch>[1], input: unknown): Promise<T> => {
      const r = await dispatch(s, method, input);
      if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
      return r.result as T;
    };
    const events: string[] = [];
    const off = s.events.subscribe((e) => {
      if (e.event === 'registry.changed') events.push((e.payload as { endpoint: string }).endpoint);
    });
    try {
      const cmp = await ok<{ param_keys: string[]; metric_keys: string[]; histories: { key: string; metrics: unknown[] }[] }>('registry.runs.compare', { run_ids: [out.run_id] });
      expect(cmp.param_keys).toEqual(['epochs', 'lr', 'model']);
      expect(cmp.metric_keys).toEqual(['live_mae', 'live_rmse', 'loss', 'rmse']);
      expect(cmp.histories.find((h) => h.key === 'loss')!.metrics).toHaveLength(4);

      const v2 = await ok<{ version: string; source: string }>('registry.versions.create', { name: model, source: `runs:/${out.run_id}/model`, description: 'second' });
      expect(v2.version).toBe('2');
      await ok('registry.versions.transitionStage', { name: model, version: '2', stage: 'Production', archive_existing_versions: true });
      expect((await ok<{ current_stage: string }>('registry.versions.get', { name: model, version: 1 })).current_stage).toBe('Archived');
      await ok('registry.aliases.set', { name: model, alias: 'challenger', version: '2' });
      const listed = await ok<{ versions: { version: string; aliases: string[] }[] }>('registry.versions.list', { name: model, order_by: ['version_number ASC'] });
      expect(listed.versions.map((v) => [v.version, v.aliases])).toEqual([
        ['1', ['champion']],
        ['2', ['challenger']],
      ]);
      const m = await ok<{ aliases: { alias: string }[] }>('registry.aliases.delete', { name: model, alias: 'challenger' });
      expect(m.aliases.map((a) => a.alias)).toEqual(['champion']);
      const models = await ok<{ models: { name: string }[] }>('registry.models.list', { filter: `name LIKE 'py-fare-model-${u}%'` });
      expect(models.models.map((x) => x.name)).toEqual([model]);
      const found = await ok<{ runs: unknown[] }>('registry.runs.search', { filter: "params.model = 'mlp'", order_by: ['metrics.rmse ASC'] });
      expect(found.runs).toHaveLength(1);
      expect(events).toEqual(expect.arrayContaining(['registry.versions.create', 'registry.versions.transitionStage', 'registry.aliases.set', 'registry.aliases.delete']));

      const strict = await dispatch(s, 'registry.models.create', { name: 'x', colour: 'red' });
      expect(strict).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      const badFilter = await dispatch(s, 'registry.runs.search', { filter: 'metrics.rmse <' });
      expect(badFilter).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER_VALUE', details: { position: 14 } } });
      const dup = await dispatch(s, 'registry.models.create', { name: model });
      expect(dup).toMatchObject({ ok: false, error: { code: 'RESOURCE_ALREADY_EXISTS' } });
    } finally {
      off();
    }
  });

  it("is reachable from our own MLflow REST store with the profile's token secret, and says so when it is not", async () => {
    const t = tempWorkspace('taxi-cluster-profile-');
    const secretEnv = 'TAXI_SECRET_TEST_MLFLOW_TOKEN';
    try {
      const yaml = DEFAULT_CONFIG_YAML.replace('active_profile: local', 'active_profile: cluster')
        .replace('tracking_uri: http://127.0.0.1:5000', `tracking_uri: ${server.url}`)
        .replace('# token: { secret: mlflow-token }', 'token: { secret: test-mlflow-token }');
      fs.writeFileSync(path.join(t.dir, 'config.yaml'), yaml);
      process.env[secretEnv] = TOKEN;
      const remote = await openRegistryStore(openWorkspace(t.dir));
      expect(remote.kind).toBe('mlflow');
      expect((await remote.getModelVersionByAlias(model, 'champion')).run_id).toBe(out.run_id);
      expect((await remote.getMetricHistory(out.run_id, 'loss')).items.map((m) => m.value)).toEqual([1, 0.5, 0.25, 0.125]);
      expect(JSON.parse((await remote.downloadArtifact(out.run_id, 'model/weights.json')).toString())).toEqual({ w: [1, 2, 3] });

      const wrong = new MlflowRestStore({ trackingUri: server.url, token: 'not-the-token' });
      expect(await wrong.getExperiment('0').catch((e: { code: string }) => e.code)).toBe('INVALID_CONFIG');
      delete process.env[secretEnv];
      await expect(openRegistryStore(openWorkspace(t.dir))).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('test-mlflow-token') });
      const down = new MlflowRestStore({ trackingUri: 'http://127.0.0.1:9', timeoutMs: 2000 });
      await expect(down.getExperiment('0')).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('http://127.0.0.1:9') });
    } finally {
      delete process.env[secretEnv];
      t.cleanup();
    }
  });
});
