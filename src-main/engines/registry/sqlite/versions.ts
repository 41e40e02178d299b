/** Model versions in registry.db: create from a run's artifacts or a URI, read, search, stages, tags. */
import { AppError } from '../../../platform/errors.js';
import type { Db } from '../../../platform/db/sqlite.js';
import { parseFilter, parseOrderBy } from '../filter.js';
import { joinArtifactPath, parseRunsUri } from '../paths.js';
import { LIMITS, type CreateModelVersionRequest, type ModelVersion, type Page, type SearchQuery, type TransitionStageRequest } from '../types.js';
import { canonicalStage, modelRow, touchModel, versionsWhere, withDetails, type VersionRow } from './model-rows.js';
import { offsetOf, pageOf } from './page-token.js';
import { runRow } from './runs.js';
import { VERSIONS_TARGET, compileSearch } from './search-sql.js';
import { stmt } from './statements.js';
import { checkMaxResults, checkRegistryTag, checkVersion } from './validate.js';

/** Answers whether a run (by artifact URI) holds something at `path`. */
export type ArtifactProbe = (artifactUri: string, path: string) => boolean;

export function getModelVersion(db: Db, name: string, version: string): ModelVersion {
  const v = checkVersion(version);
  modelRow(db, name);
  const found = versionsWhere(db, 'v.name = @name AND v.version = @version', { name, version: v })[0];
  if (!found) throw new AppError('RESOURCE_DOES_NOT_EXIST', `registered model '${name}' has no version ${v}`, { name, version: String(v) });
  return found;
}

/** runs:/<id>/<path> → the run's artifact URI and path, after checking the run holds that path. */
function resolveSource(db: Db, req: CreateModelVersionRequest, probe: ArtifactProbe): { source: string; runId: string } {
  if (/(^|[/\\])\.\.([/\\]|$)/.test(req.source)) {
    throw new AppError('INVALID_PARAMETER_VALUE', `model version source '${req.source}' must not contain '..'`, { source: req.source });
  }
  const runs = parseRunsUri(req.source);
  if (!runs) {
    if (req.run_id) runRow(db, req.run_id);
    return { source: req.source, runId: req.run_id ?? '' };
  }
  if (req.run_id && req.run_id !== runs.runId) {
    throw new AppError('INVALID_PARAMETER_VALUE', `run_id '${req.run_id}' does not match the run in source '${req.source}'`, { run_id: req.run_id, source: req.source });
  }
  const run = runRow(db, runs.runId);
  if (!probe(run.artifact_uri, runs.path)) {
    throw new AppError('INVALID_PARAMETER_VALUE', `run ${runs.runId} has no artifact at '${runs.path || '/'}' to register (source ${req.source})`, {
      run_id: runs.runId,
      path: runs.path,
    });
  }
  return { source: runs.path ? joinArtifactPath(run.artifact_uri, runs.path) : run.artifact_uri, runId: runs.runId };
}

export function createModelVersion(db: Db, req: CreateModelVersionRequest, probe: ArtifactProbe): ModelVersion {
  if (typeof req.source !== 'string' || req.source.trim() === '') {
    throw new AppError('INVALID_PARAMETER_VALUE', 'model version source must be a non-empty URI such as runs:/<run_id>/model', { source: req.source });
  }
  const tags = req.tags ?? [];
  tags.forEach((t) => checkRegistryTag(t.key, t.value, 'model version tag'));
  const version = db.transaction(() => {
    modelRow(db, req.name);
    const { source, runId } = resolveSource(db, req, probe);
    const now = Date.now();
    const v = (stmt(db, 'SELECT next_version AS v FROM registered_models WHERE name = ?').get(req.name) as { v: number }).v;
    stmt(db, 
      `INSERT INTO model_versions (name, version, creation_timestamp, last_updated_timestamp, current_stage, description, source, run_id, run_link, status)
       VALUES (?, ?, ?, ?, 'None', ?, ?, ?, ?, 'READY')`,
    ).run(req.name, v, now, now, req.description ?? '', source, runId, req.run_link ?? '');
    const put = stmt(db, 'INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)');
    for (const t of tags) put.run(req.name, v, t.key, t.value);
    stmt(db, 'UPDATE registered_models SET next_version = ?, last_updated_timestamp = ? WHERE name = ?').run(v + 1, now, req.name);
    return v;
  })();
  return getModelVersion(db, req.name, String(version));
}

