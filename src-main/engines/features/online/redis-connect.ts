/**
 * Connecting to the profile's Redis: standalone, Cluster or Sentinel, with a password and TLS taken from
 * the profile (secrets resolved by name, files read relative to the workspace).
 *
 * Failure is quick and says where: the first connection has a deadline, and afterwards commands are
 * refused at once while the link is down (no offline queue), so nothing waits on a dead server and no
 * write is reported done that was not sent. The client keeps reconnecting in the background, so a Redis
 * that comes back is used again without reopening the store.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { z } from 'zod';
import type { OnlineStoreSchema } from '../../../platform/config.js';
import { AppError } from '../../../platform/errors.js';
import { resolveSecret } from '../../../platform/secrets.js';

export type RedisProfile = Extract<z.infer<typeof OnlineStoreSchema>, { type: 'redis' }>;
export type RedisMode = RedisProfile['mode'];

export interface RedisEndpoint {
  host: string;
  port: number;
}

export interface RedisAddress {
  tls: boolean;
  username: string | undefined;
  hosts: RedisEndpoint[];
  db: number;
}

export interface ConnectOptions {
  /** Key path of the online store in config.yaml, for messages (e.g. profiles.cluster.online_store). */
  where?: string;
  /** Folder that relative TLS file paths are read from (the workspace). */
  baseDir?: string;
  /** Deadline of the first connection. */
  connectTimeoutMs?: number;
}

export type RedisClient = Redis | Cluster;

export const describeHosts = (hosts: readonly RedisEndpoint[]): string => hosts.map((h) => `${h.host}:${h.port}`).join(',');

/**
 * redis[s]://[user@]host:port[,host:port…][/db]. Several hosts are the seed nodes of a Cluster or the
 * Sentinels; a password in the URL is refused, it belongs in `password: { secret: … }`.
 */
export function parseRedisUrl(url: string, where = 'online_store.connection_string'): RedisAddress {
  const m = /^(rediss?):\/\/(?:([^@/]*)@)?([^/]+?)(?:\/(\d+))?\/?$/.exec(url.trim());
  if (!m) throw new AppError('INVALID_CONFIG', `${where}: "${url}" is not redis://host:port[,host:port…][/db]`, { key: where });
  const [, scheme, userinfo, hostList, db] = m;
  if (userinfo?.includes(':')) {
    throw new AppError('INVALID_CONFIG', `${where}: the URL carries a password; put it in password: { secret: NAME } instead`, { key: where });
  }
  const hosts = hostList!.split(',').map((hp) => {
    const hm = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(hp.trim());
    const port = hm ? Number(hm[2]) : NaN;
    if (!hm || port < 1 || port > 65535) throw new AppError('INVALID_CONFIG', `${where}: "${hp}" is not host:port`, { key: where });
    return { host: hm[1]!, port };
  });
  return { tls: scheme === 'rediss', username: userinfo ? decodeURIComponent(userinfo) : undefined, hosts, db: db ? Number(db) : 0 };
}

