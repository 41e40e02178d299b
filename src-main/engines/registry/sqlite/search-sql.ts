/**
 * Parsed filters and order_by clauses → SQL for the SQLite store. Values only ever travel as named
 * parameters; identifiers come from fixed tables below, never from the filter text.
 *
 * Each comparison on a metric, param or tag becomes an inner join on that key (at most one row per
 * entity and key, so no duplicates), which lets SQLite start from the (key, value) index of the most
 * selective one. Sorting follows MLflow: missing values (and NaN metrics) last in both directions,
 * then start_time DESC and the id as tie-breakers.
 */
import { AppError } from '../../../platform/errors.js';
import type { Comparison, Entity, OrderBy } from '../filter.js';

export interface SqlTarget {
  /** Alias of the main table in the query. */
  alias: string;
  /** Columns joining child tables (tags, params, metrics) to the main table. */
  ids: readonly string[];
  attributes: Readonly<Record<string, string>>;
  numeric: readonly string[];
  tables: Partial<Record<Entity, string>>;
  /** Child tables that carry the scope column (e.g. latest_metrics.experiment_id), so joins can say so. */
  scoped?: Partial<Record<Entity, string>>;
  /** Appended after the requested order (tie-breakers), skipped when already ordered by that key. */
  tieBreakers: readonly { key: string; sql: string }[];
}

export const RUNS_TARGET: SqlTarget = {
  alias: 'r',
  ids: ['run_uuid'],
  attributes: {
    run_id: 'r.run_uuid',
    run_name: 'r.name',
    status: 'r.status',
    user_id: 'r.user_id',
    artifact_uri: 'r.artifact_uri',
    start_time: 'r.start_time',
    end_time: 'r.end_time',
  },
  numeric: ['start_time', 'end_time'],
  tables: { metric: 'latest_metrics', param: 'params', tag: 'tags' },
  scoped: { metric: 'experiment_id' },
  tieBreakers: [
    { key: 'start_time', sql: 'r.start_time DESC' },
    { key: 'run_id', sql: 'r.run_uuid ASC' },
  ],
};

export const EXPERIMENTS_TARGET: SqlTarget = {
  alias: 'e',
  ids: ['experiment_id'],
  attributes: {
    name: 'e.name',
    experiment_id: 'CAST(e.experiment_id AS TEXT)',
    creation_time: 'e.creation_time',
    last_update_time: 'e.last_update_time',
  },
  numeric: ['creation_time', 'last_update_time'],
  tables: { tag: 'experiment_tags' },
  tieBreakers: [{ key: 'experiment_id', sql: 'e.experiment_id DESC' }],
};

export const MODELS_TARGET: SqlTarget = {
  alias: 'm',
  ids: ['name'],
  attributes: { name: 'm.name', creation_timestamp: 'm.creation_timestamp', last_updated_timestamp: 'm.last_updated_timestamp' },
  numeric: ['creation_timestamp', 'last_updated_timestamp'],
  tables: { tag: 'registered_model_tags' },
  tieBreakers: [{ key: 'name', sql: 'm.name ASC' }],
};

export const VERSIONS_TARGET: SqlTarget = {
  alias: 'v',
  ids: ['name', 'version'],
  attributes: {
    name: 'v.name',
    run_id: 'v.run_id',
    source_path: 'v.source',
    version_number: 'v.version',
    creation_timestamp: 'v.creation_timestamp',
    last_updated_timestamp: 'v.last_updated_timestamp',
  },
  numeric: ['version_number', 'creation_timestamp', 'last_updated_timestamp'],
  tables: { tag: 'model_version_tags' },
  tieBreakers: [
    { key: 'name', sql: 'v.name ASC' },
    { key: 'version_number', sql: 'v.version DESC' },
  ],
};

export interface CompiledSearch {
  joins: string[];
  where: string[];
  orderBy: string[];
  params: Record<string, unknown>;
}

/** MLflow's LIKE is case-sensitive; SQLite's is not, so LIKE becomes GLOB with the wildcards translated. */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (const c of pattern) {
    if (c === '%') out += '*';
    else if (c === '_') out += '?';
    else if (c === '*' || c === '?' || c === '[') out += `[${c}]`;
    else out += c;
  }
  return out;
}

class Builder {
  readonly joins: string[] = [];
  /** CROSS JOIN keeps SQLite from reordering: the main table drives the loop. */
  mainFirst = false;
  /** Ids of the scope (e.g. the experiments searched), repeated on scoped child tables. */
  scope: readonly number[] | null = null;
  readonly where: string[] = [];
  readonly orderBy: string[] = [];
  readonly params: Record<string, unknown> = {};
  /** entity:key → alias of an inner join that guarantees the value is present (and not NaN). */
  private readonly present = new Map<string, string>();
  private n = 0;
  private aliases = 0;

  constructor(private readonly t: SqlTarget) {}

