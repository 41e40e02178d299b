/** Registered models in registry.db: create, read, search, describe, rename, delete, tags and aliases. */
import { AppError } from '../../../platform/errors.js';
import type { Db } from '../../../platform/db/sqlite.js';
import { parseFilter, parseOrderBy } from '../filter.js';
import { LIMITS, type CreateRegisteredModelRequest, type ModelVersion, type Page, type RegisteredModel, type SearchQuery, type Stage } from '../types.js';
import { canonicalStage, modelRow, touchModel, versionsWhere, type ModelRow } from './model-rows.js';
import { offsetOf, pageOf } from './page-token.js';
import { MODELS_TARGET, compileSearch } from './search-sql.js';
import { stmt } from './statements.js';
import { checkAlias, checkMaxResults, checkModelName, checkRegistryTag, checkVersion } from './validate.js';

/** The newest version in each stage, newest first. */
function latestVersions(db: Db, name: string, stages?: readonly Stage[]): ModelVersion[] {
  const all = versionsWhere(db, `v.name = @name AND v.version IN (SELECT MAX(version) FROM model_versions WHERE name = @name GROUP BY current_stage)`, { name });
  return all.filter((v) => !stages || stages.includes(v.current_stage)).sort((a, b) => Number(b.version) - Number(a.version));
}

function toModel(db: Db, r: ModelRow): RegisteredModel {
  const tags = stmt(db, 'SELECT key, value FROM registered_model_tags WHERE name = ? ORDER BY key').all(r.name) as { key: string; value: string }[];
  const aliases = stmt(db, 'SELECT alias, version FROM registered_model_aliases WHERE name = ? ORDER BY alias').all(r.name) as { alias: string; version: number }[];
  return {
    name: r.name,
    creation_timestamp: r.creation_timestamp,
    last_updated_timestamp: r.last_updated_timestamp,
    description: r.description,
    latest_versions: latestVersions(db, r.name),
    tags,
    aliases: aliases.map((a) => ({ alias: a.alias, version: String(a.version) })),
  };
}

export const getRegisteredModel = (db: Db, name: string): RegisteredModel => toModel(db, modelRow(db, name));

export function createRegisteredModel(db: Db, req: CreateRegisteredModelRequest): RegisteredModel {
  const name = checkModelName(req.name);
  const tags = req.tags ?? [];
  tags.forEach((t) => checkRegistryTag(t.key, t.value, 'registered model tag'));
  db.transaction(() => {
    if (stmt(db, 'SELECT 1 FROM registered_models WHERE name = ?').get(name)) {
      throw new AppError('RESOURCE_ALREADY_EXISTS', `registered model '${name}' already exists`, { name });
    }
    const now = Date.now();
    stmt(db, 'INSERT INTO registered_models (name, creation_timestamp, last_updated_timestamp, description) VALUES (?, ?, ?, ?)').run(
      name,
      now,
      now,
      req.description ?? '',
    );
    const put = stmt(db, 'INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)');
    for (const t of tags) put.run(name, t.key, t.value);
  })();
  return getRegisteredModel(db, name);
}

export function searchRegisteredModels(db: Db, req: SearchQuery): Page<RegisteredModel> {
  const max = checkMaxResults(req.max_results, LIMITS.searchModelsDefault, LIMITS.searchModelsMaxResults, 'registered models');
  const filter = parseFilter(req.filter, 'models');
  const order = parseOrderBy(req.order_by, 'models');
  const query = { f: req.filter ?? '', o: req.order_by ?? [] };
  const offset = offsetOf(req.page_token, query);
  const c = compileSearch(MODELS_TARGET, filter, order);
  const where = c.where.length ? `WHERE ${c.where.join(' AND ')}` : '';
  const rows = stmt(db, `SELECT m.* FROM ${c.from} ${c.joins.join(' ')} ${where} ORDER BY ${c.orderBy.join(', ')} LIMIT @limit OFFSET @offset`)
    .all({ ...c.params, limit: max + 1, offset }) as ModelRow[];
  const page = pageOf(rows, offset, max, query);
  return { items: page.items.map((r) => toModel(db, r)), next_page_token: page.next_page_token };
}

