/**
 * Data drift per column between a reference and a current relation, computed in DuckDB: each side is
 * scanned once and reduced to the distinct values of every column with their counts (GROUPING SETS), then
 * each column's two value-count lists are joined (one small table per column). Every test reads that table: ECDF sums for KS and
 * Wasserstein (window functions), Sturges-binned or per-value shares for JS / PSI / KL, value counts for
 * chi-square and Z. Only those small aggregates reach JavaScript, where the p-values are computed.
 * Columns run concurrently on their own connections.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { allQueries, queryRows, sqlIdent, toNumber } from '../../platform/duckdb.js';
import { AppError, cancelled } from '../../platform/errors.js';
import {
  chiSquareTest,
  defaultStatTest,
  HISTOGRAM_MIN_UNIQUE,
  isDrifted,
  jensenShannon,
  klDivergence,
  ksTwoSamplePValue,
  psi,
  sharesOf,
  STAT_TEST_INFO,
  sturgesEdges,
  usesShares,
  zTest,
  type ColumnType,
  type StatTestName,
} from './stattests.js';

export interface DriftColumnSpec {
  name: string;
  type: ColumnType;
}

export interface DriftOptions {
  /** Dataset drift when drifted / evaluated columns ≥ this. */
  driftShare: number;
  methods?: Readonly<Record<string, StatTestName>>;
  thresholds?: Readonly<Record<string, number>>;
  signal?: AbortSignal;
  onColumn?: (done: number, total: number, column: string) => void;
  /** Columns computed at once (each on its own connection); default 4. */
  concurrency?: number;
}

export interface SideStats {
  rows: number;
  /** Values used (not missing, finite). */
  count: number;
  missing: number;
  unique: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
}

export type Distribution =
  | { kind: 'histogram'; edges: number[]; reference: number[]; current: number[] }
  | { kind: 'categories'; categories: string[]; reference: number[]; current: number[]; other: { reference: number; current: number } | null };

export interface ColumnDrift {
  column: string;
  type: ColumnType;
  method: StatTestName | null;
  method_title: string | null;
  score_kind: 'p_value' | 'distance' | null;
  threshold: number | null;
  /** p-value or distance; null when the column could not be tested. */
  score: number | null;
  /** The test statistic behind a p-value (KS D, chi², z). */
  statistic: number | null;
  drifted: boolean;
  /** Why the column was not tested (no values on one side). */
  skipped: string | null;
  reference: SideStats;
  current: SideStats;
  /** Counts per bin or category on each side, for charts. */
  distribution: Distribution | null;
}

export interface DatasetDrift {
  columns: number;
  drifted_columns: number;
  share: number;
  drift_share: number;
  drift: boolean;
}

export interface DriftResult {
  reference_rows: number;
  current_rows: number;
  columns: ColumnDrift[];
  dataset: DatasetDrift;
  duration_ms: number;
  /** Where the time went: loading both sides, then the per-column tests. */
  timings: { load_ms: number; columns_ms: number };
}

const MAX_CHART_CATEGORIES = 40;

/** Bit of column i in grouping_id(c0, …, c{n-1}): the first argument is the most significant bit. */
const groupMask = (i: number, n: number): bigint => ((1n << BigInt(n)) - 1n) ^ (1n << BigInt(n - 1 - i));

/**
 * One pass over a side: the count of every distinct value of every column (GROUPING SETS, one set per
 * column plus the empty set for the row count) into `table` (c0…, g = grouping id, n = count). Each
 * source row is read and converted once, whatever the number of columns.
 */
async function groupSide(conn: DuckDBConnection, sql: string, columns: readonly DriftColumnSpec[], table: string): Promise<void> {
  const select = columns.map((c, i) => `CAST(${sqlIdent(c.name)} AS ${c.type === 'numerical' ? 'DOUBLE' : 'VARCHAR'}) AS c${i}`).join(', ');
  const names = columns.map((_, i) => `c${i}`);
  const sets = [...names.map((c) => `(${c})`), '()'].join(', ');
  await conn.run(`CREATE OR REPLACE TABLE ${table} AS SELECT ${names.join(', ')}, grouping_id(${names.join(', ')}) AS g, count(*) AS n FROM (SELECT ${select} FROM ${sql}) GROUP BY GROUPING SETS (${sets})`);
}

