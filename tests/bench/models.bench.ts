/**
 * Models: training time and quality on the real sample, and online prediction latency.
 *
 *   1. The real sample (resources/data) imported and transformed in a temp workspace; the linear model
 *      and the MLP trained by the `models.train` code path (retrieval, encoding, fit, evaluation, logging
 *      and registration into the embedded registry). Reported: wall time, RMSE / MAE / R² of both models
 *      and of predicting the training mean on the same evaluation slice (the latest 20% of trips).
 *   2. The sample materialized into the SQLite online store; the predictor (champion = the MLP) predicts
 *      real trips from their online features: single requests (p50/p99 over N sequential calls, also
 *      through the contract's dispatch) and batches of 1,000 trips.
 *
 *   npx tsx tests/bench/models.bench.ts [--quick]
 */
import { dispatch } from '../../src-main/api/dispatch.js';
import type { TrainResult } from '../../src-main/api/methods/models.js';
import { importTrips } from '../../src-main/engines/data/import.js';
import { materialize } from '../../src-main/engines/features/materialize.js';
import { openOnlineStore } from '../../src-main/engines/features/online/index.js';
import { transformFeatures } from '../../src-main/engines/features/transform.js';
import { Predictor } from '../../src-main/engines/models/predictor.js';
import { referenceFromRegistry } from '../../src-main/engines/models/reference.js';
import { trainModel } from '../../src-main/engines/models/train.js';
import { openRegistryStore } from '../../src-main/engines/registry/index.js';
import { openEngineDb, queryRows, sqlString } from '../../src-main/platform/duckdb.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { resourcePath } from '../../src-main/platform/resources.js';
import { openServices } from '../../src-main/platform/services.js';
import { tempWorkspace } from '../helpers/workspace.js';
import type { BenchRow } from './run.js';

const r2 = (x: number): number => Math.round(x * 100) / 100;
const r3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);

