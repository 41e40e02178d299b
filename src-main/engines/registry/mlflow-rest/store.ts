/**
 * The registry on a remote MLflow tracking server, over its REST API (/api/2.0/mlflow/...) and its
 * artifact proxy (/api/2.0/mlflow-artifacts/artifacts/...), which the server offers when started with
 * --serve-artifacts. Paths are checked here before anything is sent; the server checks the rest.
 */
import { AppError } from '../../../platform/errors.js';
import { joinArtifactPath, parseRunsUri, safeArtifactPath } from '../paths.js';
import type {
  ArtifactBody,
  CreateExperimentRequest,
  CreateModelVersionRequest,
  CreateRegisteredModelRequest,
  CreateRunRequest,
  Experiment,
  FileInfo,
  LogBatchRequest,
  Metric,
  ModelVersion,
  Page,
  RegisteredModel,
  RegistryStore,
  Run,
  RunInfo,
  SearchExperimentsRequest,
  SearchQuery,
  SearchRunsRequest,
  Stage,
  TransitionStageRequest,
  UpdateRunRequest,
} from '../types.js';
import { metricJson, toExperiment, toMetric, toModelVersion, toRegisteredModel, toRun, toRunInfo } from './entities.js';
import { MlflowHttp, type MlflowHttpOptions } from './http.js';

type Json = Record<string, unknown>;

const page = <T>(items: T[], token: unknown): Page<T> => ({ items, next_page_token: typeof token === 'string' && token !== '' ? token : null });
const metricBody = (m: Metric): Json => ({ key: m.key, value: metricJson(m.value), timestamp: m.timestamp, step: m.step });

export class MlflowRestStore implements RegistryStore {
  readonly kind = 'mlflow' as const;
  readonly location: string;
  private readonly http: MlflowHttp;

  constructor(opts: MlflowHttpOptions) {
    this.http = new MlflowHttp(opts);
    this.location = this.http.base;
  }

  // ---------- experiments ----------

  async createExperiment(req: CreateExperimentRequest): Promise<string> {
    const r = await this.http.call<{ experiment_id: string }>('POST', 'experiments/create', { ...req });
    return String(r.experiment_id);
  }
  async getExperiment(id: string): Promise<Experiment> {
    return toExperiment((await this.http.call<{ experiment: Json }>('GET', 'experiments/get', { experiment_id: id })).experiment);
  }
  async getExperimentByName(name: string): Promise<Experiment> {
    return toExperiment((await this.http.call<{ experiment: Json }>('GET', 'experiments/get-by-name', { experiment_name: name })).experiment);
  }
  async searchExperiments(req: SearchExperimentsRequest): Promise<Page<Experiment>> {
    const r = await this.http.call<{ experiments?: Json[]; next_page_token?: string }>('POST', 'experiments/search', {
      max_results: req.max_results ?? 1000,
      ...req,
    });
    return page((r.experiments ?? []).map(toExperiment), r.next_page_token);
  }
  async renameExperiment(id: string, newName: string): Promise<void> {
    try {
      await this.http.call('POST', 'experiments/update', { experiment_id: id, new_name: newName });
    } catch (e) {
      // MLflow lets its database's unique-name violation through as INVALID_PARAMETER_VALUE.
      if (e instanceof AppError && /UNIQUE constraint/i.test(e.message)) {
        throw new AppError('RESOURCE_ALREADY_EXISTS', `cannot rename experiment ${id}: experiment '${newName}' already exists at ${this.location}`, {
          experiment_id: id,
          name: newName,
        });
      }
      throw e;
    }
  }
  async deleteExperiment(id: string): Promise<void> {
    await this.http.call('POST', 'experiments/delete', { experiment_id: id });
  }
  async restoreExperiment(id: string): Promise<void> {
    await this.http.call('POST', 'experiments/restore', { experiment_id: id });
  }
  async setExperimentTag(id: string, key: string, value: string): Promise<void> {
    await this.http.call('POST', 'experiments/set-experiment-tag', { experiment_id: id, key, value });
  }
  async deleteExperimentTag(id: string, key: string): Promise<void> {
    await this.http.call('POST', 'experiments/delete-experiment-tag', { experiment_id: id, key });
  }

  // ---------- runs ----------

