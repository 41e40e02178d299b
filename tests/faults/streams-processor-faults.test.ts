/**
 * The stream processor under faults, each run checking that nothing is lost (every trip's outputs are
 * there, at least once) and nothing is counted twice (the window state holds each trip once, and every
 * trip's aggregates equal those of an undisturbed run over the same messages):
 *   - the processor process killed with SIGKILL mid-stream (twice) and started again (CLI, tsx);
 *   - the Redis of the online store stopped for a while and started again (a redis-server of the test's own);
 *   - the Kafka broker stopped mid-stream and started again (a broker instance of the test's own, on its
 *     own ports, so the shared broker other suites use is never disturbed).
 * The raw topic has one partition here, so the undisturbed run reads in the same order.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openBus } from '../../src-main/engines/streams/index.js';
import { planViews } from '../../src-main/engines/streams/processor/plan.js';
import { ProcessorState, stateFileOf } from '../../src-main/engines/streams/processor/state.js';
import type { Bus } from '../../src-main/engines/streams/types.js';
import { openOnlineStore } from '../../src-main/engines/features/online/index.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { jsonOf, openTestBus, processorWorkspace, publishTrips, readAll, runInline, tripMessages, waitFor, type TestProfile } from '../helpers/processor.js';
import { ensureService } from '../helpers/services.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GROUP = 'taxi-stream-processor';
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
});

async function workspaceOnePartition(p: TestProfile = {}): Promise<{ workspace: Workspace; dir: string; bus: Bus }> {
  const t = processorWorkspace(p, 'taxi-fault-');
  const first = openBus(t.workspace);
  await first.createTopic({ name: t.workspace.config.topics.raw, partitions: 1, replication_factor: 1, retention_ms: null, retention_bytes: null });
  await first.close();
  const bus = await openTestBus(t.workspace);
  cleanups.push(t.cleanup, async () => {
    if (bus.kind === 'kafka') for (const topic of Object.values(t.workspace.config.topics)) await bus.deleteTopic(topic).catch(() => undefined);
    await bus.close();
  });
  return { workspace: t.workspace, dir: t.dir, bus };
}

type Features = Map<string, Record<string, unknown>>;

/** The features of each trip id (the last copy when one was published twice) and how many copies there were. */
async function featuresById(bus: Bus, topic: string): Promise<{ byId: Features; copies: number }> {
  const all = (await readAll(bus, topic)).map(jsonOf);
  return { byId: new Map(all.map((m) => [String(m.trip_id), m.features as Record<string, unknown>])), copies: all.length };
}

/** The same trips through an undisturbed processor: what every trip's features must be. */
async function reference(trips: Record<string, unknown>[]): Promise<Features> {
  const { workspace, bus } = await workspaceOnePartition();
  await publishTrips(bus, workspace.config.topics.raw, trips);
  await runInline(workspace, { idle_exit_ms: 300 }, { bus, predictor: null });
  return (await featuresById(bus, workspace.config.topics.features)).byId;
}

function expectNothingLostNothingDoubled(ws: Workspace, trips: Record<string, unknown>[], got: Features, want: Features): void {
  expect([...got.keys()].sort()).toEqual(trips.map((t) => String(t.trip_id)).sort());
  for (const t of trips) expect(got.get(String(t.trip_id)), String(t.trip_id)).toEqual(want.get(String(t.trip_id)));
  const state = ProcessorState.open(stateFileOf(ws, GROUP), planViews(ws.config), 86_400_000);
  try {
    expect(state.counts()).toMatchObject({ seen: trips.length, pending: 0, windows: { taxi_activity: trips.length, area_demand: trips.length } });
  } finally {
    state.close();
  }
}

// ---------- SIGKILL ----------

