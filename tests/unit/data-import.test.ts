import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImportInputSchema, type ImportSummary } from '../../src-main/api/contract.js';
import { importTrips } from '../../src-main/engines/data/import.js';
import { runGenerate } from '../../src-main/engines/data/generator/index.js';
import { GenerateInputSchema } from '../../src-main/api/contract.js';
import { summarizeTripStore, tripStoreFiles, tripStoreRelation } from '../../src-main/engines/data/store.js';
import { openEngineDb, queryRows, toNumber } from '../../src-main/platform/duckdb.js';
import { AppError } from '../../src-main/platform/errors.js';
import { inlineContext, type ProgressReport } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { initWorkspace, type Workspace } from '../../src-main/platform/workspace.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/data');
const SAMPLE = path.resolve(import.meta.dirname, '../../resources/data/chicago_taxi_trips_sample.csv');
const fixture = (name: string): string => path.join(FIXTURES, name);

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-data-test-'));
  dirs.push(d);
  return d;
}

function freshWorkspace(): Workspace {
  return initWorkspace(tempDir()).workspace;
}

async function runImport(ws: Workspace, file: string, opts: { signal?: AbortSignal; onProgress?: (p: ProgressReport) => void } = {}): Promise<ImportSummary> {
  const input = ImportInputSchema.parse({ path: file });
  return importTrips(input, inlineContext(ws, silentLogger(), opts.onProgress, opts.signal));
}

interface RejectRow {
  row_number: string;
  column: string;
  reason: string;
  message: string;
  raw_line: string | null;
  [raw: string]: string | null;
}

async function rejectsOf(ws: Workspace, file: string): Promise<RejectRow[]> {
  const db = await openEngineDb(ws, { memoryLimit: '256MB' });
  try {
    return await queryRows<RejectRow>(db.conn, `SELECT * FROM read_csv('${file.replaceAll("'", "''")}', header = true, all_varchar = true)`);
  } finally {
    db.close();
  }
}

async function storedTrips(ws: Workspace, where = 'true'): Promise<Record<string, unknown>[]> {
  const db = await openEngineDb(ws, { memoryLimit: '256MB' });
  try {
    return await queryRows(db.conn, `SELECT * FROM ${tripStoreRelation(ws)} WHERE ${where} ORDER BY trip_id`);
  } finally {
    db.close();
  }
}

async function expectAppError(p: Promise<unknown>, code: string): Promise<AppError> {
  const e = await p.then(
    () => {
      throw new Error(`expected ${code}, but it succeeded`);
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).code).toBe(code);
  return e as AppError;
}