  async createRun(req: CreateRunRequest): Promise<Run> {
    const body = { start_time: Date.now(), ...req };
    return toRun((await this.http.call<{ run: Json }>('POST', 'runs/create', body)).run);
  }
  async updateRun(runId: string, req: UpdateRunRequest): Promise<RunInfo> {
    const r = await this.http.call<{ run_info: Json }>('POST', 'runs/update', { run_id: runId, ...req });
    return toRunInfo(r.run_info);
  }
  async getRun(runId: string): Promise<Run> {
    return toRun((await this.http.call<{ run: Json }>('GET', 'runs/get', { run_id: runId })).run);
  }
  async deleteRun(runId: string): Promise<void> {
    await this.http.call('POST', 'runs/delete', { run_id: runId });
  }
  async restoreRun(runId: string): Promise<void> {
    await this.http.call('POST', 'runs/restore', { run_id: runId });
  }
  async searchRuns(req: SearchRunsRequest): Promise<Page<Run>> {
    const r = await this.http.call<{ runs?: Json[]; next_page_token?: string }>('POST', 'runs/search', { ...req });
    return page((r.runs ?? []).map(toRun), r.next_page_token);
  }
  async logMetric(runId: string, m: Metric): Promise<void> {
    await this.http.call('POST', 'runs/log-metric', { run_id: runId, ...metricBody(m) });
  }
  async logParam(runId: string, key: string, value: string): Promise<void> {
    await this.http.call('POST', 'runs/log-parameter', { run_id: runId, key, value });
  }
  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.http.call('POST', 'runs/set-tag', { run_id: runId, key, value });
  }
  async deleteTag(runId: string, key: string): Promise<void> {
    await this.http.call('POST', 'runs/delete-tag', { run_id: runId, key });
  }
  async logBatch(runId: string, req: LogBatchRequest): Promise<void> {
    await this.http.call('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: (req.metrics ?? []).map(metricBody),
      params: req.params ?? [],
      tags: req.tags ?? [],
    });
  }
  async getMetricHistory(runId: string, key: string, p: { max_results?: number; page_token?: string } = {}): Promise<Page<Metric>> {
    const r = await this.http.call<{ metrics?: Json[]; next_page_token?: string }>('GET', 'metrics/get-history', {
      run_id: runId,
      metric_key: key,
      max_results: p.max_results ?? 25_000,
      ...(p.page_token ? { page_token: p.page_token } : {}),
    });
    return page((r.metrics ?? []).map(toMetric), r.next_page_token);
  }

  // ---------- artifacts ----------

  /** `<experiment>/<run>/artifacts[/path]` under the server's artifact proxy. */
  private async proxyPath(runId: string, rel: string): Promise<string> {
    const uri = (await this.getRun(runId)).info.artifact_uri;
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(uri);
    if (!m) {
      throw new AppError(
        'INVALID_PARAMETER_VALUE',
        `run ${runId} keeps its artifacts at ${uri}, which ${this.location} does not proxy; start the server with --serve-artifacts`,
        { run_id: runId, artifact_uri: uri },
      );
    }
    return joinArtifactPath(m[1]!.replace(/\/+$/, ''), rel);
  }

  async uploadArtifact(runId: string, path: string, body: ArtifactBody): Promise<void> {
    const rel = safeArtifactPath(path);
    if (rel === '') throw new AppError('INVALID_PARAMETER_VALUE', 'artifact path must name a file, got the artifact root', { path });
    await this.http.artifact('PUT', await this.proxyPath(runId, rel), body);
  }
  async listArtifacts(runId: string, path?: string): Promise<FileInfo[]> {
    const rel = safeArtifactPath(path);
    const r = await this.http.listArtifacts<{ files?: Json[] }>(await this.proxyPath(runId, rel));
    return (r.files ?? [])
      .map((f) => ({
        path: joinArtifactPath(rel, String(f.path)),
        is_dir: f.is_dir === true,
        file_size: f.is_dir === true || f.file_size === undefined ? null : Number(f.file_size),
      }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  async downloadArtifact(runId: string, path: string): Promise<Buffer> {
    const rel = safeArtifactPath(path);
    try {
      return await this.http.artifact('GET', await this.proxyPath(runId, rel));
    } catch (e) {
      if (e instanceof AppError && e.code === 'RESOURCE_DOES_NOT_EXIST') {
        throw new AppError('RESOURCE_DOES_NOT_EXIST', `artifact '${rel}' not found in run ${runId}`, { run_id: runId, path: rel });
      }
      throw e;
    }
  }

  // ---------- registered models ----------

  async createRegisteredModel(req: CreateRegisteredModelRequest): Promise<RegisteredModel> {
    return toRegisteredModel((await this.http.call<{ registered_model: Json }>('POST', 'registered-models/create', { ...req })).registered_model);
  }
  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return toRegisteredModel((await this.http.call<{ registered_model: Json }>('GET', 'registered-models/get', { name })).registered_model);
  }
  async searchRegisteredModels(req: SearchQuery): Promise<Page<RegisteredModel>> {
    const r = await this.http.call<{ registered_models?: Json[]; next_page_token?: string }>('GET', 'registered-models/search', { ...req });
    return page((r.registered_models ?? []).map(toRegisteredModel), r.next_page_token);
  }
  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    return toRegisteredModel((await this.http.call<{ registered_model: Json }>('PATCH', 'registered-models/update', { name, description })).registered_model);
  }
  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return toRegisteredModel((await this.http.call<{ registered_model: Json }>('POST', 'registered-models/rename', { name, new_name: newName })).registered_model);
  }
  async deleteRegisteredModel(name: string): Promise<void> {
    await this.http.call('DELETE', 'registered-models/delete', { name });
  }
  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.http.call('POST', 'registered-models/set-tag', { name, key, value });
  }
  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.http.call('DELETE', 'registered-models/delete-tag', { name, key });
  }
  async getLatestVersions(name: string, stages?: Stage[]): Promise<ModelVersion[]> {
    const r = await this.http.call<{ model_versions?: Json[] }>('POST', 'registered-models/get-latest-versions', { name, ...(stages?.length ? { stages } : {}) });
    return (r.model_versions ?? []).map(toModelVersion).sort((a, b) => Number(b.version) - Number(a.version));
  }

  // ---------- model versions ----------

  /** runs:/ sources are resolved to the run's artifact URI, as MLflow's client does, after checking the path exists. */
  private async resolveSource(req: CreateModelVersionRequest): Promise<{ source: string; run_id?: string }> {
    const runs = parseRunsUri(req.source);
    if (!runs) return { source: req.source, ...(req.run_id ? { run_id: req.run_id } : {}) };
    if (req.run_id && req.run_id !== runs.runId) {
      throw new AppError('INVALID_PARAMETER_VALUE', `run_id '${req.run_id}' does not match the run in source '${req.source}'`, { run_id: req.run_id, source: req.source });
    }
    const run = await this.getRun(runs.runId);
    const parent = runs.path.includes('/') ? runs.path.slice(0, runs.path.lastIndexOf('/')) : '';
    const siblings = await this.listArtifacts(runs.runId, parent);
    const present = runs.path === '' ? siblings.length > 0 : siblings.some((f) => f.path === runs.path);
    if (!present) {
      throw new AppError('INVALID_PARAMETER_VALUE', `run ${runs.runId} has no artifact at '${runs.path || '/'}' to register (source ${req.source})`, {
        run_id: runs.runId,
        path: runs.path,
      });
    }
    return { source: runs.path ? joinArtifactPath(run.info.artifact_uri, runs.path) : run.info.artifact_uri, run_id: runs.runId };
  }

  async createModelVersion(req: CreateModelVersionRequest): Promise<ModelVersion> {
    const resolved = await this.resolveSource(req);
    const r = await this.http.call<{ model_version: Json }>('POST', 'model-versions/create', { ...req, ...resolved });
    return toModelVersion(r.model_version);
  }
  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return toModelVersion((await this.http.call<{ model_version: Json }>('GET', 'model-versions/get', { name, version })).model_version);
  }
  async searchModelVersions(req: SearchQuery): Promise<Page<ModelVersion>> {
    const r = await this.http.call<{ model_versions?: Json[]; next_page_token?: string }>('GET', 'model-versions/search', { ...req });
    return page((r.model_versions ?? []).map(toModelVersion), r.next_page_token);
  }
  async updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    return toModelVersion((await this.http.call<{ model_version: Json }>('PATCH', 'model-versions/update', { name, version, description })).model_version);
  }
  async deleteModelVersion(name: string, version: string): Promise<void> {
    await this.http.call('DELETE', 'model-versions/delete', { name, version });
  }
  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.http.call('POST', 'model-versions/set-tag', { name, version, key, value });
  }
  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.http.call('DELETE', 'model-versions/delete-tag', { name, version, key });
  }
  async transitionModelVersionStage(req: TransitionStageRequest): Promise<ModelVersion> {
    const r = await this.http.call<{ model_version: Json }>('POST', 'model-versions/transition-stage', {
      ...req,
      archive_existing_versions: req.archive_existing_versions ?? false,
    });
    return toModelVersion(r.model_version);
  }
  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    return (await this.http.call<{ artifact_uri: string }>('GET', 'model-versions/get-download-uri', { name, version })).artifact_uri;
  }

  // ---------- aliases ----------

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.http.call('POST', 'registered-models/alias', { name, alias, version });
  }
  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.http.call('DELETE', 'registered-models/alias', { name, alias });
  }
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return toModelVersion((await this.http.call<{ model_version: Json }>('GET', 'registered-models/alias', { name, alias })).model_version);
  }

  async close(): Promise<void> {
    // Plain HTTP requests: nothing held open.
  }
}