export function searchModelVersions(db: Db, req: SearchQuery): Page<ModelVersion> {
  const max = checkMaxResults(req.max_results, LIMITS.searchVersionsDefault, LIMITS.searchVersionsMaxResults, 'model versions');
  const filter = parseFilter(req.filter, 'versions');
  const order = parseOrderBy(req.order_by?.length ? req.order_by : ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'], 'versions');
  const query = { f: req.filter ?? '', o: req.order_by ?? [] };
  const offset = offsetOf(req.page_token, query);
  const c = compileSearch(VERSIONS_TARGET, filter, order);
  const where = c.where.length ? `WHERE ${c.where.join(' AND ')}` : '';
  const rows = stmt(db, `SELECT v.* FROM ${c.from} ${c.joins.join(' ')} ${where} ORDER BY ${c.orderBy.join(', ')} LIMIT @limit OFFSET @offset`)
    .all({ ...c.params, limit: max + 1, offset }) as VersionRow[];
  const page = pageOf(rows, offset, max, query);
  return { items: withDetails(db, page.items), next_page_token: page.next_page_token };
}

export function updateModelVersion(db: Db, name: string, version: string, description: string): ModelVersion {
  const v = checkVersion(version);
  db.transaction(() => {
    getModelVersion(db, name, version);
    const now = Date.now();
    stmt(db, 'UPDATE model_versions SET description = ?, last_updated_timestamp = ? WHERE name = ? AND version = ?').run(description, now, name, v);
    touchModel(db, name, now);
  })();
  return getModelVersion(db, name, version);
}

/** Its tags and aliases go with it; its number is never given out again. */
export function deleteModelVersion(db: Db, name: string, version: string): void {
  const v = checkVersion(version);
  db.transaction(() => {
    getModelVersion(db, name, version);
    stmt(db, 'DELETE FROM model_versions WHERE name = ? AND version = ?').run(name, v);
    touchModel(db, name);
  })();
}

export function setModelVersionTag(db: Db, name: string, version: string, key: string, value: string): void {
  checkRegistryTag(key, value, 'model version tag');
  const v = checkVersion(version);
  db.transaction(() => {
    getModelVersion(db, name, version);
    stmt(db, 'INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)').run(name, v, key, value);
  })();
}

export function deleteModelVersionTag(db: Db, name: string, version: string, key: string): void {
  const v = checkVersion(version);
  db.transaction(() => {
    getModelVersion(db, name, version);
    // Deleting a tag that is not there is a no-op, as in MLflow.
    stmt(db, 'DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?').run(name, v, key);
  })();
}

/** Moves a version to a stage; with archive_existing_versions the others in that stage become Archived. */
export function transitionStage(db: Db, req: TransitionStageRequest): ModelVersion {
  const stage = canonicalStage(req.stage);
  const v = checkVersion(req.version);
  if (req.archive_existing_versions && stage !== 'Staging' && stage !== 'Production') {
    throw new AppError('INVALID_PARAMETER_VALUE', `archive_existing_versions is only allowed when moving to Staging or Production, not ${stage}`, {
      stage,
    });
  }
  db.transaction(() => {
    getModelVersion(db, req.name, req.version);
    const now = Date.now();
    if (req.archive_existing_versions) {
      stmt(db, 
        `UPDATE model_versions SET current_stage = 'Archived', last_updated_timestamp = ? WHERE name = ? AND version != ? AND current_stage = ?`,
      ).run(now, req.name, v, stage);
    }
    stmt(db, 'UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? WHERE name = ? AND version = ?').run(stage, now, req.name, v);
    touchModel(db, req.name, now);
  })();
  return getModelVersion(db, req.name, req.version);
}

export function downloadUri(db: Db, name: string, version: string): string {
  return getModelVersion(db, name, version).source;
}
