/**
 * Entry of a job worker thread: opens the workspace, runs one job kind, and reports progress, log lines
 * and the outcome to the parent. Heavy work (DuckDB, parsing, training) therefore never runs on the
 * thread that serves the UI.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorShape } from '../errors.js';
import { createLogger } from '../logging.js';
import { openWorkspace } from '../workspace.js';
import { isJobKind, jobKind } from './kinds.js';
import { installNativeGuard } from './native-guard.js';
import type { FromWorker, ToWorker, WorkerStart } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

const send = (m: FromWorker): void => port.postMessage(m);

/** The job's one outcome: the first of done or error counts, whatever the task does afterwards. */
let settled = false;
function settle(m: Extract<FromWorker, { type: 'done' | 'error' }>): void {
  if (settled) return;
  settled = true;
  send(m);
}

async function main(start: WorkerStart): Promise<void> {
  // Before any engine loads DuckDB (they are imported lazily by the job kinds).
  const unguarded = start.native ? installNativeGuard(start.native) : 'no shared state from the manager';
  if (unguarded) send({ type: 'log', level: 'warn', message: `stopping this job may not be safe while DuckDB runs: ${unguarded}` });
  const controller = new AbortController();
  // A throw that escapes the task (a timer, an unawaited promise) would end this thread at once, and a
  // thread ended under a running DuckDB query takes the process down when the query completes. So the
  // job fails instead, the task is told to stop, and the manager ends the thread once DuckDB is quiet.
  const escaped = (e: unknown): void => {
    settle({ type: 'error', error: errorShape(e) });
    controller.abort();
  };
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  port!.on('message', (m: ToWorker) => {
    if (m.type === 'cancel') controller.abort();
  });
  // The cancel listener must not keep the thread alive once the task is done.
  port!.unref();
  if (!isJobKind(start.kind)) throw Object.assign(new Error(`unknown job kind "${start.kind}"`), { code: 'INVALID_INPUT' });
  const k = jobKind(start.kind);
  const input = k.input.parse(start.input);
  const workspace = openWorkspace(start.workspaceRoot);
  const base = createLogger(workspace.paths.logsDir, start.kind.startsWith('features') ? 'features' : start.kind.startsWith('streams') ? 'streams' : 'app');
  const log = base.child({ job: start.jobId, kind: start.kind });
  // Job log lines go to the log file and to the job's own log in the Jobs tab.
  const relay = (level: 'info' | 'warn' | 'error') => (obj: unknown, msg?: string) => {
    const text = typeof obj === 'string' ? obj : (msg ?? JSON.stringify(obj));
    send({ type: 'log', level, message: text });
  };
  const jobLog = Object.assign(Object.create(log), {
    info: (o: unknown, m?: string) => (log.info(o as object, m), relay('info')(o, m)),
    warn: (o: unknown, m?: string) => (log.warn(o as object, m), relay('warn')(o, m)),
    error: (o: unknown, m?: string) => (log.error(o as object, m), relay('error')(o, m)),
  }) as typeof log;
  const result = await k.run(input, {
    signal: controller.signal,
    workspace,
    log: jobLog,
    progress: (report) => send({ type: 'progress', report }),
  });
  settle({ type: 'done', result: result ?? null });
}

main(workerData as WorkerStart).catch((e: unknown) => {
  settle({ type: 'error', error: errorShape(e) });
});
