/**
 * MLflow's REST API on `taxi-mlops serve`, so that a stock `mlflow` client pointed at this server
 * (mlflow.set_tracking_uri("http://127.0.0.1:8000")) logs runs, artifacts and models into the registry of
 * the active profile:
 *   /api/2.0/mlflow/...                      tracking and model registry endpoints (also /ajax-api/2.0/...)
 *   /api/2.0/mlflow-artifacts/artifacts/...  the artifact proxy (GET, PUT, list)
 *   /mlflow/info, /mlflow/experiments, /mlflow/models, POST /mlflow/models/metrics   the platform guide's routes
 * Answers use MLflow's JSON shapes; failures are MLflow's `{ error_code, message }` with its HTTP statuses.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { getRegistry } from '../../engines/registry/index.js';
import { parseProxyPath } from '../../engines/registry/paths.js';
import type { Experiment, Metric, ModelVersion, RegisteredModel, RegistryStore, Run, RunInfo, Stage } from '../../engines/registry/types.js';
import { AppError, errorShape } from '../../platform/errors.js';
import type { Services } from '../../platform/services.js';
import type { RegistryChanged } from '../methods/registry.js';
import type { CompatRoutes } from './index.js';
import { Req } from './mlflow-requests.js';
import { artifactTooLarge, maxArtifactBytes } from '../../engines/registry/sqlite/artifacts.js';
import { filterLiteral } from '../../engines/registry/filter.js';

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

// ---------- MLflow's JSON ----------

const metricJson = (m: Metric): Json => ({ ...m, value: Number.isFinite(m.value) ? m.value : String(m.value) });
const infoJson = ({ end_time, ...i }: RunInfo): Json => (end_time === null ? i : { ...i, end_time });
const runJson = (r: Run): Json => ({ info: infoJson(r.info), data: { ...r.data, metrics: r.data.metrics.map(metricJson) }, inputs: r.inputs, outputs: {} });
const experimentJson = (e: Experiment): Json => e as unknown as Json;
const versionJson = (v: ModelVersion): Json => v as unknown as Json;
const modelJson = (m: RegisteredModel): Json => m as unknown as Json;
const paged = (key: string, items: unknown[], token: string | null): Json => (token ? { [key]: items, next_page_token: token } : { [key]: items });

/** MLflow's HTTP status per error code. */
const STATUS: Record<string, number> = {
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  UNAUTHENTICATED: 401,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
};
const MLFLOW_CODE: Record<string, string> = { INVALID_INPUT: 'INVALID_PARAMETER_VALUE', INTERNAL: 'INTERNAL_ERROR', UNAVAILABLE: 'TEMPORARILY_UNAVAILABLE' };

function sendError(reply: FastifyReply, e: unknown): FastifyReply {
  const err = errorShape(e);
  return reply.code(STATUS[err.code] ?? 500).send({ error_code: MLFLOW_CODE[err.code] ?? err.code, message: err.message });
}

/** The value at a path of the raw request, to tell a missing field from a wrong one. */
const at = (raw: unknown, path: PropertyKey[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), raw);

/** The request parsed by its schema; a bad or missing field is INVALID_PARAMETER_VALUE naming the field. */
function parse<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(request)';
  const value = at(raw, issue.path);
  throw new AppError(
    'INVALID_PARAMETER_VALUE',
    value === undefined && issue.path.length > 0
      ? `Missing value for required parameter '${field}'`
      : `Invalid value ${JSON.stringify(value)?.slice(0, 80) ?? ''} for parameter '${field}': ${issue.message}`,
    { field },
  );
}

// ---------- the endpoints ----------

interface Endpoint {
  methods: Method[];
  path: string;
  schema: z.ZodType;
  /** What it changes in the registry, if anything (the console is told through registry.changed). */
  writes?: RegistryChanged['entity'];
  run: (store: RegistryStore, input: never) => Promise<Json>;
}

const ep = <S extends z.ZodType>(
  methods: Method[],
  path: string,
  schema: S,
  run: (store: RegistryStore, input: z.output<S>) => Promise<Json>,
  writes?: RegistryChanged['entity'],
): Endpoint => ({
  methods,
  path,
  schema,
  run: run as Endpoint['run'],
  ...(writes ? { writes } : {}),
});

