/**
 * The feature scheduler (the platform's "Feast scheduler"): refresh (transform) every refresh_interval
 * and incremental materialization every materialization_interval; it also evaluates the alert rules every
 * alert_interval, so alerts fire while nobody is looking at the console. Each run is a job, so it has progress,
 * can be cancelled, and lands in the job history, which is the scheduler's run history. A task never
 * overlaps itself: a tick is skipped while a job of that kind is queued or running — in this process or
 * in another one sharing the workspace (the job table is shared).
 */
import type { Job } from '../../api/contract.js';
import type { Logger } from '../../platform/logging.js';

export interface ScheduledTask {
  name: 'refresh' | 'materialize' | 'alerts';
  kind: string;
  interval_s: number;
  /** The job input for a run started at `now`. */
  input: (now: Date) => unknown;
}

export interface JobStarter {
  start(kind: string, input: unknown): Job;
  list(opts: { limit?: number; status?: Job['status']; kind?: string }): Job[];
}

export interface TaskStatus {
  name: ScheduledTask['name'];
  kind: string;
  interval_s: number;
  next_run_at: string | null;
  last_job: Pick<Job, 'id' | 'status' | 'created_at' | 'finished_at' | 'error'> | null;
  skipped_overlaps: number;
}

export interface SchedulerStatus {
  running: boolean;
  started_at: string | null;
  tasks: TaskStatus[];
}

interface TaskState {
  task: ScheduledTask;
  timer: NodeJS.Timeout | null;
  nextAt: number | null;
  skipped: number;
}

export class FeatureScheduler {
  private readonly states: TaskState[];
  private startedAt: number | null = null;

  constructor(
    private readonly jobs: JobStarter,
    tasks: ScheduledTask[],
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.states = tasks.map((task) => ({ task, timer: null, nextAt: null, skipped: 0 }));
  }

  get running(): boolean {
    return this.startedAt !== null;
  }

  /** Starts the timers; with `runNow` each task runs once immediately (the daemon's first pass). */
  start(runNow = false): SchedulerStatus {
    if (this.running) return this.status();
    this.startedAt = this.now();
    for (const st of this.states) {
      if (runNow) this.tick(st);
      this.arm(st);
    }
    this.log.info({ tasks: this.states.map((s) => ({ name: s.task.name, interval_s: s.task.interval_s })) }, 'scheduler started');
    return this.status();
  }

  stop(): SchedulerStatus {
    for (const st of this.states) {
      if (st.timer) clearTimeout(st.timer);
      st.timer = null;
      st.nextAt = null;
    }
    if (this.running) this.log.info('scheduler stopped');
    this.startedAt = null;
    return this.status();
  }

  /** Runs one task now (the console's "run now"), unless it is already running. */
  runNow(name: ScheduledTask['name']): Job | null {
    const st = this.states.find((s) => s.task.name === name);
    return st ? this.tick(st) : null;
  }

  status(): SchedulerStatus {
    return {
      running: this.running,
      started_at: this.startedAt === null ? null : new Date(this.startedAt).toISOString(),
      tasks: this.states.map((st) => {
        const last = this.jobs.list({ limit: 1, kind: st.task.kind })[0];
        return {
          name: st.task.name,
          kind: st.task.kind,
          interval_s: st.task.interval_s,
          next_run_at: st.nextAt === null ? null : new Date(st.nextAt).toISOString(),
          last_job: last ? { id: last.id, status: last.status, created_at: last.created_at, finished_at: last.finished_at, error: last.error } : null,
          skipped_overlaps: st.skipped,
        };
      }),
    };
  }

  /** The run history: the jobs of the scheduled kinds, newest first. */
  runs(limit = 50): Job[] {
    return this.states
      .flatMap((st) => this.jobs.list({ limit, kind: st.task.kind }))
      .sort((a, b) => b.created_at.localeCompare(a.created_at))
      .slice(0, limit);
  }

  private arm(st: TaskState): void {
    const ms = st.task.interval_s * 1000;
    st.nextAt = this.now() + ms;
    st.timer = setTimeout(() => {
      this.tick(st);
      if (this.running) this.arm(st);
    }, ms);
    // The daemon keeps itself alive with its own wait; the desktop app must be able to quit.
    st.timer.unref();
  }

  private busy(kind: string): boolean {
    return this.jobs.list({ limit: 1, kind, status: 'running' }).length > 0 || this.jobs.list({ limit: 1, kind, status: 'queued' }).length > 0;
  }

  private tick(st: TaskState): Job | null {
    if (this.busy(st.task.kind)) {
      st.skipped++;
      this.log.warn({ task: st.task.name, kind: st.task.kind }, 'previous run still going; this run is skipped');
      return null;
    }
    try {
      const job = this.jobs.start(st.task.kind, st.task.input(new Date(this.now())));
      this.log.info({ task: st.task.name, job: job.id }, 'scheduled run started');
      return job;
    } catch (e) {
      this.log.error({ task: st.task.name, err: (e as Error).message }, 'scheduled run could not start');
      return null;
    }
  }
}
