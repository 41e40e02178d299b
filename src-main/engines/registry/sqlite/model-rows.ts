/** Reading registered model and model version rows, shared by models.ts and versions.ts. */
import { AppError } from '../../../platform/errors.js';
import type { Db } from '../../../platform/db/sqlite.js';
import { STAGES, type ModelVersion, type ModelVersionStatus, type Stage } from '../types.js';
import { stmt } from './statements.js';

export interface ModelRow {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string;
}

interface VersionRow {
  name: string;
  version: number;
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
}

export function modelRow(db: Db, name: string): ModelRow {
  const row = stmt(db, 'SELECT * FROM registered_models WHERE name = ?').get(name) as ModelRow | undefined;
  if (!row) throw new AppError('RESOURCE_DOES_NOT_EXIST', `no registered model named '${name}'`, { name });
  return row;
}

export function touchModel(db: Db, name: string, now = Date.now()): void {
  stmt(db, 'UPDATE registered_models SET last_updated_timestamp = ? WHERE name = ?').run(now, name);
}

/** Stage names as MLflow accepts them: case-insensitive, answered in canonical case. */
export function canonicalStage(stage: string): Stage {
  const s = STAGES.find((x) => x.toLowerCase() === String(stage).toLowerCase());
  if (!s) throw new AppError('INVALID_PARAMETER_VALUE', `invalid model version stage '${stage}'; expected one of ${STAGES.join(', ')}`, { stage });
  return s;
}

/**
 * Versions matching a WHERE clause over `model_versions v` (named parameters), with their tags and
 * aliases. `tail` may add ORDER BY / LIMIT.
 */
export function versionsWhere(db: Db, where: string, params: Record<string, unknown>, tail = 'ORDER BY v.name, v.version'): ModelVersion[] {
  const rows = stmt(db, `SELECT v.* FROM model_versions v WHERE ${where} ${tail}`).all(params) as VersionRow[];
  return withDetails(db, rows);
}

export function withDetails(db: Db, rows: VersionRow[]): ModelVersion[] {
  const tagsOf = stmt(db, 'SELECT key, value FROM model_version_tags WHERE name = ? AND version = ? ORDER BY key');
  const aliasesOf = stmt(db, 'SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ? ORDER BY alias');
  return rows.map((r) => ({
    name: r.name,
    version: String(r.version),
    creation_timestamp: r.creation_timestamp,
    last_updated_timestamp: r.last_updated_timestamp,
    user_id: r.user_id,
    current_stage: r.current_stage,
    description: r.description,
    source: r.source,
    run_id: r.run_id,
    run_link: r.run_link,
    status: r.status,
    status_message: r.status_message,
    tags: tagsOf.all(r.name, r.version) as { key: string; value: string }[],
    aliases: (aliasesOf.all(r.name, r.version) as { alias: string }[]).map((a) => a.alias),
  }));
}

export type { VersionRow };
