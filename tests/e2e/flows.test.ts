/**
 * One operator session over the whole console, against `taxi-mlops serve`'s server on a workspace made by
 * the demo (trips, features, two registered models, a replayed stream, a drift report): every tab loads
 * real data with no error shown, then the issue's flows — materialize with a progress bar, an online lookup
 * with statuses, two runs compared on a chart, the champion alias moved, a message produced and seen in
 * the live tail, a drift report opened, an alert acknowledged, the profile switched. Load-to-interactive
 * and tab-switch times are printed, not asserted. One screenshot per tab goes to tests/output/screenshots;
 * with TAXI_UPDATE_DOCS_SCREENSHOTS=1 the same light-theme 1440×900 shots refresh docs/screenshots/.
 *
 * TAXI_E2E_DEMO_WS=<dir> reuses a demo workspace (copied, never changed) instead of running the demo.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src-main/cli/demo.js';
import { initWorkspace } from '../../src-main/platform/workspace.js';
import { SCREENSHOT_DIR } from './browser.js';
import { DRIFT_ALERT_RULES_YAML, ok, page, server, services, session, tid, useConsoleServer } from './console-server.js';

const TABS = ['overview', 'features', 'models', 'streams', 'monitoring', 'jobs', 'settings', 'logs'] as const;
const MODEL = 'chicago_taxi_fare';
const DOCS_DIR = path.resolve(import.meta.dirname, '../../docs/screenshots');
const DAY = 86_400_000;

const timings: Record<string, number> = {};

async function shoot(name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `flows-${name}.png`);
  // Viewport-sized (1440×900), so the shots stay small and look like the app window.
  await page.screenshot({ path: file });
  if (process.env.TAXI_UPDATE_DOCS_SCREENSHOTS === '1') {
    fs.mkdirSync(DOCS_DIR, { recursive: true });
    fs.copyFileSync(file, path.join(DOCS_DIR, `${name}.png`));
  }
}

/** Nothing on screen says something failed: no error banner, no error code. */
async function noErrors(where: string): Promise<void> {
  const shown = await page.locator(`${tid('error-code')}, .banner-bad, [role="alert"].banner-bad`).allTextContents();
  expect(shown, where).toEqual([]);
}

useConsoleServer({
  prefix: 'taxi-e2e-flows-',
  // The demo's drift report has drifted features, so DRIFT_ALERT_RULES_YAML fires an alert.
  prepare: async (dir) => {
    const reuse = process.env.TAXI_E2E_DEMO_WS;
    if (reuse) {
      fs.cpSync(reuse, dir, { recursive: true });
    } else {
      initWorkspace(dir);
      fs.appendFileSync(path.join(dir, 'config.yaml'), DRIFT_ALERT_RULES_YAML);
      await runDemo({ workspace: dir, rows: 20_000, seed: 42, print: () => undefined });
    }
    if (!fs.readFileSync(path.join(dir, 'config.yaml'), 'utf8').includes('feature_drift')) fs.appendFileSync(path.join(dir, 'config.yaml'), DRIFT_ALERT_RULES_YAML);
  },
  colorScheme: 'light',
  teardown: () => {
    const rows = Object.entries(timings).map(([k, v]) => `  ${k.padEnd(34)} ${v.toFixed(0).padStart(6)} ms`);
    if (rows.length) process.stdout.write(`\nconsole timings (measured, not asserted):\n${rows.join('\n')}\n`);
  },
  timeout: 900_000,
});