const validC = (c: DriftColumnSpec, i: number): string => (c.type === 'numerical' ? `isfinite(c${i})` : `c${i} IS NOT NULL`);

/** Rows, and per column the count of usable values and (numerical) mean, population std, min and max. */
async function sideStats(conn: DuckDBConnection, table: string, columns: readonly DriftColumnSpec[]): Promise<{ rows: number; stats: Map<string, Omit<SideStats, 'unique'>> }> {
  const n = columns.length;
  const all = (1n << BigInt(n)) - 1n;
  const [r] = await queryRows<{ rows: unknown }>(conn, `SELECT coalesce(sum(n), 0) AS "rows" FROM ${table} WHERE g = ${all}`);
  const rows = toNumber(r!.rows);
  const parts: string[] = [];
  columns.forEach((c, i) => {
    const where = `g = ${groupMask(i, n)} AND ${validC(c, i)}`;
    parts.push(`(SELECT coalesce(sum(n), 0) FROM ${table} WHERE ${where}) AS n${i}`);
    if (c.type === 'numerical') {
      // Two passes over the distinct values: the mean, then the spread around it (as NumPy's std).
      parts.push(
        `(SELECT sum(c${i} * n) / sum(n) FROM ${table} WHERE ${where}) AS m${i}`,
        `(SELECT sqrt(sum(n * (c${i} - m) * (c${i} - m)) / sum(n)) FROM ${table}, (SELECT sum(c${i} * n) / sum(n) AS m FROM ${table} WHERE ${where}) WHERE ${where}) AS s${i}`,
        `(SELECT min(c${i}) FROM ${table} WHERE ${where}) AS lo${i}`,
        `(SELECT max(c${i}) FROM ${table} WHERE ${where}) AS hi${i}`,
      );
    }
  });
  const [row] = await queryRows<Record<string, unknown>>(conn, `SELECT ${parts.join(', ')}`);
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v));
  const stats = new Map<string, Omit<SideStats, 'unique'>>();
  columns.forEach((c, i) => {
    const count = toNumber(row![`n${i}`]);
    stats.set(c.name, {
      rows,
      count,
      missing: rows - count,
      mean: c.type === 'numerical' ? num(row![`m${i}`]) : null,
      std: c.type === 'numerical' ? num(row![`s${i}`]) : null,
      min: c.type === 'numerical' ? num(row![`lo${i}`]) : null,
      max: c.type === 'numerical' ? num(row![`hi${i}`]) : null,
    });
  });
  return { rows, stats };
}

interface Grouped {
  table: string;
  nRef: number;
  nCur: number;
  uniqueRef: number;
  uniqueCur: number;
  unique: number;
  min: number | null;
  max: number | null;
}

/** Distinct values of a column with their count on each side (from the two grouped sides). */
async function groupColumn(conn: DuckDBConnection, c: DriftColumnSpec, index: number, n: number): Promise<Grouped> {
  const table = `drift_g${index}`;
  const where = `g = ${groupMask(index, n)} AND ${validC(c, index)}`;
  await conn.run(
    `CREATE OR REPLACE TABLE ${table} AS
     SELECT coalesce(a.x, b.x) AS x, coalesce(a.n, 0)::BIGINT AS r, coalesce(b.n, 0)::BIGINT AS k
     FROM (SELECT c${index} AS x, n FROM drift_ref_g WHERE ${where}) a
     FULL OUTER JOIN (SELECT c${index} AS x, n FROM drift_cur_g WHERE ${where}) b ON a.x = b.x`,
  );
  const minMax = c.type === 'numerical' ? ', min(x) AS lo, max(x) AS hi' : ', NULL AS lo, NULL AS hi';
  const [s] = await queryRows<Record<string, unknown>>(
    conn,
    `SELECT coalesce(sum(r), 0) AS nr, coalesce(sum(k), 0) AS nk, count(*) FILTER (WHERE r > 0) AS ur, count(*) FILTER (WHERE k > 0) AS uk, count(*) AS u${minMax} FROM ${table}`,
  );
  return {
    table,
    nRef: toNumber(s!.nr),
    nCur: toNumber(s!.nk),
    uniqueRef: toNumber(s!.ur),
    uniqueCur: toNumber(s!.uk),
    unique: toNumber(s!.u),
    min: s!.lo === null ? null : toNumber(s!.lo),
    max: s!.hi === null ? null : toNumber(s!.hi),
  };
}

