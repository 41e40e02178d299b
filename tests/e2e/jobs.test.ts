/**
 * The Jobs tab against the real server and Chromium: live progress with rate, cancel from the table, the
 * kind filter, a job's log and deep link (#/jobs/<id>), and the self-test started from its button with the
 * step list filling in live (the shortened run: import and transform; the full run is the integration
 * test's). One page, tests in order, like an operator's session.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src-main/api/contract.js';
import { screenshot } from './browser.js';
import { page, server, services, session, tid, useConsoleServer } from './console-server.js';

let slow: Job;
let doomed: Job;

useConsoleServer({
  prefix: 'taxi-e2e-jobs-',
  maxConcurrentJobs: 3,
  teardown: () => {
    for (const j of services?.jobs.list({ limit: 100 }) ?? []) services.jobs.cancel(j.id);
  },
  timeout: 120_000,
});

describe('jobs tab', () => {
  it('shows a running job with its progress bar, rate and ETA, live', async () => {
    slow = services.jobs.start('system.sleep', { steps: 60, ms: 250 });
    doomed = services.jobs.start('system.sleep', { steps: 200, ms: 250 });
    await page.goto(`${server.url}/#/jobs`);
    await page.locator(`${tid('connection-state')}[data-state="connected"]`).waitFor();
    const row = page.locator(tid(`job-row-${slow.id}`));
    await row.waitFor();
    // The bar moves and the rate is a number of steps per second, as the server reports it.
    await expect.poll(async () => Number(await row.locator(tid('job-progress')).getAttribute('aria-valuenow')), { timeout: 20_000 }).toBeGreaterThan(5);
    await expect.poll(async () => (await row.locator(tid('job-rate')).textContent()) ?? '', { timeout: 20_000 }).toMatch(/[\d.]+\s*steps\/s/);
    expect(await row.locator(tid('job-progress-text')).textContent()).toMatch(/\d+ \/ 60 steps.*ETA/);
    const server_ = services.jobs.get(slow.id);
    expect(server_.status).toBe('running');
    expect(server_.progress.rate).toBeGreaterThan(0);
  }, 60_000);

  it('cancels a job from its row', async () => {
    const row = page.locator(tid(`job-row-${doomed.id}`));
    await row.locator(tid('job-cancel')).click();
    await expect.poll(() => services.jobs.get(doomed.id).status, { timeout: 15_000 }).toBe('cancelled');
    await expect.poll(() => row.locator(tid('job-status')).textContent(), { timeout: 10_000 }).toContain('cancelled');
    await page.locator(tid('jobs-filter-cancelled')).click();
    await expect.poll(() => page.locator(`${tid('jobs-table')} [data-testid^="job-row-"]`).count()).toBe(1);
    await page.locator(tid('jobs-filter-all')).click();
  }, 30_000);

  it('runs the self-test from its button: the step list fills in live, the report is summarized', async () => {
    await page.locator(tid('selftest-empty')).waitFor();
    await page.locator(tid('selftest-quick')).check();
    await page.locator(tid('selftest-run')).click();
    // A step is seen running while the job is on, not only in the final report.
    await page.locator(`${tid('selftest-step-import')}[data-status="running"], ${tid('selftest-step-import')}[data-status="passed"]`).waitFor({ timeout: 60_000 });
    const job = services.jobs.list({ limit: 20 }).find((j) => j.kind === 'system.selftest')!;
    expect(job).toBeTruthy();
    const sawRunning = job.status === 'running' || job.status === 'queued';
    await page.locator(`${tid('selftest-summary')}[data-status="passed"]`).waitFor({ timeout: 240_000 });
    expect(sawRunning).toBe(true);
    const done = await services.jobs.wait(job.id);
    expect(done.status).toBe('succeeded');
    const statuses = await page.locator(`${tid('selftest-steps')} tbody tr`).evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-testid'), r.getAttribute('data-status')]));
    expect(statuses.slice(0, 2)).toEqual([
      ['selftest-step-import', 'passed'],
      ['selftest-step-transform', 'passed'],
    ]);
    expect(statuses.slice(2).every(([, st]) => st === 'skipped')).toBe(true);
    // The figures shown are the report's.
    const report = (done.result as { steps: { name: string; figures: Record<string, unknown> }[] }).steps.find((x) => x.name === 'import')!;
    expect(await page.locator(tid('selftest-step-import')).textContent()).toContain(Number(report.figures.rows_written).toLocaleString('en-US'));
  }, 300_000);

  it('opens a job by deep link with its log, and filters by kind', async () => {
    const job = services.jobs.list({ limit: 20 }).find((j) => j.kind === 'system.selftest')!;
    await page.goto(`${server.url}/#/jobs/${job.id}`);
    await page.locator(`${tid('job-detail-status')}[data-status="succeeded"]`).waitFor();
    await expect.poll(() => page.locator(tid('job-logs')).textContent(), { timeout: 10_000 }).toContain('selftest import passed');
    const lines = services.jobs.logs(job.id);
    expect(lines.length).toBeGreaterThan(0);
    expect(await page.locator(tid('job-logs')).textContent()).toContain(lines.at(-1)!.message.slice(0, 40));
    // Clicking another row moves the link.
    await page.locator(tid(`job-row-${doomed.id}`)).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/jobs/${doomed.id}`);
    await page.locator(`${tid('job-detail-status')}[data-status="cancelled"]`).waitFor();
    await page.locator(tid('jobs-kind')).selectOption('system.selftest');
    await expect.poll(() => page.locator(`${tid('jobs-table')} [data-testid^="job-row-"]`).count()).toBe(1);
    await page.locator(tid('jobs-kind')).selectOption('all');
    await page.locator(tid('jobs-next-runs-table')).waitFor();
    expect(await page.locator(tid('jobs-next-runs-table')).textContent()).toContain('materialize');
    await page.goto(`${server.url}/#/jobs/${job.id}`);
    await page.locator(tid('job-detail')).waitFor();
    await page.evaluate(() => (globalThis as unknown as { scrollTo: (x: number, y: number) => void }).scrollTo(0, 0));
    await screenshot(page, 'jobs');
    expect(session.problems).toEqual([]);
  }, 60_000);
});
