/**
 * Random and broken CSV files through the real importer (DuckDB, both layouts). Each file either imports
 * (every row read is accepted or rejected with its row number and reason, the store gains exactly the
 * rows written, no trip twice) or fails with a typed error naming the file — and then the trip store,
 * the rejects folder and the tmp folder are exactly as before. No input may hang the importer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportInputSchema, type ImportSummary } from '../../src-main/api/contract.js';
import { importTrips } from '../../src-main/engines/data/import.js';
import { PORTAL_LAYOUT, TFX_LAYOUT } from '../../src-main/engines/data/layouts.js';
import { tripStoreRelation } from '../../src-main/engines/data/store.js';
import { openEngineDb, queryOne, queryRows, sqlString, toNumber } from '../../src-main/platform/duckdb.js';
import { AppError } from '../../src-main/platform/errors.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { initWorkspace, type Workspace } from '../../src-main/platform/workspace.js';
import { runs, Tally, within } from './tally.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SAMPLE_LINES = fs.readFileSync(path.join(ROOT, 'resources/data/chicago_taxi_trips_sample.csv'), 'utf8').split('\n').slice(1, 400).filter(Boolean);
const PORTAL_LINES = fs.readFileSync(path.join(ROOT, 'tests/fixtures/data/portal_sample.csv'), 'utf8').split('\n').slice(1).filter(Boolean);

const splitSimple = (line: string): string[] => line.split(','); // the sample rows carry no quoted commas
const portalCells = (line: string): string[] => {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (const ch of line) {
    if (ch === '"') q = !q;
    else if (ch === ',' && !q) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
};

const GARBAGE = ['', 'abc', '1e999', '-5', 'NaN', '"', '"unterminated', 'a,b', 'line\nbreak', 'x\r\ny', '😀🚕', '9'.repeat(400), ' 12.5 ', '$-3.00', '13/45/2016 25:61:00 PM', '0x1F', 'NULL', '\\N', '\t', 'é'];

interface CsvSpec {
  layout: 'tfx' | 'portal';
  header: string[];
  rows: string[][];
  eol: '\n' | '\r\n';
  bom: boolean;
  finalEol: boolean;
  quoteAll: boolean;
}

const cell = (v: string, quoteAll: boolean): string => (quoteAll || /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function render(spec: CsvSpec): string {
  const lines = [spec.header, ...spec.rows].map((r) => r.map((v) => cell(v, spec.quoteAll)).join(','));
  return (spec.bom ? '\uFEFF' : '') + lines.join(spec.eol) + (spec.finalEol ? spec.eol : '');
}

const rowMutation = fc.oneof(
  { weight: 6, arbitrary: fc.constant<{ kind: 'none' }>({ kind: 'none' }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant<'set'>('set'), at: fc.nat(30), value: fc.oneof(fc.constantFrom(...GARBAGE), fc.string({ maxLength: 12 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant<'drop'>('drop'), at: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant<'extra'>('extra'), value: fc.constantFrom(...GARBAGE) }) },
);
type RowMutation = { kind: 'none' } | { kind: 'set'; at: number; value: string } | { kind: 'drop'; at: number } | { kind: 'extra'; value: string };

function applyRow(base: string[], m: RowMutation): string[] {
  const r = [...base];
  if (m.kind === 'set') r[m.at % r.length] = m.value;
  else if (m.kind === 'drop') r.splice(m.at % r.length, 1);
  else if (m.kind === 'extra') r.push(m.value);
  return r;
}

const headerMutation = fc.constantFrom('same', 'same', 'same', 'upper', 'drop-optional', 'drop-required', 'extra', 'shuffle', 'random');

const csvSpec: fc.Arbitrary<CsvSpec> = fc
  .record({
    layout: fc.constantFrom<'tfx' | 'portal'>('tfx', 'portal'),
    header: headerMutation,
    rows: fc.array(fc.tuple(fc.nat(10_000), rowMutation), { maxLength: 25 }),
    eol: fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
    bom: fc.boolean(),
    finalEol: fc.boolean(),
    quoteAll: fc.boolean(),
    randomHeader: fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 5 }),
    seed: fc.nat(),
  })
  .map((g) => {
    const layout = g.layout === 'tfx' ? TFX_LAYOUT : PORTAL_LAYOUT;
    const lines = g.layout === 'tfx' ? SAMPLE_LINES : PORTAL_LINES;
    const parse = g.layout === 'tfx' ? splitSimple : portalCells;
    let header = [...layout.columns];
    let order = header.map((_, i) => i);
    if (g.header === 'upper') header = header.map((h) => h.toUpperCase());
    if (g.header === 'drop-optional') order = order.filter((i) => header[i] !== layout.optional[0]);
    if (g.header === 'drop-required') order = order.filter((i) => !layout.optional.includes(header[i]!)).slice(1);
    if (g.header === 'shuffle') order = [...order].sort((a, b) => ((a * 7919 + g.seed) % 97) - ((b * 7919 + g.seed) % 97));
    const rows = g.rows.map(([n, m]) => {
      const base = parse(lines[n % lines.length]!);
      return applyRow(order.map((i) => base[i] ?? ''), m as RowMutation);
    });
    let hdr = order.map((i) => header[i]!);
    if (g.header === 'extra') hdr = [...hdr, 'surprise column'];
    if (g.header === 'random') hdr = g.randomHeader;
    return { layout: g.layout, header: hdr, rows, eol: g.eol, bom: g.bom, finalEol: g.finalEol, quoteAll: g.quoteAll };
  });

const fileContent = fc.oneof(
  { weight: 8, arbitrary: csvSpec.map((s) => Buffer.from(render(s), 'utf8')) },
  // Cut a valid-looking file anywhere, even inside a quoted value or a multi-byte character.
  { weight: 2, arbitrary: fc.tuple(csvSpec, fc.double({ min: 0, max: 1, noNaN: true })).map(([s, f]) => { const b = Buffer.from(render(s), 'utf8'); return b.subarray(0, Math.floor(b.length * f)); }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300, unit: 'binary' }).map((s) => Buffer.from(s, 'utf8')) },
);

// ---------- the workspace and what "unchanged" means ----------

let ws: Workspace;
let dir: string;
const tally = new Tally('csv-import');

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-fuzz-import-'));
  ws = initWorkspace(path.join(dir, 'ws')).workspace;
});
afterAll(() => {
  tally.save();
  fs.rmSync(dir, { recursive: true, force: true });
});

function listing(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const p = path.join(e.parentPath, e.name);
      return `${path.relative(root, p)}:${fs.statSync(p).size}`;
    })
    .sort();
}

async function storeCounts(): Promise<{ rows: number; ids: number }> {
  if (listing(ws.paths.tripsDir).length === 0) return { rows: 0, ids: 0 };
  const db = await openEngineDb(ws, { memoryLimit: '256MB' });
  try {
    const r = await queryOne<{ n: bigint; d: bigint }>(db.conn, `SELECT count(*) AS n, count(DISTINCT trip_id) AS d FROM ${tripStoreRelation(ws)}`);
    return { rows: toNumber(r.n), ids: toNumber(r.d) };
  } finally {
    db.close();
  }
}

async function rejectRowNumbers(file: string): Promise<{ row_number: string; reason: string | null; message: string | null }[]> {
  const db = await openEngineDb(ws, { memoryLimit: '256MB' });
  try {
    return await queryRows(db.conn, `SELECT row_number, reason, message FROM read_csv(${sqlString(file)}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`);
  } finally {
    db.close();
  }
}

describe('CSV import under random and broken files', () => {
  it('imports with reasons for every reject, or fails naming the file with nothing written', { timeout: runs(80) * 15_000 }, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fileContent, async (bytes) => {
        const file = path.join(dir, `in-${n++}.csv`);
        fs.writeFileSync(file, bytes);
        const storeBefore = listing(ws.paths.tripsDir);
        const rejectsBefore = listing(ws.paths.rejectsDir);
        const countsBefore = await storeCounts();
        let summary: ImportSummary | null = null;
        let error: unknown = null;
        try {
          summary = await within(60_000, `import of ${file}`, importTrips(ImportInputSchema.parse({ path: file }), inlineContext(ws, silentLogger())));
        } catch (e) {
          error = e;
        }
        if (error && /hang/.test(String((error as Error).message))) throw error;
        const countsAfter = await storeCounts();
        // No trip is ever stored twice, whatever the file held.
        expect(countsAfter.rows).toBe(countsAfter.ids);
        expect(listing(ws.paths.tmpDir)).toEqual([]);
        if (summary) {
          tally.add(summary.rows_rejected > 0 ? (summary.rows_accepted > 0 ? 'imported-with-rejects' : 'all-rejected') : 'imported-clean');
          expect(summary.rows_accepted + summary.rows_rejected).toBe(summary.rows_read);
          expect(summary.rows_written + summary.rows_duplicate).toBe(summary.rows_accepted);
          expect(countsAfter.rows - countsBefore.rows).toBe(summary.rows_written);
          if (summary.rows_rejected > 0) {
            expect(summary.rejects_file).not.toBeNull();
            const rejects = await rejectRowNumbers(summary.rejects_file!);
            const rowsNamed = new Set(rejects.map((r) => Number(r.row_number)));
            expect(rowsNamed.size).toBe(summary.rows_rejected);
            for (const r of rejects) {
              expect(Number(r.row_number)).toBeGreaterThanOrEqual(1);
              expect(Number(r.row_number)).toBeLessThanOrEqual(summary.rows_read);
              expect(r.reason ?? '').not.toBe('');
              expect(r.message ?? '').not.toBe('');
            }
          } else {
            expect(summary.rejects_file).toBeNull();
            expect(listing(ws.paths.rejectsDir)).toEqual(rejectsBefore);
          }
        } else {
          expect(error).toBeInstanceOf(AppError);
          const e = error as AppError;
          tally.add(`error:${e.code}`);
          expect(['INVALID_FILE', 'INVALID_INPUT']).toContain(e.code);
          expect(e.message).toContain(file);
          expect((e.details as { file?: string }).file).toBe(file);
          // Nothing half-written: the store and the rejects are exactly as they were.
          expect(listing(ws.paths.tripsDir)).toEqual(storeBefore);
          expect(listing(ws.paths.rejectsDir)).toEqual(rejectsBefore);
          expect(countsAfter).toEqual(countsBefore);
        }
        fs.rmSync(file);
      }),
      { numRuns: runs(80) },
    );
    expect(tally.outcomes['imported-clean'] ?? 0).toBeGreaterThan(0);
    expect(tally.outcomes['imported-with-rejects'] ?? 0).toBeGreaterThan(0);
    expect(Object.keys(tally.outcomes).some((k) => k.startsWith('error:'))).toBe(true);
  });
});
