/**
 * The model registry as one interface with two backends (the embedded SQLite store and a remote MLflow
 * tracking server). Shapes follow MLflow's REST entities field for field, so the MLflow-compatible routes
 * on `serve` and the REST backend pass them through unchanged; timestamps are milliseconds since the epoch.
 *
 * Every method throws AppError with MLflow's codes: RESOURCE_DOES_NOT_EXIST for a missing experiment, run,
 * model, version or alias; RESOURCE_ALREADY_EXISTS for a duplicate name; INVALID_PARAMETER_VALUE for bad
 * input (bad filter, changed param, limits exceeded, path traversal). A remote that cannot be reached
 * throws UNAVAILABLE naming its URI.
 */
import type { Readable } from 'node:stream';

export type LifecycleStage = 'active' | 'deleted';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
export type Stage = 'None' | 'Staging' | 'Production' | 'Archived';
export const STAGES: readonly Stage[] = ['None', 'Staging', 'Production', 'Archived'];
export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

/** MLflow's limits, enforced by the SQLite store exactly as the MLflow server enforces them. */
export const LIMITS = {
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  paramValueLength: 6000,
  tagValueLength: 8000,
  keyLength: 250,
  experimentNameLength: 500,
  experimentTagValueLength: 20000,
  registryTagValueLength: 100_000,
  aliasLength: 255,
  searchRunsMaxResults: 50_000,
  searchRunsDefault: 1000,
  searchExperimentsMaxResults: 50_000,
  searchModelsMaxResults: 1000,
  searchModelsDefault: 100,
  searchVersionsMaxResults: 200_000,
  searchVersionsDefault: 10_000,
  metricHistoryMaxResults: 25_000,
} as const;

export interface Tag {
  key: string;
  value: string;
}
export type RunTag = Tag;
export type Param = Tag;

export interface Metric {
  key: string;
  /** NaN and ±Infinity are allowed, as in MLflow. */
  value: number;
  timestamp: number;
  step: number;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  /** Where the experiment's run artifacts live, e.g. mlflow-artifacts:/3 */
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time: number;
  last_update_time: number;
  tags: Tag[];
}

export interface RunInfo {
  run_id: string;
  /** MLflow's older name for run_id, kept because clients still read it. */
  run_uuid: string;
  experiment_id: string;
  run_name: string;
  user_id: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  /** e.g. mlflow-artifacts:/3/<run_id>/artifacts */
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface RunData {
  /** The latest value of each metric (by step, then timestamp, then value, as MLflow picks it). */
  metrics: Metric[];
  params: Param[];
  tags: RunTag[];
}

export interface DatasetInput {
  tags: Tag[];
  dataset: { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string };
}

export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: { dataset_inputs: DatasetInput[] };
}

export interface FileInfo {
  /** Relative to the run's artifact root, '/'-separated. */
  path: string;
  is_dir: boolean;
  /** Bytes; null for folders. */
  file_size: number | null;
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  current_stage: Stage;
  description: string;
  source: string;
  run_id: string;
  run_link: string;
  status: ModelVersionStatus;
  status_message: string;
  tags: Tag[];
  aliases: string[];
}

export interface ModelAlias {
  alias: string;
  version: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string;
  /** The newest version in each stage. */
  latest_versions: ModelVersion[];
  tags: Tag[];
  aliases: ModelAlias[];
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back as page_token for the next page. Null on the last page. */
  next_page_token: string | null;
}

export interface SearchQuery {
  filter?: string;
  order_by?: string[];
  max_results?: number;
  page_token?: string;
}

// ---------- requests ----------

export interface CreateExperimentRequest {
  name: string;
  artifact_location?: string;
  tags?: Tag[];
}

export interface SearchExperimentsRequest extends SearchQuery {
  view_type?: ViewType;
}

export interface CreateRunRequest {
  experiment_id: string;
  user_id?: string;
  run_name?: string;
  start_time?: number;
  tags?: RunTag[];
}

