/**
 * Trips of a CSV file (either public layout) for the replayer, with the ids an import of the same file
 * gives them. DuckDB reads the file and maps each row to its fields' raw text with the importer's
 * layout SQL (layouts.ts), computing derived ids the same way (content key, '-<n>' for repeats); each
 * row then becomes a trip through parseTripMessage, the same rules the importer applies. Rows are given
 * in pickup order, as the trips happened; rows the rules refuse are counted and left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ValidationRules } from '../../platform/config.js';
import { openEngineDb, queryOne, runMonitored, sqlIdent, sqlString, toNumber } from '../../platform/duckdb.js';
import { AppError } from '../../platform/errors.js';
import type { Workspace } from '../../platform/workspace.js';
import { headerOf } from '../data/import.js';
import { contentKeySql, derivedTripIdSql, detectLayout, parsedFieldSql, pseudoTaxiIdSql, rawFieldSql, type LayoutName } from '../data/layouts.js';
import { parseTripMessage } from '../data/message.js';
import { INPUT_FIELD_NAMES, type InputField } from '../data/rules.js';
import type { Trip } from '../data/trip.js';

const HEAD_BYTES = 64 * 1024;
const STAGED = 'replay_rows';

export interface CsvTrips {
  file: string;
  layout: LayoutName;
  /** Data rows read (at most the limit). */
  rows: number;
  batches: AsyncIterable<Trip[]>;
  /** Rows the rules refused so far. */
  refused(): number;
  close(): void;
}

function headOf(file: string): { head: Buffer; size: number } {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new AppError('INVALID_FILE', `${file}: not a regular file`, { file });
    size = st.size;
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('NOT_FOUND', `${file}: file not found or not readable (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file });
  }
  if (size === 0) throw new AppError('INVALID_FILE', `${file}: the file is empty; expected a CSV header line`, { file });
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    return { head: head.subarray(0, fs.readSync(fd, head, 0, head.length, 0)), size };
  } finally {
    fs.closeSync(fd);
  }
}

const raw = (f: InputField): string => sqlIdent(`r_${f}`);

function stagingSql(file: string, headers: readonly string[], resolved: ReturnType<typeof detectLayout>): string {
  const { layout, position } = resolved;
  const colOf = (h: string): string | null => (position.has(h) ? `c${position.get(h)}` : null);
  const columns = headers.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  const raws = INPUT_FIELD_NAMES.map((f) => `${rawFieldSql(layout, f, colOf)} AS ${raw(f)}`);
  const key = contentKeySql(INPUT_FIELD_NAMES.filter((f) => f !== 'trip_id' && layout.fields[f]).map(raw));
  const pickup = parsedFieldSql(layout, 'pickup_datetime', raw('pickup_datetime'), `TRY_CAST(${raw('pickup_datetime')} AS DOUBLE)`);
  return `CREATE TEMP TABLE ${STAGED} AS
    WITH r AS (SELECT ${raws.join(', ')}
      FROM read_csv(${sqlString(file)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {${columns}}, ignore_errors = true)),
    k AS (SELECT *, CASE WHEN ${raw('trip_id')} IS NULL OR ${raw('taxi_id')} IS NULL THEN ${key} END AS content_key FROM r)
    SELECT *, ${pickup} AS pickup_order FROM k`;
}

/** Identical content gets '-<n>' for its n-th repeat in file order, as the importer numbers derived ids. */
function rowsSql(limit: number): string {
  const cols = INPUT_FIELD_NAMES.filter((f) => f !== 'trip_id' && f !== 'taxi_id').map(raw);
  return `SELECT ${cols.join(', ')},
      coalesce(${raw('trip_id')}, ${derivedTripIdSql('content_key')} || CASE WHEN occurrence > 0 THEN '-' || CAST(occurrence AS VARCHAR) ELSE '' END) AS trip_id,
      ${raw('trip_id')} IS NULL AS trip_id_derived,
      coalesce(${raw('taxi_id')}, ${pseudoTaxiIdSql(raw('company'), 'content_key')}) AS taxi_id,
      ${raw('taxi_id')} IS NULL AS taxi_id_derived
    FROM (SELECT *, rowid AS rn, CASE WHEN ${raw('trip_id')} IS NULL THEN row_number() OVER (PARTITION BY content_key ORDER BY rowid) - 1 ELSE 0 END AS occurrence FROM ${STAGED})
    ORDER BY pickup_order NULLS LAST, rn
    LIMIT ${limit}`;
}

function messageOf(row: Record<string, unknown>): Record<string, unknown> {
  const msg: Record<string, unknown> = {
    trip_id: row.trip_id,
    trip_id_derived: row.trip_id_derived,
    taxi_id: row.taxi_id,
    taxi_id_derived: row.taxi_id_derived,
  };
  for (const f of INPUT_FIELD_NAMES) if (f !== 'trip_id' && f !== 'taxi_id') msg[f] = row[`r_${f}`] ?? null;
  return msg;
}

export async function openCsvTrips(file: string, ws: Workspace, rules: ValidationRules, opts: { limit?: number; signal?: AbortSignal } = {}): Promise<CsvTrips> {
  const abs = path.resolve(file);
  const { head, size } = headOf(abs);
  const headers = headerOf(head, abs, size);
  const resolved = detectLayout(headers, 'auto', abs);
  const db = await openEngineDb(ws);
  try {
    await runMonitored(db.conn, stagingSql(abs, headers, resolved), { ...(opts.signal ? { signal: opts.signal } : {}), what: 'replay' });
    const count = toNumber((await queryOne<{ n: bigint }>(db.conn, `SELECT count(*) AS n FROM ${STAGED}`)).n);
    const rows = opts.limit === undefined ? count : Math.min(opts.limit, count);
    const result = await db.conn.stream(rowsSql(rows));
    let refused = 0;
    async function* batches(): AsyncGenerator<Trip[]> {
      for await (const chunk of result.yieldRowObjectJs()) {
        const trips: Trip[] = [];
        for (const row of chunk) {
          const parsed = parseTripMessage(messageOf(row), rules);
          if (parsed.ok) trips.push(parsed.trip);
          else refused++;
        }
        yield trips;
      }
    }
    return { file: abs, layout: resolved.layout.name, rows, batches: batches(), refused: () => refused, close: () => db.close() };
  } catch (e) {
    db.close();
    throw e;
  }
}
