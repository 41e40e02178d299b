/**
 * Runs in registry.db: lifecycle, params (immutable), tags, metric histories with a latest-value table,
 * log-batch (all or nothing) and search compiled from MLflow's filter grammar.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { AppError } from '../../../platform/errors.js';
import type { Db } from '../../../platform/db/sqlite.js';
import { parseFilter, parseOrderBy } from '../filter.js';
import { runArtifactUri } from '../paths.js';
import {
  LIMITS,
  RUN_STATUSES,
  type CreateRunRequest,
  type LogBatchRequest,
  type Metric,
  type Page,
  type Run,
  type RunInfo,
  type RunStatus,
  type SearchRunsRequest,
  type Tag,
  type UpdateRunRequest,
} from '../types.js';
import { experimentIdOf, experimentRow, stagesOf } from './experiments.js';
import { offsetOf, pageOf } from './page-token.js';
import { RUNS_TARGET, compileSearch, type CompiledSearch, type Presence } from './search-sql.js';
import { stmt } from './statements.js';
import { checkBatch, checkMaxResults, checkMetric, checkParam, checkRunTag } from './validate.js';

/** The tag MLflow mirrors the run name into. */
export const RUN_NAME_TAG = 'mlflow.runName';

interface RunRow {
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: 'active' | 'deleted';
  artifact_uri: string;
}

interface MetricRow {
  run_uuid: string;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: number;
}

const ADJECTIVES = ['amber', 'bold', 'brisk', 'calm', 'clever', 'crisp', 'eager', 'gentle', 'keen', 'lucky', 'quiet', 'rapid', 'sunny', 'swift', 'tidy', 'vivid', 'wise', 'zesty'];
const NOUNS = ['cab', 'fare', 'meter', 'route', 'ride', 'lane', 'loop', 'hub', 'depot', 'signal', 'corner', 'bridge', 'tunnel', 'harbor', 'avenue', 'plaza'];
const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)]!;
const randomRunName = (): string => `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(1000)}`;

const toMetric = (r: MetricRow): Metric => ({ key: r.key, value: r.is_nan ? NaN : r.value, timestamp: r.timestamp, step: r.step });

function toInfo(r: RunRow): RunInfo {
  return {
    run_id: r.run_uuid,
    run_uuid: r.run_uuid,
    experiment_id: String(r.experiment_id),
    run_name: r.name,
    user_id: r.user_id,
    status: r.status,
    start_time: r.start_time,
    end_time: r.end_time,
    artifact_uri: r.artifact_uri,
    lifecycle_stage: r.lifecycle_stage,
  };
}

export function runRow(db: Db, runId: string): RunRow {
  const row = stmt(db, 'SELECT * FROM runs WHERE run_uuid = ?').get(runId) as RunRow | undefined;
  if (!row) throw new AppError('RESOURCE_DOES_NOT_EXIST', `no run with id '${runId}'`, { run_id: runId });
  return row;
}

function activeRun(db: Db, runId: string): RunRow {
  const row = runRow(db, runId);
  if (row.lifecycle_stage !== 'active') {
    throw new AppError('INVALID_PARAMETER_VALUE', `run ${runId} is deleted; restore it before logging to it`, { run_id: runId });
  }
  return row;
}

const CHUNK = 500;

/** Rows of `table` for many runs, queried in chunks that stay under SQLite's parameter limit. */
function childRows<T>(db: Db, table: string, ids: string[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const part = ids.slice(i, i + CHUNK);
    // No ORDER BY: SQLite would walk the whole (key, value) index to honour it; hydrate sorts instead.
    out.push(...(stmt(db, `SELECT * FROM ${table} WHERE run_uuid IN (${part.map(() => '?').join(',')})`).all(...part) as T[]));
  }
  return out;
}

function hydrate(db: Db, rows: RunRow[]): Run[] {
  const ids = rows.map((r) => r.run_uuid);
  const runs = new Map<string, Run>(rows.map((r) => [r.run_uuid, { info: toInfo(r), data: { metrics: [], params: [], tags: [] }, inputs: { dataset_inputs: [] } }]));
  for (const m of childRows<MetricRow>(db, 'latest_metrics', ids)) runs.get(m.run_uuid)!.data.metrics.push(toMetric(m));
  for (const p of childRows<Tag & { run_uuid: string }>(db, 'params', ids)) runs.get(p.run_uuid)!.data.params.push({ key: p.key, value: p.value });
  for (const t of childRows<Tag & { run_uuid: string }>(db, 'tags', ids)) runs.get(t.run_uuid)!.data.tags.push({ key: t.key, value: t.value });
  const byKey = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  for (const r of runs.values()) {
    r.data.metrics.sort(byKey);
    r.data.params.sort(byKey);
    r.data.tags.sort(byKey);
  }
  return ids.map((id) => runs.get(id)!);
}