export interface UpdateRunRequest {
  status?: RunStatus;
  end_time?: number;
  run_name?: string;
}

export interface SearchRunsRequest extends SearchQuery {
  experiment_ids: string[];
  run_view_type?: ViewType;
}

export interface LogBatchRequest {
  metrics?: Metric[];
  params?: Param[];
  tags?: RunTag[];
}

export interface CreateRegisteredModelRequest {
  name: string;
  description?: string;
  tags?: Tag[];
}

export interface CreateModelVersionRequest {
  name: string;
  /** runs:/<run_id>/<path>, mlflow-artifacts:/…, or any other URI the serving side can read. */
  source: string;
  run_id?: string;
  run_link?: string;
  description?: string;
  tags?: Tag[];
}

export interface TransitionStageRequest {
  name: string;
  version: string;
  stage: Stage;
  archive_existing_versions?: boolean;
}

/** Bytes, or a stream for large files (consumed once). */
export type ArtifactBody = Buffer | Uint8Array | Readable;

export interface RegistryStore {
  readonly kind: 'sqlite' | 'mlflow';
  /** The registry.db path or the tracking URI, for messages and health. */
  readonly location: string;

  // experiments
  createExperiment(req: CreateExperimentRequest): Promise<string>;
  getExperiment(experimentId: string): Promise<Experiment>;
  getExperimentByName(name: string): Promise<Experiment>;
  searchExperiments(req: SearchExperimentsRequest): Promise<Page<Experiment>>;
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  deleteExperiment(experimentId: string): Promise<void>;
  restoreExperiment(experimentId: string): Promise<void>;
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void>;
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  // runs
  createRun(req: CreateRunRequest): Promise<Run>;
  updateRun(runId: string, req: UpdateRunRequest): Promise<RunInfo>;
  getRun(runId: string): Promise<Run>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  searchRuns(req: SearchRunsRequest): Promise<Page<Run>>;
  logMetric(runId: string, metric: Metric): Promise<void>;
  /** Params are immutable: the same value again is fine, another value is INVALID_PARAMETER_VALUE. */
  logParam(runId: string, key: string, value: string): Promise<void>;
  setTag(runId: string, key: string, value: string): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  /** All or nothing: a batch with one bad entry logs none of it. */
  logBatch(runId: string, req: LogBatchRequest): Promise<void>;
  getMetricHistory(runId: string, key: string, page?: { max_results?: number; page_token?: string }): Promise<Page<Metric>>;

  // artifacts (paths relative to the run's artifact root; '..' and absolute paths are refused)
  uploadArtifact(runId: string, path: string, body: ArtifactBody): Promise<void>;
  listArtifacts(runId: string, path?: string): Promise<FileInfo[]>;
  downloadArtifact(runId: string, path: string): Promise<Buffer>;

  // registered models
  createRegisteredModel(req: CreateRegisteredModelRequest): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  searchRegisteredModels(req: SearchQuery): Promise<Page<RegisteredModel>>;
  updateRegisteredModel(name: string, description: string): Promise<RegisteredModel>;
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;
  deleteRegisteredModel(name: string): Promise<void>;
  setRegisteredModelTag(name: string, key: string, value: string): Promise<void>;
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;
  getLatestVersions(name: string, stages?: Stage[]): Promise<ModelVersion[]>;

  // model versions
  createModelVersion(req: CreateModelVersionRequest): Promise<ModelVersion>;
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  searchModelVersions(req: SearchQuery): Promise<Page<ModelVersion>>;
  updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion>;
  deleteModelVersion(name: string, version: string): Promise<void>;
  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void>;
  deleteModelVersionTag(name: string, version: string, key: string): Promise<void>;
  transitionModelVersionStage(req: TransitionStageRequest): Promise<ModelVersion>;
  getModelVersionDownloadUri(name: string, version: string): Promise<string>;

  // aliases
  setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void>;
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;

  close(): Promise<void>;
}
