/**
 * The composition root: from a workspace folder, build the services every front end (Electron IPC,
 * HTTP server, CLI) uses. Backends chosen by the active profile (online store, bus, registry) are
 * opened on first use through `resource()` and closed with the services, so each domain wires itself
 * without this file knowing it.
 */
import { APP_MIGRATIONS } from './db/app-schema.js';
import { openDatabase, type Db } from './db/sqlite.js';
import { EventHub } from './events.js';
import { createLogger, type Logger } from './logging.js';
import { JobManager } from './jobs/manager.js';
import { sweepScratch } from './tmp-files.js';
import { openWorkspace, type Workspace } from './workspace.js';

export type Mode = 'desktop' | 'server' | 'cli';

export interface Services {
  mode: Mode;
  workspace: Workspace;
  appDb: Db;
  jobs: JobManager;
  events: EventHub;
  log: { app: Logger; api: Logger };
  startedAt: number;
  /**
   * A long-lived backend opened once per key (e.g. 'online-store', 'bus', 'registry') and closed with
   * the services. Concurrent first calls share one opening.
   */
  resource<T>(key: string, open: () => Promise<T>, close: (value: T) => Promise<void> | void): Promise<T>;
  /** Closes every resource (e.g. after a profile switch); they reopen on next use. */
  closeResources(): Promise<void>;
  /**
   * Re-reads config.yaml and closes every resource so engines reopen on the (new) active profile, without a
   * restart. A config that does not load leaves everything as it was. Returns the keys that were closed.
   * Optional so hand-built Services (a job's own) stay valid; use profiles.ts `reloadServices`.
   */
  reload?(): Promise<string[]>;
  close(): Promise<void>;
}

export interface OpenOptions {
  workspace: string;
  mode: Mode;
  maxConcurrentJobs?: number;
}

interface Held {
  value: Promise<unknown>;
  close: (value: unknown) => Promise<void> | void;
}

export async function openServices(opts: OpenOptions): Promise<Services> {
  const workspace = openWorkspace(opts.workspace);
  const app = createLogger(workspace.paths.logsDir, 'app');
  const api = createLogger(workspace.paths.logsDir, 'api');
  const appDb = openDatabase(workspace.paths.appDb, 'app.db', APP_MIGRATIONS);
  const jobs = new JobManager(appDb, workspace, app, { maxConcurrent: opts.maxConcurrentJobs ?? 2 });
  const events = new EventHub();
  jobs.on('progress', (job) => events.publish('jobs.progress', job));
  const held = new Map<string, Held>();
  app.info({ workspace: workspace.paths.root, profile: workspace.profile.name, mode: opts.mode }, 'services opened');
  // What a killed process staged (imports, transforms, DuckDB spill files) is only disk space now.
  await sweepScratch(workspace, app);

  const closeResources = async (): Promise<void> => {
    const all = [...held.entries()];
    held.clear();
    for (const [key, h] of all) {
      try {
        await h.close(await h.value);
      } catch (e) {
        app.warn({ resource: key, err: (e as Error).message }, 'resource did not close cleanly');
      }
    }
  };

  let closed = false;
  const services: Services = {
    mode: opts.mode,
    workspace,
    appDb,
    jobs,
    events,
    log: { app, api },
    startedAt: Date.now(),
    resource<T>(key: string, open: () => Promise<T>, close: (value: T) => Promise<void> | void): Promise<T> {
      const existing = held.get(key);
      if (existing) return existing.value as Promise<T>;
      const value = open();
      held.set(key, { value, close: close as (v: unknown) => Promise<void> | void });
      // A failed opening is forgotten so that the next call tries again (e.g. Redis came back).
      value.catch(() => held.get(key)?.value === value && held.delete(key));
      return value;
    },
    closeResources,
    async reload() {
      const next = openWorkspace(workspace.paths.root);
      const keys = [...held.keys()];
      // Swapped before closing: closeResources forgets the old handles at once, so any call from here on
      // opens its backend on the new profile.
      services.workspace = next;
      await closeResources();
      app.info({ profile: next.profile.name, kind: next.profile.kind, closed: keys }, 'workspace reloaded');
      return keys;
    },
    async close() {
      if (closed) return;
      closed = true;
      await jobs.close();
      await closeResources();
      appDb.close();
      app.info('services closed');
    },
  };
  return services;
}
