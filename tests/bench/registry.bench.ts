/**
 * Registry speed, ours next to a real MLflow tracking server measured in the same run:
 *   - `search runs` with a metric and a param filter ordered by a metric (max_results 100), over
 *     `runs` runs in our SQLite store, and over the same first `mlflowRuns` runs in both our store and
 *     MLflow (same seeded runs, same query, same answer checked);
 *   - log-batch throughput of metrics (1,000 per request).
 *
 *   npx tsx tests/bench/registry.bench.ts [runs] [mlflowRuns]
 *
 * Loading runs into MLflow goes through its REST API (runs/create + runs/log-batch per run, ~13 runs/s
 * on this machine with 8 in flight), so the MLflow side uses 10,000 runs by default (13 minutes the
 * first time). The loaded experiment is kept on the server (tagged complete) and reused by later bench
 * runs with the same count and seed; pass a smaller mlflowRuns for a quicker first run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MlflowRestStore } from '../../src-main/engines/registry/mlflow-rest/store.js';
import * as sqliteRuns from '../../src-main/engines/registry/sqlite/runs.js';
import { SqliteRegistryStore } from '../../src-main/engines/registry/sqlite/store.js';
import type { LogBatchRequest, RegistryStore } from '../../src-main/engines/registry/types.js';
import { initWorkspace } from '../../src-main/platform/workspace.js';

export interface RegistryBenchOptions {
  /** Runs in our store for the main search; default 100,000. */
  runs?: number;
  /**
   * Runs loaded into MLflow (and into a second experiment of ours); default 10,000. The first load on a
   * server takes ~13 minutes (about 13 runs/s); later bench runs reuse it. 0 skips MLflow.
   */
  mlflowRuns?: number;
  /** Tracking URI of the MLflow server; default http://127.0.0.1:$MLFLOW_PORT (15000). */
  mlflowUri?: string;
  /** Timed repetitions of each query after a cold one (the median is reported); default 9. */
  repeats?: number;
  /** Batches of 1,000 metrics for the log-batch throughput; default 200 ours, 20 MLflow. */
  batches?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface SearchTiming {
  runs: number;
  matched_first_page: number;
  cold_ms: number;
  median_ms: number;
}

export interface RegistryBenchResult {
  filter: string;
  order_by: string;
  ours: { load_s: number; load_runs_per_s: number; api_runs_per_s: number; search: SearchTiming; search_at_mlflow_n: SearchTiming | null; log_batch_metrics_per_s: number };
  mlflow: { uri: string; load_s: number | null; reused: boolean; search: SearchTiming; log_batch_metrics_per_s: number } | null;
  /** Why there is no MLflow side (server not reachable), when there is none. */
  mlflow_error: string | null;
  /** MLflow's median search time over ours, on the same runs (target ≥ 10). */
  speedup_same_runs: number | null;
  /** Both stores returned the same first page (same run names in the same order). */
  same_answer: boolean | null;
  /** 1-minute load average during the run: other work on the machine slows both sides. */
  load_average: number;
}

export const FILTER = "metrics.rmse < 4 and params.model = 'mlp'";
export const ORDER_BY = 'metrics.rmse ASC';

/** mulberry32: the same seed gives the same runs in both stores. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = ['mlp', 'linear', 'gbm'];
const BASE_RMSE: Record<string, number> = { mlp: 3.6, linear: 4.6, gbm: 4.0 };
const START = Date.UTC(2024, 0, 1);

/** Run i of the seeded sequence: a name, a start time, three params and three metrics. */
function* seededRuns(seed: number, n: number): Generator<{ name: string; start: number; batch: LogBatchRequest }> {
  const rnd = prng(seed);
  for (let i = 0; i < n; i++) {
    const model = MODELS[Math.floor(rnd() * MODELS.length)]!;
    const rmse = Math.round((BASE_RMSE[model]! + (rnd() - 0.5) * 2) * 1e4) / 1e4;
    const start = START + i * 1000;
    yield {
      name: `run-${String(i).padStart(6, '0')}`,
      start,
      batch: {
        params: [
          { key: 'model', value: model },
          { key: 'lr', value: String([0.001, 0.003, 0.01, 0.03][Math.floor(rnd() * 4)]) },
          { key: 'layers', value: String(1 + Math.floor(rnd() * 4)) },
        ],
        metrics: [
          { key: 'rmse', value: rmse, timestamp: start + 500, step: 0 },
          { key: 'mae', value: Math.round(rmse * 0.7 * 1e4) / 1e4, timestamp: start + 500, step: 0 },
          { key: 'r2', value: Math.round((1 - rmse / 10) * 1e4) / 1e4, timestamp: start + 500, step: 0 },
        ],
      },
    };
  }
}

