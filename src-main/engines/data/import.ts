/**
 * CSV import: a file in either public layout → validated canonical trips → the Parquet trip store,
 * with every row that fails kept in a rejects CSV (row number, column, reason, message, raw values).
 *
 * DuckDB does all the row work (JS parsing is several times slower): `read_csv` reads every column as
 * text and records structurally broken lines in its rejects table; the mapping (layouts.ts) and the
 * checks (rules.ts) are SQL over those text columns. Nothing is held in JS per row, so memory stays
 * flat on multi-GB files (DuckDB spills to the workspace tmp folder beyond its memory limit).
 *
 * Row numbers: data rows count from 1 after the header, as DuckDB's CSV reader counts records (a quoted
 * value spanning lines is one row). The staging table is filled by a parallel, order-preserving
 * CREATE TABLE AS (preserve_insertion_order), so its rowid is the file order of the well-formed rows —
 * tested on multi-threaded scans. `row_number() OVER ()` gives the same numbers but pins the whole scan
 * to one thread. Rows DuckDB rejected as malformed are added back from their reported line numbers;
 * blank lines count in those line numbers but are not rows, so they are found and subtracted.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ImportInput, ImportSummary } from '../../api/contract.js';
import { openEngineDb, queryOne, queryRows, runMonitored, runSql, sqlIdent, sqlString, toNumber, type QueryProgressReport } from '../../platform/duckdb.js';
import { AppError } from '../../platform/errors.js';
import { failpoint } from '../../platform/failpoints.js';
import type { JobContext } from '../../platform/jobs/context.js';
import type { ValidationRules } from '../../platform/config.js';
import {
  contentKeySql,
  derivedTripIdSql,
  detectLayout,
  fieldLabel,
  parsedFieldSql,
  parsesFromDouble,
  pseudoTaxiIdSql,
  rawFieldSql,
  type Layout,
  type ResolvedLayout,
} from './layouts.js';
import {
  applicableRules,
  DERIVED,
  INPUT_FIELD_NAMES,
  INPUT_FIELDS,
  derivedValueSql,
  reasonSql,
  rejectColumnSql,
  rejectMessageSql,
  ruleIndexSql,
  type InputField,
  type SqlRefs,
} from './rules.js';
import { appendTripsFromTable, type AppendResult } from './store.js';
import { TRIP_COLUMNS } from './trip.js';

const HEAD_BYTES = 64 * 1024;
const ERRORS_TABLE = 'import_errors';
const SCANS_TABLE = 'import_scans';
const STAGED = 'import_staged';
const ACCEPTED = 'import_accepted';
const REPEATS = 'import_repeats';
const BLANKS = 'import_blank_lines';
/** Share of the progress bar for reading + validating; the rest is writing the store. */
const READ_SHARE = 0.7;

// ---------- the file and its header ----------

