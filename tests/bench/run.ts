/**
 * `npm run bench`: runs every benchmark of the engines and writes bench/report.json and bench/REPORT.md —
 * a table of what was measured, our figure, the reference measured in the same run, and the ratio.
 * Benchmarks print numbers; nothing here asserts a speed (these machines are noisy).
 *
 *   npm run bench [-- --only import,generate] [-- --quick] [-- --timeout=<seconds per bench>]
 *
 * A bench that throws or passes its timeout is listed as failed in both files; the others still run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImportBenchResult } from './import.bench.js';

export interface BenchRow {
  bench: string;
  what: string;
  ours: number | null;
  reference: number | null;
  unit: string;
  /** ours / reference in the direction the target is stated (see note). */
  ratio: number | null;
  target: string;
  note?: string;
}

interface BenchEntry {
  name: string;
  module: string;
  run: (mod: Record<string, unknown>, quick: boolean) => Promise<BenchRow[]>;
}

const root = path.resolve(import.meta.dirname, '../..');
const r2 = (x: number): number => Math.round(x * 100) / 100;

const ENTRIES: BenchEntry[] = [
  {
    name: 'import',
    module: './import.bench.ts',
    run: async (m, quick) => {
      const r = (await (m.runImportBench as (o: object) => Promise<ImportBenchResult>)({
        rows: quick ? 200_000 : 1_000_000,
        rounds: quick ? 1 : 3,
      }));
      return [
        {
          bench: 'import',
          what: `CSV import → Parquet, ${r.rows.toLocaleString('en-US')} rows (sample repeated), rows/s`,
          ours: Math.round(r.ours.rows_per_s),
          reference: Math.round(r.duckdb.rows_per_s),
          unit: 'rows/s',
          ratio: r2(r.ratio),
          target: 'time ratio ≤ 3 vs DuckDB read_csv → Parquet',
          note: `ours ${r.ours.median_s.toFixed(2)} s incl. validation, rejects and dedup; DuckDB ${r.duckdb.median_s.toFixed(2)} s plain copy, ${r.duckdb_by_month.median_s.toFixed(2)} s into month partitions`,
        },
      ];
    },
  },
  {
    name: 'generate',
    module: './generate.bench.ts',
    run: async (m, quick) => {
      const r = (await (m.runGenerateBench as (o: object) => Promise<{ rows: number; generate_rows_per_s: number; parquet_rows: number; parquet_rows_per_s: number }>)({
        rows: quick ? 300_000 : 2_000_000,
        parquetRows: quick ? 200_000 : 1_000_000,
      }));
      return [
        { bench: 'generate', what: `synthetic trips, pure generation (${r.rows.toLocaleString('en-US')} rows)`, ours: r.generate_rows_per_s, reference: null, unit: 'rows/s', ratio: null, target: 'reported' },
        { bench: 'generate', what: `synthetic trips → Parquet (${r.parquet_rows.toLocaleString('en-US')} rows)`, ours: r.parquet_rows_per_s, reference: null, unit: 'rows/s', ratio: null, target: 'reported' },
      ];
    },
  },
  {
    name: 'retrieval',
    module: './retrieval.bench.ts',
    run: async (m, quick) => {
      const r = (await (m.runRetrievalBench as (o: object) => Promise<{ entity_rows: number; feature_rows: number; views: number; ours: { median_ms: number }; bare_asof: { median_ms: number }; ratio: number; ratio_best: number }>)({
        entityRows: quick ? 20_000 : 100_000,
        featureRows: quick ? 200_000 : 1_000_000,
        rounds: quick ? 2 : 5,
      }));
      return [
        {
          bench: 'retrieval',
          what: `historical retrieval, ${r.entity_rows.toLocaleString('en-US')} entity rows × ${r.feature_rows.toLocaleString('en-US')} feature rows in ${r.views} views, ms`,
          ours: Math.round(r.ours.median_ms),
          reference: Math.round(r.bare_asof.median_ms),
          unit: 'ms',
          ratio: r2(r.ratio),
          target: 'time ratio ≤ 1.5 vs a bare DuckDB ASOF join',
          note: `best round vs best round ${r2(r.ratio_best)}`,
        },
      ];
    },
  },
];