function readFileFor(file: string, key: string, baseDir: string | undefined): Buffer {
  const abs = path.resolve(baseDir ?? process.cwd(), file);
  try {
    return fs.readFileSync(abs);
  } catch (e) {
    throw new AppError('INVALID_CONFIG', `${key}: cannot read ${abs} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { key, file: abs });
  }
}

export function tlsOptionsOf(profile: RedisProfile, address: RedisAddress, opts: ConnectOptions): ConnectionOptions | undefined {
  const where = opts.where ?? 'online_store';
  const t = profile.tls;
  if (!address.tls && !t?.enabled) return undefined;
  const tls: ConnectionOptions = { rejectUnauthorized: t?.reject_unauthorized ?? true };
  if (t?.ca_file) tls.ca = readFileFor(t.ca_file, `${where}.tls.ca_file`, opts.baseDir);
  if (t?.cert_file) tls.cert = readFileFor(t.cert_file, `${where}.tls.cert_file`, opts.baseDir);
  const key = resolveSecret(t?.key, `${where}.tls.key`);
  if (key) tls.key = key;
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new AppError('INVALID_CONFIG', `${where}.tls: a client certificate needs both cert_file and key`, { key: `${where}.tls` });
  }
  return tls;
}

function baseOptions(profile: RedisProfile, address: RedisAddress, opts: ConnectOptions): RedisOptions {
  const password = resolveSecret(profile.password, `${opts.where ?? 'online_store'}.password`);
  const tls = tlsOptionsOf(profile, address, opts);
  return {
    username: address.username,
    password,
    tls,
    connectTimeout: opts.connectTimeoutMs ?? 3000,
    // A command is tried once more after a reconnect, never queued while the link is down.
    maxRetriesPerRequest: 1,
    // Off outside a Cluster: a read is one or two MGETs and a write a few script calls, so there is
    // nothing to batch, and the auto-pipeline's bookkeeping outlived young-generation collections —
    // 1.9 MB promoted per scavenge, 3–4 ms pauses every ~55 reads, most of the read p99 (5.2 ms vs 1.7).
    enableAutoPipelining: false,
    lazyConnect: true,
  };
}

const reconnectDelay = (times: number): number => Math.min(100 * times, 2000);

function clientOf(profile: RedisProfile, address: RedisAddress, opts: ConnectOptions): RedisClient {
  const base = baseOptions(profile, address, opts);
  if (profile.mode === 'cluster') {
    return new Cluster(address.hosts, {
      lazyConnect: true,
      enableOfflineQueue: false,
      // A Cluster read is one GET per key: batching them per node is what keeps it to one round trip.
      enableAutoPipelining: true,
      clusterRetryStrategy: reconnectDelay,
      slotsRefreshTimeout: opts.connectTimeoutMs ?? 3000,
      redisOptions: { ...base, lazyConnect: undefined },
    });
  }
  if (profile.mode === 'sentinel') {
    if (!profile.sentinel_master) {
      throw new AppError('INVALID_CONFIG', `${opts.where ?? 'online_store'}.sentinel_master: required when mode is sentinel`, {
        key: `${opts.where ?? 'online_store'}.sentinel_master`,
      });
    }
    return new Redis({
      ...base,
      sentinels: address.hosts,
      name: profile.sentinel_master,
      db: address.db,
      enableOfflineQueue: false,
      sentinelRetryStrategy: reconnectDelay,
      retryStrategy: reconnectDelay,
      enableTLSForSentinelMode: base.tls !== undefined,
    });
  }
  const [first] = address.hosts;
  return new Redis({ ...base, host: first!.host, port: first!.port, db: address.db, enableOfflineQueue: false, retryStrategy: reconnectDelay });
}

/** An error of a command or connection, as an AppError that names the server. */
export function redisError(e: unknown, target: string, doing: string): AppError {
  if (e instanceof AppError) return e;
  const err = e as Error & { code?: string; lastNodeError?: Error };
  const message = err.lastNodeError?.message ?? err.message ?? String(e);
  const down =
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|connect|Connection is closed|Stream isn't writeable|refresh slots|All sentinels are unreachable|CLUSTERDOWN|None of startup nodes|MaxRetriesPerRequest|timed out/i.test(
      `${err.code ?? ''} ${message} ${err.name ?? ''}`,
    );
  if (down) return new AppError('UNAVAILABLE', `Redis at ${target} is unreachable while ${doing}: ${message}`, { target }, { cause: e });
  if (/SSL|TLS|certificate|handshake|alert|self.signed|socket hang up/i.test(`${err.code ?? ''} ${message}`)) {
    return new AppError('UNAVAILABLE', `Redis at ${target}: the TLS connection failed while ${doing}: ${message}`, { target }, { cause: e });
  }
  if (/WRONGPASS|NOAUTH|NOPERM/.test(message)) {
    return new AppError('UNAVAILABLE', `Redis at ${target} refused the credentials while ${doing}: ${message}`, { target }, { cause: e });
  }
  if (/WRONGTYPE/.test(message)) {
    return new AppError('CONFLICT', `Redis at ${target}: a key of the online store holds another type of value (${doing}): ${message}`, { target }, { cause: e });
  }
  return new AppError('INTERNAL', `Redis at ${target} failed while ${doing}: ${message}`, { target }, { cause: e });
}

/**
 * Opens a client for the profile's online store and waits until it is ready; an unreachable server
 * fails within the connect timeout with UNAVAILABLE naming host:port.
 */
export async function connectRedis(profile: RedisProfile, opts: ConnectOptions = {}): Promise<{ client: RedisClient; address: RedisAddress; target: string }> {
  const address = parseRedisUrl(profile.connection_string, `${opts.where ?? 'online_store'}.connection_string`);
  const target = describeHosts(address.hosts);
  const client = clientOf(profile, address, opts);
  // Errors also surface through the promises below; without a listener they would be printed. The last
  // one is kept because a refused connection rejects connect() only with "Connection is closed".
  let lastError: Error | undefined;
  client.on('error', (e: Error) => {
    lastError = e;
  });
  const deadline = (opts.connectTimeoutMs ?? 3000) + 2000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no connection within ${deadline} ms (connect timed out)`)), deadline);
      }),
    ]);
    return { client, address, target };
  } catch (e) {
    client.disconnect();
    throw redisError(lastError ?? e, target, 'connecting');
  } finally {
    clearTimeout(timer);
  }
}