async function categoryCounts(conn: DuckDBConnection, g: Grouped): Promise<{ keys: string[]; ref: number[]; cur: number[] }> {
  const rows = await queryRows<{ x: unknown; r: bigint; k: bigint }>(conn, `SELECT CAST(x AS VARCHAR) AS x, r, k FROM ${g.table} ORDER BY r + k DESC, x`);
  return { keys: rows.map((r) => String(r.x)), ref: rows.map((r) => toNumber(r.r)), cur: rows.map((r) => toNumber(r.k)) };
}

/** Counts per Sturges bin, assigning values to bins exactly as NumPy's `histogram` does. */
async function histogramCounts(conn: DuckDBConnection, g: Grouped): Promise<{ edges: number[]; ref: number[]; cur: number[] }> {
  const edges = sturgesEdges(g.min!, g.max!, g.nRef + g.nCur);
  const bins = edges.length - 1;
  const first = edges[0]!;
  const denom = edges[bins]! - first;
  const list = `[${edges.map((e) => `${e}::DOUBLE`).join(', ')}]`;
  const rows = await queryRows<{ i: number; r: bigint; k: bigint }>(
    conn,
    `WITH b AS (
       SELECT x, r, k, least(CAST(trunc((x - (${first}::DOUBLE)) / (${denom}::DOUBLE) * ${bins}) AS BIGINT), ${bins - 1}) AS i0 FROM ${g.table}
     ), e AS (SELECT ${list} AS e)
     SELECT CAST(CASE WHEN x < e[i0 + 1] THEN i0 - 1 WHEN i0 <> ${bins - 1} AND x >= e[i0 + 2] THEN i0 + 1 ELSE i0 END AS INTEGER) AS i,
            sum(r) AS r, sum(k) AS k
     FROM b, e GROUP BY 1`,
  );
  const ref = new Array<number>(bins).fill(0);
  const cur = new Array<number>(bins).fill(0);
  for (const row of rows) {
    ref[row.i] = toNumber(row.r);
    cur[row.i] = toNumber(row.k);
  }
  return { edges, ref, cur };
}

const DISPLAY_BINS = 30;

/**
 * Counts for the chart: equal-width bins between the 1st and 99th percentile of both sides together, the
 * first and last bin also holding everything below / above (heavy tails such as a 500-mile trip would
 * otherwise squeeze the whole distribution into one bar). Display only; scores never read these.
 */
async function displayHistogram(conn: DuckDBConnection, g: Grouped): Promise<{ edges: number[]; ref: number[]; cur: number[] }> {
  const total = g.nRef + g.nCur;
  const [q] = await queryRows<{ lo: number | null; hi: number | null }>(
    conn,
    `SELECT min(x) FILTER (WHERE cum >= ${0.01 * total}) AS lo, min(x) FILTER (WHERE cum >= ${0.99 * total}) AS hi
     FROM (SELECT x, sum(r + k) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum FROM ${g.table})`,
  );
  let lo = q?.lo ?? g.min!;
  let hi = q?.hi ?? g.max!;
  if (!(hi > lo)) {
    lo = g.min!;
    hi = g.max! > g.min! ? g.max! : g.min! + 1;
  }
  const width = (hi - lo) / DISPLAY_BINS;
  const rows = await queryRows<{ i: number; r: bigint; k: bigint }>(
    conn,
    `SELECT CAST(least(greatest(floor((x - (${lo}::DOUBLE)) / (${width}::DOUBLE)), 0), ${DISPLAY_BINS - 1}) AS INTEGER) AS i, sum(r) AS r, sum(k) AS k FROM ${g.table} GROUP BY 1`,
  );
  const ref = new Array<number>(DISPLAY_BINS).fill(0);
  const cur = new Array<number>(DISPLAY_BINS).fill(0);
  for (const row of rows) {
    ref[row.i] = toNumber(row.r);
    cur[row.i] = toNumber(row.k);
  }
  return { edges: Array.from({ length: DISPLAY_BINS + 1 }, (_, i) => lo + i * width), ref, cur };
}

