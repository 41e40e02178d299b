/**
 * The Monitoring tab against the real server and Chromium. A temp workspace gets three clean days of
 * trips, a linear fare model trained on them (champion), and a last day generated with the
 * `longer_trips` drift; its config adds an alert rule that fires when any feature drifted. The test
 * runs drift from the form (reference = the champion's training set, current = the drifted day), reads
 * the per-feature table and a distribution chart, opens the HTML report, evaluates the rules and
 * acknowledges the alert, and checks the system charts.
 */
import { describe, expect, it } from 'vitest';
import { openConsolePage, screenshot } from './browser.js';
import { browser, DRIFT_ALERT_RULES_YAML, ok, page, runJob, server, services, session, tid, useConsoleServer } from './console-server.js';
import { startHttpServer } from '../../src-main/api/http.js';

const DAY = 86_400_000;

let reportId: string;

async function seed(): Promise<void> {
  const now = Date.now();
  const cut = new Date(now - DAY).toISOString();
  await runJob('data.generate', { rows: 12_000, seed: 7, start: new Date(now - 4 * DAY).toISOString().slice(0, 10), end: cut });
  await runJob('features.transform', {});
  await runJob('models.train', { algorithm: 'linear', end: cut, alias: 'champion', run_name: 'monitoring-e2e' });
  // The drifted window: the last day, trips longer than the calibration.
  await runJob('data.generate', { rows: 3_000, seed: 11, start: cut, end: new Date(now - 60_000).toISOString(), drift: 'longer_trips' });
}

useConsoleServer({ prefix: 'taxi-e2e-monitoring-', configYaml: DRIFT_ALERT_RULES_YAML, seed, timeout: 300_000 });