export function updateRegisteredModel(db: Db, name: string, description: string): RegisteredModel {
  db.transaction(() => {
    modelRow(db, name);
    stmt(db, 'UPDATE registered_models SET description = ?, last_updated_timestamp = ? WHERE name = ?').run(description, Date.now(), name);
  })();
  return getRegisteredModel(db, name);
}

/** Versions, their tags and aliases follow the new name through ON UPDATE CASCADE. */
export function renameRegisteredModel(db: Db, name: string, newName: string): RegisteredModel {
  checkModelName(newName, 'new_name');
  db.transaction(() => {
    modelRow(db, name);
    if (newName === name) return;
    if (stmt(db, 'SELECT 1 FROM registered_models WHERE name = ?').get(newName)) {
      throw new AppError('RESOURCE_ALREADY_EXISTS', `cannot rename '${name}': registered model '${newName}' already exists`, { name, new_name: newName });
    }
    stmt(db, 'UPDATE registered_models SET name = ?, last_updated_timestamp = ? WHERE name = ?').run(newName, Date.now(), name);
  })();
  return getRegisteredModel(db, newName);
}

export function deleteRegisteredModel(db: Db, name: string): void {
  db.transaction(() => {
    modelRow(db, name);
    stmt(db, 'DELETE FROM registered_models WHERE name = ?').run(name);
  })();
}

export function setRegisteredModelTag(db: Db, name: string, key: string, value: string): void {
  checkRegistryTag(key, value, 'registered model tag');
  db.transaction(() => {
    modelRow(db, name);
    stmt(db, 'INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)').run(name, key, value);
    touchModel(db, name);
  })();
}

export function deleteRegisteredModelTag(db: Db, name: string, key: string): void {
  db.transaction(() => {
    modelRow(db, name);
    // Deleting a tag that is not there is a no-op, as in MLflow.
    const r = stmt(db, 'DELETE FROM registered_model_tags WHERE name = ? AND key = ?').run(name, key);
    if (r.changes > 0) touchModel(db, name);
  })();
}

export function getLatestVersions(db: Db, name: string, stages?: string[]): ModelVersion[] {
  const wanted = stages?.length ? stages.map(canonicalStage) : undefined;
  modelRow(db, name);
  return latestVersions(db, name, wanted);
}

// ---------- aliases ----------

export function setAlias(db: Db, name: string, alias: string, version: string): void {
  checkAlias(alias);
  const v = checkVersion(version);
  db.transaction(() => {
    modelRow(db, name);
    if (!stmt(db, 'SELECT 1 FROM model_versions WHERE name = ? AND version = ?').get(name, v)) {
      throw new AppError('RESOURCE_DOES_NOT_EXIST', `registered model '${name}' has no version ${v} to point alias '${alias}' at`, { name, version: String(v), alias });
    }
    stmt(db, 
      'INSERT INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?) ON CONFLICT(name, alias) DO UPDATE SET version = excluded.version',
    ).run(name, alias, v);
    touchModel(db, name);
  })();
}

export function deleteAlias(db: Db, name: string, alias: string): void {
  checkAlias(alias);
  db.transaction(() => {
    modelRow(db, name);
    // Deleting an alias that is not there is a no-op, as in MLflow.
    const r = stmt(db, 'DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?').run(name, alias);
    if (r.changes > 0) touchModel(db, name);
  })();
}

export function versionByAlias(db: Db, name: string, alias: string): ModelVersion {
  modelRow(db, name);
  const row = stmt(db, 'SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?').get(name, alias) as { version: number } | undefined;
  // MLflow answers an unknown alias with INVALID_PARAMETER_VALUE; clients rely on that code.
  if (!row) throw new AppError('INVALID_PARAMETER_VALUE', `registered model '${name}' has no alias '${alias}'`, { name, alias });
  return versionsWhere(db, 'v.name = @name AND v.version = @version', { name, version: row.version })[0]!;
}
