/**
 * The composition root: from a workspace folder, build the services every front end (Electron IPC,
 * HTTP server, CLI) uses. One place decides which backend each interface gets from the active profile.
 */
import { APP_MIGRATIONS } from './db/app-schema.js';
import { openDatabase, type Db } from './db/sqlite.js';
import { createLogger, type Logger } from './logging.js';
import { JobManager } from './jobs/manager.js';
import { openWorkspace, type Workspace } from './workspace.js';

export type Mode = 'desktop' | 'server' | 'cli';

export interface Services {
  mode: Mode;
  workspace: Workspace;
  appDb: Db;
  jobs: JobManager;
  log: { app: Logger; api: Logger };
  startedAt: number;
  close(): Promise<void>;
}

export interface OpenOptions {
  workspace: string;
  mode: Mode;
  maxConcurrentJobs?: number;
}

export async function openServices(opts: OpenOptions): Promise<Services> {
  const workspace = openWorkspace(opts.workspace);
  const app = createLogger(workspace.paths.logsDir, 'app');
  const api = createLogger(workspace.paths.logsDir, 'api');
  const appDb = openDatabase(workspace.paths.appDb, 'app.db', APP_MIGRATIONS);
  const jobs = new JobManager(appDb, workspace, app, { maxConcurrent: opts.maxConcurrentJobs ?? 2 });
  app.info({ workspace: workspace.paths.root, profile: workspace.profile.name, mode: opts.mode }, 'services opened');
  let closed = false;
  return {
    mode: opts.mode,
    workspace,
    appDb,
    jobs,
    log: { app, api },
    startedAt: Date.now(),
    async close() {
      if (closed) return;
      closed = true;
      await jobs.close();
      appDb.close();
      app.info('services closed');
    },
  };
}