/** Benches other engines add: a module exporting `benchRows(quick)` returning BenchRow[] is picked up by name. */
function discovered(): BenchEntry[] {
  const known = new Set(ENTRIES.map((e) => `${e.name}.bench.ts`));
  return fs
    .readdirSync(import.meta.dirname)
    .filter((f) => f.endsWith('.bench.ts') && !known.has(f))
    .map((f) => ({
      name: f.replace(/\.bench\.ts$/, ''),
      module: `./${f}`,
      run: async (m, quick) => {
        const fn = m.benchRows as ((quick: boolean) => Promise<BenchRow[]>) | undefined;
        // A bench file that exports nothing runnable is a failure to report, not a silent empty row set.
        if (typeof fn !== 'function') throw new Error(`${f} exports no benchRows(quick)`);
        return fn(quick);
      },
    }));
}

interface BenchOutcome {
  bench: string;
  status: 'ok' | 'failed' | 'timed out';
  seconds: number;
  rows: number;
  error?: string;
}

/** A bench that never settles must not hold the report hostage: it is reported and the run moves on. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`), { timedOut: true })), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function markdown(rows: BenchRow[], meta: Record<string, unknown>, outcomes: BenchOutcome[] = []): string {
  const fmt = (v: number | null): string => (v === null ? '—' : v >= 1000 ? Math.round(v).toLocaleString('en-US') : String(v));
  const lines = [
    '# Benchmark report',
    '',
    `Measured ${meta.date} on ${meta.cpus} × ${meta.cpu} (${meta.memory_gib} GiB), Node ${meta.node}${meta.quick ? ' — quick mode, smaller sizes' : ''}.`,
    'Each row: our figure and the reference measured side by side in the same run; the ratio is stated in the direction of its target.',
    '',
    '| bench | what | ours | reference | unit | ratio | target | note |',
    '|---|---|---:|---:|---|---:|---|---|',
    ...rows.map((r) => `| ${r.bench} | ${r.what} | ${fmt(r.ours)} | ${fmt(r.reference)} | ${r.unit} | ${r.ratio ?? '—'} | ${r.target} | ${(r.note ?? '').replace(/\|/g, '\\|')} |`),
    '',
  ];
  if (outcomes.length > 0) {
    lines.push('## Benches run', '', '| bench | status | rows | seconds | error |', '|---|---|---:|---:|---|');
    for (const o of outcomes) lines.push(`| ${o.bench} | ${o.status} | ${o.rows} | ${o.seconds} | ${(o.error ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyArg = args.find((a) => a.startsWith('--only'));
  const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1]! : args[args.indexOf(onlyArg) + 1] ?? '').split(',') : null;
  const entries = [...ENTRIES, ...discovered()].filter((e) => !only || only.includes(e.name));
  const timeoutArg = args.find((a) => a.startsWith('--timeout='));
  const timeoutMs = (timeoutArg ? Number(timeoutArg.split('=')[1]) : quick ? 600 : 1800) * 1000;
  const rows: BenchRow[] = [];
  const failures: { bench: string; error: string }[] = [];
  const outcomes: BenchOutcome[] = [];
  for (const e of entries) {
    process.stderr.write(`bench ${e.name}…\n`);
    const t0 = performance.now();
    const seconds = (): number => Math.round((performance.now() - t0) / 100) / 10;
    try {
      const mod = (await import(e.module)) as Record<string, unknown>;
      const got = await withTimeout(e.run(mod, quick), timeoutMs, `bench ${e.name}`);
      rows.push(...got);
      outcomes.push({ bench: e.name, status: 'ok', seconds: seconds(), rows: got.length });
      for (const r of got) process.stderr.write(`  ${r.what}: ours ${r.ours ?? '—'} ${r.unit}, reference ${r.reference ?? '—'}, ratio ${r.ratio ?? '—'}\n`);
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      failures.push({ bench: e.name, error: message });
      outcomes.push({ bench: e.name, status: (err as { timedOut?: boolean }).timedOut ? 'timed out' : 'failed', seconds: seconds(), rows: 0, error: message });
      process.stderr.write(`  FAILED: ${message}\n`);
    }
    process.stderr.write(`  (${seconds().toFixed(1)} s)\n`);
  }
  const meta = {
    date: new Date().toISOString(),
    node: process.versions.node,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memory_gib: Math.round(os.totalmem() / 1024 ** 3),
    quick,
  };
  const outDir = path.join(root, 'bench');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'report.json'), `${JSON.stringify({ meta, rows, failures, benches: outcomes }, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'REPORT.md'), markdown(rows, meta, outcomes));
  process.stdout.write(markdown(rows, meta, outcomes));
  return failures.length ? 1 : 0;
}

// Exit explicitly: a timed-out bench may still hold sockets or workers open.
process.exit(await main());
