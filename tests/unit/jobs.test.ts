import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src-main/api/contract.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { ProgressTracker } from '../../src-main/platform/jobs/progress.js';
import { workerSpawn } from '../../src-main/platform/jobs/manager.js';
import { newNativeState } from '../../src-main/platform/jobs/native-guard.js';
import type { FromWorker } from '../../src-main/platform/jobs/protocol.js';
import { APP_MIGRATIONS } from '../../src-main/platform/db/app-schema.js';
import { openDatabase } from '../../src-main/platform/db/sqlite.js';
import { tempWorkspace } from '../helpers/workspace.js';

describe('progress tracker', () => {
  it('derives percent, a smoothed rate and an ETA from successive reports', () => {
    let t = 0;
    const p = new ProgressTracker(() => t);
    p.update({ done: 0, total: 1000, unit: 'rows' });
    t = 1000;
    const a = p.update({ done: 100, total: 1000, unit: 'rows' });
    expect(a.percent).toBe(10);
    expect(a.rate).toBe(100);
    expect(a.eta_s).toBe(9);
    t = 2000;
    const b = p.update({ done: 300, total: 1000, unit: 'rows' });
    expect(b.rate).toBeCloseTo(0.7 * 100 + 0.3 * 200, 5);
    expect(b.eta_s).toBeCloseTo(700 / 130, 1);
    expect(p.finish().percent).toBe(100);
  });

  it('has no percent or ETA when the total is unknown', () => {
    const p = new ProgressTracker(() => 0);
    const v = p.update({ done: 5, unit: 'msgs' });
    expect(v.percent).toBeNull();
    expect(v.eta_s).toBeNull();
  });
});