export function getRun(db: Db, runId: string): Run {
  return hydrate(db, [runRow(db, runId)])[0]!;
}

function putTag(db: Db, runId: string, key: string, value: string): void {
  stmt(db, 'INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?) ON CONFLICT(run_uuid, key) DO UPDATE SET value = excluded.value').run(runId, key, value);
  if (key === RUN_NAME_TAG) stmt(db, 'UPDATE runs SET name = ? WHERE run_uuid = ?').run(value, runId);
}

export function createRun(db: Db, req: CreateRunRequest): Run {
  const tags = req.tags ?? [];
  tags.forEach((t, i) => checkRunTag(t.key, t.value, `tags[${i}]`));
  const runId = db.transaction(() => {
    const exp = experimentRow(db, req.experiment_id);
    if (exp.lifecycle_stage !== 'active') {
      throw new AppError('INVALID_PARAMETER_VALUE', `experiment ${req.experiment_id} is deleted; cannot create runs in it`, { experiment_id: req.experiment_id });
    }
    const tagName = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
    if (req.run_name && tagName && req.run_name !== tagName) {
      throw new AppError('INVALID_PARAMETER_VALUE', `run_name '${req.run_name}' differs from tag ${RUN_NAME_TAG} '${tagName}'`, { run_name: req.run_name });
    }
    const name = req.run_name || tagName || randomRunName();
    const id = randomUUID().replace(/-/g, '');
    stmt(db, 
      `INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
       VALUES (?, ?, ?, ?, 'RUNNING', ?, NULL, 'active', ?)`,
    ).run(id, exp.experiment_id, name, req.user_id ?? '', req.start_time ?? Date.now(), runArtifactUri(String(exp.experiment_id), id));
    for (const t of tags) putTag(db, id, t.key, t.value);
    putTag(db, id, RUN_NAME_TAG, name);
    return id;
  })();
  return getRun(db, runId);
}

export function updateRun(db: Db, runId: string, req: UpdateRunRequest): RunInfo {
  if (req.status !== undefined && !RUN_STATUSES.includes(req.status)) {
    throw new AppError('INVALID_PARAMETER_VALUE', `status '${req.status}' is not one of ${RUN_STATUSES.join(', ')}`, { status: req.status });
  }
  if (req.run_name !== undefined) checkRunTag(RUN_NAME_TAG, req.run_name, 'run_name');
  db.transaction(() => {
    activeRun(db, runId);
    if (req.status !== undefined) stmt(db, 'UPDATE runs SET status = ? WHERE run_uuid = ?').run(req.status, runId);
    if (req.end_time !== undefined) stmt(db, 'UPDATE runs SET end_time = ? WHERE run_uuid = ?').run(req.end_time, runId);
    if (req.run_name) putTag(db, runId, RUN_NAME_TAG, req.run_name);
  })();
  return toInfo(runRow(db, runId));
}

export function setRunStage(db: Db, runId: string, stage: 'active' | 'deleted'): void {
  db.transaction(() => {
    const row = runRow(db, runId);
    if (stage === 'active' && experimentRow(db, String(row.experiment_id)).lifecycle_stage !== 'active') {
      throw new AppError('INVALID_PARAMETER_VALUE', `run ${runId} belongs to deleted experiment ${row.experiment_id}; restore the experiment instead`, {
        run_id: runId,
      });
    }
    stmt(db, 'UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?').run(stage, stage === 'deleted' ? Date.now() : null, runId);
  })();
}

// ---------- params, tags, metrics ----------

function paramConflicts(db: Db, runId: string, params: Tag[]): void {
  const get = stmt(db, 'SELECT value FROM params WHERE run_uuid = ? AND key = ?');
  for (const p of params) {
    const old = get.get(runId, p.key) as { value: string } | undefined;
    if (old && old.value !== p.value) {
      throw new AppError(
        'INVALID_PARAMETER_VALUE',
        `changing param values is not allowed: param '${p.key}' of run ${runId} was logged as '${old.value}', refused new value '${p.value}'`,
        { run_id: runId, key: p.key, old_value: old.value, new_value: p.value },
      );
    }
  }
}