describe('monitoring tab', () => {
  it('starts on data drift with an empty reports list that says what to do', async () => {
    await page.goto(`${server.url}/#/monitoring`);
    await page.locator(`${tid('connection-state')}[data-state="connected"]`).waitFor();
    await page.locator(tid('mon-drift')).waitFor();
    expect(await page.locator(tid('monitoring-tab')).getAttribute('data-section')).toBe('drift');
    await expect.poll(() => page.locator(tid('drift-reports')).textContent()).toContain('No drift reports yet');
    // The champion is preselected as the reference.
    await expect.poll(() => page.locator(`${tid('drift-version')} option:checked`).textContent()).toContain('champion');
  });

  it('runs drift from the form: progress, the per-feature table, a distribution chart', async () => {
    // The current window defaults to the last day of trips: the drifted one.
    await expect.poll(() => page.locator(tid('drift-cur-start')).inputValue()).not.toBe('');
    await page.locator(tid('drift-run')).click();
    await page.locator(tid('drift-job')).waitFor();
    await expect.poll(() => page.locator(tid('drift-job')).getAttribute('data-status'), { timeout: 120_000 }).toBe('succeeded');
    await expect.poll(() => page.evaluate(() => location.hash)).toMatch(/^#\/monitoring\/drift\/[^/]+$/);
    reportId = decodeURIComponent((await page.evaluate(() => location.hash)).split('/')[3]!);

    const report = await ok<{ columns: { column: string; drifted: boolean; distribution: unknown }[]; dataset: { columns: number; drifted_columns: number; drift: boolean }; reference: { kind: string } }>('monitoring.report', { id: reportId });
    expect(report.dataset.drifted_columns).toBeGreaterThanOrEqual(1);
    await page.locator(tid('drift-verdict')).waitFor();
    expect(await page.locator(tid('drift-verdict')).getAttribute('data-drift')).toBe(String(report.dataset.drift));
    expect(await page.locator(tid('drift-verdict')).textContent()).toContain(`${report.dataset.drifted_columns} of ${report.dataset.columns} features drifted`);
    await expect.poll(() => page.locator(tid('drift-features-count')).getAttribute('data-total')).toBe(String(report.columns.length));
    const drifted = await page
      .locator(`${tid('drift-features-row')}:has(${tid('feature-drifted')}[data-status="drifted"])`)
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
    expect(drifted.sort()).toEqual(report.columns.filter((c) => c.drifted).map((c) => c.column).sort());

    // The chart shows the first drifted feature; choosing another updates the chart and the link.
    const first = report.columns.find((c) => c.drifted && c.distribution)!.column;
    await expect.poll(() => page.locator(tid('drift-distribution')).getAttribute('data-column')).toBe(first);
    await expect.poll(() => page.locator(tid('drift-distribution-chart')).getAttribute('data-ready')).toBe('true');
    await expect.poll(() => page.locator(`${tid('drift-distribution-chart')} svg path`).count()).toBeGreaterThan(4);
    const other = report.columns.find((c) => c.column !== first && c.distribution)!.column;
    await page.locator(`${tid('drift-features-row')}[data-key="${other}"]`).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/monitoring/drift/${encodeURIComponent(reportId)}/${encodeURIComponent(other)}`);
    await expect.poll(() => page.locator(tid('drift-distribution')).getAttribute('data-column')).toBe(other);
    await page.locator(`${tid('drift-features-row')}[data-key="${first}"]`).click();
    await expect.poll(() => page.locator(tid('drift-distribution')).getAttribute('data-column')).toBe(first);
    // The past reports list has it.
    await expect.poll(() => page.locator(`${tid('drift-reports-row')}[data-key="${reportId}"]`).count()).toBe(1);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'monitoring');
  }, 180_000);

  it('opens the stored HTML report and its JSON', async () => {
    const href = await page.locator(tid('report-html')).getAttribute('href');
    expect(href).toBe(`/reports/${encodeURIComponent(reportId)}.html`);
    const [popup] = await Promise.all([page.context().waitForEvent('page'), page.locator(tid('report-html')).click()]);
    await popup.waitForLoadState();
    const html = await popup.content();
    const report = await ok<{ columns: { column: string; drifted: boolean }[] }>('monitoring.report', { id: reportId });
    for (const c of report.columns.filter((x) => x.drifted)) expect(html).toContain(c.column);
    expect(await popup.locator('svg').count()).toBeGreaterThan(0);
    await popup.close();
    const json = await page.request.get(`${server.url}/reports/${encodeURIComponent(reportId)}.json`);
    expect(json.ok()).toBe(true);
    expect(((await json.json()) as { id: string }).id).toBe(reportId);
  });

  it('opens the exports from a server that wants a token, without putting the token in any URL', async () => {
    const TOKEN = 'e2e-report-token-5f3a';
    const guarded = await startHttpServer({ services, host: '127.0.0.1', port: 0, token: TOKEN });
    const other = await openConsolePage(browser);
    try {
      const html = `/reports/${encodeURIComponent(reportId)}.html`;
      // A plain link cannot carry the token: the server refuses it.
      expect((await other.page.request.get(`${guarded.url}${html}`)).status()).toBe(401);
      await other.page.goto(`${guarded.url}/?token=${TOKEN}#/monitoring/drift/${encodeURIComponent(reportId)}`);
      await other.page.locator(tid('report-html')).waitFor();
      expect(await other.page.evaluate(() => location.href)).not.toContain(TOKEN);

      const [popup] = await Promise.all([other.context.waitForEvent('page'), other.page.locator(tid('report-html')).click()]);
      await expect.poll(() => popup.url()).toMatch(/^blob:/);
      await popup.waitForLoadState();
      expect(popup.url()).not.toContain(TOKEN);
      await expect.poll(() => popup.locator('svg').count()).toBeGreaterThan(0);
      const report = await ok<{ columns: { column: string; drifted: boolean }[] }>('monitoring.report', { id: reportId });
      const text = await popup.content();
      for (const c of report.columns.filter((x) => x.drifted)) expect(text).toContain(c.column);
      await popup.close();

      const [json] = await Promise.all([other.context.waitForEvent('page'), other.page.locator(tid('report-json')).click()]);
      await expect.poll(() => json.url()).toMatch(/^blob:/);
      await json.waitForLoadState();
      expect((JSON.parse(await json.locator('body').innerText()) as { id: string }).id).toBe(reportId);
      await json.close();
      expect(other.problems).toEqual([]);
    } finally {
      await other.context.close();
      await guarded.close();
    }
  });

  it('evaluates the rules: the alert fires live; acknowledging it is recorded', async () => {
    await page.locator(tid('monitoring-nav-alerts')).click();
    await page.locator(tid('mon-alerts')).waitFor();
    await expect.poll(() => page.locator(tid('alerts-firing')).textContent()).toContain('Nothing is firing');
    await expect.poll(() => page.locator(`${tid('alerts-rules-row')}[data-key="feature_drift"]`).count()).toBe(1);
    await page.locator(tid('alerts-evaluate')).click();
    await expect.poll(() => page.locator(tid('alerts-evaluate-job')).getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    await expect.poll(() => page.locator(tid('alerts-firing-row')).count(), { timeout: 15_000 }).toBe(1);
    expect(await page.locator(tid('monitoring-firing-count')).textContent()).toBe('1');
    const [alert] = (await ok<{ alerts: { id: number; rule: string; state: string; acknowledged_at: string | null }[] }>('monitoring.alerts', {})).alerts;
    expect(alert).toMatchObject({ rule: 'feature_drift', state: 'firing', acknowledged_at: null });
    await page.locator(`${tid('alerts-firing-row')}[data-key="${alert!.id}"] ${tid('alert-ack')}`).click();
    await expect.poll(() => page.locator(`${tid('alerts-firing-row')}[data-key="${alert!.id}"]`).textContent()).toContain('acked');
    const after = (await ok<{ alerts: { id: number; acknowledged_at: string | null; acknowledged_by: string | null }[]; history: { event: string }[] }>('monitoring.alerts', {}));
    expect(after.alerts.find((a) => a.id === alert!.id)).toMatchObject({ acknowledged_by: 'console' });
    expect(after.history.map((h) => h.event).sort()).toEqual(['acknowledged', 'fired']);
    await expect.poll(() => page.locator(tid('alerts-history-row')).count()).toBe(2);
    await screenshot(page, 'monitoring-alerts');
  }, 90_000);

  it('shows the system charts: method latency, p99 over time, CPU, memory, disk, health', async () => {
    await page.locator(tid('monitoring-nav-system')).click();
    await page.locator(tid('system-methods')).waitFor();
    // The drift run, the report and the alert calls above went through dispatch.
    await expect.poll(() => page.locator(`${tid('system-methods-row')}[data-key="monitoring.alerts.ack"]`).count()).toBe(1);
    for (const chart of ['system-p99-chart', 'system-cpu-chart', 'system-memory-chart', 'system-disk-chart']) {
      await expect.poll(() => page.locator(tid(chart)).getAttribute('data-ready')).toBe('true');
      await expect.poll(() => page.locator(`${tid(chart)} svg path`).count()).toBeGreaterThan(2);
    }
    const metrics = await ok<{ samples: { calls: number; p99_ms: number | null }[]; disk: { stores: { name: string; bytes: number }[] }; health: { services: { name: string }[] } }>('system.metrics', {});
    expect(metrics.disk.stores.find((s) => s.name === 'offline')!.bytes).toBeGreaterThan(0);
    // The first sample already holds the calls made just before the sampler started: the p99 line has a point.
    expect(metrics.samples[0]!.calls).toBeGreaterThan(0);
    expect(metrics.samples[0]!.p99_ms).not.toBeNull();
    await expect.poll(() => page.locator(`${tid('system-health')} tbody tr`).count()).toBe(metrics.health.services.length);
    await screenshot(page, 'monitoring-system');
  });

  it('quality, importance and correlation, performance and A/B render real answers', async () => {
    await page.locator(tid('monitoring-nav-quality')).click();
    await expect.poll(() => page.locator(tid('quality-rows')).textContent(), { timeout: 30_000 }).toMatch(/\d/);
    expect(Number((await page.locator(tid('quality-columns-count')).getAttribute('data-total')) ?? 0)).toBeGreaterThan(5);

    await page.locator(tid('monitoring-nav-features')).click();
    await expect.poll(() => page.locator(tid('correlation-chart')).getAttribute('data-ready'), { timeout: 30_000 }).toBe('true');
    await expect.poll(() => page.locator(`${tid('importance-version')} option`).count()).toBeGreaterThan(0);
    await page.locator(tid('importance-run')).click();
    await expect.poll(() => page.locator(tid('importance-job')).getAttribute('data-status'), { timeout: 120_000 }).toBe('succeeded');
    await expect.poll(() => page.locator(tid('importance-chart')).getAttribute('data-ready')).toBe('true');

    await page.locator(tid('monitoring-nav-performance')).click();
    await page.locator(tid('performance-source')).selectOption('offline');
    await expect.poll(() => page.locator(tid('performance-chart')).getAttribute('data-ready'), { timeout: 30_000 }).toBe('true');
    expect(await page.locator(tid('model-drift')).getAttribute('data-detected')).toBe('false');

    await page.locator(tid('monitoring-nav-ab')).click();
    await expect.poll(() => page.locator(tid('ab-verdict')).textContent(), { timeout: 30_000 }).not.toBe('');
    expect(session.problems).toEqual([]);
  }, 240_000);

  it('deep links restore the section and the report; the back button walks back', async () => {
    await page.goto(`${server.url}/#/monitoring/drift/${encodeURIComponent(reportId)}`);
    await page.locator(tid('drift-verdict')).waitFor();
    await page.locator(tid('monitoring-nav-alerts')).click();
    await page.locator(tid('mon-alerts')).waitFor();
    await page.goBack();
    await page.locator(tid('drift-verdict')).waitFor();
    expect(await page.locator(tid('monitoring-tab')).getAttribute('data-section')).toBe('drift');
    expect(session.problems).toEqual([]);
  });
});
