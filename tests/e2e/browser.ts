/**
 * Debian's Chromium driven by playwright-core (no downloaded browser). Pages record console errors,
 * uncaught exceptions and CSP violations so a test can assert the console ran clean.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../output/screenshots');

export function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH) && !process.env.CHROMIUM_PATH) {
    // Same promise as the other services: a fresh machine gets Debian's Chromium from the project script.
    execFileSync('bash', [path.resolve(import.meta.dirname, '../../scripts/services/install.sh'), 'chromium'], { stdio: 'inherit' });
  }
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Console errors, page exceptions and CSP violations seen so far. */
  problems: string[];
  /**
   * Set while a test takes the server down on purpose: the browser then logs refused sockets, refused
   * fetches and fastify's 503 while closing, and the test asserts the UI's reaction instead.
   */
  outage: boolean;
}

const NETWORK_NOISE = /WebSocket connection to .* failed|net::ERR_CONNECTION_REFUSED|status of 503/;

export async function openConsolePage(browser: Browser, opts: { colorScheme?: 'light' | 'dark' } = {}): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: opts.colorScheme ?? 'light' });
  const page = await context.newPage();
  const session: ConsolePage = { context, page, problems: [], outage: false };
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (session.outage && NETWORK_NOISE.test(msg.text())) return;
    session.problems.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => session.problems.push(`pageerror: ${err.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return session;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