function fileSize(file: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
    fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(e)})`;
    throw new AppError('NOT_FOUND', `${file}: ${why}`, { file, row: null, column: null });
  }
  if (!st.isFile()) throw new AppError('INVALID_FILE', `${file}: not a regular file`, { file, row: null, column: null });
  if (st.size === 0) throw new AppError('INVALID_FILE', `${file}: the file is empty; expected a CSV header line`, { file, row: 0, column: null });
  return st.size;
}

function readHead(file: string, size: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** Fields of one CSV line (RFC 4180 quoting). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** The header fields; INVALID_FILE for binary, compressed or header-less files. */
export function headerOf(head: Buffer, file: string, size: number): string[] {
  const invalid = (why: string): AppError => new AppError('INVALID_FILE', `${file}: ${why}`, { file, row: 0, column: null });
  if (head[0] === 0x1f && head[1] === 0x8b) throw invalid('the file is gzip-compressed; decompress it first');
  if (head.includes(0)) throw invalid('the file is binary (contains NUL bytes), not a CSV text file');
  let end = head.indexOf(0x0a);
  if (end < 0) {
    if (size > head.length) throw invalid(`no line break in the first ${HEAD_BYTES / 1024} KiB; not a CSV file`);
    end = head.length;
  }
  let line: string;
  try {
    line = new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
  } catch {
    throw invalid('the header line is not UTF-8 text');
  }
  line = line.replace(/^\uFEFF/, '').replace(/\r$/, '');
  if (line.trim() === '') throw invalid('the first line is empty; expected a CSV header line');
  return splitCsvLine(line);
}

// ---------- SQL of one import ----------

const colName = (i: number): string => `c${i}`;

function readCsvSql(file: string, columns: number): string {
  const cols = Array.from({ length: columns }, (_, i) => `'${colName(i)}': 'VARCHAR'`).join(', ');
  return `read_csv(${sqlString(file)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    columns = {${cols}}, store_rejects = true, rejects_table = '${ERRORS_TABLE}', rejects_scan = '${SCANS_TABLE}', rejects_limit = 0)`;
}

interface Plan {
  file: string;
  size: number;
  headers: string[];
  resolved: ResolvedLayout;
}

const rawRef = (f: InputField): string => sqlIdent(`r_${f}`);
const doubleRef = (f: InputField): string => sqlIdent(`n_${f}`);
const parsedRef = (f: InputField): string => sqlIdent(`p_${f}`);
const valueRef = (f: InputField): string => (f in DERIVED ? sqlIdent(`v_${f}`) : parsedRef(f));

function refsOf(layout: Layout): SqlRefs {
  return { raw: rawRef, parsed: parsedRef, value: valueRef, label: (f) => fieldLabel(layout, f) };
}

/** Canonical value of a checked row's field. */
function canonicalValueSql(f: InputField): string {
  // TRY_CAST: rejected rows may hold values an INTEGER cannot; only accepted rows are kept.
  return INPUT_FIELDS[f] === 'integer' ? `TRY_CAST(${valueRef(f)} AS INTEGER)` : valueRef(f);
}

function tripColumnSql(c: (typeof TRIP_COLUMNS)[number]): string {
  const ok = 'rule = 0';
  switch (c.name) {
    case 'trip_id':
      // Repeats of identical content get their suffix afterwards (numberRepeats).
      return `CASE WHEN ${ok} THEN coalesce(${rawRef('trip_id')}, ${derivedTripIdSql('content_key')}) END AS trip_id`;
    case 'trip_id_derived':
      return `${rawRef('trip_id')} IS NULL AS trip_id_derived`;
    case 'taxi_id':
      return `CASE WHEN ${ok} THEN coalesce(${rawRef('taxi_id')}, ${pseudoTaxiIdSql(rawRef('company'), 'content_key')}) END AS taxi_id`;
    case 'taxi_id_derived':
      return `${rawRef('taxi_id')} IS NULL AS taxi_id_derived`;
    default:
      return `${canonicalValueSql(c.name as InputField)} AS ${sqlIdent(c.name)}`;
  }
}

/** Position in the `reject` list of the staging table (1-based, as DuckDB lists are). */
const REJECT_REASON = 1;
const REJECT_COLUMN = 2;
const REJECT_MESSAGE = 3;
const rejectRawAt = (i: number): number => 4 + i;

/**
 * Staging, in one pass over the file: every data row numbered, mapped, checked; accepted rows get their
 * canonical values and ids, rejected rows one list of [reason, column, message, raw text...]. One list
 * rather than a column each, because empty columns are not free in memory: the list is one NULL.
 */
function stagingSql(plan: Plan, bounds: ValidationRules): string {
  const { layout, position } = plan.resolved;
  const refs = refsOf(layout);
  const colOf = (h: string): string | null => (position.has(h) ? colName(position.get(h)!) : null);
  const raws = INPUT_FIELD_NAMES.map((f) => `${rawFieldSql(layout, f, colOf)} AS ${rawRef(f)}`);
  const doubles = INPUT_FIELD_NAMES.filter((f) => parsesFromDouble(layout, f)).map((f) => `TRY_CAST(${rawRef(f)} AS DOUBLE) AS ${doubleRef(f)}`);
  const parsed = INPUT_FIELD_NAMES.map((f) => `${parsedFieldSql(layout, f, rawRef(f), doubleRef(f))} AS ${parsedRef(f)}`);
  const derived = (Object.keys(DERIVED) as (keyof typeof DERIVED)[]).map((f) => `${derivedValueSql(f, refs)} AS ${sqlIdent(`v_${f}`)}`);
  const keyed = `rule = 0 AND (${rawRef('trip_id')} IS NULL OR ${rawRef('taxi_id')} IS NULL)`;
  const contentKey = contentKeySql(INPUT_FIELD_NAMES.filter((f) => f !== 'trip_id' && layout.fields[f]).map(rawRef));
  const rules = applicableRules((f) => layout.fields[f] !== undefined);
  const reject = [reasonSql('rule', rules), rejectColumnSql('rule', refs, rules), rejectMessageSql('rule', refs, bounds, rules), ...plan.headers.map((_, i) => colName(i))];
  return `CREATE TEMP TABLE ${STAGED} AS
    WITH r AS (SELECT *, ${raws.join(', ')} FROM ${readCsvSql(plan.file, plan.headers.length)}),
    n AS (SELECT *${doubles.map((d) => `, ${d}`).join('')} FROM r),
    p AS (SELECT *, ${parsed.join(', ')} FROM n),
    v AS (SELECT *, ${derived.join(', ')} FROM p),
    k AS (SELECT *, ${ruleIndexSql(refs, bounds, rules)} AS rule FROM v),
    h AS (SELECT *, CASE WHEN ${keyed} THEN ${contentKey} END AS content_key FROM k)
    SELECT CAST(rule AS UTINYINT) AS rule,
      ${TRIP_COLUMNS.map(tripColumnSql).join(', ')},
      CASE WHEN rule > 0 THEN [${reject.join(', ')}] END AS reject
    FROM h`;
}

/**
 * Identical rows (same content key, so same derived id) after the first get their occurrence index
 * appended to the id.
 * Done after staging: a window inside the staging query would cost ten times more (it drags every
 * column along) and would lose the file order that rowid gives. Real files rarely repeat a row, so
 * this touches few rows; the benchmark file (a sample repeated) is the worst case.
 */
async function numberRepeats(conn: DuckDBConnection, signal: AbortSignal): Promise<void> {
  const derived = `${STAGED} WHERE rule = 0 AND trip_id_derived`;
  const r = await queryOne<{ n: bigint }>(conn, `SELECT count(*) - count(DISTINCT trip_id) AS n FROM ${derived}`);
  if (toNumber(r.n) === 0) return;
  await runMonitored(
    conn,
    // Each repeated id's rows in file order; the first keeps the id, the n-th after it gets '-n'.
    // (A list per id costs half what a window partitioned by id does.)
    `CREATE TEMP TABLE ${REPEATS} AS
    SELECT unnest(rows[2:]) AS rn, unnest(range(1, len(rows))) AS occurrence
    FROM (SELECT list(rowid ORDER BY rowid) AS rows FROM ${derived} GROUP BY trip_id HAVING count(*) > 1)`,
    { signal, what: 'import' },
  );
  await runMonitored(
    conn,
    `UPDATE ${STAGED} s SET trip_id = s.trip_id || '-' || CAST(o.occurrence AS VARCHAR) FROM ${REPEATS} o WHERE s.rowid = o.rn`,
    { signal, what: 'import' },
  );
}

function acceptedSql(): string {
  return `CREATE TEMP VIEW ${ACCEPTED} AS SELECT ${TRIP_COLUMNS.map((c) => sqlIdent(c.name)).join(', ')} FROM ${STAGED} WHERE rule = 0`;
}

/**
 * Rejects file rows: rows that broke a rule and lines DuckDB could not read, by row number.
 * Well-formed row k is data row k + (malformed rows before it); a malformed row's number comes from
 * DuckDB's line, less the header and the blank lines before it.
 */
function rejectsSql(plan: Plan): string {
  const headerLabels = plan.headers.map((h, i) => sqlIdent(uniqueLabel(h, i, plan.headers)));
  const rawCols = plan.headers.map((_, i) => `s.reject[${rejectRawAt(i)}] AS ${headerLabels[i]}`);
  const nullCols = plan.headers.map((_, i) => `CAST(NULL AS VARCHAR) AS ${headerLabels[i]}`);
  const columnOfError = `CASE column_name ${plan.headers.map((h, i) => `WHEN '${colName(i)}' THEN ${sqlString(h)}`).join(' ')} END`;
  return `WITH bad AS (
      SELECT line, min(line_byte_position) - 1 AS pos, first(${columnOfError}) AS col,
        string_agg(DISTINCT error_type, '; ') AS types, first(error_message) AS detail, first(csv_line) AS csv_line
      FROM ${ERRORS_TABLE} GROUP BY line),
    blanks AS (SELECT pos, row_number() OVER (ORDER BY pos) AS k FROM ${BLANKS}),
    -- A record right after a blank line may be reported as starting on it, hence >=.
    bad_rows AS (SELECT b.*, b.line - 1 - coalesce(bl.k, 0) AS row_number FROM bad b ASOF LEFT JOIN blanks bl ON b.pos >= bl.pos),
    ranked AS (SELECT row_number, row_number() OVER (ORDER BY row_number) AS j FROM bad_rows),
    shifts AS (SELECT row_number - j AS good_before, max(j) AS j FROM ranked GROUP BY 1),
    invalid AS (SELECT rowid + 1 AS rn, reject FROM ${STAGED} WHERE rule > 0)
    SELECT s.rn + coalesce(sh.j, 0) AS row_number, s.reject[${REJECT_COLUMN}] AS "column", s.reject[${REJECT_REASON}] AS reason,
      s.reject[${REJECT_MESSAGE}] AS message, ${rawCols.join(', ')}, CAST(NULL AS VARCHAR) AS raw_line
    FROM invalid s ASOF LEFT JOIN shifts sh ON s.rn > sh.good_before
    UNION ALL
    SELECT row_number, col, 'malformed_row', 'the line could not be read as a row of ' || ${plan.headers.length} || ' columns: ' || types || ' (' || detail || ')',
      ${nullCols.join(', ')}, csv_line
    FROM bad_rows
    ORDER BY row_number`;
}

/** Raw columns in the rejects file keep the file's header, unless it collides with our own columns. */
function uniqueLabel(h: string, i: number, headers: readonly string[]): string {
  const reserved = new Set(['row_number', 'column', 'reason', 'message', 'raw_line']);
  const clash = reserved.has(h.toLowerCase()) || h.trim() === '' || headers.indexOf(h) !== i;
  return clash ? `raw_${i}_${h}` : h;
}

// ---------- blank lines (only needed to number malformed rows) ----------

/** Byte offsets of blank lines before `limit`: the `\n` or `\r` that starts each one. */
async function blankLineOffsets(file: string, limit: number): Promise<number[]> {
  const out: number[] = [];
  let base = 0;
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20, end: Math.max(limit, 0) })) {
    const buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    const start = base - carry.length;
    for (const pattern of ['\n\n', '\n\r\n']) {
      for (let i = buf.indexOf(pattern); i >= 0; i = buf.indexOf(pattern, i + 1)) {
        if (i + pattern.length > carry.length) out.push(start + i + 1);
      }
    }
    base += (chunk as Buffer).length;
    carry = buf.subarray(Math.max(buf.length - 2, 0));
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

async function loadBlankLines(conn: DuckDBConnection, file: string): Promise<void> {
  await runSql(conn, `CREATE TEMP TABLE ${BLANKS} (pos BIGINT)`);
  const last = await queryOne<{ pos: bigint | null }>(conn, `SELECT max(line_byte_position) AS pos FROM ${ERRORS_TABLE}`);
  if (last.pos === null) return;
  const offsets = await blankLineOffsets(file, toNumber(last.pos));
  const appender = await conn.createAppender(BLANKS);
  try {
    for (const o of offsets) {
      appender.appendBigInt(BigInt(o));
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
}

// ---------- the import ----------

interface Counts {
  rows: number;
  accepted: number;
  rejectedByReason: Record<string, number>;
  malformed: number;
}

async function countRows(conn: DuckDBConnection): Promise<Counts> {
  const reasons = await queryRows<{ reason: string | null; n: bigint }>(conn, `SELECT reject[${REJECT_REASON}] AS reason, count(*) AS n FROM ${STAGED} GROUP BY 1`);
  const bad = await queryOne<{ n: bigint }>(conn, `SELECT count(DISTINCT line) AS n FROM ${ERRORS_TABLE}`);
  const byReason: Record<string, number> = {};
  let rows = 0;
  let accepted = 0;
  for (const r of reasons) {
    const n = toNumber(r.n);
    rows += n;
    if (r.reason === null) accepted += n;
    else byReason[r.reason] = n;
  }
  const malformed = toNumber(bad.n);
  if (malformed > 0) byReason.malformed_row = malformed;
  return { rows: rows + malformed, accepted, rejectedByReason: byReason, malformed };
}

function rejectsFileName(file: string, at: Date): string {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  const base = path.basename(file).replace(/[^\w.-]+/g, '_');
  return `${stamp}-${base}.rejects.csv`;
}

/** Writes the rejects CSV to `target` (in tmp; published once the store has the accepted rows). */
async function writeRejects(conn: DuckDBConnection, plan: Plan, counts: Counts, target: string, signal: AbortSignal): Promise<string | null> {
  if (counts.rows === counts.accepted) return null;
  if (counts.malformed > 0) await loadBlankLines(conn, plan.file);
  else await runSql(conn, `CREATE TEMP TABLE ${BLANKS} (pos BIGINT)`);
  await runMonitored(conn, `COPY (${rejectsSql(plan)}) TO ${sqlString(target)} (FORMAT csv, HEADER true)`, { signal, what: 'import' });
  return target;
}

function planOf(input: ImportInput): Plan {
  const file = path.resolve(input.path);
  const size = fileSize(file);
  const headers = headerOf(readHead(file, size), file, size);
  const resolved = detectLayout(headers, input.layout, file);
  return { file, size, headers, resolved };
}

/**
 * DuckDB reads `*`, `?` and `[` in a path as a file pattern; such a file is read through a link with a
 * plain name. Returns the path to read and a cleanup.
 */
function readablePath(file: string, tmpDir: string): { path: string; cleanup: () => void } {
  if (!/[*?[\]{}]/.test(file)) return { path: file, cleanup: () => {} };
  const link = path.join(tmpDir, `import-${process.pid}-${crypto.randomBytes(4).toString('hex')}.csv`);
  try {
    fs.symlinkSync(file, link);
  } catch (e) {
    throw new AppError('INVALID_INPUT', `${file}: rename the file without * ? [ ] { } (cannot link it: ${(e as Error).message})`, { file });
  }
  return { path: link, cleanup: () => fs.rmSync(link, { force: true }) };
}

/** Wall and CPU milliseconds per phase (CPU includes DuckDB's threads), for the debug log. */
interface PhaseTimer {
  time<T>(name: string, work: () => Promise<T>): Promise<T>;
  phases: Record<string, [number, number]>;
  /** The phase running (or that failed). */
  current: string;
}

function phaseTimer(): PhaseTimer {
  const phases: Record<string, [number, number]> = {};
  return {
    phases,
    current: 'start',
    async time<T>(name: string, work: () => Promise<T>): Promise<T> {
      this.current = name;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      try {
        return await work();
      } finally {
        const c = process.cpuUsage(c0);
        phases[name] = [Math.round(performance.now() - t0), Math.round((c.user + c.system) / 1000)];
      }
    },
  };
}

function summaryOf(plan: Plan, counts: Counts, appended: AppendResult, rejectsFile: string | null, started: number): ImportSummary {
  return {
    file: plan.file,
    layout: plan.resolved.layout.name,
    rows_read: counts.rows,
    rows_accepted: counts.accepted,
    rows_rejected: counts.rows - counts.accepted,
    rows_duplicate: appended.duplicates,
    rows_written: appended.written,
    rejected_by_reason: counts.rejectedByReason,
    rejects_file: rejectsFile,
    months: appended.months,
    duration_ms: Date.now() - started,
  };
}

/**
 * Imports one CSV file (either public layout) into the workspace trip store, keeping rejected rows in
 * rejects/<time>-<file>.rejects.csv. Progress is reported in bytes of the file; a cancel (ctx.signal)
 * interrupts DuckDB and leaves the store and the rejects folder as they were.
 */
export async function importTrips(input: ImportInput, ctx: JobContext): Promise<ImportSummary> {
  const started = Date.now();
  const plan = planOf(input);
  const { layout } = plan.resolved;
  const ws = ctx.workspace;
  const signal = ctx.signal;
  const report = (offset: number, share: number, message: string) => (p: QueryProgressReport) =>
    ctx.progress({ done: Math.round(plan.size * (offset + share * (p.fraction ?? 0))), total: plan.size, unit: 'bytes', message });
  ctx.log.info({ file: plan.file, layout: layout.name, bytes: plan.size, ignored_columns: plan.resolved.extra }, 'import started');
  ctx.progress({ done: 0, total: plan.size, unit: 'bytes', message: `reading ${path.basename(plan.file)} (${layout.name} layout)` });

  const db = await openEngineDb(ws);
  const readable = readablePath(plan.file, ws.paths.tmpDir);
  const rejectsTmp = path.join(ws.paths.tmpDir, `${process.pid}-${crypto.randomBytes(4).toString('hex')}-${rejectsFileName(plan.file, new Date(started))}`);
  const timer = phaseTimer();
  try {
    const staging = stagingSql({ ...plan, file: readable.path }, ws.config.data.validation);
    await timer.time('stage', () => runMonitored(db.conn, staging, { signal, what: 'import', onProgress: report(0, READ_SHARE, 'reading and validating rows') }));
    failpoint('import.read');
    await timer.time('repeats', () => numberRepeats(db.conn, signal));
    await runSql(db.conn, acceptedSql());
    const counts = await timer.time('count', () => countRows(db.conn));
    const rejects = await timer.time('rejects', () => writeRejects(db.conn, plan, counts, rejectsTmp, signal));
    const appended = await timer.time('append', () =>
      appendTripsFromTable(db.conn, ACCEPTED, ws, {
        source: input.source ?? path.basename(plan.file),
        signal,
        // Derived ids are unique by construction (content key + occurrence); ids from a file may repeat.
        uniqueIds: !layout.fields.trip_id,
        onProgress: report(READ_SHARE, 1 - READ_SHARE, 'writing to the trip store'),
      }),
    );
    const rejectsFile = rejects ? publishRejects(rejects, ws.paths.rejectsDir, plan.file, new Date(started)) : null;
    const summary = summaryOf(plan, counts, appended, rejectsFile, started);
    ctx.progress({ done: plan.size, total: plan.size, unit: 'bytes', message: 'done' });
    ctx.log.debug({ phases_ms: timer.phases }, 'import phases');
    ctx.log.info({ ...summary, months: summary.months.length }, 'import finished');
    return summary;
  } catch (e) {
    throw asImportError(e, plan.file, timer.current);
  } finally {
    db.close();
    readable.cleanup();
    fs.rmSync(rejectsTmp, { force: true });
  }
}

function publishRejects(tmp: string, dir: string, file: string, at: Date): string {
  fs.mkdirSync(dir, { recursive: true });
  let target = path.join(dir, rejectsFileName(file, at));
  for (let n = 2; fs.existsSync(target); n++) target = path.join(dir, rejectsFileName(file, at).replace(/\.rejects\.csv$/, `-${n}.rejects.csv`));
  fs.renameSync(tmp, target);
  return target;
}

/** DuckDB errors about the file become INVALID_FILE naming it; others say which phase failed. */
function asImportError(e: unknown, file: string, phase: string): unknown {
  if (e instanceof AppError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const first = message.split('\n')[0]!;
  if (/CSV|Invalid Input Error|Conversion Error|unicode|encoding/i.test(message)) {
    const line = /Line:\s*(\d+)/.exec(message);
    const why = /invalid state/i.test(message) ? 'it contains bytes that are not CSV text (binary data?)' : first;
    return new AppError('INVALID_FILE', `${file}: cannot read the file as CSV: ${why}`, { file, row: line ? Number(line[1]) - 1 : null, column: null }, { cause: e });
  }
  if (/Out of Memory/i.test(message)) {
    return new AppError('INTERNAL', `${file}: import ran out of memory (${phase}): ${first}; raise TAXI_DUCKDB_MEMORY`, { file, phase }, { cause: e });
  }
  return new AppError('INTERNAL', `${file}: import failed (${phase}): ${first}`, { file, phase }, { cause: e });
}
