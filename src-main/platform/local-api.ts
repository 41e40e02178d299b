/**
 * The desktop app's local API switch: the same HTTP server as `taxi-mlops serve` (contract, MLflow and
 * Feast routes), started inside the app so notebooks can reach it while the app runs. Off by default;
 * bound to 127.0.0.1 unless the user picks another address, which then needs a token (kept in the
 * secret store, never in a file). The choice is remembered in the workspace's app-settings.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from './errors.js';
import { writableSecretStore } from './secrets.js';
import type { Services } from './services.js';

export const LOCAL_API_TOKEN_SECRET = 'local-api-token';
const DEFAULT_PORT = 8765;

const StoredSchema = z
  .object({
    local_api: z
      .object({ enabled: z.boolean().default(false), host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(DEFAULT_PORT) })
      .default({ enabled: false, host: '127.0.0.1', port: DEFAULT_PORT }),
  })
  .passthrough();
type Stored = z.infer<typeof StoredSchema>;

export interface LocalApiState {
  available: boolean;
  enabled: boolean;
  running: boolean;
  host: string;
  port: number;
  url: string | null;
  token_set: boolean;
  message: string;
}

export interface LocalApiChange {
  enabled?: boolean | undefined;
  host?: string | undefined;
  port?: number | undefined;
  token?: string | null | undefined;
}

const settingsFile = (s: Services): string => path.join(s.workspace.paths.root, 'app-settings.json');

function readStored(s: Services): Stored {
  const file = settingsFile(s);
  if (!fs.existsSync(file)) return StoredSchema.parse({});
  try {
    return StoredSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (e) {
    throw new AppError('INVALID_CONFIG', `${file}: not valid app settings (${(e as Error).message}); delete it to start from the defaults`, { file });
  }
}

function writeStored(s: Services, data: Stored): void {
  const file = settingsFile(s);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

interface Running {
  close(): Promise<void>;
  url: string;
  host: string;
  port: number;
}

const servers = new WeakMap<Services, Running>();

const tokenOf = (): string | undefined => writableSecretStore()?.get(LOCAL_API_TOKEN_SECRET);

function stateOf(s: Services, stored: Stored, message: string): LocalApiState {
  const running = servers.get(s);
  return {
    available: s.mode === 'desktop',
    enabled: stored.local_api.enabled,
    running: !!running,
    host: running?.host ?? stored.local_api.host,
    port: running?.port ?? stored.local_api.port,
    url: running?.url ?? null,
    token_set: tokenOf() !== undefined,
    message,
  };
}

async function start(s: Services, host: string, port: number): Promise<Running> {
  // Imported late: http.ts reaches the handlers, which reach this module.
  const { startHttpServer, isLoopback } = await import('../api/http.js');
  const token = tokenOf();
  if (!isLoopback(host) && !token) {
    throw new AppError('INVALID_INPUT', `the local API on ${host} needs a token (set one first; loopback needs none)`, { host });
  }
  const server = await startHttpServer({ services: s, host, port, ...(token && !isLoopback(host) ? { token } : {}) });
  const running: Running = { close: () => server.close(), url: server.url, host: server.host, port: server.port };
  servers.set(s, running);
  s.log.app.info({ url: server.url, token: !!token }, 'local API started');
  return running;
}

async function stop(s: Services): Promise<void> {
  const running = servers.get(s);
  if (!running) return;
  servers.delete(s);
  await running.close();
  s.log.app.info({ url: running.url }, 'local API stopped');
}

const NOT_HERE = 'This process already serves the API (taxi-mlops serve): the switch belongs to the desktop app.';

export function localApiState(s: Services): LocalApiState {
  if (s.mode !== 'desktop') return stateOf(s, readStored(s), NOT_HERE);
  return stateOf(s, readStored(s), servers.has(s) ? `serving on ${servers.get(s)!.url}` : 'off');
}

/** Applies a change and (re)starts or stops the server to match it. */
export async function setLocalApi(s: Services, change: LocalApiChange): Promise<LocalApiState> {
  if (s.mode !== 'desktop') {
    if (Object.keys(change).length === 0) return localApiState(s);
    throw new AppError('UNAVAILABLE', `the local API switch belongs to the desktop app; this process (${s.mode}) serves the API itself`, { mode: s.mode });
  }
  if (change.token !== undefined) {
    const store = writableSecretStore();
    if (!store) throw new AppError('UNAVAILABLE', 'no secret store to keep the API token in', {});
    if (change.token === null) store.delete(LOCAL_API_TOKEN_SECRET);
    else await store.set(LOCAL_API_TOKEN_SECRET, change.token);
  }
  const stored = readStored(s);
  const next = { ...stored.local_api, ...(change.enabled !== undefined ? { enabled: change.enabled } : {}), ...(change.host ? { host: change.host } : {}), ...(change.port !== undefined ? { port: change.port } : {}) };
  const changed = JSON.stringify(next) !== JSON.stringify(stored.local_api) || change.token !== undefined;
  if (!changed) return localApiState(s);
  await stop(s);
  if (next.enabled) await start(s, next.host, next.port);
  const saved = { ...stored, local_api: next };
  writeStored(s, saved);
  return stateOf(s, saved, next.enabled ? `serving on ${servers.get(s)!.url}` : 'off');
}

/** At desktop start: bring the server up when the user left it on. A failure is logged, not fatal. */
export async function restoreLocalApi(s: Services): Promise<LocalApiState> {
  const stored = readStored(s);
  if (!stored.local_api.enabled) return stateOf(s, stored, 'off');
  try {
    await start(s, stored.local_api.host, stored.local_api.port);
    return stateOf(s, stored, `serving on ${servers.get(s)!.url}`);
  } catch (e) {
    s.log.app.warn({ err: (e as Error).message }, 'local API did not start');
    return stateOf(s, stored, `did not start: ${(e as Error).message}`);
  }
}

export const stopLocalApi = stop;