function startCli(dir: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src-main/cli/index.ts'), '--workspace', dir, ...args], {
    cwd: root,
    env: { ...process.env, TAXI_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
  return { child, output: () => out, exited };
}

describe('processor killed with SIGKILL', () => {
  it('restarted, it loses no trip and counts none twice', { timeout: 300_000 }, async () => {
    const trips = tripMessages(2400, { stepS: 20, taxis: 9, areas: 6, prefix: 'kill' });
    const want = await reference(trips);
    const { workspace, dir, bus } = await workspaceOnePartition();
    await publishTrips(bus, workspace.config.topics.raw, trips);
    const featuresTopic = workspace.config.topics.features;
    const countOut = async (): Promise<number> => (await bus.describeTopic(featuresTopic)).messages;

    // Killed at failpoints on the 10th batch of each run (not when a count of outputs is seen: a quiet
    // machine processes everything between two polls): first with a batch's outputs produced but its
    // trips not marked done, then with the trips marked done but the offsets not yet committed.
    for (const point of ['processor.outputs-produced', 'processor.state-written']) {
      const p = startCli(dir, ['stream', 'run', '--follow', '--max-batch', '50'], { TAXI_FAILPOINT: `${point}@10` });
      await waitFor(`failpoint ${point}`, () => p.output().includes(`failpoint ${point} reached`) || (p.child.exitCode !== null && Promise.reject(new Error(p.output()))), 120_000, 20);
      p.child.kill('SIGKILL');
      await p.exited;
      expect(await countOut()).toBeLessThan(trips.length);
    }
    const last = startCli(dir, ['stream', 'run', '--idle-exit', '8000', '--max-batch', '50', '--json']);
    const code = await last.exited;
    expect(code, last.output()).toBe(0);
    const summary = JSON.parse(last.output().slice(last.output().indexOf('{'))) as { processed: number; duplicates: number };
    expect(summary.processed, last.output()).toBeGreaterThan(0);

    const { byId, copies } = await featuresById(bus, featuresTopic);
    // At least once: a trip whose outputs were produced but not yet marked done may come out twice.
    expect(copies).toBeGreaterThanOrEqual(trips.length);
    expect(copies).toBeLessThanOrEqual(trips.length + 2 * 50);
    expectNothingLostNothingDoubled(workspace, trips, byId, want);
    const group = await bus.describeGroup(GROUP);
    expect(group.lag).toBe(0);
  });
});

// ---------- Redis ----------

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function redisServer(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
  cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
  await waitFor(`redis-server on ${port}`, () =>
    new Promise<boolean>((resolve) => {
      const s = net.createConnection({ host: '127.0.0.1', port }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    }),
  30_000, 50);
  return child;
}

const hasRedis = await ensureService('redis');

describe.skipIf(!hasRedis)('Redis unavailable for a while under the processor', () => {
  it('the processor retries and pauses, then carries on; nothing lost, nothing doubled', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const redisDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'taxi-fault-redis-'));
    cleanups.push(() => fs.rmSync(redisDir, { recursive: true, force: true }));
    let redis = await redisServer(port, redisDir);
    const trips = tripMessages(1500, { stepS: 20, taxis: 9, areas: 6, prefix: 'redis' });
    const want = await reference(trips);
    const { workspace, bus } = await workspaceOnePartition({ redis: `redis://127.0.0.1:${port}` });
    const raw = workspace.config.topics.raw;
    await publishTrips(bus, raw, trips.slice(0, 300));

    const stop = new AbortController();
    const running = runInline(workspace, { max_batch: 50 }, { bus, predictor: null }, stop.signal);
    await waitFor('300 trips processed', async () => (await bus.describeTopic(workspace.config.topics.features)).messages >= 300, 60_000, 20);

    // Redis goes away; trips keep arriving.
    redis.kill('SIGTERM');
    await new Promise((r) => redis.once('exit', r));
    await publishTrips(bus, raw, trips.slice(300, 900));
    const { readStatusSnapshot } = await import('../../src-main/engines/streams/processor/state.js');
    const retrying = await waitFor('the processor to report the outage', () => {
      const s = readStatusSnapshot(stateFileOf(workspace, GROUP))?.json as { state: string; last_error: string | null } | undefined;
      return s && s.state === 'retrying' && /Redis|online store/i.test(s.last_error ?? '') ? s : null;
    }, 30_000, 50);
    expect(retrying.last_error).toMatch(/unreachable|closed|UNAVAILABLE/i);
    await new Promise((r) => setTimeout(r, 4000));
    const during = (await bus.describeTopic(workspace.config.topics.features)).messages;
    expect(during).toBeLessThan(900);

    redis = await redisServer(port, redisDir);
    await publishTrips(bus, raw, trips.slice(900));
    await waitFor('every trip processed', async () => (await featuresById(bus, workspace.config.topics.features)).byId.size === trips.length, 120_000, 100);
    stop.abort();
    const summary = await running;
    expect(summary.stopped).toBe('cancelled');

    const { byId } = await featuresById(bus, workspace.config.topics.features);
    expectNothingLostNothingDoubled(workspace, trips, byId, want);
    // Redis holds, per taxi, the features of its last trip: written after the outage too.
    const store = await openOnlineStore(workspace);
    try {
      for (let taxi = 0; taxi < 9; taxi++) {
        const lastTrip = [...trips].reverse().find((t) => t.taxi_id === `taxi-${taxi}`)!;
        const f = want.get(String(lastTrip.trip_id))!;
        const [rec] = await store.read({ name: 'taxi_activity', join_key: 'taxi_id' }, [`taxi-${taxi}`], ['trips_1h', 'trips_24h', 'avg_fare_7d']);
        expect(rec!.values).toEqual([f.taxi_activity__trips_1h, f.taxi_activity__trips_24h, f.taxi_activity__avg_fare_7d]);
      }
    } finally {
      await store.close();
    }
  });
});

