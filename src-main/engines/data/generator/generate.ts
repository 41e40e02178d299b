/** Pure generation: batches of synthetic trips from a calibration, no I/O. */
import type { DriftName } from '../../../api/contract.js';
import type { TripBatch } from './batch.js';
import { defaultCalibration, type Calibration } from './calibration.js';
import { TripModel } from './model.js';

export interface GenerateRequest {
  rows: number;
  seed: number;
  drift?: DriftName | undefined;
  start?: string | undefined;
  end?: string | undefined;
}

export interface BatchOptions {
  /** Rows per batch; the rows themselves do not depend on it. */
  batchSize?: number;
  /**
   * Refill one buffer instead of allocating a batch per step: faster, but a batch is only valid until
   * the next one is drawn.
   */
  reuse?: boolean;
}

export const DEFAULT_BATCH_SIZE = 65_536;

export function tripModelOf(req: GenerateRequest, calibration: Calibration = defaultCalibration()): TripModel {
  return new TripModel(calibration, { seed: req.seed, drift: req.drift ?? 'none', start: req.start, end: req.end });
}

/** Batches covering rows 0..rows-1 in order. */
export function* generateTrips(req: GenerateRequest, calibration: Calibration = defaultCalibration(), opts: BatchOptions = {}): Generator<TripBatch> {
  yield* batchesOf(tripModelOf(req, calibration), req.rows, opts);
}

export function* batchesOf(model: TripModel, rows: number, opts: BatchOptions = {}, seenMonths?: Uint8Array): Generator<TripBatch> {
  const size = Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_BATCH_SIZE));
  let buffer: TripBatch | undefined;
  for (let start = 0; start < rows; start += size) {
    const n = Math.min(size, rows - start);
    const batch = opts.reuse ? (buffer ??= model.allocate(size)) : model.allocate(n);
    model.fill(batch, start, n, seenMonths);
    yield batch;
  }
}