describe('operator session on the demo workspace', () => {
  it('loads Overview to interactive and measures it', async () => {
    const t0 = performance.now();
    await page.goto(`${server.url}/#/overview`);
    await page.locator(`${tid('ov-services')}`).waitFor();
    await page.locator(tid('tab-features')).waitFor({ state: 'visible' });
    timings['overview load → interactive'] = performance.now() - t0;
    const nav = await page.evaluate(() => {
      const e = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      return e ? e.domContentLoadedEventEnd : null;
    });
    if (nav !== null) timings['overview DOMContentLoaded (browser)'] = nav;
  });

  it('every tab loads real data with no error shown; one screenshot each; keyboard and history work', { timeout: 120_000 }, async () => {
    for (const tab of TABS) {
      const t0 = performance.now();
      await page.locator(tid(`tab-${tab}`)).click();
      await page.locator(`${tid(`panel-${tab}`)}`).waitFor();
      timings[`tab switch → ${tab}`] = performance.now() - t0;
      // Let the tab's first round of calls land before judging it.
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await page.waitForTimeout(800);
      // Cards still loading are not an error, but the screenshot should show their data.
      await page.waitForFunction(() => !document.body.innerText.includes('Loading…'), null, { timeout: 20_000 }).catch(() => undefined);
      expect(await page.evaluate(() => location.hash)).toMatch(new RegExp(`^#/${tab}`));
      await noErrors(tab);
      await shoot(tab);
    }
    // Keyboard: Ctrl+1 is Overview, arrow keys walk the tab bar; back and forward follow the hash.
    await page.keyboard.press('Control+1');
    await page.locator(tid('panel-overview')).waitFor();
    await page.locator(tid('tab-overview')).focus();
    await page.keyboard.press('ArrowRight');
    await page.locator(tid('panel-features')).waitFor();
    expect(await page.locator(tid('tab-features')).getAttribute('aria-selected')).toBe('true');
    await page.goBack();
    await page.locator(tid('panel-overview')).waitFor();
    await page.goForward();
    await page.locator(tid('panel-features')).waitFor();
    expect(session.problems).toEqual([]);
  });

  it('materializes from Features with a visible progress bar', { timeout: 120_000 }, async () => {
    await page.goto(`${server.url}/#/features`);
    await page.locator(tid('pipeline-mode-materialize')).click();
    await page.locator(tid('materialize-start')).fill(new Date(Date.now() - 3 * DAY).toISOString().slice(0, 10));
    await page.locator(tid('materialize-end')).fill(`${new Date(Date.now() + 120_000).toISOString().slice(0, 16)}Z`);
    await page.locator(tid('materialize-submit')).click();
    await page.locator(`${tid('pipeline-job')}[data-kind="features.materialize"] ${tid('pipeline-job-bar')}`).waitFor();
    const box = page.locator(`${tid('pipeline-job')}[data-kind="features.materialize"]`);
    await page.locator(`${tid('pipeline-job')}[data-kind="features.materialize"][data-status="succeeded"]`).waitFor({ timeout: 90_000 });
    const job = services.jobs.get((await box.getAttribute('data-job-id'))!);
    expect(job.status).toBe('succeeded');
  });

  it('looks up online features with their statuses', async () => {
    await page.locator(tid('lookup-target')).selectOption('view:taxi_activity');
    await page.locator(tid('lookup-key-taxi_id')).fill('gtaxi-0001, no-such-taxi');
    await page.locator(tid('lookup-submit')).click();
    await page.locator(tid('lookup-table')).waitFor();
    expect(Number(await page.locator(tid('lookup-count-NOT_FOUND')).getAttribute('data-count'))).toBeGreaterThan(0);
    expect(await page.locator(tid('lookup-entity-1')).textContent()).toBe('no-such-taxi');
  });

  it('compares the two demo runs on a chart', async () => {
    const runs = await ok<{ runs: { info: { run_id: string } }[] }>('registry.runs.search', {});
    const ids = runs.runs.slice(0, 2).map((r) => r.info.run_id);
    expect(ids).toHaveLength(2);
    await page.goto(`${server.url}/#/models/compare/${ids.join(',')}`);
    await page.locator(`${tid('compare')}[data-runs="2"]`).waitFor();
    await page.locator(`${tid('compare-parallel-chart')}[data-ready="true"] svg`).waitFor({ timeout: 20_000 });
  });

  it('moves the champion alias to v1 after confirmation', async () => {
    await page.goto(`${server.url}/#/models/registry/${MODEL}/1`);
    await page.locator(`${tid('version-actions')}[data-version="1"]`).waitFor();
    await page.locator(tid('alias-name')).fill('champion');
    await page.locator(tid('alias-set')).click();
    await page.locator(tid('confirm-yes')).click();
    await page.locator(tid('registry-action-done')).waitFor();
    expect((await ok<{ version: string }>('registry.aliases.get', { name: MODEL, alias: 'champion' })).version).toBe('1');
  });

  it('produces a message and sees it in the live tail', { timeout: 60_000 }, async () => {
    await page.goto(`${server.url}/#/streams/taxi-raw-data`);
    await page.locator(tid('tail-start')).click();
    await page.locator(`${tid('tail-state')}[data-status="live"]`).waitFor();
    const trip = {
      trip_id: 'flows-e2e-1', taxi_id: 'taxi-flows', pickup_datetime: new Date(Date.now() - 1_800_000).toISOString(), dropoff_datetime: new Date(Date.now() - 600_000).toISOString(),
      pickup_latitude: 41.88, pickup_longitude: -87.63, dropoff_latitude: 41.9, dropoff_longitude: -87.65, pickup_community_area: 8, dropoff_community_area: 32,
      passenger_count: 1, trip_distance: 3.2, trip_seconds: 1200, fare_amount: 12.5, tips: 2, tolls: 0, extras: 0, trip_total: 14.5, payment_type: 'Credit Card', company: 'Flows Cab',
    };
    await page.locator(tid('produce-key')).fill('taxi-flows');
    await page.locator(tid('produce-value')).fill(JSON.stringify(trip, null, 2));
    await page.locator(tid('produce-submit')).click();
    await page.locator(`${tid('produce-result')}, ${tid('produce-error')}`).first().waitFor();
    expect(await page.locator(tid('produce-error')).allTextContents()).toEqual([]);
    const partition = await page.locator(tid('produce-result')).getAttribute('data-partition');
    const offset = await page.locator(tid('produce-result')).getAttribute('data-offset');
    await page.locator(`${tid('tail-table')} [data-key="${partition}:${offset}"]`).waitFor({ timeout: 15_000 });
  });

  it('opens the demo drift report', async () => {
    const { reports } = await ok<{ reports: { id: string }[] }>('monitoring.reports', {});
    expect(reports.length).toBeGreaterThan(0);
    await page.goto(`${server.url}/#/monitoring/drift/${encodeURIComponent(reports[0]!.id)}`);
    await page.locator(tid('drift-verdict')).waitFor();
    expect(await page.locator(tid('report-html')).getAttribute('href')).toBe(`/reports/${encodeURIComponent(reports[0]!.id)}.html`);
    const html = await page.request.get(`${server.url}/reports/${encodeURIComponent(reports[0]!.id)}.html`);
    expect(html.status()).toBe(200);
  });

  it('evaluates the alert rules and acknowledges the alert that fires', { timeout: 90_000 }, async () => {
    await page.locator(tid('monitoring-nav-alerts')).click();
    await page.locator(tid('mon-alerts')).waitFor();
    await page.locator(tid('alerts-evaluate')).click();
    await expect.poll(() => page.locator(tid('alerts-evaluate-job')).getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    await expect.poll(() => page.locator(tid('alerts-firing-row')).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const firing = (await ok<{ alerts: { id: number; state: string }[] }>('monitoring.alerts', {})).alerts.find((a) => a.state === 'firing')!;
    await page.locator(`${tid('alerts-firing-row')}[data-key="${firing.id}"] ${tid('alert-ack')}`).click();
    await expect.poll(() => page.locator(`${tid('alerts-firing-row')}[data-key="${firing.id}"]`).textContent()).toContain('acked');
    const after = await ok<{ alerts: { id: number; acknowledged_by: string | null }[] }>('monitoring.alerts', {});
    expect(after.alerts.find((a) => a.id === firing.id)?.acknowledged_by).toBe('console');
  });

  it('switches the profile from Settings and the header follows, then back', { timeout: 60_000 }, async () => {
    await page.goto(`${server.url}/#/settings`);
    await page.locator(`${tid('profile-row-cluster')} ${tid('profile-activate-button')}`).click();
    await expect.poll(() => page.locator(tid('header-profile')).textContent(), { timeout: 20_000 }).toContain('cluster');
    expect(services.workspace.profile.name).toBe('cluster');
    await page.locator(`${tid('profile-row-local')} ${tid('profile-activate-button')}`).click();
    await expect.poll(() => page.locator(tid('header-profile')).textContent(), { timeout: 20_000 }).toContain('local');
  });
});
