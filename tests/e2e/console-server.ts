/**
 * The console every e2e file drives: a temp workspace, its services (server mode), the HTTP server on a free
 * loopback port and one Chromium page. `useConsoleServer` registers the file's beforeAll/afterAll; the
 * bindings below (`page`, `server`, `services`, …) are live ES-module exports that it fills in, so a file
 * imports them and uses them in its seeding and its tests as if they were its own. Vitest runs each test
 * file in a module graph of its own, so each file has its own console.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Job, MethodName, Output } from '../../src-main/api/contract.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import { startHttpServer, type HttpServer } from '../../src-main/api/http.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { initWorkspace } from '../../src-main/platform/workspace.js';
import { launchChromium, openConsolePage, type ConsolePage } from './browser.js';

/** A rule any drifted feature fires, so a test does not depend on how many features a drift moves. */
export const DRIFT_ALERT_RULES_YAML = `
monitoring:
  alerts:
    rules:
      - name: feature_drift
        metric: drift.columns_drifted
        comparison: '>='
        threshold: 1
        window: 1d
        severity: critical
        description: At least one feature drifted in the latest drift report
`;

export const tid = (id: string): string => `[data-testid="${id}"]`;

/** Set by useConsoleServer's beforeAll; read by the file's seeding and tests. */
export let dir: string;
export let services: Services;
export let server: HttpServer;
export let browser: Browser;
export let session: ConsolePage;
export let page: Page;

/** A method's result, dispatched in-process; throws with the error code when it fails. */
export function ok<M extends MethodName>(method: M, input?: unknown): Promise<Output<M>>;
export function ok<T>(method: string, input?: unknown): Promise<T>;
export async function ok(method: string, input?: unknown): Promise<unknown> {
  const r = await dispatch(services, method, input);
  if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
  return r.result;
}

/** The error of a call that must fail. */
export async function fails(method: string, input?: unknown): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  const r = await dispatch(services, method, input);
  if (r.ok) throw new Error(`${method} was expected to fail`);
  return r.error;
}

/** Starts a job method and waits for the job; throws unless it succeeded. */
export async function runJob(method: string, input: unknown): Promise<Job> {
  const job = await ok<Job>(method, input);
  const done = await services.jobs.wait(job.id);
  if (done.status !== 'succeeded') throw new Error(`${method}: ${done.status} ${JSON.stringify(done.error)}`);
  return done;
}

/** Starts the HTTP server again on `port` after a test closed it; afterAll then closes this one. */
export async function restartServer(port: number): Promise<void> {
  server = await startHttpServer({ services, host: '127.0.0.1', port });
}

export interface ConsoleServerOptions {
  /** The temp workspace's name prefix, e.g. `taxi-e2e-models-`. */
  prefix: string;
  /** Appended to the fresh workspace's config.yaml. */
  configYaml?: string;
  /** Makes the workspace in the (empty) temp dir instead of initWorkspace + `configYaml`. */
  prepare?: (dir: string) => Promise<void>;
  /** Passed to openServices (its default otherwise). */
  maxConcurrentJobs?: number;
  /** Runs once the services are open, before the HTTP server starts and the browser opens. */
  seed?: () => Promise<void>;
  /** Runs first in afterAll, while the services, server and browser are still up. */
  teardown?: () => void | Promise<void>;
  colorScheme?: 'light' | 'dark';
  /** beforeAll's timeout (vitest's hookTimeout otherwise). */
  timeout?: number;
}

/** Opens the console before the file's tests and closes it (removing the workspace) after them. */
export function useConsoleServer(opts: ConsoleServerOptions): void {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix));
    if (opts.prepare) {
      await opts.prepare(dir);
    } else {
      initWorkspace(dir);
      if (opts.configYaml) fs.appendFileSync(path.join(dir, 'config.yaml'), opts.configYaml);
    }
    services = await openServices({ workspace: dir, mode: 'server', maxConcurrentJobs: opts.maxConcurrentJobs });
    await opts.seed?.();
    server = await startHttpServer({ services, host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    session = await openConsolePage(browser, { colorScheme: opts.colorScheme });
    page = session.page;
  }, opts.timeout);

  afterAll(async () => {
    await opts.teardown?.();
    await session?.context.close();
    await browser?.close();
    await server?.close();
    await services?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
}
