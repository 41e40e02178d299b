/**
 * Our drift engine against the real Evidently (pip, in its own venv via scripts/services/evidently.sh) on
 * the same data: the real trip sample as reference, generated windows (with and without a named drift) as
 * current; a large reference (the whole sample, > 1,000 rows: Wasserstein / Jensen–Shannon) and small
 * ones (≤ 1,000 rows: KS / chi-square / Z). Same verdict for every column and for the dataset; scores
 * within 1e-6 relative (or 1e-12 absolute for p-values that underflow towards 0).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateInputSchema, ImportInputSchema } from '../../src-main/api/contract.js';
import { importTrips } from '../../src-main/engines/data/import.js';
import { runGenerate } from '../../src-main/engines/data/generator/index.js';
import { runDrift } from '../../src-main/engines/monitoring/run-drift.js';
import { resolveSource, sharedColumns, type DataSource } from '../../src-main/engines/monitoring/sources.js';
import type { DriftReport } from '../../src-main/engines/monitoring/reports.js';
import { openEngineDb, sqlIdent, sqlString } from '../../src-main/platform/duckdb.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { tempWorkspace } from '../helpers/workspace.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const SAMPLE = path.join(REPO, 'resources/data/chicago_taxi_trips_sample.csv');
const SCRIPT = path.join(REPO, 'tests/integration/monitoring-evidently.py');

export interface EvidentlyResult {
  columns: Record<string, { method: string; threshold: number; score: number; drifted: boolean }>;
  dataset: { count: number; share: number; drift: boolean };
  seconds: number;
}

/** The venv's python (installs Evidently on first use). */
export function evidentlyPython(): string {
  return execFileSync('bash', [path.join(REPO, 'scripts/services/evidently.sh'), 'python'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** Writes what our engine compared (both sides' monitored columns) to Parquet so Evidently reads the same values. */
export async function exportSides(ws: Workspace, reference: DataSource, current: DataSource, dir: string, only?: readonly string[]): Promise<{ ref: string; cur: string; numerical: string[]; categorical: string[] }> {
  const db = await openEngineDb(ws);
  try {
    const r = await resolveSource(ws, reference, 'reference');
    const c = await resolveSource(ws, current, 'current');
    // Columns with no values on a side are reported as not tested by us and make Evidently stop; leave them out.
    const cols = (await sharedColumns(ws, db.conn, r.sql, c.sql)).filter((x) => !only || only.includes(x.name));
    const sel = cols.map((x) => sqlIdent(x.name)).join(', ');
    const ref = path.join(dir, `ref-${Math.random().toString(36).slice(2)}.parquet`);
    const cur = path.join(dir, `cur-${Math.random().toString(36).slice(2)}.parquet`);
    await db.conn.run(`COPY (SELECT ${sel} FROM ${r.sql}) TO ${sqlString(ref)} (FORMAT parquet)`);
    await db.conn.run(`COPY (SELECT ${sel} FROM ${c.sql}) TO ${sqlString(cur)} (FORMAT parquet)`);
    return { ref, cur, numerical: cols.filter((x) => x.type === 'numerical').map((x) => x.name), categorical: cols.filter((x) => x.type === 'categorical').map((x) => x.name) };
  } finally {
    db.close();
  }
}

export function runEvidently(python: string, spec: { reference: string; current: string; numerical: string[]; categorical: string[]; drift_share?: number; per_column_method?: Record<string, string> }): EvidentlyResult {
  const out = execFileSync(python, [SCRIPT, JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as EvidentlyResult;
}

/** Evidently's display names of the tests, by our names. */
export const EVIDENTLY_METHOD: Record<string, string> = {
  ks: 'K-S p_value',
  wasserstein: 'Wasserstein distance (normed)',
  jensenshannon: 'Jensen-Shannon distance',
  psi: 'PSI',
  kl_div: 'Kullback-Leibler divergence',
  chisquare: 'chi-square p_value',
  z: 'Z-test p_value',
};

export interface Agreement {
  columns: number;
  verdicts: number;
  methods: number;
  scores: number;
  dataset: boolean;
  mismatches: string[];
}

export function compare(ours: DriftReport, theirs: EvidentlyResult): Agreement {
  const a: Agreement = { columns: 0, verdicts: 0, methods: 0, scores: 0, dataset: ours.dataset.drift === theirs.dataset.drift, mismatches: [] };
  for (const c of ours.columns) {
    const t = theirs.columns[c.column];
    a.columns++;
    if (!t) {
      a.mismatches.push(`${c.column}: missing in Evidently's result`);
      continue;
    }
    if (t.drifted === c.drifted) a.verdicts++;
    else a.mismatches.push(`${c.column}: verdict ours ${c.drifted} (${c.method} ${c.score}) vs Evidently ${t.drifted} (${t.method} ${t.score})`);
    // Evidently names a test it picked by its title, one it was told to use by the name it was given.
    if (EVIDENTLY_METHOD[c.method!] === t.method || c.method === t.method) a.methods++;
    else a.mismatches.push(`${c.column}: method ours ${c.method} vs Evidently ${t.method}`);
    const s = c.score!;
    const close = Math.abs(s - t.score) <= 1e-6 * Math.max(Math.abs(s), Math.abs(t.score)) || (c.score_kind === 'p_value' && Math.abs(s - t.score) < 1e-12);
    if (close) a.scores++;
    else a.mismatches.push(`${c.column}: score ours ${s} vs Evidently ${t.score} (${c.method})`);
  }
  if (!a.dataset) a.mismatches.push(`dataset: ours ${ours.dataset.drift} (${ours.dataset.share}) vs Evidently ${theirs.dataset.drift} (${theirs.dataset.share})`);
  return a;
}

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
    }, 300_000);
  }
});

