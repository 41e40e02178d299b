/**
 * The browser console against the real server: a temp workspace, `startHttpServer` in-process on a free
 * port, Debian Chromium. Tests run in order and share one page, like an operator's session.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GenerateInputSchema } from '../../src-main/api/contract.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import { openConsolePage, screenshot } from './browser.js';
import { browser, dir, ok, page, restartServer, runJob, server, services, session, tid, useConsoleServer } from './console-server.js';

const tabs = ['overview', 'features', 'models', 'streams', 'monitoring', 'jobs', 'settings', 'logs'] as const;
const ROWS = 20_000;

/** Every `jobs.progress` frame the page received, as the server sent it. */
const progressFrames: { id: string; status: string; percent: number | null }[] = [];

/** The message the contract's schema gives for a field, so the test never hard-codes zod's wording. */
function schemaMessage(input: Record<string, unknown>, field: string): string {
  const parsed = GenerateInputSchema.safeParse(input);
  const issue = parsed.success ? undefined : parsed.error.issues.find((i) => i.path[0] === field);
  if (!issue) throw new Error(`expected ${JSON.stringify(input)} to be invalid at ${field}`);
  return issue.message;
}

useConsoleServer({ prefix: 'taxi-e2e-' });

beforeAll(() => {
  page.on('websocket', (ws) => {
    ws.on('framereceived', ({ payload }) => {
      try {
        const msg = JSON.parse(String(payload)) as { event?: string; payload?: { id: string; status: string; progress: { percent: number | null } } };
        if (msg.event === 'jobs.progress' && msg.payload) {
          progressFrames.push({ id: msg.payload.id, status: msg.payload.status, percent: msg.payload.progress.percent });
        }
      } catch {
        // Not ours to judge here; the UI ignores malformed frames too.
      }
    });
  });
});

