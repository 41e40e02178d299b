/**
 * Runs jobs in worker threads, at most `maxConcurrent` at a time, keeps their history in app.db and
 * emits a `progress` event with the job's current view (throttled) whenever something changes.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Job, JobStatus } from '../../api/contract.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { Db } from '../db/sqlite.js';
import type { Workspace } from '../workspace.js';
import { isJobKind, jobKind } from './kinds.js';
import { ProgressTracker, emptyProgress } from './progress.js';
import type { FromWorker, WorkerStart } from './protocol.js';
import { nativeIdle, nativeInFlight, nativeOpenHandles, nativeQuiet, newNativeState, requestStop, type NativeState } from './native-guard.js';

const EMIT_EVERY_MS = 150;
const PERSIST_EVERY_MS = 1000;
const CANCEL_GRACE_MS = 5000;
const EXIT_GRACE_MS = 2000;
/** After the stop flag is set, DuckDB calls fail with CANCELLED: time for the task to unwind by itself. */
const UNWIND_MS = 1000;
const QUIET_POLL_MS = 20;
/** After this long a worker that still holds DuckDB handles (a task that never closes them) is stopped anyway. */
const HANDLES_WAIT_MS = 30_000;
const JOB_LOG_LIMIT = 500;

interface Running {
  worker: Worker;
  native: NativeState;
  stopping?: NodeJS.Timeout | true;
  tracker: ProgressTracker;
  lastEmit: number;
  lastPersist: number;
  cancelTimer?: NodeJS.Timeout;
  settled: Promise<void>;
  /** A service (see JobKind.service) runs outside the job slots. */
  service: boolean;
}

/** Services running at once, at most: each holds a worker thread and its connections. */
const MAX_SERVICES = 8;

interface JobRow {
  id: string;
  kind: string;
  title: string;
  status: JobStatus;
  input: string;
  progress: string;
  result: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const rowToJob = (r: JobRow): Job => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  status: r.status,
  input: JSON.parse(r.input) as unknown,
  progress: JSON.parse(r.progress) as Job['progress'],
  result: r.result === null ? null : (JSON.parse(r.result) as unknown),
  error: r.error === null ? null : (JSON.parse(r.error) as Job['error']),
  created_at: r.created_at,
  started_at: r.started_at,
  finished_at: r.finished_at,
});

const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export const isTerminal = (s: JobStatus): boolean => TERMINAL.has(s);

/**
 * How to start the worker: the bundle's worker.js when built; from source (tests, `npm run cli`), a tiny
 * bootstrap that registers tsx's loader inside the worker before importing worker.ts.
 */
export function workerSpawn(workerData: WorkerStart): Worker {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
    const tsx = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
    const entry = new URL('./worker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(boot, { eval: true, workerData });
  }
  for (const rel of ['./worker.js', '../worker.js']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (fs.existsSync(file)) return new Worker(file, { workerData });
  }
  throw new AppError('INTERNAL', `job worker entry not found next to ${here}; rebuild the app (npm run build)`);
}

export interface JobManagerOptions {
  maxConcurrent?: number;
  /** How long a cancelled task gets to stop on its own before its worker is stopped (default 5 s). */
  cancelGraceMs?: number;
}

