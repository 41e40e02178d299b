/**
 * Settings and Logs tabs in Chromium against `serve` on a fresh workspace, with the real Redis, Kafka and
 * MLflow: edit the cluster profile in the UI, test each service (OK with a latency; a closed port gives a
 * clear "unreachable" naming the address), switch profiles without a restart and back, then read, filter
 * and live-tail the workspace logs. Screenshots: settings.png and logs.png.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getOnlineStore } from '../../src-main/engines/features/runtime.js';
import { getBus } from '../../src-main/engines/streams/index.js';
import { ensureService } from '../helpers/services.js';
import { screenshot } from './browser.js';
import { page, server, services, session, tid, useConsoleServer } from './console-server.js';

const [redis, kafka, mlflow] = await Promise.all([ensureService('redis'), ensureService('kafka'), ensureService('mlflow')]);

let closed: number;

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

useConsoleServer({ prefix: 'taxi-e2e-settings-', timeout: 180_000 });

beforeAll(async () => {
  closed = await closedPort();
});

describe.skipIf(!redis || !kafka || !mlflow)('settings tab', () => {
  it('lists the profiles with the active one marked', async () => {
    await page.goto(`${server.url}/#/settings`);
    await page.locator(`${tid('connection-state')}[data-state="connected"]`).waitFor();
    await page.locator(tid('profile-row-local')).waitFor();
    await page.locator(tid('profile-row-cluster')).waitFor();
    expect(await page.locator(`${tid('profile-row-local')} ${tid('profile-active')}`).count()).toBe(1);
    expect(await page.locator(`${tid('profile-row-cluster')} ${tid('profile-active')}`).count()).toBe(0);
    expect(await page.locator(tid('header-profile')).textContent()).toContain('local');
  });

  it('edits the cluster profile in the form and saves it to config.yaml', async () => {
    await page.locator(`${tid('profile-row-cluster')} ${tid('profile-edit-button')}`).click();
    await page.locator(tid('profile-editor')).waitFor();
    await page.locator(tid('redis-url')).fill('not a url');
    await page.locator(tid('profile-save')).click();
    // Inline, from the contract's schema; nothing saved.
    await expect.poll(() => page.locator(`${tid('profile-editor')} .field-error`).first().textContent()).toContain('redis://');
    expect(fs.readFileSync(services.workspace.paths.config, 'utf8')).not.toContain('not a url');
    await page.locator(tid('redis-url')).fill(redis!.url);
    await page.locator(tid('kafka-brokers')).fill(kafka!.url);
    await page.locator(tid('mlflow-uri')).fill(mlflow!.url);
    await page.locator(tid('profile-save')).click();
    await page.locator(tid('profile-saved')).waitFor();
    const cfg = services.workspace.config.profiles.cluster!;
    expect(cfg.online_store).toMatchObject({ type: 'redis', connection_string: redis!.url });
    expect(cfg.bus).toMatchObject({ type: 'kafka', brokers: [kafka!.url] });
    expect(cfg.registry).toMatchObject({ type: 'mlflow', tracking_uri: mlflow!.url });
    expect(fs.readFileSync(services.workspace.paths.config, 'utf8')).toContain(redis!.url);
  });

  it('tests the cluster profile: every service OK with its latency', async () => {
    await page.locator(`${tid('profile-row-cluster')} ${tid('profile-test-button')}`).click();
    const box = page.locator(`${tid('profile-test')}[data-profile="cluster"]`);
    await box.waitFor({ timeout: 20_000 });
    expect(await box.getAttribute('data-ok')).toBe('true');
    for (const svc of ['online_store', 'bus', 'registry']) {
      const row = box.locator(tid(`test-${svc}`));
      expect(await row.getAttribute('data-status')).toBe('ok');
      expect(await row.locator(tid('test-latency')).textContent()).toMatch(/\d/);
    }
    expect(await box.locator(`${tid('test-online_store')} ${tid('test-message')}`).textContent()).toMatch(/Redis \d/);
  });

  it('a profile on a closed port tests as unreachable, naming the address', async () => {
    await page.locator(tid('profile-new-button')).click();
    await page.locator(tid('profile-name')).fill('broken');
    await page.locator(tid('redis-url')).fill(`redis://127.0.0.1:${closed}`);
    await page.locator(tid('kafka-brokers')).fill(`127.0.0.1:${closed}`);
    await page.locator(tid('mlflow-uri')).fill(`http://127.0.0.1:${closed}`);
    await page.locator(tid('profile-save')).click();
    await page.locator(tid('profile-row-broken')).waitFor();
    await page.locator(`${tid('profile-row-broken')} ${tid('profile-test-button')}`).click();
    const box = page.locator(`${tid('profile-test')}[data-profile="broken"]`);
    await box.waitFor({ timeout: 20_000 });
    expect(await box.getAttribute('data-ok')).toBe('false');
    for (const svc of ['online_store', 'bus', 'registry']) {
      const row = box.locator(tid(`test-${svc}`));
      expect(await row.getAttribute('data-status'), svc).toBe('down');
      const msg = (await row.locator(tid('test-message')).textContent()) ?? '';
      expect(msg, svc).toMatch(/unreachable/);
      expect(msg, svc).toContain(`127.0.0.1:${closed}`);
    }
  });

  it('switches to the cluster profile from the UI: the server now uses Redis and Kafka', async () => {
    await page.locator(`${tid('profile-row-cluster')} ${tid('profile-activate-button')}`).click();
    await page.locator(tid('switch-notice')).waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator(tid('header-profile')).textContent()).toContain('cluster');
    await page.locator(`${tid('profile-row-cluster')} ${tid('profile-active')}`).waitFor();
    expect(services.workspace.profile.name).toBe('cluster');
    expect((await getOnlineStore(services)).kind).toBe('redis');
    expect((await getBus(services)).kind).toBe('kafka');
    await page.locator(tid('profile-editor')).evaluate((el) => el.scrollIntoView());
    await screenshot(page, 'settings');
  });

  it('switches back to the embedded profile', async () => {
    await page.locator(`${tid('profile-row-local')} ${tid('profile-activate-button')}`).click();
    await page.locator(`${tid('profile-row-local')} ${tid('profile-active')}`).waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator(tid('header-profile')).textContent()).toContain('local');
    expect((await getOnlineStore(services)).kind).toBe('sqlite');
    expect((await getBus(services)).kind).toBe('local');
  });
});

describe('logs tab', () => {
  const rows = (): Promise<{ level: string | null; msg: string }[]> =>
    page.locator(tid('log-row')).evaluateAll((els) =>
      els.map((el) => ({ level: el.querySelector('[data-testid="log-level"]')?.getAttribute('data-status') ?? null, msg: el.querySelector('[data-testid="log-msg"]')?.textContent ?? '' })),
    );

  it('lists the workspace log files and shows app.log newest first', async () => {
    services.log.app.warn({ e2e: true }, 'e2e warning before the tab opened');
    await page.goto(`${server.url}/#/logs`);
    await page.locator(`${tid('log-file')}[data-file="app.log"]`).waitFor();
    const files = await page.locator(tid('log-file')).evaluateAll((els) => els.map((e) => e.getAttribute('data-file')));
    expect(files).toContain('api.log');
    expect(files[0]).toBe('app.log');
    await page.locator(tid('log-row')).first().waitFor();
    const all = await rows();
    expect(all.map((r) => r.msg)).toContain('services opened');
    expect(all.map((r) => r.msg)).toContain('e2e warning before the tab opened');
  });

  it('filters by minimum level and by text', async () => {
    await page.locator(tid('log-level-filter')).selectOption('warn');
    await expect.poll(async () => (await rows()).every((r) => r.level === 'warn' || r.level === 'error' || r.level === 'fatal') && (await rows()).length > 0).toBe(true);
    expect((await rows()).map((r) => r.msg)).toContain('e2e warning before the tab opened');
    await page.locator(tid('log-level-filter')).selectOption('');
    await page.locator(tid('log-text-filter')).fill('profile activated');
    await expect.poll(async () => {
      const r = await rows();
      return r.length > 0 && r.every((x) => x.msg === 'profile activated');
    }).toBe(true);
    await page.locator(tid('log-text-filter')).fill('');
    await expect.poll(async () => (await rows()).some((r) => r.msg === 'services opened')).toBe(true);
  });

  it('tails live: a new line shows up at the top, and a paused tail holds it', async () => {
    services.log.app.error({ code: 'E2E' }, 'e2e live line');
    await expect.poll(async () => (await rows())[0]?.msg, { timeout: 10_000 }).toBe('e2e live line');
    expect((await rows())[0]!.level).toBe('error');
    await page.locator(tid('log-live-toggle')).click();
    expect(await page.locator(tid('log-live-toggle')).getAttribute('data-live')).toBe('false');
    services.log.app.info('e2e line while paused');
    await expect.poll(() => page.locator(tid('log-live-toggle')).textContent(), { timeout: 10_000 }).toMatch(/Resume \(\d+ new\)/);
    expect((await rows()).map((r) => r.msg)).not.toContain('e2e line while paused');
    await page.locator(tid('log-live-toggle')).click();
    await expect.poll(async () => (await rows()).map((r) => r.msg)).toContain('e2e line while paused');
    await screenshot(page, 'logs');
  });

  it('shows the self-test report as one document', async () => {
    const report = { generated_at: new Date().toISOString(), passed: 41, failed: 1, suites: [{ name: 'redis', status: 'passed' }] };
    fs.writeFileSync(path.join(services.workspace.paths.logsDir, 'integration_test_report.json'), JSON.stringify(report, null, 2));
    await page.locator(tid('log-files')).getByRole('button', { name: 'Refresh' }).click();
    await page.locator(`${tid('log-file')}[data-file="integration_test_report.json"]`).click();
    const doc = page.locator(tid('log-document'));
    await doc.waitFor();
    await expect.poll(async () => JSON.parse((await doc.textContent()) ?? 'null')).toEqual(report);
    expect(await page.locator(tid('log-level-filter')).count()).toBe(0);
    expect(session.problems).toEqual([]);
  });
});