describe('job manager (worker threads)', () => {
  let s: Services;
  let cleanup: () => void;
  let dir: string;

  beforeEach(async () => {
    const t = tempWorkspace();
    cleanup = t.cleanup;
    dir = t.dir;
    s = await openServices({ workspace: dir, mode: 'cli', maxConcurrentJobs: 1 });
  });
  afterEach(async () => {
    await s.close();
    cleanup();
  });

  it('runs a job in a worker, streams progress events and keeps the result', async () => {
    const seen: Job[] = [];
    s.jobs.on('progress', (j) => seen.push(j));
    const job = s.jobs.start('system.sleep', { steps: 5, ms: 30 });
    expect(job.status).toMatch(/queued|running/);
    const done = await s.jobs.wait(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.result).toEqual({ steps: 5 });
    expect(done.progress.percent).toBe(100);
    expect(done.started_at).not.toBeNull();
    expect(done.finished_at).not.toBeNull();
    const statuses = seen.filter((j) => j.id === job.id).map((j) => j.status);
    expect(statuses).toContain('running');
    expect(statuses.at(-1)).toBe('succeeded');
  });

  it('a failing task gives a failed job with the task error code, message and details', async () => {
    const job = s.jobs.start('system.sleep', { steps: 5, ms: 5, fail_at: 3 });
    const done = await s.jobs.wait(job.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'INTERNAL', message: 'failed at step 3 as asked', details: { step: 3 } });
    expect(done.progress.done).toBe(2);
    expect(s.jobs.logs(job.id).some((l) => l.message.includes('failed at step 3'))).toBe(true);
  });

  it('a throw that escapes the task fails the job without killing its thread (which may be inside DuckDB)', async () => {
    const input = { steps: 5, ms: 20, escape_at: 2 };
    // The worker itself: it must report the error once and end on its own, never by the throw.
    const worker = workerSpawn({ jobId: 'escape-test', kind: 'system.sleep', input, workspaceRoot: s.workspace.paths.root, native: newNativeState() });
    const messages: FromWorker[] = [];
    const crashes: string[] = [];
    worker.on('message', (m: FromWorker) => messages.push(m));
    worker.on('error', (e) => crashes.push(e.message));
    const code = await new Promise<number>((r) => worker.on('exit', r));
    expect(crashes).toEqual([]);
    expect(code).toBe(0);
    const outcomes = messages.filter((m) => m.type === 'done' || m.type === 'error');
    expect(outcomes).toEqual([{ type: 'error', error: expect.objectContaining({ code: 'INTERNAL', message: 'escaped the task at step 2 as asked' }) }]);
    // The task was told to stop: it did not run its remaining steps.
    const steps = messages.filter((m) => m.type === 'progress').length;
    expect(steps).toBeLessThan(5);

    // Through the manager: a failed job with that error.
    const done = await s.jobs.wait(s.jobs.start('system.sleep', input).id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'INTERNAL', message: 'escaped the task at step 2 as asked' });
  });

  it('cancels a running job and a queued one', async () => {
    const a = s.jobs.start('system.sleep', { steps: 200, ms: 20 });
    const b = s.jobs.start('system.sleep', { steps: 1, ms: 1 });
    expect(s.jobs.get(b.id).status).toBe('queued'); // one at a time in this test
    await new Promise((r) => setTimeout(r, 300));
    s.jobs.cancel(b.id);
    s.jobs.cancel(a.id);
    const [da, db] = await Promise.all([s.jobs.wait(a.id), s.jobs.wait(b.id)]);
    expect(da.status).toBe('cancelled');
    expect(da.progress.done).toBeLessThan(200);
    expect(db.status).toBe('cancelled');
    expect(db.started_at).toBeNull();
  });

  it('a stream processor following its topic runs beside the job slots; a bounded one takes a slot', { timeout: 60_000 }, async () => {
    // One slot in this test. The following processor is a service: it runs until cancelled.
    const follow = s.jobs.start('streams.process', {});
    await expect.poll(() => s.jobs.get(follow.id).status, { timeout: 20_000 }).toBe('running');
    const a = s.jobs.start('system.sleep', { steps: 3, ms: 20 });
    expect((await s.jobs.wait(a.id)).status).toBe('succeeded');
    expect(s.jobs.get(follow.id).status).toBe('running');
    // A bounded run is batch work: with the slot taken by a sleeping job, it waits its turn.
    const b = s.jobs.start('system.sleep', { steps: 50, ms: 20 });
    const bounded = s.jobs.start('streams.process', { group: 'bounded', idle_exit_ms: 200 });
    await expect.poll(() => s.jobs.get(b.id).status, { timeout: 20_000 }).toBe('running');
    expect(s.jobs.get(bounded.id).status).toBe('queued');
    expect((await s.jobs.wait(b.id)).status).toBe('succeeded');
    expect((await s.jobs.wait(bounded.id)).status).toBe('succeeded');
    // Cancelling a processor is its stop: it finishes the batch in hand and ends.
    s.jobs.cancel(follow.id);
    expect((await s.jobs.wait(follow.id)).status).toMatch(/^(succeeded|cancelled)$/);
  });

  it('refuses unknown kinds and bad input before creating a job', () => {
    expect(() => s.jobs.start('no.such.kind', {})).toThrow(/unknown job kind/);
    expect(() => s.jobs.start('system.sleep', { steps: -1, ms: 1 })).toThrow(/invalid input for system.sleep/);
    expect(s.jobs.list()).toHaveLength(0);
  });

  it('keeps the history across restarts and marks jobs cut off by a crash as interrupted', async () => {
    const done = await s.jobs.wait(s.jobs.start('system.sleep', { steps: 1, ms: 1 }).id);
    // Simulate a crash: a row left "running" by a process that died.
    s.appDb
      .prepare(`INSERT INTO jobs (id, kind, title, status, input, progress, created_at, started_at) VALUES ('dead', 'data.import', 'Import big.csv', 'running', '{}', ?, ?, ?)`)
      .run(JSON.stringify(done.progress), new Date().toISOString(), new Date().toISOString());
    await s.close();
    s = await openServices({ workspace: dir, mode: 'cli' });
    const list = s.jobs.list();
    expect(list.map((j) => j.id)).toEqual(expect.arrayContaining([done.id, 'dead']));
    expect(s.jobs.get('dead')).toMatchObject({ status: 'failed', error: { code: 'INTERRUPTED' } });
    expect(s.jobs.get(done.id).status).toBe('succeeded');
  });

  it('filters the list by status and kind', async () => {
    await s.jobs.wait(s.jobs.start('system.sleep', { steps: 1, ms: 1 }).id);
    await s.jobs.wait(s.jobs.start('system.sleep', { steps: 2, ms: 1, fail_at: 1 }).id);
    expect(s.jobs.list({ status: 'failed' })).toHaveLength(1);
    expect(s.jobs.list({ kind: 'system.sleep' })).toHaveLength(2);
    expect(s.jobs.list({ kind: 'data.import' })).toHaveLength(0);
  });

  it('the app database is the one migrations made', () => {
    const db = openDatabase(s.workspace.paths.appDb, 'app.db', APP_MIGRATIONS);
    expect(db.pragma('user_version', { simple: true })).toBe(APP_MIGRATIONS.length);
    db.close();
  });
});