/** MLflow's order for the latest value: the highest (step, timestamp, value) wins. */
const newer = (a: Metric, b: Metric): boolean =>
  a.step !== b.step ? a.step > b.step : a.timestamp !== b.timestamp ? a.timestamp > b.timestamp : (Number.isNaN(a.value) ? 0 : a.value) > (Number.isNaN(b.value) ? 0 : b.value);

function insertMetrics(db: Db, run: { run_uuid: string; experiment_id: number }, metrics: Metric[]): void {
  const runId = run.run_uuid;
  const hist = stmt(db, 'INSERT OR IGNORE INTO metrics (run_uuid, key, timestamp, step, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)');
  const latest = stmt(
    db,
    `INSERT INTO latest_metrics (run_uuid, key, value, timestamp, step, is_nan, experiment_id) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(run_uuid, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan
     WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)`,
  );
  // NaN is stored as 0 with is_nan set, as MLflow stores it; SQLite would turn NaN into NULL.
  const row = (m: Metric): [number, number] => (Number.isNaN(m.value) ? [0, 1] : [m.value, 0]);
  const newest = new Map<string, Metric>();
  for (const m of metrics) {
    const [v, nan] = row(m);
    hist.run(runId, m.key, m.timestamp, m.step, v, nan);
    const seen = newest.get(m.key);
    if (!seen || newer(m, seen)) newest.set(m.key, m);
  }
  // One upsert per key and batch: the batch's newest value competes with the stored one.
  for (const m of newest.values()) {
    const [v, nan] = row(m);
    latest.run(runId, m.key, v, m.timestamp, m.step, nan, run.experiment_id);
  }
}

export function logBatch(db: Db, runId: string, req: LogBatchRequest): void {
  checkBatch(req);
  const params = req.params ?? [];
  db.transaction(() => {
    const run = activeRun(db, runId);
    paramConflicts(db, runId, params);
    const put = stmt(db, 'INSERT OR IGNORE INTO params (run_uuid, key, value) VALUES (?, ?, ?)');
    for (const p of params) put.run(runId, p.key, p.value);
    insertMetrics(db, run, req.metrics ?? []);
    for (const t of req.tags ?? []) putTag(db, runId, t.key, t.value);
  })();
}

export function logMetric(db: Db, runId: string, m: Metric): void {
  checkMetric(m);
  db.transaction(() => {
    insertMetrics(db, activeRun(db, runId), [m]);
  })();
}

export function logParam(db: Db, runId: string, key: string, value: string): void {
  checkParam(key, value);
  logBatch(db, runId, { params: [{ key, value }] });
}

export function setTag(db: Db, runId: string, key: string, value: string): void {
  checkRunTag(key, value);
  db.transaction(() => {
    activeRun(db, runId);
    putTag(db, runId, key, value);
  })();
}

export function deleteTag(db: Db, runId: string, key: string): void {
  db.transaction(() => {
    activeRun(db, runId);
    const r = stmt(db, 'DELETE FROM tags WHERE run_uuid = ? AND key = ?').run(runId, key);
    if (r.changes === 0) throw new AppError('RESOURCE_DOES_NOT_EXIST', `run ${runId} has no tag '${key}'`, { run_id: runId, key });
  })();
}

export function metricHistory(db: Db, runId: string, key: string, page: { max_results?: number; page_token?: string } = {}): Page<Metric> {
  runRow(db, runId);
  const max = checkMaxResults(page.max_results, LIMITS.metricHistoryMaxResults, LIMITS.metricHistoryMaxResults, 'metric history');
  const query = { run: runId, key };
  const offset = offsetOf(page.page_token, query);
  const rows = stmt(db, 'SELECT * FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY timestamp, step, value LIMIT ? OFFSET ?')
    .all(runId, key, max + 1, offset) as MetricRow[];
  const p = pageOf(rows, offset, max, query);
  return { items: p.items.map(toMetric), next_page_token: p.next_page_token };
}

// ---------- search ----------

/** Rows of one class of a search, for paging past it. */
function countOf(db: Db, c: CompiledSearch, base: string[]): number {
  return (stmt(db, `SELECT COUNT(*) AS n FROM ${c.from} ${c.joins.join(' ')} WHERE ${[...base, ...c.where].join(' AND ')}`).get(c.params) as { n: number }).n;
}

/**
 * Whether the experiments searched hold few runs, absolutely or next to the whole registry: then walking
 * their runs beats starting from a filter's index, which SQLite (without statistics) prefers.
 */