function listFilesRecursive(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** The sample's header + its rows repeated; returns the path. */
function repeatedSample(copies: number): string {
  const text = fs.readFileSync(SAMPLE, 'utf8');
  const nl = text.indexOf('\n');
  const file = path.join(tempDir(), `sample-x${copies}.csv`);
  fs.writeFileSync(file, text.slice(0, nl + 1) + text.slice(nl + 1).repeat(copies));
  return file;
}

describe('importTrips: the real 12,000-row TFX sample', () => {
  it('reads every row, accounts for each, and partitions the store by month', async () => {
    const ws = freshWorkspace();
    const s = await runImport(ws, SAMPLE);
    expect(s.layout).toBe('tfx');
    expect(s.rows_read).toBe(12_000);
    expect(s.rows_accepted + s.rows_rejected).toBe(12_000);
    // Known in the sample: one trip of 1,710 miles, five trips without trip_seconds.
    expect(s.rejected_by_reason).toEqual({ out_of_range: 1, missing_required: 5 });
    expect(s.rows_written).toBe(s.rows_accepted);
    expect(s.rows_duplicate).toBe(0);
    expect(s.months).toHaveLength(48);
    expect(s.months[0]).toBe('2013-01');
    expect(s.months.at(-1)).toBe('2016-12');

    const monthDirs = fs.readdirSync(ws.paths.tripsDir).filter((d) => d.startsWith('month='));
    expect(monthDirs.sort()).toEqual(s.months.map((m) => `month=${m}`));
    // Nothing left behind in the scratch folder.
    expect(listFilesRecursive(ws.paths.tmpDir)).toEqual([]);

    const summary = await summarizeTripStore(ws);
    expect(summary.trips).toBe(11_994);
    expect(summary.months.reduce((n, m) => n + m.rows, 0)).toBe(11_994);
    expect(summary.sources).toEqual([{ source: 'chicago_taxi_trips_sample.csv', rows: 11_994 }]);
    expect(summary.first_pickup).toBe('2013-01-01T00:30:00.000Z');
    expect(summary.rejects).toEqual({ files: 1, rows: 6 });
  });

  it('numbers rejected rows by their position in the file', async () => {
    const ws = freshWorkspace();
    const s = await runImport(ws, SAMPLE);
    const rejects = await rejectsOf(ws, s.rejects_file!);
    const lines = fs.readFileSync(SAMPLE, 'utf8').split('\n');
    for (const r of rejects) {
      // Data row n is line n + 1 of the file (line 1 is the header).
      const raw = lines[Number(r.row_number)]!.split(',');
      expect(raw[1]).toBe(r.fare ?? '');
      expect(raw[10]).toBe(r.trip_miles ?? '');
    }
    const miles = rejects.find((r) => r.reason === 'out_of_range')!;
    expect(miles).toMatchObject({ row_number: '1218', column: 'trip_miles' });
    expect(miles.message).toContain('1710.0');
    expect(rejects.filter((r) => r.reason === 'missing_required').map((r) => r.row_number)).toEqual(['3680', '7341', '10591', '10746', '11927']);
  });

  it('is idempotent: a re-import writes nothing and the derived ids are stable', async () => {
    const ws = freshWorkspace();
    await runImport(ws, SAMPLE);
    const filesBefore = tripStoreFiles(ws);
    const again = await runImport(ws, SAMPLE);
    expect(again.rows_read).toBe(12_000);
    expect(again.rows_written).toBe(0);
    expect(again.rows_duplicate).toBe(11_994);
    expect(again.months).toEqual([]);
    expect(tripStoreFiles(ws)).toEqual(filesBefore);

    // Same file into another workspace: the same ids.
    const other = freshWorkspace();
    await runImport(other, SAMPLE);
    const idsA = (await storedTrips(ws)).map((t) => t.trip_id);
    const idsB = (await storedTrips(other)).map((t) => t.trip_id);
    expect(idsA).toHaveLength(11_994);
    expect(new Set(idsA).size).toBe(11_994);
    expect(idsB).toEqual(idsA);
  });
});

describe('importTrips: the traps of the TFX layout', () => {
  it('accepts the odd-but-valid rows and rejects the rest with reason, column and row', async () => {
    const ws = freshWorkspace();
    const s = await runImport(ws, fixture('tfx_traps.csv'));
    expect(s.rows_read).toBe(19);
    expect(s.rows_accepted).toBe(7);
    expect(s.rows_rejected).toBe(12);
    const rejects = await rejectsOf(ws, s.rejects_file!);
    const got = rejects.map((r) => [Number(r.row_number), r.reason, r.column]);
    expect(got).toEqual([
      [5, 'out_of_range', 'trip_miles'],
      [7, 'not_a_number', 'fare'],
      [8, 'missing_required', 'trip_seconds'],
      [9, 'unpaired_coordinate', 'pickup_latitude,pickup_longitude'],
      [10, 'outside_chicago', 'pickup_latitude,pickup_longitude'],
      [11, 'bad_timestamp', 'trip_start_timestamp'],
      [12, 'out_of_range', 'pickup_community_area'],
      [13, 'not_an_integer', 'pickup_community_area'],
      [14, 'bad_timestamp', 'trip_start_timestamp'],
      [15, 'out_of_range', 'trip_seconds'],
      [16, 'out_of_range', 'tips'],
      [17, 'not_a_number', 'tips'],
    ]);
    expect(s.rejected_by_reason).toEqual({
      out_of_range: 4,
      not_a_number: 2,
      missing_required: 1,
      unpaired_coordinate: 1,
      outside_chicago: 1,
      bad_timestamp: 2,
      not_an_integer: 1,
    });
    const fare = rejects.find((r) => r.row_number === '7')!;
    expect(fare.message).toBe('fare "abc" is not a number');
    // The raw values of the row are kept under the file's own column names.
    expect(fare.fare).toBe('abc');
    expect(fare.company).toBe('Taxi Affiliation Services');
  });

  it('maps accepted rows onto the canonical record', async () => {
    const ws = freshWorkspace();
    await runImport(ws, fixture('tfx_traps.csv'));
    const trips = await storedTrips(ws);
    expect(trips).toHaveLength(7);
    for (const t of trips) {
      expect(t.trip_id).toMatch(/^t-[0-9a-f]{24}(-\d+)?$/);
      expect(t.trip_id_derived).toBe(true);
      expect(t.taxi_id).toMatch(/^d-[0-9a-f]{6}-\d{1,2}$/);
      expect(t.taxi_id_derived).toBe(true);
      expect(t.source).toBe('tfx_traps.csv');
      // No dropoff time in TFX: start + trip_seconds.
      expect((t.dropoff_datetime as Date).getTime() - (t.pickup_datetime as Date).getTime()).toBe(toNumber(t.trip_seconds) * 1000);
    }
    // Two identical rows (1 and 6): two trips, ids differing by the occurrence suffix.
    const twins = trips.filter((t) => (t.pickup_datetime as Date).toISOString() === '2016-01-01T10:00:00.000Z' && t.fare_amount === 9.25);
    expect(twins.map((t) => t.trip_id)).toEqual([twins[0]!.trip_id, `${twins[0]!.trip_id}-1`]);
    // The trip start is read as a UTC-labelled wall-clock time (the TFX hour column says 10).
    expect((twins[0]!.pickup_datetime as Date).getUTCHours()).toBe(10);
    // "8.0" is community area 8; a fare of 0 and 0 miles are kept; empty coordinates are null.
    const zero = trips.find((t) => t.fare_amount === 0)!;
    expect(zero).toMatchObject({ pickup_community_area: 8, trip_distance: 0, dropoff_latitude: null, dropoff_longitude: null, company: null });
    // Company names keep their punctuation; padding is trimmed; blank cells are null.
    expect(trips.map((t) => t.company)).toContain('Top Cab, Affiliation');
    expect(trips.map((t) => t.company)).toContain('Chicago Elite Cab Corp. (Chicago Carriag');
    const noCharge = trips.find((t) => t.payment_type === 'No Charge')!;
    expect(noCharge).toMatchObject({ company: null, tips: null });
    // The fare outlier (700.07) is within bounds and kept.
    expect(trips.map((t) => t.fare_amount)).toContain(700.07);
  });

  it('derives the same pseudo taxi for the same company and content', async () => {
    const ws = freshWorkspace();
    await runImport(ws, fixture('tfx_traps.csv'));
    const trips = await storedTrips(ws);
    const byCompany = new Map<string | null, Set<string>>();
    for (const t of trips) {
      const prefix = (t.taxi_id as string).split('-')[1]!;
      const set = byCompany.get(t.company as string | null) ?? new Set<string>();
      set.add(prefix);
      byCompany.set(t.company as string | null, set);
    }
    for (const prefixes of byCompany.values()) expect(prefixes.size).toBe(1);
    const twins = trips.filter((t) => t.fare_amount === 9.25);
    expect(twins[0]!.taxi_id).toBe(twins[1]!.taxi_id);
  });
});

describe('importTrips: the City of Chicago portal layout', () => {
  it('reads US dates, $ money with thousands separators and POINT locations', async () => {
    const ws = freshWorkspace();
    const s = await runImport(ws, fixture('portal_sample.csv'));
    expect(s.layout).toBe('portal');
    expect(s.rows_read).toBe(11);
    expect(s.rows_accepted).toBe(7);
    // Row 9 repeats row 1's Trip ID.
    expect(s.rows_duplicate).toBe(1);
    expect(s.rows_written).toBe(6);
    expect(s.months).toEqual(['2016-01', '2016-02']);
    const rejects = await rejectsOf(ws, s.rejects_file!);
    expect(rejects.map((r) => [Number(r.row_number), r.reason, r.column])).toEqual([
      [4, 'dropoff_before_pickup', 'Trip End Timestamp'],
      [8, 'bad_timestamp', 'Trip Start Timestamp'],
      [10, 'out_of_range', 'Tolls'],
      [11, 'out_of_range', 'Fare'],
    ]);

    const trips = await storedTrips(ws);
    const first = trips.find((t) => t.trip_id === '3f1c0a9e2b7d4c5a8e6f1a2b3c4d5e6f7a8b9c0d')!;
    expect(first).toMatchObject({
      trip_id_derived: false,
      taxi_id: '9b2f5a1c7e',
      taxi_id_derived: false,
      trip_seconds: 900,
      fare_amount: 9.25,
      tips: 2,
      extras: 1,
      trip_total: 12.25,
      payment_type: 'Credit Card',
    });
    // 11:45 PM is read as 23:45, labelled UTC like every stored time.
    expect((first.pickup_datetime as Date).toISOString()).toBe('2016-01-31T23:45:00.000Z');
    expect((first.dropoff_datetime as Date).toISOString()).toBe('2016-02-01T00:00:00.000Z');

    const fromPoint = trips.find((t) => t.trip_id === 'a7e4b2c91d0f3e5a6b7c8d9e0f1a2b3c4d5e6f70')!;
    expect(fromPoint).toMatchObject({ pickup_latitude: 41.880994471, pickup_longitude: -87.632746489, dropoff_latitude: 41.899602111 });

    const big = trips.find((t) => t.trip_id === 'c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1')!;
    expect(big).toMatchObject({ fare_amount: 1234.5, trip_total: 1243.5, trip_seconds: 9900 });

    const noTripId = trips.find((t) => t.trip_id_derived === true)!;
    expect(noTripId).toMatchObject({ taxi_id: '5e7a9c1b3d', taxi_id_derived: false });
    expect(noTripId.trip_id).toMatch(/^t-[0-9a-f]{24}$/);
    const noTaxi = trips.find((t) => t.trip_id === 'e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4')!;
    expect(noTaxi.taxi_id_derived).toBe(true);
    expect(noTaxi.taxi_id).toMatch(/^d-[0-9a-f]{6}-\d{1,2}$/);
    // Trip Seconds empty: derived from the two timestamps.
    const derivedSeconds = trips.find((t) => t.trip_id === 'f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5')!;
    expect(derivedSeconds.trip_seconds).toBe(1200);
  });

  it('accepts snake_case, differently cased and padded portal headers', async () => {
    const ws = freshWorkspace();
    const text = fs.readFileSync(fixture('portal_sample.csv'), 'utf8');
    const nl = text.indexOf('\n');
    const header = text
      .slice(0, nl)
      .replace(/\r$/, '')
      .replaceAll('"', '')
      .split(',')
      .map((h, i) => (i % 2 ? ` ${h.toUpperCase()} ` : h.toLowerCase().replaceAll(' ', '_')))
      .join(',');
    const file = path.join(tempDir(), 'portal-renamed.csv');
    fs.writeFileSync(file, `${header}\r\n${text.slice(nl + 1)}`);
    const s = await runImport(ws, file);
    expect(s.layout).toBe('portal');
    expect(s.rows_accepted).toBe(7);
  });
});

describe('importTrips: malformed files', () => {
  it('keeps structurally broken lines as malformed_row with their row numbers', async () => {
    const ws = freshWorkspace();
    const s = await runImport(ws, fixture('tfx_malformed.csv'));
    // 9 data rows (a blank line is not a row; a quoted value over two lines is one row).
    expect(s.rows_read).toBe(9);
    expect(s.rows_accepted).toBe(5);
    expect(s.rejected_by_reason).toEqual({ malformed_row: 3, not_a_number: 1 });
    const rejects = await rejectsOf(ws, s.rejects_file!);
    expect(rejects.map((r) => [Number(r.row_number), r.reason])).toEqual([
      [2, 'malformed_row'],
      [4, 'malformed_row'],
      [7, 'malformed_row'],
      [9, 'not_a_number'],
    ]);
    expect(rejects[0]!.message).toContain('MISSING COLUMNS');
    expect(rejects[0]!.raw_line).toBe('8,9.25,1');
    expect(rejects[1]!.message).toContain('TOO MANY COLUMNS');
    expect(rejects[2]!.message).toContain('INVALID ENCODING');
    const multiLine = await storedTrips(ws, `company = 'Multi\nLine Cab'`);
    expect(multiLine).toHaveLength(1);
  });

  it('rejects a truncated last line instead of losing it', async () => {
    const ws = freshWorkspace();
    const s = await runImport(ws, fixture('tfx_truncated_last_line.csv'));
    expect(s).toMatchObject({ rows_read: 3, rows_accepted: 2, rows_rejected: 1, rejected_by_reason: { malformed_row: 1 } });
    const [r] = await rejectsOf(ws, s.rejects_file!);
    expect(r).toMatchObject({ row_number: '3', reason: 'malformed_row', raw_line: '8,9.25,1,10,6,14516424' });
  });

  it('rejects a last line with an unterminated quote', async () => {
    const ws = freshWorkspace();
    const s = await runImport(ws, fixture('tfx_unterminated_quote.csv'));
    expect(s).toMatchObject({ rows_read: 3, rows_accepted: 2, rows_rejected: 1 });
    const [r] = await rejectsOf(ws, s.rejects_file!);
    expect(r!.row_number).toBe('3');
    expect(r!.message).toContain('unterminated quote');
  });

  it('reads a header-only file as zero rows', async () => {
    const ws = freshWorkspace();
    const s = await runImport(ws, fixture('tfx_header_only.csv'));
    expect(s).toMatchObject({ rows_read: 0, rows_accepted: 0, rows_rejected: 0, rows_written: 0, rejects_file: null, months: [] });
  });

  it('reads a UTF-8 BOM and CRLF line ends', async () => {
    const ws = freshWorkspace();
    const s = await runImport(ws, fixture('tfx_bom_crlf.csv'));
    expect(s).toMatchObject({ layout: 'tfx', rows_read: 2, rows_accepted: 2 });
    const trips = await storedTrips(ws);
    expect(trips.map((t) => t.tips)).toEqual(expect.arrayContaining([0, 2]));
  });

  it('gives clear errors for files it cannot import, and leaves the store empty', async () => {
    const ws = freshWorkspace();
    const empty = await expectAppError(runImport(ws, fixture('empty.csv')), 'INVALID_FILE');
    expect(empty.message).toContain('empty');
    expect(empty.details).toMatchObject({ file: fixture('empty.csv'), row: 0 });

    const semi = await expectAppError(runImport(ws, fixture('tfx_semicolon.csv')), 'INVALID_FILE');
    expect(semi.message).toContain('semicolon-separated');
    expect(semi.message).toContain('missing columns: pickup_community_area, fare, trip_start_timestamp');

    const unknown = await expectAppError(runImport(ws, fixture('unknown_header.csv')), 'INVALID_FILE');
    expect(unknown.details).toMatchObject({ file: fixture('unknown_header.csv'), row: 0, column: 'pickup_community_area' });
    expect((unknown.details as { missing: string[] }).missing).toContain('trip_start_timestamp');

    const binary = await expectAppError(runImport(ws, fixture('garbage.bin')), 'INVALID_FILE');
    expect(binary.message).toContain('binary');

    const garbageAfterHeader = await expectAppError(runImport(ws, fixture('tfx_then_garbage.csv')), 'INVALID_FILE');
    expect(garbageAfterHeader.details).toMatchObject({ file: fixture('tfx_then_garbage.csv') });

    const missing = await expectAppError(runImport(ws, path.join(tempDir(), 'nope.csv')), 'NOT_FOUND');
    expect(missing.message).toContain('file not found');

    const folder = await expectAppError(runImport(ws, tempDir()), 'INVALID_FILE');
    expect(folder.message).toContain('not a regular file');

    const wrongLayout = await expectAppError(
      importTrips(ImportInputSchema.parse({ path: fixture('tfx_traps.csv'), layout: 'portal' }), inlineContext(ws, silentLogger())),
      'INVALID_FILE',
    );
    expect(wrongLayout.message).toContain('missing columns: Trip ID, Taxi ID');

    expect(tripStoreFiles(ws)).toEqual([]);
    expect(listFilesRecursive(ws.paths.tmpDir)).toEqual([]);
    expect(fs.readdirSync(ws.paths.rejectsDir)).toEqual([]);
  });
});

describe('importTrips: row numbers on a large multi-threaded read', () => {
  it('numbers rows in file order with 4 threads, around malformed and blank lines', async () => {
    const text = fs.readFileSync(SAMPLE, 'utf8');
    const nl = text.indexOf('\n');
    const header = text.slice(0, nl);
    const body = text.slice(nl + 1).trimEnd().split('\n');
    // The sample's only invalid rows lack trip_seconds (column 15) or have over 500 miles (column 10).
    const valid = body.filter((l) => l.split(',')[15] !== '' && Number(l.split(',')[10]) <= 500).slice(0, 1000);
    const out: string[] = [header];
    const expected: [number, string][] = [];
    let row = 0;
    const total = 240_000;
    const badAt = new Set([1, 4_097, 65_536, 120_001, 200_000, total]);
    const malformedAt = new Set([50_000, 150_000]);
    const blankBefore = new Set([100_000, 180_000]);
    while (row < total) {
      row++;
      if (blankBefore.has(row)) out.push('');
      if (malformedAt.has(row)) {
        out.push('8,9.25,1');
        expected.push([row, 'malformed_row']);
      } else if (badAt.has(row)) {
        const parts = valid[row % valid.length]!.split(',');
        parts[1] = `bad${row}`;
        out.push(parts.join(','));
        expected.push([row, 'not_a_number']);
      } else out.push(valid[row % valid.length]!);
    }
    const file = path.join(tempDir(), 'numbered.csv');
    fs.writeFileSync(file, `${out.join('\n')}\n`);

    const before = process.env.TAXI_DUCKDB_THREADS;
    process.env.TAXI_DUCKDB_THREADS = '4';
    try {
      const ws = freshWorkspace();
      const s = await runImport(ws, file);
      expect(s.rows_read).toBe(total);
      expect(s.rows_rejected).toBe(expected.length);
      const rejects = await rejectsOf(ws, s.rejects_file!);
      expect(rejects.map((r) => [Number(r.row_number), r.reason])).toEqual(expected);
      for (const r of rejects.filter((x) => x.reason === 'not_a_number')) expect(r.fare).toBe(`bad${r.row_number}`);
    } finally {
      if (before === undefined) delete process.env.TAXI_DUCKDB_THREADS;
      else process.env.TAXI_DUCKDB_THREADS = before;
    }
  });
});

describe('importTrips: progress and cancellation', () => {
  it('reports progress in bytes up to the file size', async () => {
    const ws = freshWorkspace();
    const reports: ProgressReport[] = [];
    await runImport(ws, SAMPLE, { onProgress: (p) => reports.push(p) });
    const size = fs.statSync(SAMPLE).size;
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.every((r) => r.unit === 'bytes' && r.total === size)).toBe(true);
    expect(reports.at(-1)!.done).toBe(size);
    for (let i = 1; i < reports.length; i++) expect(reports[i]!.done).toBeGreaterThanOrEqual(reports[i - 1]!.done);
  });

  it('cancels a running import with CANCELLED and leaves the store and rejects unchanged', async () => {
    const ws = freshWorkspace();
    await runImport(ws, fixture('tfx_traps.csv'));
    const storeBefore = tripStoreFiles(ws);
    const rejectsBefore = fs.readdirSync(ws.paths.rejectsDir);
    const file = repeatedSample(25);
    const ac = new AbortController();
    let sawDuckDbProgress = false;
    const e = await expectAppError(
      runImport(ws, file, {
        signal: ac.signal,
        onProgress: (p) => {
          // Abort while DuckDB is scanning (its progress, not our first report).
          if (p.message === 'reading and validating rows' && !ac.signal.aborted) {
            sawDuckDbProgress = true;
            ac.abort();
          }
        },
      }),
      'CANCELLED',
    );
    expect(sawDuckDbProgress).toBe(true);
    expect(e.message).toContain('cancelled');
    expect(tripStoreFiles(ws)).toEqual(storeBefore);
    expect(fs.readdirSync(ws.paths.rejectsDir)).toEqual(rejectsBefore);
    expect(listFilesRecursive(ws.paths.tmpDir)).toEqual([]);
  });

  it('does not start when already cancelled', async () => {
    const ws = freshWorkspace();
    const ac = new AbortController();
    ac.abort();
    await expectAppError(runImport(ws, SAMPLE, { signal: ac.signal }), 'CANCELLED');
    expect(tripStoreFiles(ws)).toEqual([]);
  });
});