  param(v: unknown): string {
    const name = `p${this.n++}`;
    this.params[name] = v;
    return `@${name}`;
  }

  private table(entity: Entity): string {
    const table = this.t.tables[entity];
    if (!table) throw new AppError('INVALID_PARAMETER_VALUE', `${entity} filters are not available for this search`, { entity });
    return table;
  }

  private joinOn(alias: string, entity?: Entity): string {
    const on = this.t.ids.map((c) => `${alias}.${c} = ${this.t.alias}.${c}`);
    const column = entity ? this.t.scoped?.[entity] : undefined;
    // Said on the child table too, so that its (key, scope, value) index can serve the range.
    if (column && this.scope) on.push(`${alias}.${column} IN (${this.scope.map((id) => this.param(id)).join(', ')})`);
    return on.join(' AND ');
  }

  private compare(column: string, c: Comparison): string {
    switch (c.op) {
      case 'LIKE':
        return `${column} GLOB ${this.param(likeToGlob(String(c.value)))}`;
      case 'ILIKE':
        return `lower(${column}) LIKE lower(${this.param(c.value)})`;
      case 'IN':
      case 'NOT IN':
        return `${column} ${c.op} (${(c.value as string[]).map((v) => this.param(v)).join(', ')})`;
      default:
        return `${column} ${c.op} ${this.param(c.value)}`;
    }
  }

  filter(c: Comparison): void {
    if (c.entity === 'attribute') {
      const col = this.t.attributes[c.key];
      if (!col) throw new AppError('INVALID_PARAMETER_VALUE', `attribute '${c.key}' cannot be filtered on here`, { key: c.key });
      this.where.push(this.compare(col, c));
      return;
    }
    const table = this.table(c.entity);
    const a = `f${this.aliases++}`;
    if (c.op === 'IS NULL' || c.op === 'IS NOT NULL') {
      const exists = `EXISTS (SELECT 1 FROM ${table} ${a} WHERE ${this.joinOn(a)} AND ${a}.key = ${this.param(c.key)})`;
      this.where.push(c.op === 'IS NULL' ? `NOT ${exists}` : exists);
      return;
    }
    const nan = c.entity === 'metric' ? ` AND ${a}.is_nan = 0` : '';
    this.joins.push(`${this.mainFirst ? 'CROSS JOIN' : 'JOIN'} ${table} ${a} ON ${this.joinOn(a, c.entity)} AND ${a}.key = ${this.param(c.key)}${nan} AND ${this.compare(`${a}.value`, c)}`);
    this.present.set(`${c.entity}:${c.key}`, a);
  }

  order(o: OrderBy): void {
    const dir = o.ascending ? 'ASC' : 'DESC';
    if (o.entity === 'attribute') {
      const col = this.t.attributes[o.key];
      if (!col) throw new AppError('INVALID_PARAMETER_VALUE', `attribute '${o.key}' cannot be ordered by here`, { key: o.key });
      this.orderBy.push(`(${col} IS NULL) ASC`, `${col} ${dir}`);
      return;
    }
    const known = this.present.get(`${o.entity}:${o.key}`);
    if (known) {
      this.orderBy.push(`${known}.value ${dir}`);
      return;
    }
    const table = this.table(o.entity);
    const a = `o${this.aliases++}`;
    this.joins.push(`LEFT JOIN ${table} ${a} ON ${this.joinOn(a, o.entity)} AND ${a}.key = ${this.param(o.key)}`);
    const missing = o.entity === 'metric' ? `CASE WHEN ${a}.value IS NULL THEN 2 WHEN ${a}.is_nan = 1 THEN 1 ELSE 0 END` : `(${a}.value IS NULL)`;
    this.orderBy.push(`${missing} ASC`, `${a}.value ${dir}`);
  }

  tieBreak(ordered: readonly OrderBy[]): void {
    for (const tb of this.t.tieBreakers) {
      if (!ordered.some((o) => o.entity === 'attribute' && o.key === tb.key)) this.orderBy.push(tb.sql);
    }
  }
}

/**
 * `mainFirst` makes the main table drive the search (right when the scope, e.g. one small experiment,
 * is far more selective than any filter); otherwise SQLite may start from a (key, value) index, which
 * with a metric order_by also lets it stop early.
 */
export function compileSearch(
  target: SqlTarget,
  filter: readonly Comparison[],
  order: readonly OrderBy[],
  opts: { mainFirst?: boolean; scope?: readonly number[] } = {},
): CompiledSearch {
  const b = new Builder(target);
  b.mainFirst = opts.mainFirst ?? false;
  b.scope = opts.scope ?? null;
  for (const c of filter) b.filter(c);
  for (const o of order) b.order(o);
  b.tieBreak(order);
  return { joins: b.joins, where: b.where, orderBy: b.orderBy, params: b.params };
}
