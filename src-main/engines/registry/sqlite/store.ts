/**
 * The embedded registry: registry.db (WAL, own migrations) plus artifact files under the workspace.
 * better-sqlite3 is synchronous; the methods are async only to share the RegistryStore interface with
 * the remote backend.
 */
import { openDatabase, type Db } from '../../../platform/db/sqlite.js';
import type { WorkspacePaths } from '../../../platform/workspace.js';
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
import { ArtifactFiles } from './artifacts.js';
import * as exp from './experiments.js';
import * as models from './models.js';
import * as runs from './runs.js';
import { REGISTRY_MIGRATIONS } from './schema.js';
import * as versions from './versions.js';

export class SqliteRegistryStore implements RegistryStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private readonly db: Db;
  private readonly files: ArtifactFiles;

  constructor(paths: Pick<WorkspacePaths, 'registryDb' | 'artifactsDir' | 'tmpDir'>) {
    this.location = paths.registryDb;
    this.db = openDatabase(paths.registryDb, 'registry.db', REGISTRY_MIGRATIONS);
    this.files = new ArtifactFiles(paths.artifactsDir, paths.tmpDir);
  }

  /** The open database, for benches that load many runs in one transaction. */
  get database(): Db {
    return this.db;
  }

  async createExperiment(req: CreateExperimentRequest): Promise<string> {
    return exp.createExperiment(this.db, req);
  }
  async getExperiment(id: string): Promise<Experiment> {
    return exp.getExperiment(this.db, id);
  }
  async getExperimentByName(name: string): Promise<Experiment> {
    return exp.getExperimentByName(this.db, name);
  }
  async searchExperiments(req: SearchExperimentsRequest): Promise<Page<Experiment>> {
    return exp.searchExperiments(this.db, req);
  }
  async renameExperiment(id: string, newName: string): Promise<void> {
    exp.renameExperiment(this.db, id, newName);
  }
  async deleteExperiment(id: string): Promise<void> {
    exp.setExperimentStage(this.db, id, 'deleted');
  }
  async restoreExperiment(id: string): Promise<void> {
    exp.setExperimentStage(this.db, id, 'active');
  }
  async setExperimentTag(id: string, key: string, value: string): Promise<void> {
    exp.setExperimentTag(this.db, id, key, value);
  }
  async deleteExperimentTag(id: string, key: string): Promise<void> {
    exp.deleteExperimentTag(this.db, id, key);
  }

  async createRun(req: CreateRunRequest): Promise<Run> {
    return runs.createRun(this.db, req);
  }
  async updateRun(runId: string, req: UpdateRunRequest): Promise<RunInfo> {
    return runs.updateRun(this.db, runId, req);
  }
  async getRun(runId: string): Promise<Run> {
    return runs.getRun(this.db, runId);
  }
  async deleteRun(runId: string): Promise<void> {
    runs.setRunStage(this.db, runId, 'deleted');
  }
  async restoreRun(runId: string): Promise<void> {
    runs.setRunStage(this.db, runId, 'active');
  }
  async searchRuns(req: SearchRunsRequest): Promise<Page<Run>> {
    return runs.searchRuns(this.db, req);
  }
  async logMetric(runId: string, metric: Metric): Promise<void> {
    runs.logMetric(this.db, runId, metric);
  }
  async logParam(runId: string, key: string, value: string): Promise<void> {
    runs.logParam(this.db, runId, key, value);
  }
  async setTag(runId: string, key: string, value: string): Promise<void> {
    runs.setTag(this.db, runId, key, value);
  }
  async deleteTag(runId: string, key: string): Promise<void> {
    runs.deleteTag(this.db, runId, key);
  }
  async logBatch(runId: string, req: LogBatchRequest): Promise<void> {
    runs.logBatch(this.db, runId, req);
  }
  async getMetricHistory(runId: string, key: string, page?: { max_results?: number; page_token?: string }): Promise<Page<Metric>> {
    return runs.metricHistory(this.db, runId, key, page);
  }

  private runFolder(runId: string): string {
    return this.files.folderOf(runs.runRow(this.db, runId).artifact_uri);
  }
  async uploadArtifact(runId: string, path: string, body: ArtifactBody): Promise<void> {
    await this.files.write(this.runFolder(runId), path, body);
  }
  async listArtifacts(runId: string, path?: string): Promise<FileInfo[]> {
    return this.files.list(this.runFolder(runId), path);
  }
  async downloadArtifact(runId: string, path: string): Promise<Buffer> {
    return this.files.read(this.runFolder(runId), path, runId);
  }

  async createRegisteredModel(req: CreateRegisteredModelRequest): Promise<RegisteredModel> {
    return models.createRegisteredModel(this.db, req);
  }
  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return models.getRegisteredModel(this.db, name);
  }
  async searchRegisteredModels(req: SearchQuery): Promise<Page<RegisteredModel>> {
    return models.searchRegisteredModels(this.db, req);
  }
  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    return models.updateRegisteredModel(this.db, name, description);
  }
  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return models.renameRegisteredModel(this.db, name, newName);
  }
  async deleteRegisteredModel(name: string): Promise<void> {
    models.deleteRegisteredModel(this.db, name);
  }
  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    models.setRegisteredModelTag(this.db, name, key, value);
  }
  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    models.deleteRegisteredModelTag(this.db, name, key);
  }
  async getLatestVersions(name: string, stages?: Stage[]): Promise<ModelVersion[]> {
    return models.getLatestVersions(this.db, name, stages);
  }

  async createModelVersion(req: CreateModelVersionRequest): Promise<ModelVersion> {
    return versions.createModelVersion(this.db, req, (uri, path) => this.files.exists(this.files.folderOf(uri), path));
  }
  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return versions.getModelVersion(this.db, name, version);
  }
  async searchModelVersions(req: SearchQuery): Promise<Page<ModelVersion>> {
    return versions.searchModelVersions(this.db, req);
  }
  async updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    return versions.updateModelVersion(this.db, name, version, description);
  }
  async deleteModelVersion(name: string, version: string): Promise<void> {
    versions.deleteModelVersion(this.db, name, version);
  }
  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    versions.setModelVersionTag(this.db, name, version, key, value);
  }
  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    versions.deleteModelVersionTag(this.db, name, version, key);
  }
  async transitionModelVersionStage(req: TransitionStageRequest): Promise<ModelVersion> {
    return versions.transitionStage(this.db, req);
  }
  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    return versions.downloadUri(this.db, name, version);
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    models.setAlias(this.db, name, alias, version);
  }
  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    models.deleteAlias(this.db, name, alias);
  }
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return models.versionByAlias(this.db, name, alias);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