describe('importTrips: odd file names and small memory', () => {
  it('reads a file whose name DuckDB would take for a pattern', async () => {
    const ws = freshWorkspace();
    const file = path.join(tempDir(), 'trips [2016] *?.csv');
    fs.copyFileSync(fixture('tfx_traps.csv'), file);
    const s = await runImport(ws, file);
    expect(s).toMatchObject({ rows_read: 19, rows_accepted: 7, file });
    expect(path.basename(s.rejects_file!)).toMatch(/-trips_2016_\.csv\.rejects\.csv$/);
    expect(listFilesRecursive(ws.paths.tmpDir)).toEqual([]);
  });

  it('imports within a small memory limit by spilling to the workspace tmp folder', async () => {
    const before = process.env.TAXI_DUCKDB_MEMORY;
    process.env.TAXI_DUCKDB_MEMORY = '120MB';
    try {
      const ws = freshWorkspace();
      const s = await runImport(ws, repeatedSample(20));
      expect(s.rows_read).toBe(240_000);
      expect(s.rows_written).toBe(s.rows_accepted);
      expect(listFilesRecursive(ws.paths.tmpDir)).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.TAXI_DUCKDB_MEMORY;
      else process.env.TAXI_DUCKDB_MEMORY = before;
    }
  });
});

