/**
 * The native guard of job workers, in a real worker thread with DuckDB loaded behind it: once the
 * manager has asked to stop, the worker must stay alive (and the query counted in flight) until the
 * running query has returned. A worker that dies with a DuckDB query in flight takes the whole process
 * down when the query completes into its torn-down environment (a C++ Napi::Error from QueryWorker).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { nativeIdle, newNativeState, requestStop, type NativeState } from '../../src-main/platform/jobs/native-guard.js';

const root = path.resolve(import.meta.dirname, '../..');

/** Worker body: guard installed first, then a long query watched by runMonitored's progress poll. */
const BODY = `
const { parentPort, workerData } = await import('node:worker_threads');
const { installNativeGuard } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'src-main/platform/jobs/native-guard.ts')).href)});
const why = installNativeGuard(workerData.state);
if (why) throw new Error(why);
const { DuckDBInstance } = await import(${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href)});
const { runMonitored } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'src-main/platform/duckdb.ts')).href)});
const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const conn = await instance.connect();
await conn.run('SET enable_progress_bar = true');
await conn.run('SET enable_progress_bar_print = false');
const controller = new AbortController();
let ticks = 0;
parentPort.on('message', (m) => {
  if (m === 'interrupt') controller.abort();
  if (m === 'ticks') parentPort.postMessage({ type: 'ticks', ticks });
});
const query = runMonitored(conn, 'SELECT sum(hash(i)) FROM range(100000000000) t(i)', {
  signal: controller.signal,
  intervalMs: 10,
  onProgress: () => { ticks++; },
});
parentPort.postMessage({ type: 'started' });
const outcome = await query.then(() => 'finished', (e) => e.code ?? e.message);
conn.closeSync();
instance.closeSync();
parentPort.postMessage({ type: 'ended', outcome, ticks });
parentPort.unref();
`;

function spawn(state: NativeState): Worker {
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import('data:text/javascript,' + encodeURIComponent(${JSON.stringify(BODY)})); });`;
  return new Worker(boot, { eval: true, workerData: { state } });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('native guard in a job worker', () => {
  it('a stop asked for while a monitored query runs keeps the worker alive until the query returns', { timeout: 60_000 }, async () => {
    const state = newNativeState();
    const worker = spawn(state);
    const events: string[] = [];
    let ended: { outcome: string; ticks: number } | null = null;
    let onTicks: ((n: number) => void) | null = null;
    const ticks = (): Promise<number> => new Promise((r) => ((onTicks = r), worker.postMessage('ticks')));
    const started = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: { type: string; outcome?: string; ticks?: number }) => {
        if (m.type === 'ticks') return onTicks?.(m.ticks!);
        events.push(m.type);
        if (m.type === 'started') resolve();
        if (m.type === 'ended') ended = { outcome: m.outcome!, ticks: m.ticks! };
      });
      worker.on('error', (e) => {
        events.push(`error: ${e.message}`);
        reject(e);
      });
    });
    const exited = new Promise<number>((r) => worker.on('exit', r));
    await started;
    await sleep(100);
    requestStop(state);
    const before = await ticks();
    // The progress bar goes on while the task unwinds, and no poll may kill the worker under the query.
    await sleep(400);
    expect(await ticks()).toBeGreaterThan(before + 5);
    expect(events).toEqual(['started']);
    expect(nativeIdle(state)).toBe(false);
    worker.postMessage('interrupt');
    expect(await exited).toBe(0);
    expect(events).toEqual(['started', 'ended']);
    expect(ended!.outcome).toBe('CANCELLED');
    expect(ended!.ticks).toBeGreaterThan(10);
    expect(nativeIdle(state)).toBe(true);
  });
});