// ---------- Kafka broker ----------

const FAULT_KAFKA_PORT = Number(process.env.FAULT_KAFKA_PORT ?? 19392);
const FAULT_KAFKA_CONTROLLER_PORT = Number(process.env.FAULT_KAFKA_CONTROLLER_PORT ?? 19393);

function kafkaScript(action: 'start' | 'stop'): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [path.join(root, 'scripts/services/kafka.sh'), action],
      { cwd: root, timeout: 300_000, env: { ...process.env, KAFKA_PORT: String(FAULT_KAFKA_PORT), KAFKA_CONTROLLER_PORT: String(FAULT_KAFKA_CONTROLLER_PORT) } },
      (err, stdout, stderr) => (err ? reject(new Error(`kafka.sh ${action} (port ${FAULT_KAFKA_PORT}): ${err.message}\n${stdout}\n${stderr}`)) : resolve()),
    );
  });
}

// The shared broker being up says the broker jars are installed; this suite starts its own instance.
const hasKafka = await ensureService('kafka');

describe.skipIf(!hasKafka)('Kafka broker stopped mid-stream and restarted', () => {
  it('the processor waits for the broker and resumes from its commits; nothing lost, nothing doubled', { timeout: 420_000 }, async () => {
    await kafkaScript('start');
    cleanups.push(() => kafkaScript('stop'));
    // Enough trips, in batches small enough, that the work outlasts stopping the broker even on a quiet
    // machine (3,000 trips in batches of 10 could all be done before the broker was down).
    const trips = tripMessages(12_000, { stepS: 5, taxis: 9, areas: 6, prefix: 'broker' });
    const want = await reference(trips);
    const { workspace, bus } = await workspaceOnePartition({ kafka: [`127.0.0.1:${FAULT_KAFKA_PORT}`], topicSuffix: `f${Date.now().toString(36)}` });
    await publishTrips(bus, workspace.config.topics.raw, trips);

    // Small batches: many produce and commit round trips, so the broker goes away mid-stream.
    const stop = new AbortController();
    const running = runInline(workspace, { max_batch: 5 }, { predictor: null }, stop.signal);
    const outCount = async (): Promise<number> => (await bus.describeTopic(workspace.config.topics.features)).messages;
    await waitFor('300 trips processed', async () => (await outCount()) >= 300, 120_000, 50);
    const beforeOutage = await outCount();
    await kafkaScript('stop');
    const { readStatusSnapshot } = await import('../../src-main/engines/streams/processor/state.js');
    // Trips still to do once the broker is down: the outage lands mid-stream.
    const duringOutage = (readStatusSnapshot(stateFileOf(workspace, GROUP))?.json as { processed?: number } | undefined)?.processed ?? 0;
    await new Promise((r) => setTimeout(r, 3000));
    await kafkaScript('start');

    await waitFor('every trip processed', async () => (await featuresById(bus, workspace.config.topics.features)).byId.size === trips.length, 240_000, 500);
    stop.abort();
    await running;
    const status = readStatusSnapshot(stateFileOf(workspace, GROUP))!.json as { last_error: string | null; processed: number };
    // The outage came while work remained (it was not slept through). Whether the processor saw an
    // error (last_error) or kafkajs's own retries bridged the gap depends on timing; both are fine.
    expect(beforeOutage).toBeLessThan(trips.length);
    expect(duringOutage).toBeLessThan(trips.length);
    console.log(`Kafka outage: ${beforeOutage} features out before the stop, ${duringOutage} trips processed when it was down; last_error: ${status.last_error ?? '(none: client retries bridged it)'}`);
    const { byId, copies } = await featuresById(bus, workspace.config.topics.features);
    expect(copies).toBeGreaterThanOrEqual(trips.length);
    expectNothingLostNothingDoubled(workspace, trips, byId, want);
  });
});