describe('importTrips: extreme values', () => {
  it('rejects huge, infinite and overflowing numbers without failing the import', async () => {
    const ws = freshWorkspace();
    const lines = fs.readFileSync(fixture('tfx_traps.csv'), 'utf8').split('\n');
    const ok = lines[1]!.split(',');
    const variant = (i: number, v: string): string => ok.map((x, j) => (j === i ? v : x)).join(',');
    const file = path.join(tempDir(), 'extreme.csv');
    fs.writeFileSync(
      file,
      [
        lines[0],
        variant(15, '1e20'), // trip_seconds: no dropoff can be derived
        variant(15, '99999999999'),
        variant(1, '1e400'), // fare: infinite
        variant(6, '1e308'), // latitude
        variant(5, '1e300'), // unix seconds out of any calendar
        variant(5, '-62135596800'), // year 1
        variant(0, '99999999999999999999'), // community area beyond INTEGER
        '',
      ].join('\n'),
    );
    const s = await runImport(ws, file);
    expect(s.rows_read).toBe(7);
    expect(s.rows_accepted).toBe(0);
    const rejects = await rejectsOf(ws, s.rejects_file!);
    expect(rejects.map((r) => [r.reason, r.column])).toEqual([
      ['out_of_range', 'trip_seconds'],
      ['out_of_range', 'trip_seconds'],
      ['not_a_number', 'fare'],
      ['outside_chicago', 'pickup_latitude,pickup_longitude'],
      ['bad_timestamp', 'trip_start_timestamp'],
      ['bad_timestamp', 'trip_start_timestamp'],
      ['out_of_range', 'pickup_community_area'],
    ]);
  });
});

