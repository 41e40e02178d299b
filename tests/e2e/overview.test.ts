/**
 * The Overview against the real server and Chromium: "is everything fine?" — service health with latency,
 * feature freshness per view, the champion and its error, the stream, open alerts (with a link to
 * Monitoring › Alerts), recent jobs. The workspace is prepared through the API: trips, features offline and
 * online, a linear champion, a drifted last day, a drift report and a rule that fires on it.
 * Load-to-interactive and tab-switch times are measured and printed, not asserted.
 */
import { describe, expect, it } from 'vitest';
import { screenshot } from './browser.js';
import { DRIFT_ALERT_RULES_YAML, ok, page, runJob, server, session, tid, useConsoleServer } from './console-server.js';

const DAY = 86_400_000;

useConsoleServer({ prefix: 'taxi-e2e-overview-', configYaml: DRIFT_ALERT_RULES_YAML, seed, timeout: 300_000 });

/** Trips with a drifted last day, features offline and online, a linear champion, a drift report and its alert. */
async function seed(): Promise<void> {
  const now = Date.now();
  const cut = new Date(now - DAY).toISOString();
  await runJob('data.generate', { rows: 10_000, seed: 5, start: new Date(now - 4 * DAY).toISOString().slice(0, 10), end: cut });
  await runJob('data.generate', { rows: 2_000, seed: 6, start: cut, end: new Date(now - 60_000).toISOString(), drift: 'longer_trips' });
  await runJob('features.transform', {});
  await runJob('features.materialize', { start: new Date(now - 5 * DAY).toISOString().slice(0, 10), end: new Date(now + 120_000).toISOString() });
  await runJob('models.train', { algorithm: 'linear', end: cut, alias: 'champion', run_name: 'overview-e2e' });
  await runJob('monitoring.drift', { reference: { model: 'chicago_taxi_fare', version: '1' }, current: { start: cut } });
  await runJob('monitoring.alerts.evaluate', {});
}

/** Every headline card has its answer (its status is no longer the loading mark). */
async function headlinesLoaded(): Promise<void> {
  for (const card of ['ov-services', 'ov-freshness', 'ov-champion', 'ov-stream', 'ov-alerts']) {
    await page.locator(`${tid(`${card}-status`)}:not([data-status="…"])`).waitFor({ timeout: 30_000 });
  }
}

