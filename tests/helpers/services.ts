/**
 * Real services for integration tests (see docs/services.md). Never mocks.
 *
 *   const redis = await ensureService('redis');
 *   describe.skipIf(!redis)('redis online store', () => { ... redis!.url ... });
 *
 * ensureService(name) returns the endpoint when the service answers; otherwise it runs
 * `bash scripts/services/<name>.sh start` (which installs what is missing) and checks again.
 * If the service still cannot be reached:
 *   - with CI set, it throws: a CI run must fail, not skip;
 *   - otherwise it prints the reason and returns null so the test can skip.
 *
 * Ports are the ones in scripts/services/ports.env, overridable with the same environment variables.
 * Endpoint urls: redis `redis://127.0.0.1:16379`, kafka `127.0.0.1:19092` (a kafkajs broker address),
 * mlflow `http://127.0.0.1:15000`.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

export type ServiceName = 'redis' | 'kafka' | 'mlflow';

export interface ServiceEndpoint {
  name: ServiceName;
  host: string;
  port: number;
  url: string;
}

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`${name}=${raw} is not a valid TCP port`);
  }
  return port;
}

export const SERVICE_HOST = '127.0.0.1';
export const REDIS_PORT = envPort('REDIS_PORT', 16379);
export const KAFKA_PORT = envPort('KAFKA_PORT', 19092);
export const KAFKA_CONTROLLER_PORT = envPort('KAFKA_CONTROLLER_PORT', 19093);
export const MLFLOW_PORT = envPort('MLFLOW_PORT', 15000);

export const SERVICE_PORTS: Readonly<Record<ServiceName, number>> = {
  redis: REDIS_PORT,
  kafka: KAFKA_PORT,
  mlflow: MLFLOW_PORT,
};

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** True when running under CI (CI=true/1/anything but false/0/empty). */
export function isCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export function endpointOf(name: ServiceName): ServiceEndpoint {
  const port = SERVICE_PORTS[name];
  const url =
    name === 'redis'
      ? `redis://${SERVICE_HOST}:${port}`
      : name === 'kafka'
        ? `${SERVICE_HOST}:${port}`
        : `http://${SERVICE_HOST}:${port}`;
  return { name, host: SERVICE_HOST, port, url };
}

/** Send `payload` on a fresh TCP connection and resolve with what comes back first. */
function tcpExchange(host: string, port: number, payload: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => socket.write(payload));
    socket.once('data', (chunk) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(chunk.toString('utf8'));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

async function redisAnswers(ep: ServiceEndpoint): Promise<void> {
  const reply = await tcpExchange(ep.host, ep.port, 'PING\r\n', 2000);
  if (!reply.startsWith('+PONG')) throw new Error(`unexpected reply to PING: ${JSON.stringify(reply.slice(0, 80))}`);
}

async function kafkaAnswers(ep: ServiceEndpoint): Promise<void> {
  const kafka = new Kafka({
    clientId: 'ensure-service',
    brokers: [ep.url],
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('metadata lists no broker');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function mlflowAnswers(ep: ServiceEndpoint): Promise<void> {
  for (const p of ['/health', '/api/2.0/mlflow/experiments/search?max_results=1']) {
    const res = await fetch(`${ep.url}${p}`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`GET ${p} -> HTTP ${res.status}`);
    await res.arrayBuffer();
  }
}

const probes: Record<ServiceName, (ep: ServiceEndpoint) => Promise<void>> = {
  redis: redisAnswers,
  kafka: kafkaAnswers,
  mlflow: mlflowAnswers,
};

/** Resolves when the service answers a real request; rejects with the reason otherwise. */
export async function probeService(name: ServiceName): Promise<void> {
  await probes[name](endpointOf(name));
}

function runStartScript(name: ServiceName): Promise<void> {
  const script = path.join(repoRoot, 'scripts/services', `${name}.sh`);
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [script, 'start'],
      { cwd: repoRoot, timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024, env: process.env },
      (err, stdout, stderr) => {
        if (err) {
          const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
          reject(new Error(`scripts/services/${name}.sh start failed (${err.message.split('\n')[0]}):\n${tail}`));
        } else {
          resolve();
        }
      },
    );
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function ensure(name: ServiceName): Promise<ServiceEndpoint | null> {
  const ep = endpointOf(name);
  try {
    await probeService(name);
    return ep;
  } catch {
    // not answering: start it below
  }
  let reason: string;
  try {
    console.info(`[services] ${name} not answering on ${ep.host}:${ep.port}; running scripts/services/${name}.sh start`);
    await runStartScript(name);
    await probeService(name);
    return ep;
  } catch (err) {
    reason = errorText(err);
  }
  const message = `${name} is not available on ${ep.host}:${ep.port}: ${reason}`;
  if (isCI()) throw new Error(`[services] ${message}`);
  console.warn(`[services] SKIPPING tests that need ${name} — ${message}`);
  return null;
}

const pending = new Map<ServiceName, Promise<ServiceEndpoint | null>>();

/**
 * The endpoint of a real service, started (and installed) on demand. Null only outside CI when it
 * cannot be started; under CI that throws instead.
 */
export function ensureService(name: ServiceName): Promise<ServiceEndpoint | null> {
  let p = pending.get(name);
  if (!p) {
    p = ensure(name);
    // A failure is not cached: a later call may try again (e.g. after the port is freed).
    p.then(
      (ep) => {
        if (ep === null) pending.delete(name);
      },
      () => pending.delete(name),
    );
    pending.set(name, p);
  }
  return p;
}
