import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeatureScheduler, type ScheduledTask } from '../../src-main/engines/features/scheduler.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

// The scheduler only starts jobs; a sleeping job stands in for transform/materialize here.
const task = (name: ScheduledTask['name'], interval_s: number, steps: number, ms: number): ScheduledTask => ({
  name,
  kind: 'system.sleep',
  interval_s,
  input: () => ({ steps, ms }),
});

describe('feature scheduler', () => {
  let s: Services;
  let cleanup: () => void;
  beforeEach(async () => {
    const t = tempWorkspace();
    cleanup = t.cleanup;
    s = await openServices({ workspace: t.dir, mode: 'cli', maxConcurrentJobs: 2 });
  });
  afterEach(async () => {
    await s.close();
    cleanup();
  });

  it('runs a task every interval and keeps the runs in the history', async () => {
    const sch = new FeatureScheduler(s.jobs, [task('refresh', 0.3, 1, 1)], silentLogger());
    const st = sch.start();
    expect(st.running).toBe(true);
    expect(Date.parse(st.tasks[0]!.next_run_at!)).toBeGreaterThan(Date.now());
    // Worker start-up time varies on a busy machine: wait for two runs rather than a fixed time.
    const deadline = Date.now() + 20_000;
    while (sch.runs().filter((j) => j.status === 'succeeded').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    sch.stop();
    const runs = sch.runs().filter((j) => j.status === 'succeeded');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    // Newest first: each run started after the previous one finished.
    for (let i = 0; i + 1 < runs.length; i++) expect(runs[i]!.started_at! >= runs[i + 1]!.finished_at!).toBe(true);
    expect(sch.status().running).toBe(false);
    expect(sch.status().tasks[0]!.next_run_at).toBeNull();
  });

  it('never overlaps a run that is still going', async () => {
    // Each run takes ~1 s; ticks come every 0.2 s.
    const sch = new FeatureScheduler(s.jobs, [task('materialize', 0.2, 10, 100)], silentLogger());
    sch.start(true);
    await new Promise((r) => setTimeout(r, 900));
    sch.stop();
    const jobs = s.jobs.list({ kind: 'system.sleep' });
    expect(jobs).toHaveLength(1);
    expect(sch.status().tasks[0]!.skipped_overlaps).toBeGreaterThanOrEqual(2);
    await s.jobs.wait(jobs[0]!.id);
  });

  it('runNow starts a run unless one is going, and reports the last job', async () => {
    const sch = new FeatureScheduler(s.jobs, [task('refresh', 3600, 3, 50)], silentLogger());
    const first = sch.runNow('refresh');
    expect(first).not.toBeNull();
    expect(sch.runNow('refresh')).toBeNull();
    await s.jobs.wait(first!.id);
    expect(sch.status().tasks[0]!.last_job).toMatchObject({ id: first!.id, status: 'succeeded' });
  });

  it('the app scheduler evaluates the alert rules on their own interval, as a job, even with no data yet', async () => {
    const { getScheduler } = await import('../../src-main/engines/features/runtime.js');
    const sch = await getScheduler(s);
    const alerts = sch.status().tasks.find((t) => t.name === 'alerts');
    expect(alerts).toMatchObject({ kind: 'monitoring.alerts.evaluate', interval_s: s.workspace.config.scheduling.alert_interval });
    expect(s.workspace.config.scheduling.alert_interval).toBe(300);
    const job = sch.runNow('alerts');
    expect(job).not.toBeNull();
    const done = await s.jobs.wait(job!.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(sch.status().tasks.find((t) => t.name === 'alerts')!.last_job).toMatchObject({ id: job!.id, status: 'succeeded' });
  });
});
