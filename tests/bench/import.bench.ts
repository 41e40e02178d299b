/**
 * Import throughput: our importTrips against DuckDB's own CSV → Parquet copy of the same file, side by
 * side in one run (rounds alternate, medians are compared, so a busy machine slows both alike).
 *
 *   npx tsx tests/bench/import.bench.ts [rows] [rounds]
 *
 * The file is the real 12,000-row sample repeated to ~1M rows, written to a temp folder.
 *
 * For context only (the target is against the plain copy): DuckDB's copy into month partitions, the
 * layout our store writes, shows what the partitioning alone costs DuckDB itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { importTrips } from '../../src-main/engines/data/import.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { defaultThreads, sqlString } from '../../src-main/platform/duckdb.js';
import { initWorkspace } from '../../src-main/platform/workspace.js';

export const SAMPLE_CSV = path.resolve(import.meta.dirname, '../../resources/data/chicago_taxi_trips_sample.csv');
const SHARED_SAMPLE = '/work/shared/data/chicago_taxi_trips_sample.csv';

export interface ImportBenchOptions {
  /** Rows of the generated file (rounded up to whole copies of the sample); default 1,000,000. */
  rows?: number;
  /** Alternating rounds of both; default 3. */
  rounds?: number;
  /** Sample to repeat; default the shared 12,000-row sample. */
  sample?: string;
  /** Keep the temp folder (file, workspaces) for inspection. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface ImportBenchResult {
  rows: number;
  file_bytes: number;
  threads: number;
  ours: { seconds: number[]; cpu_seconds: number[]; median_s: number; rows_per_s: number; rows_written: number; rows_rejected: number };
  duckdb: { seconds: number[]; cpu_seconds: number[]; median_s: number; rows_per_s: number };
  /** DuckDB's copy into month partitions (context, not the target). */
  duckdb_by_month: { seconds: number[]; median_s: number; rows_per_s: number };
  /** Our median wall time over DuckDB's (target: at most 3). */
  ratio: number;
  /** The same for CPU time (user + system, DuckDB's threads included): steadier on a busy machine. */
  cpu_ratio: number;
}

