/**
 * `taxi-mlops generate`: synthetic trips calibrated on the real sample, written into the workspace trip
 * store or to a CSV/Parquet file. Same input, same bytes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { GenerateInput, GenerateSummary } from '../../../api/contract.js';
import { AppError, cancelled } from '../../../platform/errors.js';
import type { JobContext } from '../../../platform/jobs/context.js';
import { openEngineDb, runMonitored, sqlIdent, sqlString, type QueryProgressReport } from '../../../platform/duckdb.js';
import type { Workspace } from '../../../platform/workspace.js';
import { appendTripsFromTable } from '../store.js';
import type { TripDictionary } from './batch.js';
import { defaultCalibration, type Calibration } from './calibration.js';
import { batchesOf, DEFAULT_BATCH_SIZE, tripModelOf } from './generate.js';
import type { TripModel } from './model.js';
import { createStagingTable, StagingWriter, tripSelectSql } from './sink.js';

export { CalibrationSchema, defaultCalibration, readCalibration, type Calibration } from './calibration.js';
export { tripOfBatchRow, tripsOfBatch, tripIdOf, taxiIdOf, type TripBatch, type TripDictionary } from './batch.js';
export { DRIFTS, type DriftEffect } from './drifts.js';
export { batchesOf, generateTrips, tripModelOf, DEFAULT_BATCH_SIZE, type BatchOptions, type GenerateRequest } from './generate.js';
export { TripModel } from './model.js';
export { Mulberry32 } from './prng.js';
export { timeRangeOf, DEFAULT_START, DEFAULT_END } from './time.js';

export interface RunOptions {
  batchSize?: number;
  calibration?: Calibration;
}

type FileFormat = 'csv' | 'parquet';

const STAGING = 'generated_staging';
const TRIPS = 'generated_trips';

export function fileFormatOf(file: string): FileFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.parquet') return 'parquet';
  throw new AppError('INVALID_INPUT', `output must end in .csv or .parquet: ${file}`, { output: file });
}

export async function runGenerate(input: GenerateInput, ctx: JobContext, opts: RunOptions = {}): Promise<GenerateSummary> {
  const started = performance.now();
  const model = tripModelOf(input, opts.calibration ?? defaultCalibration());
  const output = input.output ? path.resolve(input.output) : undefined;
  const format = output ? fileFormatOf(output) : undefined;
  const db = await openEngineDb(ctx.workspace);
  try {
    const months = await stageTrips(db.conn, model, input.rows, ctx, opts.batchSize ?? DEFAULT_BATCH_SIZE);
    if (output && format) await writeFile(db.conn, model.dict, output, format, input.rows, ctx);
    else await writeStore(db.conn, model.dict, ctx.workspace, `generated:${input.seed}:${input.drift}`, input.rows, ctx);
    const summary: GenerateSummary = {
      rows: input.rows,
      seed: input.seed,
      drift: input.drift,
      start: new Date(model.range.startMs).toISOString(),
      end: new Date(model.range.endMs).toISOString(),
      output: output ?? ctx.workspace.paths.tripsDir,
      months,
      duration_ms: Math.round(performance.now() - started),
    };
    ctx.log.info({ ...summary, rows_per_s: Math.round(input.rows / (summary.duration_ms / 1000 || 1e-3)) }, 'generated trips');
    return summary;
  } finally {
    db.close();
  }
}

/** Generates every row into the staging table; returns the months touched. */
async function stageTrips(conn: DuckDBConnection, model: TripModel, rows: number, ctx: JobContext, batchSize: number): Promise<string[]> {
  await createStagingTable(conn, STAGING);
  const writer = await StagingWriter.open(conn, STAGING);
  const seen = new Uint8Array(model.slots.months.length);
  try {
    let done = 0;
    for (const batch of batchesOf(model, rows, { batchSize, reuse: true }, seen)) {
      writer.append(batch);
      done += batch.length;
      ctx.progress({ done, total: rows, unit: 'rows', message: 'generating' });
      // Lets a cancel message reach this thread between batches.
      await nextTurn();
      if (ctx.signal.aborted) throw cancelled('generate');
    }
  } finally {
    writer.close();
  }
  return model.slots.months.filter((_, i) => seen[i] === 1);
}

/**
 * The write phase keeps `done` at the rows generated (a bar must not run backwards) and tells how far
 * DuckDB has got in the message.
 */
function writeProgress(ctx: JobContext, rows: number, what: string): (p: QueryProgressReport) => void {
  ctx.progress({ done: rows, total: rows, unit: 'rows', message: what });
  return (p) => ctx.progress({ done: rows, total: rows, unit: 'rows', message: p.fraction === null ? what : `${what} (${Math.round(p.fraction * 100)}%)` });
}

/** Written beside the target and renamed into place, so a cancelled or failed run leaves no partial file. */
async function writeFile(conn: DuckDBConnection, dict: TripDictionary, output: string, format: FileFormat, rows: number, ctx: JobContext): Promise<void> {
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const tmp = `${output}.${process.pid}.partial`;
  const options = format === 'csv' ? "FORMAT csv, HEADER true, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S'" : 'FORMAT parquet';
  const onProgress = writeProgress(ctx, rows, `writing ${path.basename(output)}`);
  try {
    await runMonitored(conn, `COPY (${tripSelectSql(STAGING, dict)}) TO ${sqlString(tmp)} (${options})`, { signal: ctx.signal, what: 'generate', onProgress });
    if (ctx.signal.aborted) throw cancelled('generate');
    fs.renameSync(tmp, output);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** A real table, not a view over staging: the store reads it more than once. */
async function writeStore(conn: DuckDBConnection, dict: TripDictionary, ws: Workspace, source: string, rows: number, ctx: JobContext): Promise<void> {
  const onProgress = writeProgress(ctx, rows, 'preparing trips for the store');
  await runMonitored(conn, `CREATE OR REPLACE TABLE ${sqlIdent(TRIPS)} AS ${tripSelectSql(STAGING, dict)}`, { signal: ctx.signal, what: 'generate', onProgress });
  await conn.run(`DROP TABLE ${sqlIdent(STAGING)}`);
  const r = await appendTripsFromTable(conn, TRIPS, ws, { source, signal: ctx.signal, onProgress: writeProgress(ctx, rows, 'writing to the trip store') });
  ctx.log.info({ source, written: r.written, duplicates: r.duplicates, months: r.months }, 'generated trips stored');
  if (r.duplicates > 0) {
    // Ids are g<seed>-<index>: a second run with the same seed (whatever its drift or range) repeats them.
    ctx.log.warn({ source, duplicates: r.duplicates }, 'generated trip ids already in the store were skipped; use another seed for new trips');
  }
}