/**
 * Our side loads through the same run functions the store calls, 1,000 runs per transaction, so that
 * 100k runs take seconds rather than minutes; the per-run API rate is measured separately.
 */
function loadOurs(store: SqliteRegistryStore, experimentId: string, seed: number, n: number, log: (l: string) => void): number {
  const t0 = performance.now();
  const db = store.database;
  const it = seededRuns(seed, n);
  let done = 0;
  while (done < n) {
    db.transaction(() => {
      for (let k = 0; k < 1000 && done < n; k++, done++) {
        const r = it.next().value!;
        const run = sqliteRuns.createRun(db, { experiment_id: experimentId, run_name: r.name, start_time: r.start });
        sqliteRuns.logBatch(db, run.info.run_id, r.batch);
      }
    })();
    if (done % Math.max(1000, Math.floor(n / 10)) === 0) log(`  sqlite: loaded ${done.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} runs`);
  }
  return (performance.now() - t0) / 1000;
}

async function load(store: RegistryStore, experimentId: string, seed: number, n: number, concurrency: number, log: (l: string) => void): Promise<number> {
  const t0 = performance.now();
  const it = seededRuns(seed, n);
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let next = it.next(); !next.done; next = it.next()) {
      const r = next.value;
      const run = await store.createRun({ experiment_id: experimentId, run_name: r.name, start_time: r.start });
      await store.logBatch(run.info.run_id, r.batch);
      if (++done % Math.max(1, Math.floor(n / 10)) === 0) log(`  ${store.kind}: loaded ${done.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} runs`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function timeSearch(store: RegistryStore, experimentId: string, runs: number, repeats: number): Promise<{ timing: SearchTiming; names: string[] }> {
  const query = { experiment_ids: [experimentId], filter: FILTER, order_by: [ORDER_BY], max_results: 100 };
  const times: number[] = [];
  let names: string[] = [];
  for (let i = 0; i <= repeats; i++) {
    const t0 = performance.now();
    const page = await store.searchRuns(query);
    times.push(performance.now() - t0);
    names = page.items.map((r) => r.info.run_name);
  }
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  return { timing: { runs, matched_first_page: names.length, cold_ms: round(times[0]!), median_ms: round(median(times.slice(1))) }, names };
}

async function logBatchRate(store: RegistryStore, experimentId: string, batches: number): Promise<number> {
  const run = await store.createRun({ experiment_id: experimentId, run_name: 'log-batch-throughput' });
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: `m${i % 10}`, value: Math.sin(b * 1000 + i), timestamp: START + b, step: b * 100 + Math.floor(i / 10) }));
    await store.logBatch(run.info.run_id, { metrics });
  }
  return Math.round((batches * 1000) / ((performance.now() - t0) / 1000));
}

/** The bench experiment on MLflow, reused when a complete one with the same runs exists. */
async function mlflowExperiment(store: RegistryStore, name: string): Promise<{ id: string; reused: boolean }> {
  try {
    const e = await store.getExperimentByName(name);
    if (e.lifecycle_stage === 'active' && e.tags.some((t) => t.key === 'bench.complete' && t.value === 'true')) return { id: e.experiment_id, reused: true };
    // An incomplete load (interrupted bench) is set aside under another name.
    await store.renameExperiment(e.experiment_id, `${name}-incomplete-${Date.now()}`);
  } catch (e) {
    if ((e as { code?: string }).code !== 'RESOURCE_DOES_NOT_EXIST') throw e;
  }
  return { id: await store.createExperiment({ name }), reused: false };
}

/** The same seeded runs, query and log-batch on a real MLflow server. */
async function mlflowSide(uri: string, n: number, seed: number, repeats: number, batches: number, log: (l: string) => void) {
  const remote = new MlflowRestStore({ trackingUri: uri, timeoutMs: 300_000 });
  const { id, reused } = await mlflowExperiment(remote, `taxi-bench-search-${n}-seed${seed}`);
  let loadS: number | null = null;
  if (!reused) {
    log(`mlflow: loading ${n.toLocaleString('en-US')} runs into ${uri} through its REST API (8 at a time)…`);
    loadS = Math.round((await load(remote, id, seed, n, 8, log)) * 10) / 10;
    await remote.setExperimentTag(id, 'bench.complete', 'true');
  } else log(`mlflow: reusing the ${n.toLocaleString('en-US')} runs loaded by an earlier bench (experiment ${id})`);
  const ml = await timeSearch(remote, id, n, repeats);
  log(`mlflow: search over ${n.toLocaleString('en-US')} runs: median ${ml.timing.median_ms} ms (cold ${ml.timing.cold_ms} ms)`);
  const scratch = await remote.createExperiment({ name: `taxi-bench-log-batch-${Date.now()}` });
  const rate = await logBatchRate(remote, scratch, Math.max(1, Math.round(batches / 10)));
  await remote.deleteExperiment(scratch);
  log(`mlflow: log-batch ${rate.toLocaleString('en-US')} metrics/s`);
  return { uri, load_s: loadS, reused, search: ml.timing, names: ml.names, log_batch_metrics_per_s: rate };
}