export class JobManager extends EventEmitter<{ progress: [Job] }> {
  private readonly running = new Map<string, Running>();
  private readonly queue: string[] = [];
  /** Queued jobs that are services (JobKind.service), decided when they are started. */
  private readonly queuedServices = new Set<string>();
  private readonly maxConcurrent: number;
  private readonly cancelGraceMs: number;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly workspace: Workspace,
    private readonly log: Logger,
    opts: JobManagerOptions = {},
  ) {
    super();
    this.maxConcurrent = opts.maxConcurrent ?? 2;
    this.cancelGraceMs = opts.cancelGraceMs ?? CANCEL_GRACE_MS;
    this.failInterrupted();
  }

  /** Jobs left running by a previous process (crash, kill -9) did not finish: say so. */
  private failInterrupted(): void {
    const now = new Date().toISOString();
    const error = JSON.stringify({ code: 'INTERRUPTED', message: 'the app stopped while this job was running; run it again' });
    this.db
      .prepare(`UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE status IN ('queued', 'running')`)
      .run(error, now);
  }

  start(kindName: string, rawInput: unknown): Job {
    if (this.closed) throw new AppError('UNAVAILABLE', 'the job system is shutting down');
    if (!isJobKind(kindName)) throw new AppError('INVALID_INPUT', `unknown job kind "${kindName}"`, { kind: kindName });
    const k = jobKind(kindName);
    const parsed = k.input.safeParse(rawInput);
    if (!parsed.success) {
      throw new AppError('INVALID_INPUT', `invalid input for ${kindName}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
        issues: parsed.error.issues,
      });
    }
    const id = randomUUID();
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO jobs (id, kind, title, status, input, progress, created_at) VALUES (?, ?, ?, 'queued', ?, ?, ?)`,
      )
      .run(id, kindName, k.title(parsed.data), JSON.stringify(parsed.data), JSON.stringify(emptyProgress(k.unit)), now);
    this.queue.push(id);
    if (k.service?.(parsed.data)) this.queuedServices.add(id);
    const job = this.get(id);
    this.emit('progress', job);
    this.pump();
    return this.get(id);
  }

  get(id: string): Job {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!row) throw new AppError('NOT_FOUND', `no job with id "${id}"`, { id });
    const job = rowToJob(row);
    const live = this.running.get(id);
    return live ? { ...job, progress: live.tracker.current() } : job;
  }

  list(opts: { limit?: number; status?: JobStatus; kind?: string } = {}): Job[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.status) {
      where.push('status = ?');
      args.push(opts.status);
    }
    if (opts.kind) {
      where.push('kind = ?');
      args.push(opts.kind);
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, opts.limit ?? 50) as JobRow[];
    return rows.map((r) => {
      const live = this.running.get(r.id);
      const job = rowToJob(r);
      return live ? { ...job, progress: live.tracker.current() } : job;
    });
  }

  logs(id: string, limit = JOB_LOG_LIMIT): { at: string; level: string; message: string }[] {
    this.get(id);
    return this.db
      .prepare('SELECT at, level, message FROM job_logs WHERE job_id = ? ORDER BY rowid DESC LIMIT ?')
      .all(id, limit)
      .reverse() as { at: string; level: string; message: string }[];
  }

  cancel(id: string): Job {
    const job = this.get(id);
    if (isTerminal(job.status)) return job;
    const qi = this.queue.indexOf(id);
    if (qi >= 0) {
      this.queue.splice(qi, 1);
      this.queuedServices.delete(id);
      this.finish(id, 'cancelled', null, { code: 'CANCELLED', message: 'cancelled before it started' });
      return this.get(id);
    }
    const run = this.running.get(id);
    if (run && !run.cancelTimer) {
      run.worker.postMessage({ type: 'cancel' });
      // A task stuck in native code gets terminated after a grace period.
      run.cancelTimer = setTimeout(() => this.stopWorker(id, run, UNWIND_MS), this.cancelGraceMs);
      this.appendLog(id, 'warn', 'cancel requested');
    }
    return this.get(id);
  }

  /** Resolves when the job reaches a terminal state. */
  wait(id: string): Promise<Job> {
    return new Promise((resolve) => {
      const check = (job: Job): void => {
        if (job.id === id && isTerminal(job.status)) {
          this.off('progress', check);
          resolve(job);
        }
      };
      this.on('progress', check);
      const now = this.get(id);
      if (isTerminal(now.status)) {
        this.off('progress', check);
        resolve(now);
      }
    });
  }

  /** Stops taking jobs, cancels queued and running ones, and waits for the workers to end. */
  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.queue]) this.cancel(id);
    const pending = [...this.running.entries()].map(([id, r]) => (this.cancel(id), r.settled));
    await Promise.all(pending);
  }

  /** Starts queued jobs in order while slots are free; services start at once (up to MAX_SERVICES). */
  private pump(): void {
    for (let i = 0; i < this.queue.length; ) {
      const id = this.queue[i]!;
      const service = this.queuedServices.has(id);
      const used = [...this.running.values()].filter((r) => r.service === service).length;
      if (used < (service ? MAX_SERVICES : this.maxConcurrent)) {
        this.queue.splice(i, 1);
        this.queuedServices.delete(id);
        this.launch(id, service);
      } else i++;
    }
  }

  private launch(id: string, service: boolean): void {
    const job = this.get(id);
    const native = newNativeState();
    const start: WorkerStart = { jobId: id, kind: job.kind, input: job.input, workspaceRoot: this.workspace.paths.root, native };
    const worker = workerSpawn(start);
    const tracker = new ProgressTracker();
    tracker.update({ done: 0, total: null, unit: job.progress.unit });
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    const run: Running = { worker, native, tracker, lastEmit: 0, lastPersist: 0, settled, service };
    this.running.set(id, run);
    this.db.prepare(`UPDATE jobs SET status = 'running', started_at = ? WHERE id = ?`).run(new Date().toISOString(), id);
    this.log.info({ job: id, kind: job.kind }, 'job started');
    this.emit('progress', this.get(id));

    let outcome: { status: JobStatus; result: unknown; error: Job['error'] } | null = null;
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'progress') this.onProgress(id, run, m.report);
      else if (m.type === 'log') this.appendLog(id, m.level, m.message);
      else if (m.type === 'done' || m.type === 'error') {
        outcome =
          m.type === 'done'
            ? { status: 'succeeded', result: m.result, error: null }
            : // Once cancelled, an error on the way out (an interrupted native call) is the cancel, not a failure.
              { status: m.error.code === 'CANCELLED' || run.cancelTimer ? 'cancelled' : 'failed', result: null, error: m.error };
        // A handle left open by a task must not keep a finished job alive.
        setTimeout(() => this.stopWorker(id, run, 0), EXIT_GRACE_MS).unref();
      }
    });
    worker.on('error', (e) => {
      outcome ??= { status: 'failed', result: null, error: { code: 'INTERNAL', message: e.message } };
    });
    worker.on('exit', (code) => {
      if (run.cancelTimer) clearTimeout(run.cancelTimer);
      if (run.stopping && run.stopping !== true) clearTimeout(run.stopping);
      run.stopping = true;
      if (!outcome) {
        outcome = run.cancelTimer
          ? { status: 'cancelled', result: null, error: { code: 'CANCELLED', message: 'cancelled (worker stopped)' } }
          : { status: 'failed', result: null, error: { code: 'INTERNAL', message: `job worker exited with code ${code}` } };
      }
      this.running.delete(id);
      if (outcome.status === 'succeeded') tracker.finish();
      this.finish(id, outcome.status, outcome.result, outcome.error, tracker);
      settle();
      this.pump();
    });
  }

  /**
   * Terminates a worker only where that is safe: no new DuckDB call may start, the task gets `unwindMs`
   * to end on the CANCELLED errors that follow, and terminate() waits until no native call is in flight
   * (a worker torn down inside one takes the whole process with it).
   */
  private stopWorker(id: string, run: Running, unwindMs: number): void {
    if (run.stopping) return;
    requestStop(run.native);
    let waitedLogged = false;
    const since = Date.now();
    const attempt = (): void => {
      // Open handles are waited for a while (the task closes them as it unwinds), calls in flight always.
      if (nativeQuiet(run.native) || (nativeIdle(run.native) && Date.now() - since > HANDLES_WAIT_MS)) {
        run.stopping = true;
        void run.worker.terminate();
        return;
      }
      if (!waitedLogged) {
        waitedLogged = true;
        this.appendLog(id, 'warn', `waiting for ${nativeInFlight(run.native)} DuckDB call(s) to return and ${nativeOpenHandles(run.native)} handle(s) to close before stopping the worker`);
      }
      run.stopping = setTimeout(attempt, QUIET_POLL_MS);
    };
    run.stopping = setTimeout(attempt, unwindMs);
  }

  private onProgress(id: string, run: Running, report: Parameters<ProgressTracker['update']>[0]): void {
    const view = run.tracker.update(report);
    const t = Date.now();
    if (t - run.lastPersist >= PERSIST_EVERY_MS) {
      run.lastPersist = t;
      this.db.prepare('UPDATE jobs SET progress = ? WHERE id = ?').run(JSON.stringify(view), id);
    }
    if (t - run.lastEmit >= EMIT_EVERY_MS) {
      run.lastEmit = t;
      this.emit('progress', this.get(id));
    }
  }

  private appendLog(id: string, level: string, message: string): void {
    this.db.prepare('INSERT INTO job_logs (job_id, at, level, message) VALUES (?, ?, ?, ?)').run(id, new Date().toISOString(), level, message);
  }

  private finish(id: string, status: JobStatus, result: unknown, error: Job['error'], tracker?: ProgressTracker): void {
    const progress = tracker ? tracker.current() : this.get(id).progress;
    this.db
      .prepare('UPDATE jobs SET status = ?, result = ?, error = ?, progress = ?, finished_at = ? WHERE id = ?')
      .run(status, result === null || result === undefined ? null : JSON.stringify(result), error ? JSON.stringify(error) : null, JSON.stringify(progress), new Date().toISOString(), id);
    if (error) this.appendLog(id, status === 'cancelled' ? 'warn' : 'error', `${error.code}: ${error.message}`);
    this.log.info({ job: id, status, error: error ?? undefined }, 'job finished');
    this.emit('progress', this.get(id));
  }
}