describe('overview', () => {
  it('loads to interactive with every headline answered (time printed)', async () => {
    const t0 = Date.now();
    await page.goto(`${server.url}/#/overview`);
    await page.locator(`${tid('connection-state')}[data-state="connected"]`).waitFor();
    const connected = Date.now() - t0;
    await headlinesLoaded();
    const interactive = Date.now() - t0;
    const nav = await page.evaluate(() => {
      const e = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      return e ? { domInteractive: Math.round(e.domInteractive), load: Math.round(e.loadEventEnd) } : null;
    });
    console.log(`[overview] load → connected ${connected} ms, → every headline answered ${interactive} ms; DOM interactive ${nav?.domInteractive} ms, load event ${nav?.load} ms`);
    // Where the server's time went, from its own per-method recorder (the box's load shows up here too).
    const m = await ok<{ methods: { method: string; calls: number; p50: number | null; max: number | null }[] }>('system.metrics', { window_s: 60 });
    const slowest = [...m.methods].filter((x) => x.calls > 0).sort((a, b) => (b.max ?? 0) - (a.max ?? 0)).slice(0, 6);
    console.log(`[overview] server time per method (max of its calls): ${slowest.map((x) => `${x.method} ${Math.round(x.max ?? 0)} ms`).join(', ')}; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
    expect(interactive).toBeGreaterThan(0);
  }, 60_000);

  it('shows service health with latency for the active profile', async () => {
    const health = await ok<{ status: string; services: { name: string; status: string }[] }>('system.health', {});
    expect(await page.locator(tid('ov-services-status')).getAttribute('data-status')).toBe(health.status);
    await expect.poll(() => page.locator(`${tid('ov-services')} li`).count()).toBe(health.services.length);
    for (const s of health.services) expect(await page.locator(tid('ov-services')).textContent()).toContain(s.name);
    expect(await page.locator(tid('ov-services')).textContent()).toMatch(/\d+(\.\d+)?\s*ms/);
    // The server's own process, from the sampler the Overview starts.
    await expect.poll(() => page.locator(tid('ov-process')).textContent()).toMatch(/Server CPU \d+% · RSS \d/);
  });

  it('shows feature freshness per view', async () => {
    const stats = await ok<{ view: string; rows: number }[]>('features.stats', { bins: 2 });
    const views = await page.locator(tid('ov-freshness-view')).evaluateAll((els) => els.map((e) => [e.getAttribute('data-view'), e.getAttribute('data-state')]));
    expect(views.map((v) => v[0]).sort()).toEqual(stats.map((s) => s.view).sort());
    // Materialized up to now with trips of the last minutes: the views with rows are fresh.
    for (const s of stats.filter((x) => x.rows > 0)) expect(views.find((v) => v[0] === s.view)![1]).toBe('fresh');
  });

  it('shows the champion and its error', async () => {
    const serving = await ok<{ model: string; champion: { version: string | null; rmse: number | null } }>('models.serving', {});
    expect(serving.champion.version).toBe('1');
    expect(await page.locator(tid('ov-champion-version')).textContent()).toContain(`${serving.model} v1`);
    expect(await page.locator(tid('ov-champion-status')).getAttribute('data-status')).toBe('serving');
    expect(await page.locator(tid('ov-champion')).textContent()).toContain(String(serving.champion.rmse!.toPrecision(3)).slice(0, 3));
    // No stream processor ran: the card says so and what to do.
    expect(await page.locator(tid('ov-champion-live')).textContent()).toContain('run the stream processor');
    expect(await page.locator(tid('ov-stream-status')).getAttribute('data-status')).toBe('never run');
  });

  it('counts open alerts and links to Monitoring › Alerts', async () => {
    const alerts = await ok<{ alerts: { state: string }[] }>('monitoring.alerts', {});
    const firing = alerts.alerts.filter((a) => a.state === 'firing').length;
    expect(firing).toBe(1);
    expect(await page.locator(tid('ov-alerts-count')).getAttribute('data-count')).toBe(String(firing));
    expect(await page.locator(tid('ov-alerts')).getAttribute('data-tone')).toBe('bad');
    await expect.poll(() => page.locator(`${tid('recent-jobs-table')}`).count()).toBe(1);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'overview');
    await page.locator(tid('ov-alerts-count')).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/monitoring/alerts');
    await expect.poll(() => page.locator(tid('alerts-firing-row')).count()).toBe(1);
  });

  it('switches tabs (times printed)', async () => {
    const times: Record<string, number> = {};
    // The tab bar's own list, so a tab added later is measured too.
    const tabs = (await page.locator('[role="tab"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid') ?? ''))).map((id) => ({ id: id.replace(/^tab-/, '') }));
    expect(tabs.length).toBeGreaterThanOrEqual(8);
    for (const round of [0, 1]) {
      for (const t of tabs) {
        const t0 = Date.now();
        await page.locator(tid(`tab-${t.id}`)).click();
        await page.locator(`${tid(`panel-${t.id}`)} .card`).first().waitFor({ timeout: 30_000 });
        // Second round only: the first includes each tab's code and data loading for the first time.
        if (round === 1) times[t.id] = Date.now() - t0;
      }
    }
    const sorted = Object.values(times).sort((a, b) => a - b);
    console.log(`[overview] tab switch to a painted card: ${Object.entries(times).map(([k, v]) => `${k} ${v} ms`).join(', ')}; median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`);
    await page.locator(tid('tab-overview')).click();
    await headlinesLoaded();
    expect(session.problems).toEqual([]);
  }, 120_000);
});
