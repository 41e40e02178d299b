/**
 * Running the real Evidently (its own venv, scripts/services/evidently.sh) on the data our drift engine
 * compared, and comparing the two results; shared by the cross-check test and the drift bench.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { resolveSource, sharedColumns, type DataSource } from '../../src-main/engines/monitoring/sources.js';
import type { DriftReport } from '../../src-main/engines/monitoring/reports.js';
import { openEngineDb, sqlIdent, sqlString } from '../../src-main/platform/duckdb.js';
import type { Workspace } from '../../src-main/platform/workspace.js';

const REPO = path.resolve(import.meta.dirname, '../..');
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