describe('browser console', () => {
  it('shows real health, instance facts and the live connection on the Overview', async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/overview');
    await page.locator(`${tid('connection-state')}[data-state="connected"]`).waitFor();

    const sqliteRows = page.locator(`${tid('health-table')} tr[data-kind="sqlite"]`);
    await sqliteRows.first().waitFor();
    const count = await sqliteRows.count();
    expect(count).toBeGreaterThan(0);
    for (let i = 0; i < count; i++) {
      const row = sqliteRows.nth(i);
      expect(await row.locator(tid('health-status')).textContent()).toBe('ok');
      const latency = await row.locator(tid('health-latency')).getAttribute('data-latency');
      expect(Number(latency)).toBeGreaterThanOrEqual(0);
      expect(await row.locator(tid('health-latency')).textContent()).toMatch(/\d+(\.\d+)? ms/);
    }
    expect(await page.locator(tid('health-overall')).getAttribute('data-status')).toMatch(/^(ok|degraded|down)$/);

    await expect.poll(() => page.locator(tid('info-workspace')).textContent()).toContain(dir);
    expect(await page.locator(tid('info-profile')).textContent()).toMatch(/\((embedded|cluster)\)/);
    expect(await page.locator(tid('header-profile')).textContent()).toContain(services.workspace.profile.name);
    await page.locator(tid('data-trips')).waitFor();
  });

  it('validates the generate form inline with the contract schema, sending nothing', async () => {
    const before = services.jobs.list({ limit: 1000 }).length;

    await page.locator(tid('gen-rows')).fill('0');
    await expect.poll(() => page.locator(tid('gen-rows-error')).textContent()).toBe(schemaMessage({ rows: 0 }, 'rows'));

    await page.locator(tid('gen-rows')).fill('12.5');
    await expect.poll(() => page.locator(tid('gen-rows-error')).textContent()).toBe(schemaMessage({ rows: 12.5 }, 'rows'));

    await page.locator(tid('gen-seed')).fill('-3');
    await expect.poll(() => page.locator(tid('gen-seed-error')).textContent()).toBe(schemaMessage({ rows: 1, seed: -3 }, 'seed'));

    await page.locator(tid('gen-submit')).click();
    expect(await page.locator(tid('gen-submit')).isDisabled()).toBe(true);
    expect(await page.locator(tid('gen-started')).count()).toBe(0);
    expect(services.jobs.list({ limit: 1000 }).length).toBe(before);
  });

  it(`generates ${ROWS.toLocaleString('en-US')} trips from the form and follows the job live to 100%`, { timeout: 120_000 }, async () => {
    await page.locator(tid('gen-rows')).fill(String(ROWS));
    await page.locator(tid('gen-seed')).fill('7');
    await page.locator(tid('gen-drift')).selectOption('night_shift');
    expect(await page.locator(tid('gen-rows-error')).count()).toBe(0);
    await page.locator(tid('gen-submit')).click();

    const started = page.locator(tid('gen-started'));
    await started.waitFor();
    const jobId = await started.getAttribute('data-job-id');
    expect(jobId).toBeTruthy();

    // The UI does not poll jobs: the row can only reach "succeeded" through the jobs.progress event.
    const row = page.locator(`${tid('recent-jobs-table')} ${tid(`job-row-${jobId}`)}`);
    await row.waitFor();
    const finished = page.locator('[data-status="succeeded"], [data-status="failed"], [data-status="cancelled"]');
    await row.and(finished).waitFor({ timeout: 90_000 });
    // On failure, show the job's own error rather than a bare status mismatch.
    expect({ status: await row.getAttribute('data-status'), error: services.jobs.get(jobId!).error }).toEqual({ status: 'succeeded', error: null });
    expect(await row.locator(tid('job-progress')).getAttribute('data-percent')).toBe('100');
    expect(await row.locator(tid('job-progress-text')).textContent()).toContain('100%');
    expect(await row.locator(tid('job-cancel')).count()).toBe(0);

    const frames = progressFrames.filter((f) => f.id === jobId);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.at(-1)?.status).toBe('succeeded');

    const job = services.jobs.get(jobId!);
    expect(job.status).toBe('succeeded');
    expect((job.input as { rows: number; drift: string }).rows).toBe(ROWS);
    expect((job.input as { rows: number; drift: string }).drift).toBe('night_shift');

    // A finished job refreshes the trip store summary.
    await expect.poll(() => page.locator(tid('data-trips')).textContent(), { timeout: 15_000 }).toBe(ROWS.toLocaleString('en-US'));
    await page.locator(`${tid('data-months-chart')}[data-ready="true"] svg`).waitFor();
    await screenshot(page, 'overview');
  });

  it('draws trips per month on a time axis, so years without trips show as a gap between the bars', async () => {
    // The form's trips follow the sample's years (2013–2016); trips of the last days beside them leave a
    // gap of years, which a category axis would close by putting the bars side by side.
    const now = Date.now();
    await runJob('data.generate', { rows: 500, seed: 9, start: new Date(now - 10 * 86_400_000).toISOString(), end: new Date(now - 60_000).toISOString() });
    await expect.poll(() => page.locator(tid('data-trips')).textContent(), { timeout: 15_000 }).toBe((ROWS + 500).toLocaleString('en-US'));
    const summary = await ok('data.summary');
    const stored = new Set(summary.months.map((m) => Number(m.month.slice(0, 4))));
    const chart = page.locator(`${tid('data-months-chart')}[data-ready="true"] svg`);
    await chart.waitFor();
    const labels = async (): Promise<string[]> => (await chart.locator('text').allTextContents()).filter((t) => /^\d{4}-\d{2}$/.test(t));
    // Labels of years that hold no trip at all: only a time axis has them.
    const emptyYears = async (): Promise<number[]> => (await labels()).map((t) => Number(t.slice(0, 4))).filter((y) => !stored.has(y));
    await expect.poll(emptyYears, { message: `axis labels: ${(await labels()).join(', ')}` }).not.toEqual([]);

    // Hovering the newest bar names its month and its trips, as the store counts them.
    const newest = summary.months.at(-1)!;
    await chart.scrollIntoViewIfNeeded();
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.97, box.y + box.height * 0.6, { steps: 4 });
    const texts = (): Promise<string[]> => page.locator(tid('data-months-chart')).evaluate((el) => [...el.querySelectorAll('div')].map((d) => d.textContent ?? ''));
    await expect.poll(texts).toContain(`${newest.month}: ${newest.rows.toLocaleString('en-US')} trips`);
  });

  it('imports a CSV from the Overview and shows what was accepted, rejected by reason, and where the rejects went', { timeout: 120_000 }, async () => {
    const header = 'pickup_community_area,fare,trip_start_month,trip_start_hour,trip_start_day,trip_start_timestamp,pickup_latitude,pickup_longitude,dropoff_latitude,dropoff_longitude,trip_miles,pickup_census_tract,dropoff_census_tract,payment_type,company,trip_seconds,dropoff_community_area,tips';
    const row = (fare: string, start: string, miles: string): string => `8,${fare},5,19,6,${start},41.89,-87.63,41.9,-87.62,${miles},,,Credit Card,Flash Cab,600,8,2.0`;
    const csv = path.join(dir, 'ui-import.csv');
    const lines = [header, row('12.45', '1400269500', '2.5'), row('9.25', '1400270400', '1.8'), row('30.00', '1400271300', '8.0'), row('-5', '1400272200', '1.0'), row('7.5', 'yesterday', '1.0')];
    fs.writeFileSync(csv, `${lines.join('\n')}\n`);
    const before = Number((await page.locator(tid('data-trips')).textContent())!.replace(/,/g, ''));

    // Nothing is sent without a path.
    await page.locator(tid('import-submit')).click();
    await page.locator(tid('import-path-error')).waitFor();
    expect(await page.locator(tid('import-job')).count()).toBe(0);

    await page.locator(tid('import-path')).fill(csv);
    await page.locator(tid('import-submit')).click();
    await page.locator(`${tid('import-job')}[data-status="succeeded"]`).waitFor({ timeout: 60_000 });
    const summary = page.locator(tid('import-summary'));
    expect(await summary.locator(tid('import-accepted')).textContent()).toBe('3');
    expect(await summary.locator(tid('import-rejected')).textContent()).toBe('2');
    expect(await summary.locator(`${tid('import-reasons')} li`).evaluateAll((li) => li.map((l) => l.getAttribute('data-reason')).sort())).toEqual(['bad_timestamp', 'out_of_range']);
    const rejects = (await summary.locator(tid('import-rejects-file')).textContent())!;
    expect(fs.readFileSync(rejects, 'utf8')).toContain('out_of_range');
    await expect.poll(() => page.locator(tid('data-trips')).textContent(), { timeout: 15_000 }).toBe((before + 3).toLocaleString('en-US'));

    // The same file again adds nothing; a missing file fails the job with a reason naming it.
    await page.locator(tid('import-submit')).click();
    await expect.poll(() => page.locator(tid('import-written')).textContent(), { timeout: 60_000 }).toBe('0');
    await page.locator(tid('import-path')).fill(path.join(dir, 'no-such.csv'));
    await page.locator(tid('import-submit')).click();
    await page.locator(`${tid('import-job')}[data-status="failed"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator(tid('import-job-error')).textContent()).toContain('no-such.csv');
  });

  it('lists the job on the Jobs tab, reached with Ctrl+6', async () => {
    await page.keyboard.press('Control+6');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/jobs');
    await page.locator(`${tid('jobs-table')} [data-testid^="job-row-"]`).first().waitFor();
    const [generated] = services.jobs.list({ kind: 'data.generate', status: 'succeeded' });
    expect(generated).toBeDefined();
    await expect.poll(() => page.locator(tid(`job-row-${generated!.id}`)).textContent()).toContain('succeeded');
  });

  it('shows a long job moving live and cancels it from the Jobs tab', { timeout: 120_000 }, async () => {
    await page.keyboard.press('Control+1');
    // Big enough to still be running a few seconds after it starts (the generator does ~1M rows/s here).
    await page.locator(tid('gen-rows')).fill('30000000');
    await page.locator(tid('gen-submit')).click();
    // The form is fresh after the tab switch, so the only "started" note is this job's.
    const started = page.locator(tid('gen-started'));
    await started.waitFor();
    const jobId = (await started.getAttribute('data-job-id'))!;

    await page.keyboard.press('Control+6');
    const row = page.locator(`${tid('jobs-table')} ${tid(`job-row-${jobId}`)}`);
    await row.waitFor({ timeout: 30_000 });
    // Wait until a real progress tick has arrived, not just the "running" transition.
    await expect
      .poll(async () => Number((await row.locator(tid('job-progress')).getAttribute('aria-valuenow')) || 0), { timeout: 30_000 })
      .toBeGreaterThan(0);
    expect(await row.locator(tid('job-rate')).textContent()).toMatch(/rows\/s/);
    await screenshot(page, 'jobs-running');

    await row.locator(tid('job-cancel')).click();
    await expect.poll(() => services.jobs.get(jobId).status, { timeout: 30_000 }).toBe('cancelled');
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('cancelled');
    expect(services.jobs.get(jobId).error?.code).toBe('CANCELLED');
    await screenshot(page, 'jobs');
  });

  it('switches every tab with Ctrl+1..8 and keeps the hash in step', async () => {
    for (const [i, tab] of tabs.entries()) {
      await page.keyboard.press(`Control+${i + 1}`);
      await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/${tab}`);
      expect(await page.locator(tid(`tab-${tab}`)).getAttribute('aria-selected')).toBe('true');
      await page.locator(tid(`panel-${tab}`)).waitFor();
      if (tab === 'overview') await page.locator(`${tid('data-months-chart')}[data-ready="true"] svg`).waitFor();
      if (tab !== 'overview') {
        await page.locator(tid(`${tab}-tab`)).waitFor();
        // The other tabs' shots come from their own tests and flows.test.ts, after real work was done.
        if (tab === 'features' || tab === 'models') await screenshot(page, tab);
      }
    }
  });

  it('walks the tab bar with the arrow keys, Home and End (one tab stop)', async () => {
    await page.keyboard.press('Control+2');
    await page.locator(tid('tab-features')).focus();
    expect(await page.locator('[role="tab"][tabindex="0"]').count()).toBe(1);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/models');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('tab-models');
    await page.keyboard.press('End');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/${tabs[tabs.length - 1]}`);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/overview');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/${tabs[tabs.length - 1]}`);
    await page.keyboard.press('Home');
    await page.locator(tid('panel-overview')).waitFor();
    expect(await page.locator(tid('tab-overview')).getAttribute('tabindex')).toBe('0');
  });

  it('follows a profile switch made elsewhere (settings.changed): the header shows the new profile', async () => {
    const switchTo = async (name: string): Promise<void> => {
      const r = await dispatch(services, 'settings.profile.activate', { name });
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    };
    await switchTo('cluster');
    await expect.poll(() => page.locator(tid('header-profile')).textContent(), { timeout: 15_000 }).toContain('cluster');
    await switchTo('local');
    await expect.poll(() => page.locator(tid('header-profile')).textContent(), { timeout: 15_000 }).toContain('local');
  });

  it('opens a tab from a deep link and follows browser history', async () => {
    await page.goto(`${server.url}/#/monitoring`);
    await page.locator(tid('panel-monitoring')).waitFor();
    expect(await page.locator(tid('tab-monitoring')).getAttribute('aria-selected')).toBe('true');

    await page.locator(tid('tab-streams')).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/streams');
    await page.goBack();
    await page.locator(tid('panel-monitoring')).waitFor();

    await page.goto(`${server.url}/#/not-a-tab`);
    await page.locator(tid('panel-overview')).waitFor();
  });

  it('shows the services\' health in the header when the console opens on a tab other than the Overview', async () => {
    const other = await openConsolePage(browser);
    try {
      await other.page.goto(`${server.url}/#/streams`);
      await other.page.locator(tid('panel-streams')).waitFor();
      const badge = other.page.locator(tid('header-health'));
      await badge.waitFor({ timeout: 15_000 });
      const health = await ok('system.health');
      expect((await badge.textContent())?.toLowerCase()).toBe(health.status.toLowerCase());
      expect(await other.page.locator(tid('overview')).count()).toBe(0);
    } finally {
      await other.context.close();
    }
  });

  it('renders the dark theme', async () => {
    const dark = await openConsolePage(browser, { colorScheme: 'dark' });
    try {
      await dark.page.goto(`${server.url}/#/overview`);
      await dark.page.locator(`${tid('data-months-chart')}[data-ready="true"] svg`).waitFor();
      await dark.page.locator(`${tid('health-table')} tbody tr`).first().waitFor();
      expect(await dark.page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
      await screenshot(dark.page, 'overview-dark');
      expect(dark.problems).toEqual([]);
    } finally {
      await dark.context.close();
    }
  });

  it('shows the disconnected state when the server goes away and recovers when it returns', async () => {
    await page.goto(`${server.url}/#/overview`);
    await page.locator(`${tid('connection-state')}[data-state="connected"]`).waitFor();
    const port = server.port;
    session.outage = true;
    await server.close();
    await page.locator(`${tid('connection-state')}[data-state="disconnected"]`).waitFor({ timeout: 15_000 });
    await page.locator(tid('disconnected-banner')).waitFor();

    await restartServer(port);
    await page.locator(`${tid('connection-state')}[data-state="connected"]`).waitFor({ timeout: 20_000 });
    expect(await page.locator(tid('disconnected-banner')).count()).toBe(0);
    // Calls work again, not just the socket.
    await page.locator(tid('health-refresh')).click();
    await page.locator(`${tid('health-refresh')}:not([disabled])`).waitFor();
    expect(await page.locator(tid('health-error')).count()).toBe(0);
    session.outage = false;
  });

  it('ran without console errors, page exceptions or CSP violations', () => {
    expect(session.problems).toEqual([]);
  });
});