const done = async (p: Promise<unknown>): Promise<Json> => {
  await p;
  return {};
};

const ENDPOINTS: Endpoint[] = [
  // experiments
  ep(['POST'], 'experiments/create', Req.createExperiment, async (s, i) => ({ experiment_id: await s.createExperiment(i) }), 'experiment'),
  ep(['GET', 'POST'], 'experiments/search', Req.searchExperiments, async (s, i) => {
    const p = await s.searchExperiments(i);
    return paged('experiments', p.items.map(experimentJson), p.next_page_token);
  }),
  ep(['GET'], 'experiments/get', Req.experimentId, async (s, i) => ({ experiment: experimentJson(await s.getExperiment(i.experiment_id)) })),
  ep(['GET'], 'experiments/get-by-name', Req.experimentByName, async (s, i) => ({ experiment: experimentJson(await s.getExperimentByName(i.experiment_name)) })),
  ep(['POST'], 'experiments/delete', Req.experimentId, (s, i) => done(s.deleteExperiment(i.experiment_id)), 'experiment'),
  ep(['POST'], 'experiments/restore', Req.experimentId, (s, i) => done(s.restoreExperiment(i.experiment_id)), 'experiment'),
  ep(['POST'], 'experiments/update', Req.updateExperiment, (s, i) => done(s.renameExperiment(i.experiment_id, i.new_name)), 'experiment'),
  ep(['POST'], 'experiments/set-experiment-tag', Req.experimentTag, (s, i) => done(s.setExperimentTag(i.experiment_id, i.key, i.value)), 'experiment'),
  ep(['POST'], 'experiments/delete-experiment-tag', Req.experimentTagKey, (s, i) => done(s.deleteExperimentTag(i.experiment_id, i.key)), 'experiment'),

  // runs
  ep(['POST'], 'runs/create', Req.createRun, async (s, i) => ({ run: runJson(await s.createRun(i)) }), 'run'),
  ep(['POST'], 'runs/update', Req.updateRun, async (s, { run_id, ...i }) => {
    const info = infoJson(await s.updateRun(run_id, i));
    return { run_info: info };
  }, 'run'),
  ep(['POST'], 'runs/delete', Req.runId, (s, i) => done(s.deleteRun(i.run_id)), 'run'),
  ep(['POST'], 'runs/restore', Req.runId, (s, i) => done(s.restoreRun(i.run_id)), 'run'),
  ep(['GET'], 'runs/get', Req.runId, async (s, i) => ({ run: runJson(await s.getRun(i.run_id)) })),
  ep(['POST'], 'runs/search', Req.searchRuns, async (s, i) => {
    const p = await s.searchRuns(i);
    return paged('runs', p.items.map(runJson), p.next_page_token);
  }),
  ep(['POST'], 'runs/log-metric', Req.logMetric, (s, { run_id, ...m }) => done(s.logMetric(run_id, m)), 'run'),
  ep(['POST'], 'runs/log-parameter', Req.logParam, (s, i) => done(s.logParam(i.run_id, i.key, i.value)), 'run'),
  ep(['POST'], 'runs/set-tag', Req.setTag, (s, i) => done(s.setTag(i.run_id, i.key, i.value)), 'run'),
  ep(['POST'], 'runs/delete-tag', Req.deleteTag, (s, i) => done(s.deleteTag(i.run_id, i.key)), 'run'),
  ep(['POST'], 'runs/log-batch', Req.logBatch, (s, { run_id, ...b }) => done(s.logBatch(run_id, b)), 'run'),
  ep(['GET'], 'metrics/get-history', Req.metricHistory, async (s, i) => {
    const p = await s.getMetricHistory(i.run_id, i.metric_key, { ...(i.max_results ? { max_results: i.max_results } : {}), ...(i.page_token ? { page_token: i.page_token } : {}) });
    return paged('metrics', p.items.map(metricJson), p.next_page_token);
  }),
  ep(['GET'], 'artifacts/list', Req.listArtifacts, async (s, i) => {
    const run = await s.getRun(i.run_id);
    const files = await s.listArtifacts(i.run_id, i.path);
    return { root_uri: run.info.artifact_uri, files: files.map(({ file_size, ...f }) => (file_size === null ? f : { ...f, file_size })) };
  }),
  // MLflow 3 clients look for "logged models" of a run before listing its artifacts; this registry keeps none.
  ep(['POST'], 'logged-models/search', Req.searchModels.partial(), async () => ({})),

  // registered models
  ep(['POST'], 'registered-models/create', Req.createModel, async (s, i) => ({ registered_model: modelJson(await s.createRegisteredModel(i)) }), 'model'),
  ep(['POST'], 'registered-models/rename', Req.renameModel, async (s, i) => ({ registered_model: modelJson(await s.renameRegisteredModel(i.name, i.new_name)) }), 'model'),
  ep(['PATCH'], 'registered-models/update', Req.updateModel, async (s, i) => ({ registered_model: modelJson(await s.updateRegisteredModel(i.name, i.description)) }), 'model'),
  ep(['DELETE'], 'registered-models/delete', Req.modelName, (s, i) => done(s.deleteRegisteredModel(i.name)), 'model'),
  ep(['GET'], 'registered-models/get', Req.modelName, async (s, i) => ({ registered_model: modelJson(await s.getRegisteredModel(i.name)) })),
  ep(['GET'], 'registered-models/search', Req.searchModels, async (s, i) => {
    const p = await s.searchRegisteredModels(i);
    return paged('registered_models', p.items.map(modelJson), p.next_page_token);
  }),
  ep(['GET', 'POST'], 'registered-models/get-latest-versions', Req.latestVersions, async (s, i) => ({
    model_versions: (await s.getLatestVersions(i.name, i.stages as Stage[] | undefined)).map(versionJson),
  })),
  ep(['POST'], 'registered-models/set-tag', Req.modelTag, (s, i) => done(s.setRegisteredModelTag(i.name, i.key, i.value)), 'model'),
  ep(['DELETE'], 'registered-models/delete-tag', Req.modelTagKey, (s, i) => done(s.deleteRegisteredModelTag(i.name, i.key)), 'model'),
  ep(['POST'], 'registered-models/alias', Req.setAlias, (s, i) => done(s.setRegisteredModelAlias(i.name, i.alias, i.version)), 'alias'),
  ep(['DELETE'], 'registered-models/alias', Req.alias, (s, i) => done(s.deleteRegisteredModelAlias(i.name, i.alias)), 'alias'),
  ep(['GET'], 'registered-models/alias', Req.alias, async (s, i) => ({ model_version: versionJson(await s.getModelVersionByAlias(i.name, i.alias)) })),

  // model versions
  ep(['POST'], 'model-versions/create', Req.createVersion, async (s, i) => ({ model_version: versionJson(await s.createModelVersion(i)) }), 'version'),
  ep(['PATCH'], 'model-versions/update', Req.updateVersion, async (s, i) => ({ model_version: versionJson(await s.updateModelVersion(i.name, i.version, i.description)) }), 'version'),
  ep(['POST'], 'model-versions/transition-stage', Req.transition, async (s, i) => ({
    model_version: versionJson(await s.transitionModelVersionStage({ ...i, stage: i.stage as Stage })),
  }), 'version'),
  ep(['DELETE'], 'model-versions/delete', Req.version, (s, i) => done(s.deleteModelVersion(i.name, i.version)), 'version'),
  ep(['GET'], 'model-versions/get', Req.version, async (s, i) => ({ model_version: versionJson(await s.getModelVersion(i.name, i.version)) })),
  ep(['GET'], 'model-versions/search', Req.searchModels, async (s, i) => {
    const p = await s.searchModelVersions(i);
    return paged('model_versions', p.items.map(versionJson), p.next_page_token);
  }),
  ep(['GET'], 'model-versions/get-download-uri', Req.version, async (s, i) => ({ artifact_uri: await s.getModelVersionDownloadUri(i.name, i.version) })),
  ep(['POST'], 'model-versions/set-tag', Req.versionTag, (s, i) => done(s.setModelVersionTag(i.name, i.version, i.key, i.value)), 'version'),
  ep(['DELETE'], 'model-versions/delete-tag', Req.versionTagKey, (s, i) => done(s.deleteModelVersionTag(i.name, i.version, i.key)), 'version'),
];

const PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'];

function inputOf(req: FastifyRequest): unknown {
  // GET carries the request in the query string; the others in a JSON body (some clients put it in the query).
  if (req.method === 'GET') return req.query;
  const body = req.body;
  return body && typeof body === 'object' && Object.keys(body).length > 0 ? body : req.query;
}

/** The endpoints under one prefix (registered with that prefix), and MLflow's answer to an unknown one. */
function registerEndpoints(app: FastifyInstance, s: Services): void {
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error_code: 'ENDPOINT_NOT_FOUND', message: `no MLflow endpoint ${req.method} ${req.url.split('?')[0]} on this server` }),
  );
  for (const e of ENDPOINTS) {
    {
      app.route({
        method: e.methods,
        url: `/${e.path}`,
        handler: async (req, reply) => {
          try {
            const input = parse(e.schema, inputOf(req));
            const out = await e.run(await getRegistry(s), input as never);
            if (e.writes) s.events.publish('registry.changed', { entity: e.writes, source: 'mlflow-api', endpoint: e.path });
            return reply.send(out);
          } catch (err) {
            return sendError(reply, err);
          }
        },
      });
    }
  }
}

// ---------- the artifact proxy ----------

/** The run behind a proxy path, checked against the experiment the path names. */
async function proxied(store: RegistryStore, raw: string): Promise<{ runId: string; path: string }> {
  const p = parseProxyPath(raw); // Fastify has already decoded the wildcard.
  if (!p) {
    throw new AppError('RESOURCE_DOES_NOT_EXIST', `'${raw}' does not name a run's artifacts (expected <experiment_id>/<run_id>/artifacts/<path>)`, { path: raw });
  }
  const run = await store.getRun(p.runId);
  if (run.info.experiment_id !== p.experimentId) {
    throw new AppError('RESOURCE_DOES_NOT_EXIST', `run ${p.runId} is not in experiment ${p.experimentId}`, { run_id: p.runId, experiment_id: p.experimentId });
  }
  return { runId: p.runId, path: p.path };
}