/** The ECDF summaries: max |c_ref·n_cur − c_cur·n_ref| (KS, exact integers) and the Wasserstein-1 integral. */
async function ecdfSummary(conn: DuckDBConnection, g: Grouped): Promise<{ dCount: number; wasserstein: number }> {
  const [row] = await queryRows<{ d: unknown; w: unknown }>(
    conn,
    `SELECT max(abs(cr * ${g.nCur}::HUGEINT - ck * ${g.nRef}::HUGEINT)) AS d,
            sum(abs(cr / ${g.nRef}::DOUBLE - ck / ${g.nCur}::DOUBLE) * dx) AS w
     FROM (SELECT sum(r) OVER w AS cr, sum(k) OVER w AS ck, lead(x) OVER (ORDER BY x) - x AS dx
           FROM ${g.table} WINDOW w AS (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))`,
  );
  return { dCount: toNumber(row!.d), wasserstein: row!.w === null ? 0 : toNumber(row!.w) };
}

function chartCategories(keys: string[], ref: number[], cur: number[]): Distribution {
  if (keys.length <= MAX_CHART_CATEGORIES) return { kind: 'categories', categories: keys, reference: ref, current: cur, other: null };
  const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);
  return {
    kind: 'categories',
    categories: keys.slice(0, MAX_CHART_CATEGORIES),
    reference: ref.slice(0, MAX_CHART_CATEGORIES),
    current: cur.slice(0, MAX_CHART_CATEGORIES),
    other: { reference: sum(ref.slice(MAX_CHART_CATEGORIES)), current: sum(cur.slice(MAX_CHART_CATEGORIES)) },
  };
}

