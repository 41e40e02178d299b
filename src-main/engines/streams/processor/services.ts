/**
 * Services for engine code running inside a job worker. The engines the processor uses (bus, online
 * store, predictor) hang off a Services object; the real one cannot be opened in a worker (its job
 * manager would mark the running job as interrupted), so this one carries what they need — workspace,
 * resources, events, logs — and refuses the job system, which belongs to the parent thread.
 */
import { EventHub } from '../../../platform/events.js';
import { AppError } from '../../../platform/errors.js';
import { createLogger, type Logger } from '../../../platform/logging.js';
import { APP_MIGRATIONS } from '../../../platform/db/app-schema.js';
import { openDatabase, type Db } from '../../../platform/db/sqlite.js';
import type { Services } from '../../../platform/services.js';
import { openWorkspace, type Workspace } from '../../../platform/workspace.js';

interface Held {
  value: Promise<unknown>;
  close: (value: unknown) => Promise<void> | void;
}

export function workerServices(workspace: Workspace, log: Logger): Services {
  const held = new Map<string, Held>();
  let appDb: Db | null = null;
  const closeResources = async (): Promise<void> => {
    const all = [...held.entries()];
    held.clear();
    for (const [key, h] of all) {
      try {
        await h.close(await h.value);
      } catch (e) {
        log.warn({ resource: key, err: (e as Error).message }, 'resource did not close cleanly');
      }
    }
  };
  const services = {
    mode: 'cli' as const,
    workspace,
    get appDb(): Db {
      appDb ??= openDatabase(workspace.paths.appDb, 'app.db', APP_MIGRATIONS);
      return appDb;
    },
    get jobs(): never {
      throw new AppError('INTERNAL', 'the job system is not reachable from inside a job worker');
    },
    events: new EventHub(),
    log: { app: log, api: createLogger(workspace.paths.logsDir, 'api') },
    startedAt: Date.now(),
    resource<T>(key: string, open: () => Promise<T>, close: (value: T) => Promise<void> | void): Promise<T> {
      const existing = held.get(key);
      if (existing) return existing.value as Promise<T>;
      const value = open();
      held.set(key, { value, close: close as (v: unknown) => Promise<void> | void });
      value.catch(() => held.get(key)?.value === value && held.delete(key));
      return value;
    },
    closeResources,
    async reload(): Promise<string[]> {
      const keys = [...held.keys()];
      services.workspace = openWorkspace(workspace.paths.root);
      await closeResources();
      return keys;
    },
    async close() {
      await closeResources();
      appDb?.close();
    },
  };
  return services as Services;
}
