/**
 * The stream processor on the embedded log, with a trained linear fare model served as champion:
 *   - sustained throughput: a backlog of trips processed end to end (validate, state store and windows,
 *     online push, features, prediction, predictions and errors published, commit), trips/s, beside a
 *     bare consume of the same messages in another group (a handler that does nothing) as the floor;
 *   - latency from publish to prediction while the bundled sample is replayed at 1,000 trips/s
 *     (the replayer in its own process, as the console runs it beside the processor job), p50 and p99.
 *
 *   npx tsx tests/bench/processor.bench.ts [--quick]
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessorInputSchema } from '../../src-main/api/methods/processor.js';
import { openPlatformBus } from '../../src-main/engines/streams/index.js';
import { runProcessor } from '../../src-main/engines/streams/processor/processor.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { processorWorkspace, publishTrips, trainTestModel, tripMessages } from '../helpers/processor.js';
import type { BenchRow } from './run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ProcessorBenchResult {
  backlog: { trips: number; seconds: number; trips_per_s: number; trips_per_cpu_s: number; bare_consume_per_s: number; predicted: number };
  load_average: number[];
  latency: { rate: number; trips: number; achieved_per_s: number; p50_ms: number; p99_ms: number; max_ms: number; predicted: number };
}

/** `taxi-mlops replay` in its own process (a job worker there), as the console runs it beside the processor job. */
function replayInChild(dir: string, rate: number, limit: number): Promise<{ published: number; duration_ms: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'src-main/cli/index.ts'), '--workspace', dir, '--json', 'replay', '--source', 'sample', '--rate', String(rate), '--limit', String(limit)],
      { cwd: root, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`replay failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout.slice(stdout.indexOf('{'))) as { published: number; duration_ms: number });
      },
    );
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export async function runProcessorBench(opts: { backlog?: number; latencyTrips?: number; rate?: number } = {}): Promise<ProcessorBenchResult> {
  const backlog = opts.backlog ?? 20_000;
  const latencyTrips = opts.latencyTrips ?? 12_000;
  const rate = opts.rate ?? 1000;
  const t = processorWorkspace({}, 'taxi-bench-proc-');
  const bus = await openPlatformBus(t.workspace);
  try {
    await trainTestModel(t.workspace);
    const ctx = inlineContext(t.workspace, silentLogger());
    const raw = t.workspace.config.topics.raw;

    // ---- sustained: a backlog, end to end ----
    await publishTrips(bus, raw, tripMessages(backlog, { start: '2024-03-01T00:00:00Z', stepS: 15, taxis: 300, areas: 77, prefix: 'bl' }));
    let first = 0;
    let last = 0;
    const cpu0 = process.cpuUsage();
    const r1 = await runProcessor(ProcessorInputSchema.parse({ group: 'bench-backlog', idle_exit_ms: 500 }), ctx, {
      bus,
      onBatch: () => {
        const now = performance.now();
        first ||= now;
        last = now;
      },
    });
    const seconds = (last - first) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // CPU time is what the processor costs whatever else the machine runs; wall time says what it got.
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    // The floor: the same messages consumed in a group by a handler that does nothing.
    let seen = 0;
    const bareStart = performance.now();
    const sub = await bus.consume({ group: 'bench-bare', topics: [raw], fromBeginning: true, handler: async (b) => void (seen += b.messages.length) });
    while (seen < backlog) await new Promise((r) => setTimeout(r, 5));
    const bareSeconds = (performance.now() - bareStart) / 1000;
    await sub.stop();

    // ---- latency at a steady rate: the sample replayed while the processor follows ----
    const latencies: number[] = [];
    const stop = new AbortController();
    const following = runProcessor(ProcessorInputSchema.parse({ group: 'bench-latency', from: 'latest' }), inlineContext(t.workspace, silentLogger(), undefined, stop.signal), {
      bus,
      onBatch: (b) => latencies.push(...b.latencies),
    });
    // Let the group join before trips flow, so "latest" is where the replay starts.
    await new Promise((r) => setTimeout(r, 500));
    const rep = await replayInChild(t.dir, rate, latencyTrips);
    const replaySeconds = rep.duration_ms / 1000;
    const deadline = Date.now() + 30_000;
    while (latencies.length < rep.published && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    const r2 = await following;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      load_average: os.loadavg().map((x) => Math.round(x * 10) / 10),
      backlog: {
        trips: r1.trips,
        seconds: Math.round(seconds * 100) / 100,
        trips_per_s: Math.round(r1.trips / seconds),
        bare_consume_per_s: Math.round(backlog / bareSeconds),
        trips_per_cpu_s: Math.round(r1.trips / cpuSeconds),
        predicted: r1.predicted,
      },
      latency: {
        rate,
        trips: rep.published,
        achieved_per_s: Math.round(rep.published / replaySeconds),
        p50_ms: percentile(sorted, 50),
        p99_ms: percentile(sorted, 99),
        max_ms: sorted.at(-1) ?? 0,
        predicted: r2.predicted,
      },
    };
  } finally {
    await bus.close();
    t.cleanup();
  }
}

export async function benchRows(quick: boolean): Promise<BenchRow[]> {
  const r = await runProcessorBench(quick ? { backlog: 5000, latencyTrips: 4000 } : {});
  const b = r.backlog;
  const l = r.latency;
  return [
    {
      bench: 'processor',
      what: `Stream processor, embedded log, backlog of ${b.trips.toLocaleString('en-US')} trips end to end (features, online push, prediction, 3 topics, commit)`,
      ours: b.trips_per_s,
      reference: b.bare_consume_per_s,
      unit: 'trips/s',
      ratio: Math.round((b.trips_per_s / b.bare_consume_per_s) * 1000) / 1000,
      target: 'sustained ≥ 1,000 trips/s; reference: a bare consume of the same messages',
      note: `${b.predicted} predicted in ${b.seconds} s; machine load average ${r.load_average.join(' / ')} on ${os.cpus().length} CPUs`,
    },
    {
      bench: 'processor',
      what: 'Stream processor CPU cost: trips per CPU-second (whole process, end to end)',
      ours: b.trips_per_cpu_s,
      reference: null,
      unit: 'trips/CPU-s',
      ratio: null,
      target: 'capacity of one core; independent of other load',
    },
    {
      bench: 'processor',
      what: `Publish → prediction latency p50, sample replayed at ${l.rate.toLocaleString('en-US')} trips/s (${l.trips.toLocaleString('en-US')} trips, achieved ${l.achieved_per_s}/s)`,
      ours: l.p50_ms,
      reference: null,
      unit: 'ms',
      ratio: null,
      target: 'reported',
      note: `${l.predicted} predicted`,
    },
    {
      bench: 'processor',
      what: `Publish → prediction latency p99 at ${l.rate.toLocaleString('en-US')} trips/s`,
      ours: l.p99_ms,
      reference: 50,
      unit: 'ms',
      ratio: Math.round((l.p99_ms / 50) * 100) / 100,
      target: 'p99 ≤ 50 ms (ratio ≤ 1)',
      note: `max ${l.max_ms} ms`,
    },
  ];
}

if (process.argv[1]?.endsWith('processor.bench.ts')) {
  const quick = process.argv.includes('--quick');
  const rows = await benchRows(quick);
  for (const row of rows) process.stdout.write(`${row.what}: ${row.ours} ${row.unit}${row.reference !== null ? ` (reference ${row.reference}, ratio ${row.ratio})` : ''}${row.note ? ` — ${row.note}` : ''}\n`);
}
