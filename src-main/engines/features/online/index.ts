/**
 * The online store of a workspace, chosen by the active profile: SQLite in online.db (embedded) or the
 * profile's Redis. Callers that live long (the API) hold one through `Services.resource('online-store')`;
 * a job opens its own and closes it.
 */
import type { Workspace } from '../../../platform/workspace.js';
import { openRedisOnlineStore } from './redis.js';
import { openSqliteOnlineStore } from './sqlite.js';
import type { OnlineStore } from './types.js';

export interface OpenOnlineOptions {
  /** Redis key prefix; default "<project>:". */
  keyPrefix?: string;
  connectTimeoutMs?: number;
}

export async function openOnlineStore(ws: Workspace, opts: OpenOnlineOptions = {}): Promise<OnlineStore> {
  const store = ws.profile.online_store;
  if (store.type === 'sqlite') return openSqliteOnlineStore(ws.paths.onlineDb);
  return openRedisOnlineStore(store, {
    keyPrefix: opts.keyPrefix ?? `${ws.config.project}:`,
    where: `profiles.${ws.profile.name}.online_store`,
    baseDir: ws.paths.root,
    connectTimeoutMs: opts.connectTimeoutMs,
  });
}

export type { OnlineStore, OnlineView, OnlineRow, OnlineRecord, OnlineWriteResult, OnlinePing } from './types.js';
export { entityKeyOf } from './codec.js';