describe('importTrips: the app\'s own columns', () => {
  it('imports a CSV the generator wrote with the same values the generator stores, and only once', async () => {
    const ws = freshWorkspace();
    const csv = path.join(tempDir(), 'generated.csv');
    const ctx = inlineContext(ws, silentLogger());
    await runGenerate(GenerateInputSchema.parse({ rows: 3000, seed: 21, output: csv }), ctx);
    const summary = await runImport(ws, csv);
    expect(summary).toMatchObject({ layout: 'canonical', rows_read: 3000, rows_accepted: 3000, rows_written: 3000, rows_rejected: 0 });
    // The same seed straight into a second store: the imported rows are the generated rows.
    const direct = freshWorkspace();
    await runGenerate(GenerateInputSchema.parse({ rows: 3000, seed: 21 }), inlineContext(direct, silentLogger()));
    const strip = (rows: Record<string, unknown>[]): Record<string, unknown>[] =>
      rows.map(({ source: _s, imported_at: _i, month: _m, trip_id_derived: _a, taxi_id_derived: _b, ...rest }) => rest);
    expect(strip(await storedTrips(ws))).toEqual(strip(await storedTrips(direct)));
    // Ids come from the file, so a second import adds nothing.
    expect(await runImport(ws, csv)).toMatchObject({ rows_written: 0, rows_duplicate: 3000 });
  });
});