function registerArtifacts(app: FastifyInstance, s: Services): void {
  // Uploads are streamed to the store as they arrive, whatever their content type (a .json artifact is still a file).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, doneParsing) => doneParsing(null, payload));
  for (const prefix of ['/api/2.0/mlflow-artifacts/artifacts', '/ajax-api/2.0/mlflow-artifacts/artifacts']) {
    app.get(prefix, async (req, reply) => {
      try {
        const { path } = parse(Req.artifactList, req.query);
        const store = await getRegistry(s);
        const p = await proxied(store, path);
        const files = await store.listArtifacts(p.runId, p.path);
        const base = p.path === '' ? '' : `${p.path}/`;
        return reply.send(
          files.length === 0
            ? {}
            : { files: files.map((f) => ({ path: f.path.slice(base.length), is_dir: f.is_dir, ...(f.file_size === null ? {} : { file_size: f.file_size }) })) },
        );
      } catch (err) {
        return sendError(reply, err);
      }
    });
    app.get<{ Params: { '*': string } }>(`${prefix}/*`, async (req, reply) => {
      try {
        const store = await getRegistry(s);
        const p = await proxied(store, req.params['*']);
        const bytes = await store.downloadArtifact(p.runId, p.path);
        return reply.type('application/octet-stream').send(bytes);
      } catch (err) {
        return sendError(reply, err);
      }
    });
    app.put<{ Params: { '*': string } }>(`${prefix}/*`, async (req, reply) => {
      try {
        const store = await getRegistry(s);
        const p = await proxied(store, req.params['*']);
        // Refused before a byte is read when the client says up front that it is too large.
        const declared = Number(req.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxArtifactBytes()) throw artifactTooLarge(p.path, maxArtifactBytes(), declared);
        await store.uploadArtifact(p.runId, p.path, (req.body as Readable | undefined) ?? req.raw);
        s.events.publish('registry.changed', { entity: 'artifact', source: 'mlflow-api', endpoint: 'mlflow-artifacts/artifacts' });
        return reply.send({});
      } catch (err) {
        return sendError(reply, err);
      }
    });
  }
}

