/** Experiments in registry.db: create, read, search, rename, soft delete and restore (with their runs). */
import { AppError } from '../../../platform/errors.js';
import type { Db } from '../../../platform/db/sqlite.js';
import { parseFilter, parseOrderBy } from '../filter.js';
import { experimentArtifactLocation } from '../paths.js';
import { LIMITS, type CreateExperimentRequest, type Experiment, type Page, type SearchExperimentsRequest, type Tag, type ViewType } from '../types.js';
import { offsetOf, pageOf } from './page-token.js';
import { EXPERIMENTS_TARGET, compileSearch } from './search-sql.js';
import { stmt } from './statements.js';
import { checkExperimentName, checkExperimentTag, checkMaxResults } from './validate.js';

interface ExperimentRow {
  experiment_id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
}

export const stagesOf = (view: ViewType | undefined): string[] =>
  view === 'DELETED_ONLY' ? ['deleted'] : view === 'ALL' ? ['active', 'deleted'] : ['active'];

/** Experiment ids are integers here; anything else cannot name one. */
export function experimentIdOf(id: string): number {
  if (!/^\d{1,15}$/.test(String(id))) {
    throw new AppError('RESOURCE_DOES_NOT_EXIST', `no experiment with id '${id}'`, { experiment_id: id });
  }
  return Number(id);
}

