/**
 * The Features tab against the real server and Chromium: generated trips of the last days in a temp
 * workspace, then Transform and Materialize from the UI with live progress, an online lookup whose
 * statuses match the server's, a feature's histogram, deep links and the scheduler. Tests run in order
 * and share one page, like an operator's session.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src-main/api/contract.js';
import { featuresMethods } from '../../src-main/api/methods/features.js';
import { tripStoreRelation } from '../../src-main/engines/data/store.js';
import { openEngineDb, queryOne } from '../../src-main/platform/duckdb.js';
import { openConsolePage, screenshot } from './browser.js';
import { browser, ok, page, server, services, session, tid, useConsoleServer } from './console-server.js';

const VIEWS = ['trip_features', 'taxi_activity', 'area_demand'];
const DAY = 86_400_000;

/** Every `jobs.progress` frame the page received. */
const frames: { id: string; kind: string; status: string; percent: number | null }[] = [];

/** The message the contract gives for a field, so the test never hard-codes zod's wording. */
function schemaMessage(input: Record<string, unknown>, field: string): string {
  const parsed = featuresMethods['features.materialize'].input.safeParse(input);
  const issue = parsed.success ? undefined : parsed.error.issues.find((i) => i.path[0] === field);
  if (!issue) throw new Error(`expected ${JSON.stringify(input)} to be invalid at ${field}`);
  return issue.message;
}

/** The taxi of the newest stored trip: its taxi_activity row is the newest there is, well inside the TTL. */
async function newestTaxi(): Promise<string> {
  const db = await openEngineDb(services.workspace, { threads: 1 });
  try {
    const row = await queryOne<{ taxi_id: string }>(db.conn, `SELECT taxi_id FROM ${tripStoreRelation(services.workspace)} WHERE taxi_id IS NOT NULL ORDER BY pickup_datetime DESC LIMIT 1`);
    return row.taxi_id;
  } finally {
    db.close();
  }
}

/** Waits for the pipeline card's job to finish and returns the server's record of it. */
async function finishedPipelineJob(kind: string): Promise<Job> {
  const box = page.locator(`${tid('pipeline-job')}[data-kind="${kind}"]`);
  await box.waitFor();
  const id = (await box.getAttribute('data-job-id'))!;
  await page.locator(`${tid('pipeline-job')}[data-job-id="${id}"]:is([data-status="succeeded"], [data-status="failed"], [data-status="cancelled"])`).waitFor({ timeout: 90_000 });
  const job = services.jobs.get(id);
  expect({ status: await box.getAttribute('data-status'), error: job.error }).toEqual({ status: 'succeeded', error: null });
  return job;
}

const now = Date.now();
const start = new Date(now - 3 * DAY).toISOString().slice(0, 10);

useConsoleServer({
  prefix: 'taxi-e2e-features-',
  seed: async () => {
    // Trips up to a minute ago, so online values are inside their TTL when read now.
    const gen = await ok<Job>('data.generate', { rows: 20_000, seed: 11, start, end: new Date(now - 60_000).toISOString() });
    expect((await services.jobs.wait(gen.id)).status).toBe('succeeded');
  },
  timeout: 180_000,
});

beforeAll(() => {
  page.on('websocket', (ws) => {
    ws.on('framereceived', ({ payload }) => {
      try {
        const msg = JSON.parse(String(payload)) as { event?: string; payload?: { id: string; kind: string; status: string; progress: { percent: number | null } } };
        if (msg.event === 'jobs.progress' && msg.payload) {
          frames.push({ id: msg.payload.id, kind: msg.payload.kind, status: msg.payload.status, percent: msg.payload.progress.percent });
        }
      } catch {
        // Not ours to judge here; the UI ignores malformed frames too.
      }
    });
  });
});

