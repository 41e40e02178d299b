/**
 * Our drift engine against the real Evidently (pip, in its own venv via scripts/services/evidently.sh) on
 * the same data: the real trip sample as reference, generated windows (with and without a named drift) as
 * current; a large reference (the whole sample, > 1,000 rows: Wasserstein / Jensen–Shannon) and small
 * ones (≤ 1,000 rows: KS / chi-square / Z). Same verdict for every column and for the dataset; scores
 * within 1e-6 relative (or 1e-12 absolute for p-values that underflow towards 0).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateInputSchema, ImportInputSchema } from '../../src-main/api/contract.js';
import { importTrips } from '../../src-main/engines/data/import.js';
import { runGenerate } from '../../src-main/engines/data/generator/index.js';
import { runDrift } from '../../src-main/engines/monitoring/run-drift.js';
import type { DataSource } from '../../src-main/engines/monitoring/sources.js';
import { openEngineDb, sqlString } from '../../src-main/platform/duckdb.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { tempWorkspace } from '../helpers/workspace.js';
import { compare, evidentlyPython, exportSides, runEvidently } from './monitoring-evidently.js';

const SAMPLE = path.resolve(import.meta.dirname, '../../resources/data/chicago_taxi_trips_sample.csv');

describe('drift verdicts agree with Evidently', () => {
  let ws: Workspace;
  let cleanup: () => void;
  let dir: string;
  let python: string;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    python = evidentlyPython();
    ({ workspace: ws, cleanup, dir } = tempWorkspace('taxi-mon-evidently-'));
    const ctx = inlineContext(ws, silentLogger());
    await importTrips(ImportInputSchema.parse({ path: SAMPLE }), ctx);
    const gen = async (name: string, rows: number, drift: string, seed: number): Promise<void> => {
      files[name] = path.join(dir, `${name}.parquet`);
      await runGenerate(GenerateInputSchema.parse({ rows, seed, drift, output: files[name] }), ctx);
    };
    await gen('longer', 20_000, 'longer_trips', 11);
    await gen('night', 3_000, 'night_shift', 12);
    await gen('airport', 900, 'airport_surge', 13);
    await gen('same', 900, 'none', 14);
    await gen('same_large', 20_000, 'none', 15);
    // A small reference: 800 trips of the sample (≤ 1,000 values per column → the hypothesis tests).
    const db = await openEngineDb(ws);
    try {
      files.small_ref = path.join(dir, 'small_ref.parquet');
      const { tripStoreRelation } = await import('../../src-main/engines/data/store.js');
      await db.conn.run(`COPY (SELECT * FROM ${tripStoreRelation(ws)} ORDER BY trip_id LIMIT 800) TO ${sqlString(files.small_ref)} (FORMAT parquet)`);
    } finally {
      db.close();
    }
  }, 600_000);

  afterAll(() => cleanup?.());

  const cases: { name: string; ref: () => DataSource; cur: () => DataSource; expectDrift?: boolean; methods?: Record<string, string> }[] = [
    { name: 'large reference (sample) vs longer_trips window', ref: () => ({}), cur: () => ({ file: files.longer! }) },
    { name: 'large reference (sample) vs undrifted window', ref: () => ({}), cur: () => ({ file: files.same_large! }) },
    { name: 'small reference (800 trips) vs night_shift window (3,000)', ref: () => ({ file: files.small_ref! }), cur: () => ({ file: files.night! }) },
    { name: 'small reference (800 trips) vs airport_surge window (900)', ref: () => ({ file: files.small_ref! }), cur: () => ({ file: files.airport! }) },
    { name: 'small reference (800 trips) vs undrifted window (900)', ref: () => ({ file: files.small_ref! }), cur: () => ({ file: files.same! }) },
    {
      name: 'per-column PSI, KL, KS and chi-square on the large reference',
      ref: () => ({}),
      cur: () => ({ file: files.longer! }),
      methods: { trip_features__trip_distance: 'psi', trip_features__trip_seconds: 'kl_div', fare_amount: 'ks', trip_features__payment_type: 'chisquare', trip_features__company: 'psi', trip_features__pickup_hour: 'kl_div' },
    },
  ];

  for (const tc of cases) {
    it(tc.name, async () => {
      const reference = tc.ref();
      const current = tc.cur();
      const ours = await runDrift(ws, { reference, current, methods: tc.methods as never, save: false });
      const tested = ours.columns.filter((c) => c.skipped === null);
      const sides = await exportSides(ws, reference, current, dir, tested.map((c) => c.column));
      const theirs = runEvidently(python, {
        reference: sides.ref,
        current: sides.cur,
        numerical: sides.numerical,
        categorical: sides.categorical,
        drift_share: 0.5,
        per_column_method: tc.methods,
      });
      const a = compare({ ...ours, columns: tested }, theirs);
      expect(a.mismatches).toEqual([]);
      expect(a.verdicts).toBe(tested.length);
      console.log(`${tc.name}: ${a.verdicts}/${tested.length} verdicts, ${a.scores} scores, dataset ${a.dataset}; Evidently ${theirs.seconds.toFixed(2)} s, ours ${ours.duration_ms} ms`);
      expect(tested.length).toBeGreaterThanOrEqual(10);
      expect(a.dataset).toBe(true);
    }, 600_000);
  }
});