function scopeIsSmall(db: Db, experimentIds: number[], stages: string[]): boolean {
  const counts = stmt(db, 'SELECT experiment_id, lifecycle_stage, n FROM run_counts').all() as { experiment_id: number; lifecycle_stage: string; n: number }[];
  const all = counts.reduce((sum, c) => sum + c.n, 0);
  const inScope = counts.filter((c) => experimentIds.includes(c.experiment_id) && stages.includes(c.lifecycle_stage)).reduce((sum, c) => sum + c.n, 0);
  return inScope < SMALL_SCOPE_RUNS || inScope * 10 < all;
}
const SMALL_SCOPE_RUNS = 1000;

export function searchRuns(db: Db, req: SearchRunsRequest): Page<Run> {
  const max = checkMaxResults(req.max_results, LIMITS.searchRunsDefault, LIMITS.searchRunsMaxResults, 'runs');
  const filter = parseFilter(req.filter, 'runs');
  const order = parseOrderBy(req.order_by, 'runs');
  const experimentIds = [...new Set(req.experiment_ids)].map(experimentIdOf);
  const stages = stagesOf(req.run_view_type);
  const query = { e: experimentIds, f: req.filter ?? '', o: req.order_by ?? [], v: stages };
  const offset = offsetOf(req.page_token, query);
  if (experimentIds.length === 0) return { items: [], next_page_token: null };
  // Who drives the search, since SQLite keeps no statistics here: a metric's (key, experiment, value)
  // index when a metric is filtered or ordered on (it stays inside the experiments and can stop early);
  // else the runs of a small scope; else SQLite's choice, usually a param or tag (key, value) index.
  // A rare param next to a loose metric filter is the case this reads more rows for than it needs.
  const firstMetricFilter = filter.find((c) => c.entity === 'metric')?.key;
  const small = scopeIsSmall(db, experimentIds, stages);
  const base = [`r.experiment_id IN (${experimentIds.join(',')})`, `r.lifecycle_stage IN (${stages.map((s) => `'${s}'`).join(',')})`];
  const select = (c: CompiledSearch, tail: string): string =>
    `SELECT r.* FROM ${c.from} ${c.joins.join(' ')} WHERE ${[...base, ...c.where].join(' AND ')} ORDER BY ${c.orderBy.join(', ')} ${tail}`;
  const first = order[0];
  const filtered = first && filter.some((c) => c.entity === first.entity && c.key === first.key && c.op !== 'IS NULL' && c.op !== 'IS NOT NULL');
  let rows: RunRow[];
  if (first && first.entity !== 'attribute' && !filtered) {
    // Ordered by a metric, param or tag nobody filters on: MLflow puts runs with a value first, then NaN,
    // then runs without it. Each class is its own query, the first walking the key's index in order, so
    // that a page near the top stops early instead of sorting every run.
    const classes: Presence['rows'][] = first.entity === 'metric' ? ['value', 'nan', 'missing'] : ['value', 'missing'];
    rows = [];
    let skip = offset;
    for (const cls of classes) {
      const driver = cls === 'value' && first.entity === 'metric' ? first.key : firstMetricFilter;
      const c = compileSearch(RUNS_TARGET, filter, order, {
        mainFirst: !driver && small,
        scope: experimentIds,
        presence: { ...first, rows: cls },
        ...(driver ? { driver } : {}),
      });
      const need = max + 1 - rows.length;
      const got = stmt(db, select(c, 'LIMIT @limit OFFSET @offset')).all({ ...c.params, limit: need, offset: skip }) as RunRow[];
      rows.push(...got);
      if (rows.length > max) break;
      // This class ran out: the next one starts where the page still has to start.
      skip = got.length > 0 ? 0 : skip - countOf(db, c, base);
    }
  } else {
    // Sorting by a filtered metric: that one drives, and its index gives the order.
    const driver = first?.entity === 'metric' && filtered ? first.key : firstMetricFilter;
    const c = compileSearch(RUNS_TARGET, filter, order, { mainFirst: !driver && small, scope: experimentIds, ...(driver ? { driver } : {}) });
    rows = stmt(db, select(c, 'LIMIT @limit OFFSET @offset')).all({ ...c.params, limit: max + 1, offset }) as RunRow[];
  }
  const page = pageOf(rows, offset, max, query);
  return { items: hydrate(db, page.items), next_page_token: page.next_page_token };
}