function tagsOf(db: Db, ids: number[]): Map<number, Tag[]> {
  const out = new Map<number, Tag[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const rows = stmt(db, `SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id IN (${ids.map(() => '?').join(',')}) ORDER BY key`)
    .all(...ids) as { experiment_id: number; key: string; value: string }[];
  for (const r of rows) out.get(r.experiment_id)?.push({ key: r.key, value: r.value });
  return out;
}

function toExperiments(db: Db, rows: ExperimentRow[]): Experiment[] {
  const tags = tagsOf(
    db,
    rows.map((r) => r.experiment_id),
  );
  return rows.map((r) => ({
    experiment_id: String(r.experiment_id),
    name: r.name,
    artifact_location: r.artifact_location,
    lifecycle_stage: r.lifecycle_stage,
    creation_time: r.creation_time,
    last_update_time: r.last_update_time,
    tags: tags.get(r.experiment_id) ?? [],
  }));
}

export function experimentRow(db: Db, id: string): ExperimentRow {
  const row = stmt(db, 'SELECT * FROM experiments WHERE experiment_id = ?').get(experimentIdOf(id)) as ExperimentRow | undefined;
  if (!row) throw new AppError('RESOURCE_DOES_NOT_EXIST', `no experiment with id '${id}'`, { experiment_id: id });
  return row;
}

export function getExperiment(db: Db, id: string): Experiment {
  return toExperiments(db, [experimentRow(db, id)])[0]!;
}

export function getExperimentByName(db: Db, name: string): Experiment {
  const row = stmt(db, 'SELECT * FROM experiments WHERE name = ?').get(name) as ExperimentRow | undefined;
  if (!row) throw new AppError('RESOURCE_DOES_NOT_EXIST', `no experiment named '${name}'`, { name });
  return toExperiments(db, [row])[0]!;
}

function nameTaken(db: Db, name: string): AppError | null {
  const row = stmt(db, 'SELECT experiment_id, lifecycle_stage FROM experiments WHERE name = ?').get(name) as
    | { experiment_id: number; lifecycle_stage: string }
    | undefined;
  if (!row) return null;
  const deleted = row.lifecycle_stage === 'deleted' ? ' (deleted; restore it or delete it permanently)' : '';
  return new AppError('RESOURCE_ALREADY_EXISTS', `experiment '${name}' already exists with id ${row.experiment_id}${deleted}`, {
    name,
    experiment_id: String(row.experiment_id),
  });
}

export function createExperiment(db: Db, req: CreateExperimentRequest): string {
  const name = checkExperimentName(req.name);
  const tags = req.tags ?? [];
  tags.forEach(checkExperimentTag);
  if (req.artifact_location && !req.artifact_location.startsWith('mlflow-artifacts:')) {
    throw new AppError(
      'INVALID_PARAMETER_VALUE',
      `artifact_location '${req.artifact_location}' is not supported by the embedded registry: it keeps artifacts in the workspace (leave artifact_location empty)`,
      { artifact_location: req.artifact_location },
    );
  }
  return db.transaction(() => {
    const taken = nameTaken(db, name);
    if (taken) throw taken;
    const now = Date.now();
    const next = (stmt(db, 'SELECT COALESCE(MAX(experiment_id), 0) + 1 AS id FROM experiments').get() as { id: number }).id;
    stmt(db, 
      `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, 'active', ?, ?)`,
    ).run(next, name, experimentArtifactLocation(String(next)), now, now);
    const put = stmt(db, 'INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)');
    for (const t of tags) put.run(next, t.key, t.value);
    return String(next);
  })();
}

export function searchExperiments(db: Db, req: SearchExperimentsRequest): Page<Experiment> {
  const max = checkMaxResults(req.max_results, LIMITS.searchRunsDefault, LIMITS.searchExperimentsMaxResults, 'experiments');
  const filter = parseFilter(req.filter, 'experiments');
  const order = parseOrderBy(req.order_by?.length ? req.order_by : ['creation_time DESC', 'experiment_id ASC'], 'experiments');
  const stages = stagesOf(req.view_type);
  const query = { f: req.filter ?? '', o: req.order_by ?? [], v: stages };
  const offset = offsetOf(req.page_token, query);
  const c = compileSearch(EXPERIMENTS_TARGET, filter, order);
  const where = [`e.lifecycle_stage IN (${stages.map((s) => `'${s}'`).join(',')})`, ...c.where];
  const rows = stmt(db, `SELECT e.* FROM ${c.from} ${c.joins.join(' ')} WHERE ${where.join(' AND ')} ORDER BY ${c.orderBy.join(', ')} LIMIT @limit OFFSET @offset`)
    .all({ ...c.params, limit: max + 1, offset }) as ExperimentRow[];
  const page = pageOf(rows, offset, max, query);
  return { items: toExperiments(db, page.items), next_page_token: page.next_page_token };
}

function touch(db: Db, id: number): void {
  stmt(db, 'UPDATE experiments SET last_update_time = ? WHERE experiment_id = ?').run(Date.now(), id);
}

export function renameExperiment(db: Db, id: string, newName: string): void {
  const name = checkExperimentName(newName);
  db.transaction(() => {
    const row = experimentRow(db, id);
    if (row.lifecycle_stage !== 'active') {
      throw new AppError('INVALID_PARAMETER_VALUE', `experiment ${id} is deleted; restore it before renaming`, { experiment_id: id });
    }
    if (row.name === name) return;
    const taken = nameTaken(db, name);
    if (taken) throw taken;
    stmt(db, 'UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?').run(name, Date.now(), row.experiment_id);
  })();
}

/** Soft delete: the experiment and its runs move to the deleted stage and can be restored. */
export function setExperimentStage(db: Db, id: string, stage: 'active' | 'deleted'): void {
  db.transaction(() => {
    const row = experimentRow(db, id);
    // MLflow answers both with RESOURCE_DOES_NOT_EXIST (there is no active / deleted experiment with that id).
    if (stage === 'deleted' && row.lifecycle_stage === 'deleted') {
      throw new AppError('RESOURCE_DOES_NOT_EXIST', `experiment ${id} is already deleted`, { experiment_id: id });
    }
    if (stage === 'active' && row.lifecycle_stage === 'active') {
      throw new AppError('RESOURCE_DOES_NOT_EXIST', `experiment ${id} is not deleted, so there is nothing to restore`, { experiment_id: id });
    }
    const now = Date.now();
    stmt(db, 'UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?').run(stage, now, row.experiment_id);
    stmt(db, 'UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE experiment_id = ?').run(stage, stage === 'deleted' ? now : null, row.experiment_id);
  })();
}

export function setExperimentTag(db: Db, id: string, key: string, value: string): void {
  checkExperimentTag({ key, value });
  db.transaction(() => {
    const row = experimentRow(db, id);
    if (row.lifecycle_stage !== 'active') throw new AppError('INVALID_PARAMETER_VALUE', `experiment ${id} is deleted; restore it before tagging`, { experiment_id: id });
    stmt(db, 'INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)').run(row.experiment_id, key, value);
    touch(db, row.experiment_id);
  })();
}

export function deleteExperimentTag(db: Db, id: string, key: string): void {
  db.transaction(() => {
    const row = experimentRow(db, id);
    const r = stmt(db, 'DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?').run(row.experiment_id, key);
    if (r.changes === 0) throw new AppError('RESOURCE_DOES_NOT_EXIST', `experiment ${id} has no tag '${key}'`, { experiment_id: id, key });
    touch(db, row.experiment_id);
  })();
}
