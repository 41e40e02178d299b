/**
 * Health checks for every service the active profile uses. Each check is bounded by a timeout and
 * reports the target it tried (file path or host:port), so "down" always says where.
 */
import fs from 'node:fs';
import net from 'node:net';
import Database from 'better-sqlite3';
import type { Profile } from '../../platform/config.js';
import type { WorkspacePaths } from '../../platform/workspace.js';

export type HealthStatus = 'ok' | 'degraded' | 'down';
export interface ServiceHealth {
  name: string;
  kind: 'sqlite' | 'parquet' | 'redis' | 'kafka' | 'mlflow' | 'filesystem';
  target: string;
  status: HealthStatus;
  latency_ms: number | null;
  detail: string | null;
}

const TIMEOUT_MS = 2000;
const round = (ms: number): number => Math.round(ms * 100) / 100;

async function timed(
  name: string,
  kind: ServiceHealth['kind'],
  target: string,
  check: () => Promise<string | null> | string | null,
): Promise<ServiceHealth> {
  const t0 = performance.now();
  try {
    const detail = await Promise.race([
      Promise.resolve().then(check),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref()),
    ]);
    return { name, kind, target, status: 'ok', latency_ms: round(performance.now() - t0), detail };
  } catch (e) {
    return { name, kind, target, status: 'down', latency_ms: null, detail: (e as Error).message };
  }
}

/** A SQLite file that does not exist yet is healthy: it is created on first use. */
function sqliteCheck(file: string): () => string {
  return () => {
    if (!fs.existsSync(file)) return 'not created yet (created on first use)';
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 1000');
      const version = db.pragma('user_version', { simple: true }) as number;
      const ok = db.pragma('quick_check', { simple: true }) as string;
      if (ok !== 'ok') throw new Error(`integrity check failed: ${ok}`);
      const size = fs.statSync(file).size;
      return `schema v${version}, ${(size / 1024 / 1024).toFixed(1)} MiB`;
    } finally {
      db.close();
    }
  };
}

function workspaceCheck(paths: WorkspacePaths): () => string {
  return () => {
    fs.accessSync(paths.root, fs.constants.W_OK);
    const s = fs.statfsSync(paths.root);
    const freeGiB = (s.bavail * s.bsize) / 1024 ** 3;
    if (freeGiB < 0.5) throw new Error(`only ${freeGiB.toFixed(2)} GiB free on the workspace disk`);
    return `${freeGiB.toFixed(1)} GiB free`;
  };
}

function offlineCheck(paths: WorkspacePaths): () => string {
  return () => {
    fs.accessSync(paths.offlineDir, fs.constants.R_OK | fs.constants.W_OK);
    const months = fs.existsSync(paths.tripsDir) ? fs.readdirSync(paths.tripsDir).filter((d) => d.startsWith('month=')).length : 0;
    return `${months} month partition${months === 1 ? '' : 's'} of trips`;
  };
}

/** Opens a TCP connection and, when given, sends a probe and waits for the first bytes of the answer. */
export function tcpProbe(host: string, port: number, probe?: Buffer): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (err: Error | null, data: Buffer | null = null): void => {
      socket.destroy();
      if (err) reject(err);
      else resolve(data);
    };
    socket.setTimeout(TIMEOUT_MS, () => done(new Error(`timeout connecting to ${host}:${port}`)));
    socket.once('error', (e: NodeJS.ErrnoException) => done(new Error(`${e.code ?? e.message} at ${host}:${port}`)));
    socket.once('connect', () => {
      if (!probe) return done(null);
      socket.write(probe);
      socket.once('data', (d) => done(null, d));
    });
  });
}

function hostPortOf(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: u.port ? Number(u.port) : defaultPort };
}

function redisCheck(connection: string): () => Promise<string> {
  return async () => {
    const { host, port } = hostPortOf(connection, 6379);
    const reply = await tcpProbe(host, port, Buffer.from('PING\r\n'));
    const text = reply?.toString('utf8').trim() ?? '';
    // NOAUTH still proves the server is up; the online store authenticates with the profile's secret.
    if (text.startsWith('+PONG')) return 'PONG';
    if (text.includes('NOAUTH')) return 'up (authentication required)';
    throw new Error(`unexpected answer from ${host}:${port}: ${text.slice(0, 60)}`);
  };
}

function kafkaCheck(brokers: string[]): () => Promise<string> {
  return async () => {
    const errors: string[] = [];
    for (const b of brokers) {
      const [host, port] = [b.slice(0, b.lastIndexOf(':')), Number(b.slice(b.lastIndexOf(':') + 1))];
      try {
        await tcpProbe(host, port);
        return `broker ${b} reachable`;
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    throw new Error(errors.join('; '));
  };
}

function mlflowCheck(uri: string): () => Promise<string> {
  return async () => {
    const res = await fetch(new URL('/health', uri), { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${uri}/health`);
    return `HTTP ${res.status}`;
  };
}

export async function checkHealth(paths: WorkspacePaths, profile: Profile): Promise<ServiceHealth[]> {
  const checks: Promise<ServiceHealth>[] = [
    timed('workspace', 'filesystem', paths.root, workspaceCheck(paths)),
    timed('app state', 'sqlite', paths.appDb, sqliteCheck(paths.appDb)),
    timed('offline store', 'parquet', paths.offlineDir, offlineCheck(paths)),
  ];
  const os = profile.online_store;
  checks.push(
    os.type === 'sqlite'
      ? timed('online store', 'sqlite', paths.onlineDb, sqliteCheck(paths.onlineDb))
      : timed('online store', 'redis', redactUrl(os.connection_string), redisCheck(os.connection_string)),
  );
  const bus = profile.bus;
  checks.push(
    bus.type === 'local'
      ? timed('stream log', 'sqlite', paths.streamsDb, sqliteCheck(paths.streamsDb))
      : timed('stream bus', 'kafka', bus.brokers.join(','), kafkaCheck(bus.brokers)),
  );
  const reg = profile.registry;
  checks.push(
    reg.type === 'sqlite'
      ? timed('model registry', 'sqlite', paths.registryDb, sqliteCheck(paths.registryDb))
      : timed('model registry', 'mlflow', redactUrl(reg.tracking_uri), mlflowCheck(reg.tracking_uri)),
  );
  return Promise.all(checks);
}

export function overallStatus(services: ServiceHealth[]): HealthStatus {
  const down = services.filter((s) => s.status === 'down').length;
  if (down === 0) return services.some((s) => s.status === 'degraded') ? 'degraded' : 'ok';
  return down === services.length ? 'down' : 'degraded';
}

/** Connection strings may carry a password (redis://:pw@host); never show it. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