export async function runRegistryBench(opts: RegistryBenchOptions = {}): Promise<RegistryBenchResult> {
  const log = opts.log ?? (() => {});
  const n = opts.runs ?? 100_000;
  const nMlflow = Math.min(opts.mlflowRuns ?? 10_000, n);
  const repeats = opts.repeats ?? 9;
  const seed = opts.seed ?? 7;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-registry-bench-'));
  const ours = new SqliteRegistryStore(initWorkspace(dir).workspace.paths);
  try {
    log(`ours: loading ${n.toLocaleString('en-US')} runs (3 params, 3 metrics each), 1,000 per transaction…`);
    const mainExp = await ours.createExperiment({ name: 'bench-main' });
    const loadS = loadOurs(ours, mainExp, seed, n, log);
    const apiExp = await ours.createExperiment({ name: 'bench-api-rate' });
    const apiN = 2000;
    const apiRate = Math.round(apiN / (await load(ours, apiExp, seed + 1, apiN, 1, () => undefined)));
    log(`ours: ${apiRate.toLocaleString('en-US')} runs/s through the store API (createRun + logBatch, one transaction each)`);
    const main = await timeSearch(ours, mainExp, n, repeats);
    log(`ours: search over ${n.toLocaleString('en-US')} runs: median ${main.timing.median_ms} ms (cold ${main.timing.cold_ms} ms)`);
    const oursRate = await logBatchRate(ours, mainExp, opts.batches ?? 200);
    log(`ours: log-batch ${oursRate.toLocaleString('en-US')} metrics/s`);

    let mlflow: Awaited<ReturnType<typeof mlflowSide>> | null = null;
    let mlflowError: string | null = null;
    let atN: Awaited<ReturnType<typeof timeSearch>> | null = null;
    let sameAnswer: boolean | null = null;
    if (nMlflow > 0) {
      const smallExp = await ours.createExperiment({ name: 'bench-same-as-mlflow' });
      loadOurs(ours, smallExp, seed, nMlflow, () => undefined);
      atN = await timeSearch(ours, smallExp, nMlflow, repeats);
      log(`ours: search over the ${nMlflow.toLocaleString('en-US')} runs MLflow gets: median ${atN.timing.median_ms} ms`);
      const uri = opts.mlflowUri ?? `http://127.0.0.1:${process.env.MLFLOW_PORT ?? 15000}`;
      try {
        mlflow = await mlflowSide(uri, nMlflow, seed, repeats, opts.batches ?? 200, log);
        sameAnswer = JSON.stringify(mlflow.names) === JSON.stringify(atN.names);
      } catch (e) {
        mlflowError = `${(e as { code?: string }).code ?? 'ERROR'}: ${(e as Error).message}`;
        log(`mlflow: no reference — ${mlflowError}`);
      }
    }
    return {
      filter: FILTER,
      order_by: ORDER_BY,
      ours: {
        load_s: Math.round(loadS * 10) / 10,
        load_runs_per_s: Math.round(n / loadS),
        api_runs_per_s: apiRate,
        search: main.timing,
        search_at_mlflow_n: atN?.timing ?? null,
        log_batch_metrics_per_s: oursRate,
      },
      mlflow: mlflow ? { uri: mlflow.uri, load_s: mlflow.load_s, reused: mlflow.reused, search: mlflow.search, log_batch_metrics_per_s: mlflow.log_batch_metrics_per_s } : null,
      mlflow_error: mlflowError,
      speedup_same_runs: mlflow && atN ? Math.round((mlflow.search.median_ms / atN.timing.median_ms) * 10) / 10 : null,
      same_answer: sameAnswer,
      load_average: Math.round(os.loadavg()[0]! * 10) / 10,
    };
  } finally {
    await ours.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The shape tests/bench/run.ts collects (declared here: importing run.ts would run every bench). */
interface BenchRow {
  bench: string;
  what: string;
  ours: number | null;
  reference: number | null;
  unit: string;
  ratio: number | null;
  target: string;
  note?: string;
}

/** Rows for `npm run bench`; quick mode uses 20,000 runs and 1,000 on the MLflow side. */
export async function benchRows(quick: boolean): Promise<BenchRow[]> {
  const r = await runRegistryBench(quick ? { runs: 20_000, mlflowRuns: 1_000, repeats: 5, batches: 50 } : {});
  const fmt = (x: number): string => x.toLocaleString('en-US');
  const ref = r.mlflow?.search.median_ms ?? null;
  const speedup = (ours: number): number | null => (ref === null ? null : Math.round((ref / ours) * 10) / 10);
  const why = r.mlflow_error ? `no MLflow reference: ${r.mlflow_error}` : `MLflow over ${fmt(r.mlflow!.search.runs)} runs; same answer: ${r.same_answer}`;
  const rows: BenchRow[] = [
    {
      bench: 'registry',
      what: `search runs (${r.filter}, order_by ${r.order_by}, 100 per page), ${fmt(r.ours.search.runs)} runs, ms`,
      ours: r.ours.search.median_ms,
      reference: ref,
      unit: 'ms',
      ratio: speedup(r.ours.search.median_ms),
      target: '≥ 10× faster than MLflow (ratio = MLflow time / ours)',
      note: why,
    },
    {
      bench: 'registry',
      what: `log-batch, 1,000 metrics per request, metrics/s`,
      ours: r.ours.log_batch_metrics_per_s,
      reference: r.mlflow?.log_batch_metrics_per_s ?? null,
      unit: 'metrics/s',
      ratio: r.mlflow ? Math.round((r.ours.log_batch_metrics_per_s / r.mlflow.log_batch_metrics_per_s) * 10) / 10 : null,
      target: 'reported (ratio = ours / MLflow)',
    },
  ];
  if (r.ours.search_at_mlflow_n) {
    rows.splice(1, 0, {
      bench: 'registry',
      what: `search runs, the same ${fmt(r.ours.search_at_mlflow_n.runs)} seeded runs on both sides, ms`,
      ours: r.ours.search_at_mlflow_n.median_ms,
      reference: ref,
      unit: 'ms',
      ratio: speedup(r.ours.search_at_mlflow_n.median_ms),
      target: '≥ 10× faster than MLflow (ratio = MLflow time / ours)',
      note: why,
    });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const runs = process.argv[2] ? Number(process.argv[2]) : undefined;
  const mlflowRuns = process.argv[3] ? Number(process.argv[3]) : undefined;
  const r = await runRegistryBench({ ...(runs ? { runs } : {}), ...(mlflowRuns !== undefined ? { mlflowRuns } : {}), log: (l) => console.log(l) });
  const fmt = (x: number): string => x.toLocaleString('en-US');
  console.log(`\nsearch runs: ${r.filter}, order_by ${r.order_by}, max_results 100`);
  console.log(`  ours   over ${fmt(r.ours.search.runs)} runs: ${r.ours.search.median_ms} ms median`);
  if (r.ours.search_at_mlflow_n && r.mlflow) {
    console.log(`  ours   over ${fmt(r.ours.search_at_mlflow_n.runs)} runs: ${r.ours.search_at_mlflow_n.median_ms} ms median`);
    console.log(`  MLflow over ${fmt(r.mlflow.search.runs)} runs: ${r.mlflow.search.median_ms} ms median (same runs, same answer: ${r.same_answer})`);
    console.log(`  speed-up on the same runs: ${r.speedup_same_runs}x — target ≥ 10x ${r.speedup_same_runs! >= 10 ? 'met' : 'NOT met'}`);
  }
  console.log(`log-batch: ours ${fmt(r.ours.log_batch_metrics_per_s)} metrics/s${r.mlflow ? `, MLflow ${fmt(r.mlflow.log_batch_metrics_per_s)} metrics/s` : ''}`);
  console.log(
    `loading runs: ours ${fmt(r.ours.load_runs_per_s)} runs/s in batches of 1,000, ${fmt(r.ours.api_runs_per_s)} runs/s one API call each${r.mlflow?.load_s ? `; MLflow ${fmt(Math.round(r.mlflow.search.runs / r.mlflow.load_s))} runs/s (8 concurrent)` : ''}`,
  );
  console.log(`machine load average: ${r.load_average} (other work slows both sides alike)`);
  console.log(JSON.stringify(r));
}
