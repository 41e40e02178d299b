/**
 * The demo's model stages: train the linear baseline and the MLP from the feature store (two jobs side
 * by side), register both, point `champion` at the one with the lower evaluation RMSE and `challenger` at
 * the other, then predict a recent trip through the A/B router from its online features.
 */
import type { Job } from '../api/contract.js';
import type { TrainResult } from '../api/methods/models.js';
import { referenceOf } from '../engines/models/reference.js';
import { modelsConfigOf } from '../engines/models/config.js';
import { openEngineDb, queryRows, sqlString } from '../platform/duckdb.js';
import { AppError } from '../platform/errors.js';
import type { Services } from '../platform/services.js';
import { call, followJob } from './follow.js';

export const MODEL_DEMO_STEPS = 2;

export interface ModelDemoOptions {
  /** Trips sampled for training; both models get the same sample, so the same evaluation slice. */
  maxRows: number;
  epochs: number;
}

export const MODEL_DEMO_DEFAULTS: ModelDemoOptions = { maxRows: 40_000, epochs: 8 };

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v.toFixed(3));

async function finish(s: Services, job: Job): Promise<TrainResult> {
  const done = await followJob(s, job);
  if (done.status !== 'succeeded') throw new AppError((done.error?.code ?? 'INTERNAL') as never, `${done.title}: ${done.error?.message ?? done.status}`);
  return done.result as TrainResult;
}

export async function runModelDemo(s: Services, first: number, step: (n: number, text: string) => void, print: (line: string) => void, o: ModelDemoOptions = MODEL_DEMO_DEFAULTS): Promise<void> {
  const t = performance.now();
  const linearJob = await call(s, 'models.train', { algorithm: 'linear', max_rows: o.maxRows });
  const mlpJob = await call(s, 'models.train', { algorithm: 'mlp', max_rows: o.maxRows, epochs: o.epochs, batch_size: 512, patience: 3 });
  const [linear, mlp] = await Promise.all([finish(s, linearJob), finish(s, mlpJob)]);
  const name = linear.registered_model;
  const { champion_alias, challenger_alias } = modelsConfigOf(s.workspace.config).serving;
  const [best, other] = (mlp.metrics.rmse ?? Infinity) <= (linear.metrics.rmse ?? Infinity) ? [mlp, linear] : [linear, mlp];
  await call(s, 'registry.aliases.set', { name, alias: champion_alias, version: best.version });
  await call(s, 'registry.aliases.set', { name, alias: challenger_alias, version: other.version });
  step(first, `trained and registered ${name} in ${((performance.now() - t) / 1000).toFixed(1)} s, both on the same ${o.maxRows.toLocaleString('en-US')}-trip sample (evaluated on its latest 20%):`);
  for (const r of [linear, mlp]) {
    const role = r === best ? champion_alias : challenger_alias;
    print(`    v${r.version} ${r.algorithm.padEnd(6)} ${role.padEnd(10)} RMSE ${fmt(r.metrics.rmse)}  MAE ${fmt(r.metrics.mae)}  R² ${fmt(r.metrics.r2)}  (${r.rows.train.toLocaleString('en-US')} train / ${r.rows.eval.toLocaleString('en-US')} eval trips, ${(r.duration_ms / 1000).toFixed(1)} s${r.algorithm === 'mlp' ? `, ${r.epochs_run} epochs` : ''})`);
  }
  print(`    predicting the training mean: RMSE ${fmt(linear.baseline.rmse)}  MAE ${fmt(linear.baseline.mae)}  R² ${fmt(linear.baseline.r2)}`);

  // A recent trip of the evaluation set: its features are in the online store.
  const ref = await referenceOf(s, name, best.version);
  const db = await openEngineDb(s.workspace, { threads: 1, memoryLimit: '256MB' });
  let trip: { trip_id: string; taxi_id: string; area: number | null; fare_amount: number } | undefined;
  try {
    [trip] = await queryRows<{ trip_id: string; taxi_id: string; area: number | null; fare_amount: number }>(
      db.conn,
      `SELECT trip_id, taxi_id, trip_features__pickup_community_area AS area, fare_amount FROM read_parquet(${sqlString(ref.evalParquet)}) WHERE trip_features__pickup_community_area IS NOT NULL ORDER BY event_timestamp DESC LIMIT 1`,
    );
  } finally {
    db.close();
  }
  if (!trip) return;
  const r = await call(s, 'models.predict', { requests: [{ trip_id: trip.trip_id, taxi_id: trip.taxi_id, ...(trip.area !== null ? { pickup_community_area: trip.area } : {}) }] });
  const p = r.predictions[0]!;
  const statuses = Object.values(p.feature_statuses);
  const present = statuses.filter((x) => x === 'PRESENT').length;
  step(first + 1, `prediction for trip ${p.trip_id} (taxi ${trip.taxi_id}): $${p.prediction.toFixed(2)} by v${p.model_version} (${p.variant ?? 'latest'}); actual fare $${trip.fare_amount.toFixed(2)}; ${present}/${statuses.length} features PRESENT online; ${r.latency_ms.toFixed(2)} ms`);
}
