/**
 * Redis restarted under materialization load: a redis-server of the test's own (append-only file,
 * fsync always, so what it acknowledged survives the restart) is stopped mid-run and started again on
 * the same port. The run either rides it out or fails as UNAVAILABLE naming Redis — never INTERNAL — and
 * watermarks only move for views that finished. A re-run then succeeds, and the values served equal
 * those of one clean materialization into an empty Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { stringify as toYaml, parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch.js';
import { openServices } from '../../src-main/platform/services.js';
import { initWorkspace, type Workspace } from '../../src-main/platform/workspace.js';
import { armFailpoint, failpointReached, runCli, startCli } from './cli-child.js';

const START = '2024-03-01T00:00:00Z';
const END = '2024-03-21T00:00:00Z';
let dir: string;
let ws: Workspace;
let port = 0;
let redis: ChildProcess | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).once('listening', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.listen(0, '127.0.0.1');
  });
}

function ping(): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection({ host: '127.0.0.1', port }, () => c.write('PING\r\n'));
    c.once('data', (d) => {
      c.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    c.once('error', () => resolve(false));
  });
}

async function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', path.join(dir, 'redis')], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    if (await ping()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on ${port} did not start`);
}

async function stopRedis(): Promise<void> {
  const r = redis;
  if (!r || r.exitCode !== null) return;
  const gone = new Promise((res) => r.once('exit', res));
  r.kill('SIGTERM');
  await gone;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-fault-redis-'));
  fs.mkdirSync(path.join(dir, 'redis'));
  port = await freePort();
  await startRedis();
  ws = initWorkspace(path.join(dir, 'ws')).workspace;
  const file = path.join(ws.paths.root, 'config.yaml');
  const config = parseYaml(fs.readFileSync(file, 'utf8')) as { active_profile: string; profiles: Record<string, unknown> };
  config.profiles.test = {
    kind: 'cluster',
    online_store: { type: 'redis', connection_string: `redis://127.0.0.1:${port}` },
    bus: { type: 'local', path: 'streams.db' },
    registry: { type: 'sqlite', path: 'registry.db' },
  };
  config.active_profile = 'test';
  fs.writeFileSync(file, toYaml(config));
  expect((await runCli(ws.paths.root, ['generate', '--rows', '150000', '--seed', '11', '--start', '2024-03-01', '--end', '2024-03-20'])).code).toBe(0);
  expect((await runCli(ws.paths.root, ['features', 'transform'])).code).toBe(0);
}, 600_000);

afterAll(async () => {
  await stopRedis();
  fs.rmSync(dir, { recursive: true, force: true });
});

function watermarks(): Map<string, number> {
  const db = new Database(ws.paths.appDb, { readonly: true });
  try {
    return new Map((db.prepare('SELECT view, watermark_ms FROM feature_watermarks').all() as { view: string; watermark_ms: number }[]).map((r) => [r.view, r.watermark_ms]));
  } finally {
    db.close();
  }
}

/** What serving answers for a fixed set of entities of every view. */
async function served(): Promise<string> {
  const s = await openServices({ workspace: ws.paths.root, mode: 'cli' });
  try {
    const out: unknown[] = [];
    const taxis = Array.from({ length: 300 }, (_, i) => `gtaxi-${String(i + 1).padStart(4, '0')}`);
    for (const [features, entities] of [
      [['taxi_activity:trips_1h', 'taxi_activity:trips_24h', 'taxi_activity:avg_fare_7d', 'taxi_activity:tip_rate_7d'], { taxi_id: taxis }],
      [['area_demand:trips_1h', 'area_demand:avg_fare_1h', 'area_demand:avg_trip_seconds_1h'], { pickup_community_area: Array.from({ length: 77 }, (_, i) => i + 1) }],
    ] as const) {
      const r = await dispatch(s, 'features.getOnline', { features, entities });
      expect(r.ok, JSON.stringify(r).slice(0, 500)).toBe(true);
      out.push((r as { result: unknown }).result);
    }
    return JSON.stringify(out);
  } finally {
    await s.close();
  }
}

describe('Redis restarted under materialization load', () => {
  it('the run rides it out or fails as UNAVAILABLE; a re-run serves what a clean run serves', { timeout: 600_000 }, async () => {
    // Held for a few seconds at the first written batch (a failpoint, not a progress percentage: a quiet
    // machine finishes between two progress lines), so Redis goes away while the run is mid-way.
    const c = startCli(ws.paths.root, ['features', 'materialize', START, END], { ...armFailpoint('materialize.batch-written'), TAXI_FAILPOINT_HOLD_MS: '1500' });
    await c.waitForLine(failpointReached('materialize.batch-written'));
    await stopRedis();
    await new Promise((r) => setTimeout(r, 1500));
    await startRedis();
    const { code } = await c.exited;
    const line = c.output().split(/[\r\n]/).find((l) => l.startsWith('taxi-mlops: ')) ?? '';
    console.log(`materialize across a Redis restart: exit ${code}${line ? ` — ${line}` : ''}`);
    const end = Date.parse(END);
    if (code !== 0) {
      expect(line).toMatch(/^taxi-mlops: (UNAVAILABLE|TIMEOUT): /);
      expect(line).toContain(`127.0.0.1:${port}`);
      for (const w of watermarks().values()) expect(w === end || w < end).toBe(true);
      const again = await runCli(ws.paths.root, ['features', 'materialize', START, END]);
      expect(again.code, again.output.slice(-1500)).toBe(0);
    }
    for (const w of watermarks().values()) expect(w).toBe(end);
    const recovered = await served();
    expect(recovered).toContain('PRESENT');

    // Reference: the same range into an empty Redis, in one undisturbed run.
    await stopRedis();
    fs.rmSync(path.join(dir, 'redis'), { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'redis'));
    await startRedis();
    const clean = await runCli(ws.paths.root, ['features', 'materialize', START, END]);
    expect(clean.code, clean.output.slice(-1500)).toBe(0);
    expect(recovered).toEqual(await served());
  });
});
