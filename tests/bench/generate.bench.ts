/**
 * Generator throughput: pure generation (rows/s into columnar batches) and end to end into a Parquet
 * file through DuckDB.
 *
 *   npx tsx tests/bench/generate.bench.ts [rows]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GenerateInputSchema, type DriftName } from '../../src-main/api/contract.js';
import { batchesOf, runGenerate, tripModelOf } from '../../src-main/engines/data/generator/index.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { initWorkspace } from '../../src-main/platform/workspace.js';

export interface GenerateBenchOptions {
  /** Rows for pure generation (default 2,000,000). */
  rows?: number;
  /** Rows for the end-to-end Parquet run (default 1,000,000). */
  parquetRows?: number;
  seed?: number;
  drift?: DriftName;
  batchSize?: number;
}

export interface GenerateBenchResult {
  rows: number;
  generate_ms: number;
  generate_rows_per_s: number;
  parquet_rows: number;
  parquet_ms: number;
  parquet_rows_per_s: number;
  parquet_bytes: number;
}

/** Time pure generation of `rows` trips, after a short warm-up so the JIT has compiled the row loop. */
function pureGenerationMs(rows: number, seed: number, drift: DriftName, batchSize: number | undefined): number {
  const model = tripModelOf({ rows, seed, drift });
  for (const _ of batchesOf(model, 50_000, { reuse: true, batchSize })) void _;
  const started = performance.now();
  let checksum = 0;
  for (const b of batchesOf(model, rows, { reuse: true, batchSize })) checksum += b.fare[b.length - 1]!;
  const ms = performance.now() - started;
  if (!Number.isFinite(checksum)) throw new Error('generator produced a non-finite fare');
  return ms;
}

export async function runGenerateBench(opts: GenerateBenchOptions = {}): Promise<GenerateBenchResult> {
  const rows = opts.rows ?? 2_000_000;
  const parquetRows = opts.parquetRows ?? 1_000_000;
  const seed = opts.seed ?? 42;
  const drift = opts.drift ?? 'none';
  const generateMs = pureGenerationMs(rows, seed, drift, opts.batchSize);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-gen-bench-'));
  try {
    const { workspace } = initWorkspace(path.join(dir, 'ws'));
    const output = path.join(dir, 'trips.parquet');
    const input = GenerateInputSchema.parse({ rows: parquetRows, seed, drift, output });
    const started = performance.now();
    await runGenerate(input, inlineContext(workspace, silentLogger()), opts.batchSize ? { batchSize: opts.batchSize } : {});
    const parquetMs = performance.now() - started;
    return {
      rows,
      generate_ms: Math.round(generateMs),
      generate_rows_per_s: Math.round(rows / (generateMs / 1000)),
      parquet_rows: parquetRows,
      parquet_ms: Math.round(parquetMs),
      parquet_rows_per_s: Math.round(parquetRows / (parquetMs / 1000)),
      parquet_bytes: fs.statSync(output).size,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = process.argv[2] ? Number(process.argv[2]) : undefined;
  const r = await runGenerateBench(rows ? { rows, parquetRows: Math.min(rows, 1_000_000) } : {});
  console.log(
    `generate: ${r.rows.toLocaleString('en-US')} rows in ${r.generate_ms} ms = ${r.generate_rows_per_s.toLocaleString('en-US')} rows/s\n` +
      `to Parquet: ${r.parquet_rows.toLocaleString('en-US')} rows in ${r.parquet_ms} ms = ${r.parquet_rows_per_s.toLocaleString('en-US')} rows/s ` +
      `(${(r.parquet_bytes / 1e6).toFixed(1)} MB)`,
  );
  console.log(JSON.stringify(r));
}
