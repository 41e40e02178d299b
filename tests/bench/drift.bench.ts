/**
 * Drift: our engine over 1M reference rows × 1M current rows × 12 columns (generated trips: undrifted vs
 * longer_trips), and side by side with the real Evidently (DataDriftPreset) on 100k rows of the same files
 * in the same run: time ratio and how many column verdicts (plus the dataset verdict) agree.
 *
 *   npx tsx tests/bench/drift.bench.ts [--quick]
 */
import os from 'node:os';
import path from 'node:path';
import { GenerateInputSchema } from '../../src-main/api/contract.js';
import { runGenerate } from '../../src-main/engines/data/generator/index.js';
import { runDrift } from '../../src-main/engines/monitoring/run-drift.js';
import { openEngineDb, sqlString } from '../../src-main/platform/duckdb.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { compare, evidentlyPython, exportSides, runEvidently } from '../integration/monitoring-evidently.js';
import { tempWorkspace } from '../helpers/workspace.js';
import type { BenchRow } from './run.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchRows(quick: boolean): Promise<BenchRow[]> {
  const rows = quick ? 200_000 : 1_000_000;
  const sideRows = 100_000;
  const { workspace: ws, dir, cleanup } = tempWorkspace('taxi-bench-drift-');
  try {
    const ctx = inlineContext(ws, silentLogger());
    const ref = path.join(dir, 'ref.parquet');
    const cur = path.join(dir, 'cur.parquet');
    await runGenerate(GenerateInputSchema.parse({ rows, seed: 101, drift: 'none', output: ref }), ctx);
    await runGenerate(GenerateInputSchema.parse({ rows, seed: 202, drift: 'longer_trips', output: cur }), ctx);
    const times: number[] = [];
    const cpu: number[] = [];
    let report = await runDrift(ws, { reference: { file: ref }, current: { file: cur }, save: false });
    for (let i = 0; i < (quick ? 2 : 3); i++) {
      const t0 = performance.now();
      // CPU of every thread of the process (DuckDB's included): wall time above cpu / cores means the machine was busy elsewhere.
      const c0 = process.cpuUsage();
      report = await runDrift(ws, { reference: { file: ref }, current: { file: cur }, save: false });
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      times.push(performance.now() - t0);
    }
    const big = median(times);

    // 100k rows of each for the side-by-side run.
    const ref100 = path.join(dir, 'ref100k.parquet');
    const cur100 = path.join(dir, 'cur100k.parquet');
    const db = await openEngineDb(ws);
    try {
      await db.conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(ref)}) LIMIT ${sideRows}) TO ${sqlString(ref100)} (FORMAT parquet)`);
      await db.conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(cur)}) LIMIT ${sideRows}) TO ${sqlString(cur100)} (FORMAT parquet)`);
    } finally {
      db.close();
    }
    const oursTimes: number[] = [];
    let small = await runDrift(ws, { reference: { file: ref100 }, current: { file: cur100 }, save: false });
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      small = await runDrift(ws, { reference: { file: ref100 }, current: { file: cur100 }, save: false });
      oursTimes.push(performance.now() - t0);
    }
    const ours100 = median(oursTimes);
    let evidentlyRow: BenchRow;
    try {
      const python = evidentlyPython();
      const tested = small.columns.filter((c) => c.skipped === null);
      const sides = await exportSides(ws, { file: ref100 }, { file: cur100 }, dir, tested.map((c) => c.column));
      const theirs = runEvidently(python, { reference: sides.ref, current: sides.cur, numerical: sides.numerical, categorical: sides.categorical, drift_share: 0.5 });
      const a = compare({ ...small, columns: tested }, theirs);
      const evMs = theirs.seconds * 1000;
      evidentlyRow = {
        bench: 'drift',
        what: `drift vs Evidently DataDriftPreset, ${sideRows.toLocaleString('en-US')} × ${sideRows.toLocaleString('en-US')} rows × ${tested.length} columns, ms (Evidently: report.run only, data already in pandas)`,
        ours: Math.round(ours100),
        reference: Math.round(evMs),
        unit: 'ms',
        ratio: Math.round((evMs / ours100) * 10) / 10,
        target: '≥ 10× faster; same verdict for every column and the dataset',
        note: `agreement: ${a.verdicts}/${a.columns} column verdicts, ${a.scores}/${a.columns} scores within 1e-6, dataset ${a.dataset ? 'same' : 'DIFFERENT'}${a.mismatches.length ? `; ${a.mismatches.join('; ')}` : ''}`,
      };
    } catch (e) {
      evidentlyRow = { bench: 'drift', what: 'drift vs Evidently, 100k rows', ours: Math.round(ours100), reference: null, unit: 'ms', ratio: null, target: '≥ 10× faster', note: `Evidently not run: ${(e as Error).message.slice(0, 300)}` };
    }
    const cols = report.columns.length;
    return [
      {
        bench: 'drift',
        what: `drift over ${rows.toLocaleString('en-US')} reference × ${rows.toLocaleString('en-US')} current rows × ${cols} columns (Parquet → verdicts), ms`,
        ours: Math.round(big),
        reference: null,
        unit: 'ms',
        ratio: null,
        target: '≤ 1,000 ms',
        note: `scan+group ${report.timings.load_ms} ms + tests ${report.timings.columns_ms} ms; CPU ${Math.round(median(cpu))} ms over ${os.availableParallelism()} cores, load average ${os.loadavg()[0]!.toFixed(1)}; drifted: ${report.columns.filter((c) => c.drifted).map((c) => c.column).join(', ') || 'none'}`,
      },
      evidentlyRow,
    ];
  } finally {
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchRows(process.argv.includes('--quick'))
    .then((r) => console.log(JSON.stringify(r, null, 1)))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
