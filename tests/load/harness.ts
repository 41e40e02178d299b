/**
 * Load on `taxi-mlops serve`: a workspace with online features, a champion model and a few hundred
 * registry runs; the server as a child process (its own CPU and heap, so RSS is the server's alone);
 * autocannon as the load generator. Shared by the load bench and the load integration test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { getRegistry } from '../../src-main/engines/registry/index.js';
import { openServices } from '../../src-main/platform/services.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { trainTestModel } from '../helpers/processor.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface LoadWorkspace {
  root: string;
  experimentId: string;
  taxiIds: string[];
}

/** Trips, features, a linear champion (tests/helpers' trainer) and `runs` runs with metrics and params. */
export async function prepareLoadWorkspace(ws: Workspace, runs = 300): Promise<LoadWorkspace> {
  await trainTestModel(ws, { trips: 800 });
  const s = await openServices({ workspace: ws.paths.root, mode: 'cli' });
  try {
    const reg = await getRegistry(s);
    const experimentId = await reg.createExperiment({ name: 'load' });
    for (let i = 0; i < runs; i++) {
      const run = await reg.createRun({ experiment_id: experimentId, run_name: `load-${i}` });
      await reg.logBatch(run.info.run_id, {
        metrics: [
          { key: 'rmse', value: 3 + (i % 17) / 4, timestamp: Date.now(), step: 0 },
          { key: 'mae', value: 2 + (i % 11) / 5, timestamp: Date.now(), step: 0 },
        ],
        params: [{ key: 'model', value: i % 2 ? 'mlp' : 'linear' }],
      });
    }
    return { root: ws.paths.root, experimentId, taxiIds: Array.from({ length: 7 }, (_, i) => `taxi-${i}`) };
  } finally {
    await s.close();
  }
}

export interface ServeChild {
  url: string;
  pid: number;
  /** Resident set size of the server process, MiB. */
  rssMiB(): number;
  stop(): Promise<void>;
}

/** `taxi-mlops serve --port 0` on loopback as a child process; resolves once it prints its URL. */
export function startServeChild(workspace: string, extraEnv: Record<string, string> = {}): Promise<ServeChild> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src-main/cli/index.ts'), '--workspace', workspace, 'serve', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start within 60 s: ${out}`));
    }, 60_000);
    const onData = (d: Buffer): void => {
      out += d.toString('utf8');
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve({
        url: m[1]!,
        pid: child.pid!,
        rssMiB: () => {
          const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
          return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
        },
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          }),
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening: ${out}`));
    });
  });
}

export interface LoadTarget {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

export interface LoadResult {
  name: string;
  requests: number;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

export async function runLoad(url: string, t: LoadTarget, o: { connections: number; durationS: number }): Promise<LoadResult> {
  const r = await autocannon({
    url: `${url}${t.path}`,
    method: t.method,
    connections: o.connections,
    duration: o.durationS,
    headers: { 'content-type': 'application/json' },
    ...(t.body !== undefined ? { body: JSON.stringify(t.body) } : {}),
  });
  return {
    name: t.name,
    requests: r.requests.total,
    requests_per_s: Math.round(r.requests.average),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    max_ms: r.latency.max,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
  };
}

/** The three routes of the load targets: Feast's online read, an MLflow run search and a prediction. */
export function loadTargets(w: LoadWorkspace): LoadTarget[] {
  return [
    {
      name: 'POST /get-online-features (7 taxis × 4 features)',
      method: 'POST',
      path: '/get-online-features',
      body: { features: ['taxi_activity:trips_1h', 'taxi_activity:trips_24h', 'taxi_activity:avg_fare_7d', 'taxi_activity:tip_rate_7d'], entities: { taxi_id: w.taxiIds } },
    },
    {
      name: 'POST /api/2.0/mlflow/runs/search (filter + order, page of 50)',
      method: 'POST',
      path: '/api/2.0/mlflow/runs/search',
      body: { experiment_ids: [w.experimentId], filter: "metrics.rmse < 5 and params.model = 'mlp'", order_by: ['metrics.rmse ASC'], max_results: 50 },
    },
    {
      name: 'POST /predict (one trip, champion)',
      method: 'POST',
      path: '/predict',
      body: {
        trip_id: 'load-trip-1',
        taxi_id: 'taxi-3',
        pickup_datetime: '2024-02-21T08:15:00Z',
        dropoff_datetime: '2024-02-21T08:32:00Z',
        pickup_community_area: 8,
        dropoff_community_area: 32,
        passenger_count: 1,
        trip_distance: 3.2,
        payment_type: 'Credit Card',
        company: 'Flash Cab',
      },
    },
  ];
}

/** Materializes the features through the server itself (Feast's route), so online reads find values. */
export async function materializeVia(url: string): Promise<void> {
  const res = await fetch(`${url}/materialize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ start_ts: '2024-02-01T00:00:00Z', end_ts: new Date().toISOString() }),
  });
  if (!res.ok) throw new Error(`materialize: HTTP ${res.status} ${await res.text()}`);
}