function percentiles(xs: number[]): { p50: number; p99: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export interface ModelsBenchResult {
  linear: TrainResult;
  mlp: TrainResult;
  linear_s: number;
  mlp_s: number;
  single: { p50: number; p99: number; mean: number; n: number };
  /** p99 of an interleaved 0.08 ms busy loop: scheduling noise of the machine. */
  spin: { p50: number; p99: number; mean: number };
  single_dispatch: { p50: number; p99: number; mean: number; n: number };
  batch: { median_ms: number; rounds: number; per_prediction_us: number };
  present_share: number;
}

export async function runModelsBench(o: { quick?: boolean } = {}): Promise<ModelsBenchResult> {
  const quick = o.quick ?? false;
  const t = tempWorkspace('taxi-models-bench-');
  const ws = t.workspace;
  const ctx = inlineContext(ws, silentLogger());
  try {
    await importTrips({ path: resourcePath('data', 'chicago_taxi_trips_sample.csv'), layout: 'auto', source: 'tfx-sample' }, ctx);
    await transformFeatures({}, ctx);

    let t0 = performance.now();
    const linear = await trainModel({ algorithm: 'linear' }, ctx);
    const linear_s = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const mlp = await trainModel({ algorithm: 'mlp', epochs: quick ? 10 : 40, alias: 'champion' }, ctx);
    const mlp_s = (performance.now() - t0) / 1000;

    // Online store with the sample; requests are the latest evaluation trips, read "as of" their pickup.
    await materialize({ start: '2013-01-01T00:00:00Z', end: '2017-01-01T00:00:00Z' }, ctx);
    const registry = await openRegistryStore(ws);
    const store = await openOnlineStore(ws);
    try {
      const ref = await referenceFromRegistry(registry, ws, 'chicago_taxi_fare', mlp.version);
      const db = await openEngineDb(ws, { threads: 1, memoryLimit: '256MB' });
      const trips = await queryRows<{ trip_id: string; taxi_id: string; area: number | null; ts: Date }>(
        db.conn,
        `SELECT trip_id, taxi_id, trip_features__pickup_community_area AS area, event_timestamp AS ts FROM read_parquet(${sqlString(ref.evalParquet)}) ORDER BY event_timestamp DESC LIMIT 1000`,
      );
      db.close();
      const asOf = trips[0]!.ts.getTime() + 60_000;
      const predictor = new Predictor({ registry, store, config: ws.config, workspace: ws, now: () => asOf });
      const requests = trips.map((x) => ({ trip_id: x.trip_id, taxi_id: x.taxi_id, ...(x.area !== null ? { pickup_community_area: x.area } : {}) }));
      const warm = await predictor.predict({ requests: requests.slice(0, 10) });
      const statuses = warm.predictions.flatMap((p) => Object.values(p.feature_statuses));
      const present_share = statuses.filter((x) => x === 'PRESENT').length / statuses.length;

      const n = quick ? 1000 : 5000;
      const single: number[] = [];
      // Interleaved with the predictions: a pure busy loop of about their median length. Its p99 is what
      // the machine's scheduler alone does to a call that short (a loaded 2-core box preempts often).
      const spin: number[] = [];
      for (let i = 0; i < n; i++) {
        const req = requests[i % requests.length]!;
        const s0 = performance.now();
        await predictor.predict({ requests: [req] });
        const took = performance.now() - s0;
        single.push(took);
        const s1 = performance.now();
        while (performance.now() - s1 < 0.08);
        spin.push(performance.now() - s1);
      }
      const rounds = quick ? 5 : 20;
      const batches: number[] = [];
      for (let k = 0; k < rounds; k++) {
        const s0 = performance.now();
        await predictor.predict({ requests });
        batches.push(performance.now() - s0);
      }
      batches.sort((a, b) => a - b);
      const batchMedian = batches[Math.floor(batches.length / 2)]!;

      // Through the contract (input parsed by zod at the boundary, then the app's predictor).
      const s = await openServices({ workspace: ws.paths.root, mode: 'cli' });
      const viaDispatch: number[] = [];
      try {
        await dispatch(s, 'models.predict', { requests: [requests[0]!] });
        for (let i = 0; i < n; i++) {
          const s0 = performance.now();
          const res = await dispatch(s, 'models.predict', { requests: [requests[i % requests.length]!] });
          viaDispatch.push(performance.now() - s0);
          if (!res.ok) throw new Error(res.error.message);
        }
      } finally {
        await s.close();
      }
      return {
        linear,
        mlp,
        linear_s,
        mlp_s,
        single: { ...percentiles(single), n },
        spin: percentiles(spin),
        single_dispatch: { ...percentiles(viaDispatch), n },
        batch: { median_ms: batchMedian, rounds, per_prediction_us: (batchMedian / requests.length) * 1000 },
        present_share,
      };
    } finally {
      await store.close();
      await registry.close();
    }
  } finally {
    t.cleanup();
  }
}

export async function benchRows(quick: boolean): Promise<BenchRow[]> {
  const r = await runModelsBench({ quick });
  const q = (t: TrainResult, name: string): BenchRow[] => [
    { bench: 'models', what: `${name} on the real sample: RMSE on the latest 20% (${t.rows.eval.toLocaleString('en-US')} trips)`, ours: r3(t.metrics.rmse), reference: r3(t.baseline.rmse), unit: '$', ratio: r3(t.metrics.rmse! / t.baseline.rmse!), target: 'reference: predicting the training mean; ratio = RMSE / baseline RMSE (lower is better)' },
    { bench: 'models', what: `${name}: MAE`, ours: r3(t.metrics.mae), reference: r3(t.baseline.mae), unit: '$', ratio: r3(t.metrics.mae! / t.baseline.mae!), target: 'reference: predicting the training mean' },
    { bench: 'models', what: `${name}: R²`, ours: r3(t.metrics.r2), reference: r3(t.baseline.r2), unit: '', ratio: null, target: 'reference: predicting the training mean' },
  ];
  return [
    ...q(r.linear, 'Linear (ridge)'),
    ...q(r.mlp, `MLP ${r.mlp.epochs_run} epochs`),
    { bench: 'models', what: `Train linear on the real sample (${r.linear.rows.train.toLocaleString('en-US')} trips): retrieval, fit, evaluation, logging, registration`, ours: r2(r.linear_s), reference: null, unit: 's', ratio: null, target: 'reported' },
    { bench: 'models', what: `Train MLP (tfjs wasm) on the real sample, ${r.mlp.epochs_run} epochs with early stopping, same steps`, ours: r2(r.mlp_s), reference: null, unit: 's', ratio: null, target: 'reported' },
    {
      bench: 'models',
      what: `Single prediction with online features (SQLite, 3 views, 17 features), p50 over ${r.single.n.toLocaleString('en-US')} requests`,
      ours: r3(r.single.p50),
      reference: null,
      unit: 'ms',
      ratio: null,
      target: 'reported',
      note: `${Math.round(r.present_share * 100)}% of feature values PRESENT`,
    },
    {
      bench: 'models',
      what: 'Single prediction with online features, p99',
      ours: r3(r.single.p99),
      reference: 2,
      unit: 'ms',
      ratio: r2(r.single.p99 / 2),
      target: 'p99 ≤ 2 ms embedded (ratio ≤ 1)',
      note: `an interleaved 0.08 ms busy loop measured p99 ${r3(r.spin.p99)} ms in the same run (machine noise)`,
    },
    { bench: 'models', what: 'Single prediction through the contract (models.predict via dispatch), p99', ours: r3(r.single_dispatch.p99), reference: 2, unit: 'ms', ratio: r2(r.single_dispatch.p99 / 2), target: 'p99 ≤ 2 ms embedded (ratio ≤ 1)', note: `p50 ${r3(r.single_dispatch.p50)} ms` },
    { bench: 'models', what: `Batch of 1,000 predictions with online features (median of ${r.batch.rounds})`, ours: r2(r.batch.median_ms), reference: null, unit: 'ms', ratio: null, target: 'reported', note: `${r2(r.batch.per_prediction_us)} µs per prediction` },
  ];
}

if (process.argv[1]?.endsWith('models.bench.ts')) {
  const quick = process.argv.includes('--quick');
  const rows = await benchRows(quick);
  for (const row of rows) process.stdout.write(`${row.what}: ${row.ours} ${row.unit}${row.reference !== null ? ` (reference ${row.reference}, ratio ${row.ratio})` : ''}${row.note ? ` — ${row.note}` : ''}\n`);
}
