/**
 * The HTTP server under concurrent load on loopback: autocannon against `taxi-mlops serve` (a child
 * process) for Feast's online read, an MLflow run search and a prediction. Reports throughput, p50/p99,
 * failed requests (must be 0) and the server's RSS before and after. No reference: the targets are
 * "no request fails" and "memory stays bounded".
 *
 *   npx tsx tests/bench/load.bench.ts [--quick]
 */
import { tempWorkspace } from '../helpers/workspace.js';
import { loadTargets, materializeVia, prepareLoadWorkspace, runLoad, startServeChild, type LoadResult } from '../load/harness.js';
import type { BenchRow } from './run.js';

export interface LoadBenchResult {
  connections: number;
  duration_s: number;
  results: LoadResult[];
  rss_before_mib: number;
  rss_after_mib: number;
}

export async function runLoadBench(o: { connections: number; durationS: number }): Promise<LoadBenchResult> {
  const t = tempWorkspace('taxi-load-bench-');
  try {
    const w = await prepareLoadWorkspace(t.workspace, 300);
    const srv = await startServeChild(w.root);
    try {
      await materializeVia(srv.url);
      const targets = loadTargets(w);
      // Warm-up: models loaded, statements prepared, JIT settled; RSS is read after it.
      for (const target of targets) await runLoad(srv.url, target, { connections: o.connections, durationS: 2 });
      const rssBefore = srv.rssMiB();
      const results: LoadResult[] = [];
      for (const target of targets) results.push(await runLoad(srv.url, target, o));
      return { connections: o.connections, duration_s: o.durationS, results, rss_before_mib: Math.round(rssBefore), rss_after_mib: Math.round(srv.rssMiB()) };
    } finally {
      await srv.stop();
    }
  } finally {
    t.cleanup();
  }
}

export async function benchRows(quick: boolean): Promise<BenchRow[]> {
  const r = await runLoadBench(quick ? { connections: 10, durationS: 5 } : { connections: 32, durationS: 15 });
  const rows: BenchRow[] = [];
  for (const x of r.results) {
    const failed = x.errors + x.timeouts + x.non2xx;
    rows.push({
      bench: 'load',
      what: `${x.name}, ${r.connections} connections × ${r.duration_s} s: throughput`,
      ours: x.requests_per_s,
      reference: null,
      unit: 'req/s',
      ratio: null,
      target: 'no request fails',
      note: `${x.requests.toLocaleString('en-US')} requests, ${failed} failed (errors ${x.errors}, timeouts ${x.timeouts}, non-2xx ${x.non2xx})`,
    });
    rows.push({ bench: 'load', what: `${x.name}: latency p50`, ours: x.p50_ms, reference: null, unit: 'ms', ratio: null, target: 'reported' });
    rows.push({ bench: 'load', what: `${x.name}: latency p99`, ours: x.p99_ms, reference: null, unit: 'ms', ratio: null, target: 'reported', note: `max ${x.max_ms} ms` });
  }
  rows.push({
    bench: 'load',
    what: 'serve RSS after the load runs (before: after warm-up)',
    ours: r.rss_after_mib,
    reference: r.rss_before_mib,
    unit: 'MiB',
    ratio: Math.round((r.rss_after_mib / r.rss_before_mib) * 100) / 100,
    target: 'bounded (growth ≤ 150 MiB)',
  });
  return rows;
}

if (process.argv[1]?.endsWith('load.bench.ts')) {
  const rows = await benchRows(process.argv.includes('--quick'));
  for (const row of rows) process.stdout.write(`${row.what}: ${row.ours} ${row.unit}${row.reference !== null ? ` (reference ${row.reference})` : ''}${row.note ? ` — ${row.note}` : ''}\n`);
}