describe('features tab', () => {
  it('lists the three views, each empty, and says to run Transform', async () => {
    await page.goto(`${server.url}/#/features`);
    await page.locator(`${tid('connection-state')}[data-state="connected"]`).waitFor();
    await page.locator(tid('views-table')).waitFor();
    const names = await page.locator(`${tid('views-table')} tbody tr`).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-view')));
    expect(names).toEqual(VIEWS);
    for (const v of VIEWS) {
      await expect.poll(() => page.locator(`${tid(`view-row-${v}`)} ${tid('view-freshness')}`).getAttribute('data-status')).toBe('empty');
    }
    expect(await page.locator(tid('features-next-step')).getAttribute('data-step')).toBe('transform');
    expect(await page.locator(tid('features-next-step')).textContent()).toContain('No feature rows yet — run Transform');
    // The first view is shown when the link names none.
    expect(await page.locator(tid('view-row-trip_features')).getAttribute('data-selected')).toBe('true');
    await page.locator(tid('detail-empty')).waitFor();
    await page.locator(tid('runs-empty')).waitFor();
    await screenshot(page, 'features-empty');
  });

  it('validates the materialize form inline with the contract schema, sending nothing', async () => {
    const before = services.jobs.list({ limit: 1000 }).length;
    await page.locator(tid('pipeline-mode-materialize')).click();
    await page.locator(tid('materialize-start')).fill('yesterday');
    await expect.poll(() => page.locator(tid('materialize-start-error')).textContent()).toBe(schemaMessage({ start: 'yesterday', end: 1 }, 'start'));
    await page.locator(tid('materialize-start')).fill('2026-01-02');
    await page.locator(tid('materialize-end')).fill('2026-01-01');
    await expect.poll(() => page.locator(tid('materialize-end-error')).textContent()).toBe(schemaMessage({ start: '2026-01-02', end: '2026-01-01' }, 'end'));
    for (const v of VIEWS) await page.locator(tid(`materialize-view-${v}`)).uncheck();
    await page.locator(tid('materialize-views-error')).waitFor();
    await page.locator(tid('materialize-submit')).click();
    expect(await page.locator(tid('materialize-submit')).isDisabled()).toBe(true);
    expect(await page.locator(tid('pipeline-job')).count()).toBe(0);
    expect(services.jobs.list({ limit: 1000 }).length).toBe(before);
    for (const v of VIEWS) await page.locator(tid(`materialize-view-${v}`)).check();
  });

  it('runs Transform from the UI, with its progress bar live, and the views fill up', { timeout: 120_000 }, async () => {
    await page.locator(tid('pipeline-mode-transform')).click();
    await page.locator(tid('transform-submit')).click();
    await page.locator(`${tid('pipeline-job')}[data-kind="features.transform"] ${tid('pipeline-job-bar')}`).waitFor();
    const job = await finishedPipelineJob('features.transform');
    expect(await page.locator(tid('pipeline-job-bar')).getAttribute('data-percent')).toBe('100');
    expect(await page.locator(tid('pipeline-job-text')).textContent()).toContain('100%');
    // The bar moved on events, not on a poll: the page saw the job before it finished.
    const seen = frames.filter((f) => f.id === job.id);
    expect(seen.some((f) => f.status === 'running')).toBe(true);
    expect(seen.at(-1)?.status).toBe('succeeded');

    const result = job.result as { views: { view: string; rows: number }[] };
    expect(result.views.map((v) => v.view).sort()).toEqual([...VIEWS].sort());
    for (const v of result.views) {
      expect(v.rows).toBeGreaterThan(0);
      await expect.poll(() => page.locator(`${tid(`view-row-${v.view}`)} ${tid('view-rows')}`).textContent(), { timeout: 15_000 }).toBe(v.rows.toLocaleString('en-US'));
      expect(await page.locator(`${tid(`view-row-${v.view}`)} ${tid('view-freshness')}`).getAttribute('data-status')).toBe('unmaterialized');
    }
    expect(await page.locator(tid('features-next-step')).count()).toBe(0);
  });

  it('materializes from the UI with a visible progress bar and shows the watermarks', { timeout: 120_000 }, async () => {
    const end = `${new Date(Date.now() + 120_000).toISOString().slice(0, 16)}Z`;
    await page.locator(tid('pipeline-mode-materialize')).click();
    await page.locator(tid('materialize-start')).fill(start);
    await page.locator(tid('materialize-end')).fill(end);
    expect(await page.locator(tid('materialize-start-error')).count()).toBe(0);
    await page.locator(tid('materialize-submit')).click();
    await page.locator(`${tid('pipeline-job')}[data-kind="features.materialize"] ${tid('pipeline-job-bar')}`).waitFor();
    const job = await finishedPipelineJob('features.materialize');
    expect(job.input).toEqual({ start: Date.parse(`${start}T00:00:00Z`), end: Date.parse(end) });
    expect(await page.locator(tid('pipeline-job-bar')).getAttribute('data-percent')).toBe('100');
    expect(frames.filter((f) => f.id === job.id).some((f) => f.status === 'running')).toBe(true);

    const runs = page.locator(`${tid('runs-table')} tbody tr`);
    await expect.poll(() => runs.count(), { timeout: 15_000 }).toBe(3);
    expect(await runs.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')))).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const marks = await page.locator(`${tid('watermarks')} li`).evaluateAll((li) => li.map((l) => l.getAttribute('data-view')));
    expect([...marks].sort()).toEqual([...VIEWS].sort());
    // Trips up to a minute ago, materialized past now: within the TTL and caught up.
    await expect.poll(() => page.locator(`${tid('view-row-trip_features')} ${tid('view-freshness')}`).getAttribute('data-status'), { timeout: 15_000 }).toBe('fresh');
    await page.locator(`${tid('feature-histogram')}[data-ready="true"] svg`).waitFor();
    await screenshot(page, 'features-materialized');
  });

  it('looks up online features: PRESENT for a taxi that drove, NOT_FOUND for one that never did, OUTSIDE_MAX_AGE for an old one', async () => {
    const taxi = await newestTaxi();
    // A taxi last seen two days ago: older than taxi_activity's 1d TTL.
    const old = new Date(Date.now() - 2 * DAY).toISOString();
    await ok('features.push', { view: 'taxi_activity', rows: [{ taxi_id: 'old-taxi', event_timestamp: old, trips_1h: 1, trips_24h: 5, avg_fare_7d: 14.5, tip_rate_7d: 0.2 }], to: 'online' });

    await page.locator(tid('lookup-target')).selectOption('view:taxi_activity');
    await page.locator(tid('lookup-key-taxi_id')).fill(`${taxi}, no-such-taxi, old-taxi`);
    await page.locator(tid('lookup-submit')).click();
    await page.locator(tid('lookup-table')).waitFor();

    const cells = page.locator(`${tid('lookup-table')} ${tid('lookup-cell')}`);
    const statusOf = (row: number) => cells.and(page.locator(`[data-row="${row}"]`)).evaluateAll((c) => c.map((x) => x.getAttribute('data-status')));
    const features = ['trips_1h', 'trips_24h', 'avg_fare_7d', 'tip_rate_7d'];
    // The server's own answer for the same request is what the UI must show.
    const server = await ok<{ metadata: { feature_names: string[] }; results: { statuses: string[] }[] }>('features.getOnline', {
      entities: { taxi_id: [taxi, 'no-such-taxi', 'old-taxi'] },
      features: ['taxi_activity:*'],
    });
    const expected = (row: number) => features.map((f) => server.results[server.metadata.feature_names.indexOf(f)]!.statuses[row]);
    for (const row of [0, 1, 2]) expect(await statusOf(row)).toEqual(expected(row));
    expect(await cells.and(page.locator('[data-row="0"][data-feature="trips_24h"]')).getAttribute('data-status')).toBe('PRESENT');
    expect(await statusOf(1)).toEqual(features.map(() => 'NOT_FOUND'));
    expect(await statusOf(2)).toEqual(features.map(() => 'OUTSIDE_MAX_AGE'));
    // Each status is a coloured badge, counted above the table.
    const badge = (status: string) => page.locator(`${tid('lookup-table')} [data-status="${status}"] ${tid('value-status')}`).first().getAttribute('class');
    expect(await badge('PRESENT')).toContain('badge-ok');
    expect(await badge('NOT_FOUND')).toContain('badge-bad');
    expect(await badge('OUTSIDE_MAX_AGE')).toContain('badge-warn');
    expect(await page.locator(tid('lookup-count-NOT_FOUND')).getAttribute('data-count')).toBe('4');
    expect(await page.locator(tid('lookup-count-OUTSIDE_MAX_AGE')).getAttribute('data-count')).toBe('4');
    expect(await page.locator(tid('lookup-entity-0')).textContent()).toBe(taxi);
    // Event times in UTC, whatever the browser's zone.
    expect(await cells.and(page.locator('[data-row="0"][data-feature="trips_24h"]')).textContent()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    expect(await cells.and(page.locator('[data-row="2"][data-feature="trips_24h"]')).textContent()).toContain(`${old.slice(0, 19).replace('T', ' ')} UTC`);
    await page.locator(tid('lookup-card')).screenshot({ path: path.resolve(import.meta.dirname, '../output/screenshots/features-lookup.png') });
  });

  it('checks entity keys inline: an int key rejects text before anything is sent', async () => {
    await page.locator(tid('lookup-target')).selectOption('view:area_demand');
    await page.locator(tid('lookup-key-pickup_community_area')).fill('8, downtown');
    await expect.poll(() => page.locator(tid('lookup-key-pickup_community_area-error')).textContent()).toContain('"downtown" is not a whole number');
    await page.locator(tid('lookup-submit')).click();
    expect(await page.locator(tid('lookup-submit')).isDisabled()).toBe(true);
    // The table still shows the taxi lookup: nothing was sent.
    expect(await page.locator(tid('lookup-entity-1')).textContent()).toBe('no-such-taxi');

    await page.locator(tid('lookup-key-pickup_community_area')).fill('8');
    await page.locator(tid('lookup-submit')).click();
    await expect.poll(() => page.locator(tid('lookup-entity-0')).textContent()).toBe('8');
    expect(await page.locator(tid('lookup-entity-1')).count()).toBe(0);
  });

  it('marks a view stale when offline rows pass its watermark, and Materialize incremental catches it up', { timeout: 120_000 }, async () => {
    // A pushed offline row newer than the watermark: the online store is now behind.
    const ahead = new Date(Date.now() + 10 * 60_000).toISOString();
    await ok('features.push', { view: 'taxi_activity', rows: [{ taxi_id: 'late-taxi', event_timestamp: ahead, trips_1h: 1, trips_24h: 1, avg_fare_7d: 9, tip_rate_7d: 0 }], to: 'offline' });
    await page.locator(tid('views-refresh')).click();
    const freshness = page.locator(`${tid('view-row-taxi_activity')} ${tid('view-freshness')}`);
    await expect.poll(() => freshness.getAttribute('data-status'), { timeout: 15_000 }).toBe('stale');
    expect(await freshness.getAttribute('title')).toContain('Watermark is');
    expect(await freshness.getAttribute('title')).toContain('run Materialize incremental');
    expect(await page.locator(`${tid('view-row-trip_features')} ${tid('view-freshness')}`).getAttribute('data-status')).toBe('fresh');
    await page.locator(tid('views-card')).screenshot({ path: path.resolve(import.meta.dirname, '../output/screenshots/features-stale.png') });

    await page.locator(tid('pipeline-mode-incremental')).click();
    expect(await page.locator(tid('incremental-watermarks')).textContent()).toContain('taxi_activity');
    await page.locator(tid('incremental-end')).fill(`${new Date(Date.now() + 15 * 60_000).toISOString().slice(0, 16)}Z`);
    for (const v of ['trip_features', 'area_demand']) await page.locator(tid(`incremental-view-${v}`)).uncheck();
    await page.locator(tid('incremental-submit')).click();
    const job = await finishedPipelineJob('features.materialize_incremental');
    expect((job.input as { views?: string[] }).views).toEqual(['taxi_activity']);
    expect((job.result as { views: { view: string; rows: number }[] }).views.map((v) => v.view)).toEqual(['taxi_activity']);
    await expect.poll(() => freshness.getAttribute('data-status'), { timeout: 15_000 }).toBe('fresh');
  });

  it("opens a feature's histogram and a string feature's top values, each with a deep link", async () => {
    await page.locator(tid('view-row-trip_features')).click();
    await page.locator(tid('feature-row-trip_distance')).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/features/trip_features/trip_distance');
    await page.locator(`${tid('feature-panel')}[data-feature="trip_distance"] ${tid('feature-histogram')}[data-ready="true"] svg`).waitFor();
    const stats = (await ok<{ features: { feature: string; histogram: { count: number }[] | null }[] }[]>('features.stats', { views: ['trip_features'] }))[0]!;
    const bins = stats.features.find((f) => f.feature === 'trip_distance')!.histogram!;
    // One bar per non-empty bin (ECharts draws no path for a zero-height bar).
    const bars = await page.locator(`${tid('feature-histogram')} svg path[fill]:not([fill="none"])`).count();
    expect(bars).toBeGreaterThanOrEqual(bins.filter((b) => b.count > 0).length);
    // The long tail shows on a log axis; the bars are redrawn, not lost.
    await page.locator(tid('histogram-log')).check();
    await expect.poll(() => page.locator(`${tid('feature-histogram')} svg path[fill]:not([fill="none"])`).count()).toBeGreaterThanOrEqual(bins.filter((b) => b.count > 0).length);
    await page.locator(tid('feature-panel')).scrollIntoViewIfNeeded();
    await page.locator(tid('view-detail')).screenshot({ path: path.resolve(import.meta.dirname, '../output/screenshots/features-histogram.png') });

    await page.locator(tid('feature-row-payment_type')).click();
    await page.locator(`${tid('feature-panel')}[data-feature="payment_type"] ${tid('feature-top')}[data-ready="true"] svg`).waitFor();
    expect(await page.locator(tid('feature-row-payment_type')).getAttribute('data-selected')).toBe('true');
  });

  it('selects a view from a deep link and names an unknown one', async () => {
    await page.goto(`${server.url}/#/features/area_demand`);
    await page.locator(`${tid('view-detail-body')}[data-view="area_demand"]`).waitFor();
    expect(await page.locator(tid('view-row-area_demand')).getAttribute('data-selected')).toBe('true');
    expect(await page.locator(tid('tab-features')).getAttribute('aria-selected')).toBe('true');
    await page.locator(`${tid('feature-row-avg_fare_1h')}`).waitFor();

    await page.goto(`${server.url}/#/features/no_such_view`);
    await page.locator(tid('unknown-view')).waitFor();
    expect(await page.locator(`${tid('unknown-view')} ${tid('error-code')}`).textContent()).toBe('NOT_FOUND');
    expect(await page.locator(`${tid('unknown-view')} ${tid('error-message')}`).textContent()).toContain('no_such_view');
  });

  it('starts the scheduler, runs a task now, and stops it', { timeout: 120_000 }, async () => {
    await page.goto(`${server.url}/#/features`);
    const state = page.locator(tid('sched-state'));
    await state.waitFor();
    expect(await state.getAttribute('data-running')).toBe('false');

    await page.locator(tid('sched-start')).click();
    await expect.poll(() => state.getAttribute('data-running')).toBe('true');
    expect((await ok<{ running: boolean }>('features.scheduler.status')).running).toBe(true);
    expect(await page.locator(`${tid('sched-task-materialize')} ${tid('sched-next')}`).textContent()).toMatch(/UTC\s*in \d+/);

    await page.locator(tid('sched-run-materialize')).click();
    const row = page.locator(`${tid('sched-runs-table')} tr[data-kind="features.materialize_incremental"]`);
    await row.first().waitFor({ timeout: 15_000 });
    await row.and(page.locator('[data-status="succeeded"]')).first().waitFor({ timeout: 90_000 });
    await page.locator(tid('scheduler-card')).screenshot({ path: path.resolve(import.meta.dirname, '../output/screenshots/features-scheduler.png') });

    await page.locator(tid('sched-stop')).click();
    await expect.poll(() => state.getAttribute('data-running')).toBe('false');
    expect((await ok<{ running: boolean }>('features.scheduler.status')).running).toBe(false);
  });

  it('renders the dark theme', async () => {
    const dark = await openConsolePage(browser, { colorScheme: 'dark' });
    try {
      await dark.page.goto(`${server.url}/#/features/taxi_activity/avg_fare_7d`);
      await dark.page.locator(`${tid('feature-histogram')}[data-ready="true"] svg`).waitFor();
      await dark.page.locator(tid('runs-table')).waitFor();
      await screenshot(dark.page, 'features-dark');
      expect(dark.problems).toEqual([]);
    } finally {
      await dark.context.close();
    }
  });

  it('ran without console errors, page exceptions or CSP violations', () => {
    expect(session.problems).toEqual([]);
  });
});