async function columnDrift(
  conn: DuckDBConnection,
  c: DriftColumnSpec,
  index: number,
  total: number,
  ref: Omit<SideStats, 'unique'>,
  cur: Omit<SideStats, 'unique'>,
  opts: DriftOptions,
): Promise<ColumnDrift> {
  const g = await groupColumn(conn, c, index, total);
  const base: ColumnDrift = {
    column: c.name,
    type: c.type,
    method: null,
    method_title: null,
    score_kind: null,
    threshold: null,
    score: null,
    statistic: null,
    drifted: false,
    skipped: null,
    reference: { ...ref, unique: g.uniqueRef },
    current: { ...cur, unique: g.uniqueCur },
    distribution: null,
  };
  try {
    if (g.nRef === 0 || g.nCur === 0) {
      return { ...base, skipped: `no values in the ${g.nRef === 0 ? 'reference' : 'current'} data (all ${g.nRef === 0 ? ref.rows : cur.rows} rows missing)` };
    }
    const override = opts.methods?.[c.name];
    const method = override ?? defaultStatTest(c.type, g.nRef, g.unique);
    const info = STAT_TEST_INFO[method];
    if (!info.types.includes(c.type)) {
      throw new AppError('INVALID_CONFIG', `monitoring.drift.methods.${c.name}: ${method} does not apply to ${c.type} columns (it takes ${info.types.join(' or ')})`, {
        column: c.name,
        method,
        type: c.type,
      });
    }
    const threshold = opts.thresholds?.[c.name] ?? info.defaultThreshold;
    let score: number;
    let statistic: number | null = null;
    let distribution: Distribution | null = null;
    const histogramWanted = c.type === 'numerical' && g.uniqueRef > HISTOGRAM_MIN_UNIQUE;
    if (method === 'ks' || method === 'wasserstein') {
      const e = await ecdfSummary(conn, g);
      if (method === 'ks') {
        const r = ksTwoSamplePValue(g.nRef, g.nCur, e.dCount);
        score = r.pvalue;
        statistic = r.statistic;
      } else {
        score = e.wasserstein / Math.max(ref.std ?? 0, 0.001);
        statistic = e.wasserstein;
      }
    } else if (usesShares(method) && histogramWanted) {
      const h = await histogramCounts(conn, g);
      const fill = method !== 'jensenshannon';
      const p = sharesOf(h.ref, g.nRef, fill);
      const q = sharesOf(h.cur, g.nCur, fill);
      score = method === 'jensenshannon' ? jensenShannon(p, q) : method === 'psi' ? psi(p, q) : klDivergence(p, q);
    } else {
      const cat = await categoryCounts(conn, g);
      distribution = chartCategories(cat.keys, cat.ref, cat.cur);
      if (method === 'chisquare') {
        const r = chiSquareTest(cat.ref, cat.cur, g.nRef, g.nCur);
        score = r.pvalue;
        statistic = r.statistic;
      } else if (method === 'z') {
        const r = zTest(cat.keys, cat.ref, cat.cur, g.nRef, g.nCur);
        score = r.pvalue;
        statistic = r.statistic;
      } else {
        const fill = method !== 'jensenshannon';
        const p = sharesOf(cat.ref, g.nRef, fill);
        const q = sharesOf(cat.cur, g.nCur, fill);
        score = method === 'jensenshannon' ? jensenShannon(p, q) : method === 'psi' ? psi(p, q) : klDivergence(p, q);
      }
    }
    if (distribution === null) {
      if (histogramWanted) {
        const h = await displayHistogram(conn, g);
        distribution = { kind: 'histogram', edges: h.edges, reference: h.ref, current: h.cur };
      } else {
        const cat = await categoryCounts(conn, g);
        distribution = chartCategories(cat.keys, cat.ref, cat.cur);
      }
    }
    return {
      ...base,
      method,
      method_title: info.title,
      score_kind: info.kind,
      threshold,
      score,
      statistic,
      drifted: isDrifted(method, score, threshold),
      distribution,
    };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${g.table}`);
  }
}

/**
 * Drift of every column. `refSql` / `curSql` are relations usable in FROM that have (at least) the
 * columns; `instance` is the DuckDB the extra connections come from (the one `conn` belongs to).
 */
export async function computeDrift(
  instance: DuckDBInstance,
  conn: DuckDBConnection,
  refSql: string,
  curSql: string,
  columns: readonly DriftColumnSpec[],
  opts: DriftOptions,
): Promise<DriftResult> {
  const t0 = performance.now();
  if (columns.length === 0) throw new AppError('INVALID_INPUT', 'no columns to compare: the reference and current data share no monitored column', {});
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new AppError('INVALID_INPUT', `column "${c.name}" is listed twice`, { column: c.name });
    seen.add(c.name);
  }
  if (columns.length > 60) throw new AppError('INVALID_INPUT', `at most 60 columns per drift check (got ${columns.length})`, { columns: columns.length });
  // Both sides are scanned at once, each on its own connection.
  const side2 = await instance.connect();
  try {
    await allQueries([groupSide(conn, refSql, columns, 'drift_ref_g'), groupSide(side2, curSql, columns, 'drift_cur_g')]);
  } finally {
    side2.closeSync();
  }
  const tLoaded = performance.now();
  const [ref, cur] = await allQueries([sideStats(conn, 'drift_ref_g', columns), sideStats(conn, 'drift_cur_g', columns)]);
  if (ref.rows === 0) throw new AppError('NOT_FOUND', 'the reference data has no rows', {});
  if (cur.rows === 0) throw new AppError('NOT_FOUND', 'the current data has no rows', {});

  const results = new Array<ColumnDrift>(columns.length);
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? 4, columns.length));
  const conns: DuckDBConnection[] = [conn];
  for (let i = 1; i < concurrency; i++) conns.push(await instance.connect());
  let next = 0;
  let done = 0;
  try {
    await allQueries(
      conns.map(async (cx) => {
        for (;;) {
          if (opts.signal?.aborted) throw cancelled('drift');
          const i = next++;
          if (i >= columns.length) return;
          const c = columns[i]!;
          results[i] = await columnDrift(cx, c, i, columns.length, ref.stats.get(c.name)!, cur.stats.get(c.name)!, opts);
          opts.onColumn?.(++done, columns.length, c.name);
        }
      }),
    );
  } finally {
    for (const cx of conns.slice(1)) cx.closeSync();
    await conn.run('DROP TABLE IF EXISTS drift_ref_g; DROP TABLE IF EXISTS drift_cur_g');
  }
  const tested = results.filter((r) => r.skipped === null);
  const drifted = tested.filter((r) => r.drifted).length;
  const share = tested.length === 0 ? 0 : drifted / tested.length;
  return {
    reference_rows: ref.rows,
    current_rows: cur.rows,
    columns: results,
    dataset: { columns: tested.length, drifted_columns: drifted, share, drift_share: opts.driftShare, drift: tested.length > 0 && share >= opts.driftShare },
    duration_ms: Math.round((performance.now() - t0) * 10) / 10,
    timings: { load_ms: Math.round((tLoaded - t0) * 10) / 10, columns_ms: Math.round((performance.now() - tLoaded) * 10) / 10 },
  };
}
