/**
 * Parsed filters and order_by clauses → SQL for the SQLite store. Values only ever travel as named
 * parameters; identifiers come from fixed tables below, never from the filter text.
 *
 * Each comparison on a metric, param or tag becomes an inner join on that key (at most one row per
 * entity and key, so no duplicates). SQLite keeps no statistics here, so the caller may name who drives:
 * one metric key (its join goes first, through the (key, scope, value) index, which also yields the
 * order when sorting by it), or the main table (`mainFirst`). Sorting follows MLflow: missing values
 * (and NaN metrics) last in both directions, then start_time DESC and the id as tie-breakers.
 */
import { AppError } from '../../../platform/errors.js';
import type { Comparison, Entity, OrderBy } from '../filter.js';

export interface SqlTarget {
  table: string;
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
  table: 'runs',
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
  table: 'experiments',
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
  table: 'registered_models',
  alias: 'm',
  ids: ['name'],
  attributes: { name: 'm.name', creation_timestamp: 'm.creation_timestamp', last_updated_timestamp: 'm.last_updated_timestamp' },
  numeric: ['creation_timestamp', 'last_updated_timestamp'],
  tables: { tag: 'registered_model_tags' },
  tieBreakers: [{ key: 'name', sql: 'm.name ASC' }],
};

export const VERSIONS_TARGET: SqlTarget = {
  table: 'model_versions',
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

/** One class of rows for the first order_by key; see Builder.presence. */
export interface Presence {
  entity: Entity;
  key: string;
  rows: 'value' | 'nan' | 'missing';
}

export interface CompiledSearch {
  /** FROM clause: the main table, or the driving metric join CROSS JOINed to it. */
  from: string;
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
  /** The metric key whose join drives: it goes first, and other (key, value) indexes are hidden from SQLite. */
  driver: string | null = null;
  /** The driving join once made: its table and alias open the FROM clause, its conditions move to WHERE. */
  leading: string | null = null;
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
    const drives = this.drives(c.entity, c.key);
    // A unary + keeps SQLite from driving through this (key, value) index: it then looks rows up by run.
    const value = this.driver !== null && !drives ? `+${a}.value` : `${a}.value`;
    const nan = c.entity === 'metric' ? [`${a}.is_nan = 0`] : [];
    this.join(table, a, [this.joinOn(a, c.entity), `${a}.key = ${this.param(c.key)}`, ...nan, this.compare(value, c)], drives);
    this.present.set(`${c.entity}:${c.key}`, a);
  }

  private drives(entity: Entity, key: string): boolean {
    return entity === 'metric' && key === this.driver && this.leading === null;
  }

  private join(table: string, alias: string, on: string[], leading: boolean): void {
    if (leading) {
      this.leading = `${table} ${alias} CROSS JOIN`;
      this.where.push(...on);
    } else {
      this.joins.push(`${this.mainFirst ? 'CROSS JOIN' : 'JOIN'} ${table} ${alias} ON ${on.join(' AND ')}`);
    }
  }

  /**
   * Restricts the search to one class of rows for a child-table key: those with a value (joined, so its
   * index can drive in order), those whose metric is NaN, or those without the key.
   */
  presence(p: Presence): void {
    const table = this.table(p.entity);
    const a = `k${this.aliases++}`;
    if (p.rows === 'missing') {
      this.where.push(`NOT EXISTS (SELECT 1 FROM ${table} ${a} WHERE ${this.joinOn(a)} AND ${a}.key = ${this.param(p.key)})`);
      return;
    }
    const nan = p.entity === 'metric' ? [`${a}.is_nan = ${p.rows === 'nan' ? 1 : 0}`] : [];
    this.join(table, a, [this.joinOn(a, p.entity), `${a}.key = ${this.param(p.key)}`, ...nan], p.rows === 'value' && this.drives(p.entity, p.key));
    if (p.rows === 'value') this.present.set(`${p.entity}:${p.key}`, a);
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
 * `driver` names the metric key whose index drives (it must be filtered on, or be the `presence` key);
 * `mainFirst` makes the main table drive instead (right when the scope, e.g. one small experiment, is
 * far more selective than any filter); with neither, SQLite chooses.
 */
export function compileSearch(
  target: SqlTarget,
  filter: readonly Comparison[],
  order: readonly OrderBy[],
  opts: { mainFirst?: boolean; scope?: readonly number[]; presence?: Presence; driver?: string } = {},
): CompiledSearch {
  const b = new Builder(target);
  b.mainFirst = opts.mainFirst ?? false;
  b.scope = opts.scope ?? null;
  b.driver = opts.driver ?? null;
  for (const c of filter) b.filter(c);
  if (opts.presence) b.presence(opts.presence);
  // Within the NaN and missing classes the first key is the same for every row: it orders nothing.
  for (const o of opts.presence && opts.presence.rows !== 'value' ? order.slice(1) : order) b.order(o);
  b.tieBreak(order);
  const main = `${target.table} ${target.alias}`;
  return { from: b.leading ? `${b.leading} ${main}` : main, joins: b.joins, where: b.where, orderBy: b.orderBy, params: b.params };
}