// ---------- the platform guide's routes ----------

/** The version a guide request names: by alias, by number, or the newest. */
async function versionFor(store: RegistryStore, name: string, version?: string, alias?: string): Promise<ModelVersion> {
  if (alias) return store.getModelVersionByAlias(name, alias);
  if (version) return store.getModelVersion(name, version);
  const newest = (await store.searchModelVersions({ filter: `name = ${filterLiteral(name)}`, order_by: ['version_number DESC'], max_results: 1 })).items[0];
  if (!newest) throw new AppError('RESOURCE_DOES_NOT_EXIST', `registered model '${name}' has no versions`, { name });
  return newest;
}

function registerGuide(app: FastifyInstance, s: Services): void {
  app.get('/mlflow/info', async (_req, reply) => {
    try {
      const store = await getRegistry(s);
      const experiments = await store.searchExperiments({ max_results: 50_000 });
      const models = await store.searchRegisteredModels({ max_results: 1000 });
      return reply.send({
        status: 'ok',
        backend: store.kind,
        tracking_uri: store.location,
        profile: s.workspace.profile.name,
        experiments_count: experiments.items.length,
        registered_models_count: models.items.length,
        api: { rest: '/api/2.0/mlflow', artifacts: '/api/2.0/mlflow-artifacts/artifacts' },
      });
    } catch (err) {
      return sendError(reply, err);
    }
  });
  app.get('/mlflow/experiments', async (req, reply) => {
    try {
      const i = parse(Req.searchExperiments, req.query);
      const p = await (await getRegistry(s)).searchExperiments(i);
      return reply.send(paged('experiments', p.items.map(experimentJson), p.next_page_token));
    } catch (err) {
      return sendError(reply, err);
    }
  });
  app.get('/mlflow/models', async (req, reply) => {
    try {
      const i = parse(Req.searchModels, req.query);
      const p = await (await getRegistry(s)).searchRegisteredModels(i);
      return reply.send(paged('models', p.items.map(modelJson), p.next_page_token));
    } catch (err) {
      return sendError(reply, err);
    }
  });
  app.post('/mlflow/models/metrics', async (req, reply) => {
    try {
      const i = parse(Req.modelMetrics, req.body);
      const store = await getRegistry(s);
      const v = await versionFor(store, i.model_name, i.version, i.alias);
      if (!v.run_id) {
        throw new AppError('INVALID_PARAMETER_VALUE', `version ${v.version} of '${v.name}' was not registered from a run, so there is no run to log metrics to`, {
          name: v.name,
          version: v.version,
        });
      }
      const timestamp = i.timestamp ?? Date.now();
      const metrics = Object.entries(i.metrics).map(([key, value]) => ({ key, value, timestamp, step: i.step }));
      for (let k = 0; k < metrics.length; k += 1000) await store.logBatch(v.run_id, { metrics: metrics.slice(k, k + 1000) });
      s.events.publish('registry.changed', { entity: 'run', source: 'mlflow-api', endpoint: 'mlflow/models/metrics' });
      return reply.send({ model_name: v.name, version: v.version, run_id: v.run_id, logged: metrics.length, step: i.step, timestamp });
    } catch (err) {
      return sendError(reply, err);
    }
  });
}

export const registerMlflowRoutes: CompatRoutes = async (app, s) => {
  await app.register(async (scope) => {
    // Malformed JSON and the like answer in MLflow's shape too.
    scope.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) =>
      reply.code(err.statusCode && err.statusCode < 500 ? 400 : 500).send({ error_code: err.statusCode && err.statusCode < 500 ? 'INVALID_PARAMETER_VALUE' : 'INTERNAL_ERROR', message: err.message }),
    );
    for (const prefix of PREFIXES) await scope.register(async (api) => registerEndpoints(api, s), { prefix });
    registerGuide(scope, s);
    await scope.register(async (artifacts) => registerArtifacts(artifacts, s));
  });
};