interface Timing {
  seconds: number;
  cpu: number;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T } & Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const c = process.cpuUsage(c0);
  return { value, seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

function sampleFile(explicit?: string): string {
  const found = [explicit, SAMPLE_CSV, SHARED_SAMPLE].find((p): p is string => !!p && fs.existsSync(p));
  if (!found) throw new Error(`sample CSV not found (looked at ${SAMPLE_CSV} and ${SHARED_SAMPLE})`);
  return found;
}

/** Writes header + the sample's rows repeated; returns the number of data rows. */
export function buildRepeatedCsv(sample: string, target: string, rows: number): number {
  const text = fs.readFileSync(sample, 'utf8');
  const nl = text.indexOf('\n');
  const header = text.slice(0, nl + 1);
  const body = text.slice(nl + 1).replace(/\n?$/, '\n');
  const perCopy = body.split('\n').length - 1;
  const copies = Math.max(1, Math.ceil(rows / perCopy));
  const fd = fs.openSync(target, 'w');
  try {
    fs.writeSync(fd, header);
    for (let i = 0; i < copies; i++) fs.writeSync(fd, body);
  } finally {
    fs.closeSync(fd);
  }
  return copies * perCopy;
}

/** Times `sql` in a fresh DuckDB (after `setup`), then removes `out`, file or folder. */
async function timedInDuckDb(threads: number, sql: string, out: string, setup: readonly string[] = []): Promise<Timing> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const conn = await instance.connect();
  try {
    for (const s of setup) await conn.run(s);
    return await timed(() => conn.run(sql));
  } finally {
    conn.closeSync();
    instance.closeSync();
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function duckdbCopy(csv: string, out: string, threads: number): Promise<Timing> {
  return timedInDuckDb(threads, `COPY (SELECT * FROM read_csv(${sqlString(csv)})) TO ${sqlString(out)} (FORMAT parquet)`, out);
}

/** DuckDB's copy into one folder per pickup month (the sample's start times are unix seconds). */
function duckdbCopyByMonth(csv: string, out: string, threads: number): Promise<Timing> {
  const month = `strftime(make_timestamp(trip_start_timestamp * 1000000), '%Y-%m') AS month`;
  const sql = `COPY (SELECT *, ${month} FROM read_csv(${sqlString(csv)})) TO ${sqlString(out)} (FORMAT parquet, PARTITION_BY (month))`;
  return timedInDuckDb(threads, sql, out, ['SET preserve_insertion_order = false']);
}

async function ours(csv: string, wsDir: string): Promise<Timing & { written: number; rejected: number }> {
  const { workspace } = initWorkspace(wsDir);
  const ctx = inlineContext(workspace, silentLogger());
  const r = await timed(() => importTrips({ path: csv, layout: 'auto' }, ctx));
  fs.rmSync(wsDir, { recursive: true, force: true });
  return { seconds: r.seconds, cpu: r.cpu, written: r.value.rows_written, rejected: r.value.rows_rejected };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function runImportBench(opts: ImportBenchOptions = {}): Promise<ImportBenchResult> {
  const log = opts.log ?? (() => {});
  const rounds = opts.rounds ?? 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-import-bench-'));
  try {
    const csv = path.join(dir, 'trips.csv');
    const rows = buildRepeatedCsv(sampleFile(opts.sample), csv, opts.rows ?? 1_000_000);
    const threads = defaultThreads();
    log(`file: ${csv} (${rows.toLocaleString('en-US')} rows, ${(fs.statSync(csv).size / 1e6).toFixed(1)} MB), threads: ${threads}`);
    const mine: Timing[] = [];
    const duck: Timing[] = [];
    const byMonth: Timing[] = [];
    let last = { written: 0, rejected: 0 };
    for (let r = 0; r < rounds; r++) {
      // Alternate who goes first so file-cache warmth and machine load favour neither.
      const order = r % 2 === 0 ? (['duckdb', 'ours'] as const) : (['ours', 'duckdb'] as const);
      for (const who of order) {
        if (who === 'duckdb') {
          duck.push(await duckdbCopy(csv, path.join(dir, 'copy.parquet'), threads));
          byMonth.push(await duckdbCopyByMonth(csv, path.join(dir, 'by-month'), threads));
        } else {
          const o = await ours(csv, path.join(dir, `ws-${r}`));
          mine.push(o);
          last = o;
        }
      }
      const d = duck.at(-1)!;
      const o = mine.at(-1)!;
      log(`round ${r + 1}: duckdb ${d.seconds.toFixed(2)} s (cpu ${d.cpu.toFixed(2)} s), by month ${byMonth.at(-1)!.seconds.toFixed(2)} s, ours ${o.seconds.toFixed(2)} s (cpu ${o.cpu.toFixed(2)} s)`);
    }
    const oursMedian = median(mine.map((t) => t.seconds));
    const duckMedian = median(duck.map((t) => t.seconds));
    return {
      rows,
      file_bytes: fs.statSync(csv).size,
      threads,
      ours: {
        seconds: mine.map((t) => t.seconds),
        cpu_seconds: mine.map((t) => t.cpu),
        median_s: oursMedian,
        rows_per_s: Math.round(rows / oursMedian),
        rows_written: last.written,
        rows_rejected: last.rejected,
      },
      duckdb: { seconds: duck.map((t) => t.seconds), cpu_seconds: duck.map((t) => t.cpu), median_s: duckMedian, rows_per_s: Math.round(rows / duckMedian) },
      duckdb_by_month: { seconds: byMonth.map((t) => t.seconds), median_s: median(byMonth.map((t) => t.seconds)), rows_per_s: Math.round(rows / median(byMonth.map((t) => t.seconds))) },
      ratio: oursMedian / duckMedian,
      cpu_ratio: median(mine.map((t) => t.cpu)) / median(duck.map((t) => t.cpu)),
    };
  } finally {
    if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const rounds = Number(process.argv[3] ?? 3);
  const r = await runImportBench({ rows, rounds, log: (l) => console.log(l) });
  const fmt = (n: number): string => n.toLocaleString('en-US');
  console.log(`DuckDB COPY read_csv → parquet: ${fmt(r.duckdb.rows_per_s)} rows/s (median ${r.duckdb.median_s.toFixed(2)} s)`);
  console.log(`DuckDB COPY read_csv → parquet by month (context): ${fmt(r.duckdb_by_month.rows_per_s)} rows/s (median ${r.duckdb_by_month.median_s.toFixed(2)} s)`);
  console.log(`importTrips (validate, ids, rejects, store): ${fmt(r.ours.rows_per_s)} rows/s (median ${r.ours.median_s.toFixed(2)} s)`);
  console.log(`ratio (ours / DuckDB time): ${r.ratio.toFixed(2)}x — target ≤ 3x ${r.ratio <= 3 ? 'met' : 'NOT met'}; CPU-time ratio ${r.cpu_ratio.toFixed(2)}x`);
  console.log(JSON.stringify(r));
}
