/**
 * The trip replayer: what it publishes (every accepted row of the sample with the ids an import gives,
 * synthetic trips by seed, a portal-layout file), at what pace (a lower bound on the time taken, the
 * only timing a test can assert), cancellation, and the streams.replay job with its progress.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src-main/api/contract.js';
import { ReplayInputSchema } from '../../src-main/api/methods/streams.js';
import { importTrips } from '../../src-main/engines/data/import.js';
import { parseTripMessage } from '../../src-main/engines/data/message.js';
import { tripStoreRelation } from '../../src-main/engines/data/store.js';
import { openPlatformBus } from '../../src-main/engines/streams/index.js';
import { replay, TokenBucket } from '../../src-main/engines/streams/replayer.js';
import type { Bus, BusMessage } from '../../src-main/engines/streams/types.js';
import { openEngineDb, queryRows } from '../../src-main/platform/duckdb.js';
import { inlineContext, type ProgressReport } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { resourcePath } from '../../src-main/platform/resources.js';
import { openServices } from '../../src-main/platform/services.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { tempWorkspace } from '../helpers/workspace.js';

let ws: Workspace;
let dir: string;
let cleanup: () => void;
let bus: Bus;

beforeAll(async () => {
  ({ workspace: ws, dir, cleanup } = tempWorkspace('taxi-replay-'));
  bus = await openPlatformBus(ws);
});
afterAll(async () => {
  await bus.close();
  cleanup();
});

const input = (i: Record<string, unknown>) => ReplayInputSchema.parse(i);
const ctx = (onProgress?: (r: ProgressReport) => void, signal?: AbortSignal) => inlineContext(ws, silentLogger(), onProgress, signal);

async function allMessages(topic: string): Promise<BusMessage[]> {
  const out: BusMessage[] = [];
  for (const p of (await bus.describeTopic(topic)).partition_info) {
    for (let from = p.low; from < p.high; ) {
      const page = await bus.fetch({ topic, partition: p.partition, from: { type: 'offset', offset: from }, limit: 1000, maxScan: 1000 });
      out.push(...page.messages);
      from = page.next[0]!.offset;
      if (page.messages.length === 0) break;
    }
  }
  return out;
}

async function freshTopic(name: string): Promise<string> {
  await bus.createTopic({ name, partitions: 3, replication_factor: 1, retention_ms: null, retention_bytes: null });
  return name;
}

describe('token bucket', () => {
  it('lets a burst of `capacity` through, then paces takes at the rate', () => {
    let t = 0;
    const b = new TokenBucket(10, 2, () => t);
    expect(b.take(2)).toBe(0);
    expect(b.take(1)).toBeCloseTo(100, 6);
    t += 100;
    expect(b.take(1)).toBeCloseTo(100, 6);
    t += 1_000;
    expect(b.take(2)).toBe(0);
  });
});

describe('replay', () => {
  it('publishes every accepted row of the bundled sample, keyed by trip_id, with the ids an import gives them', async () => {
    const seen: ProgressReport[] = [];
    const r = await replay(input({ source: 'sample', rate: 0 }), ctx((p) => seen.push(p)));
    expect(r).toMatchObject({ source: 'sample', topic: 'taxi-raw-data' });
    expect(seen.at(-1)).toMatchObject({ done: r.published, unit: 'trips' });

    const messages = await allMessages('taxi-raw-data');
    expect(messages).toHaveLength(r.published);
    const rules = ws.config.data.validation;
    for (const m of messages) {
      const parsed = parseTripMessage(JSON.parse(m.value!.toString('utf8')), rules);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(parsed.trip.trip_id).toBe(m.key);
    }
    // Sent in pickup order: each partition's messages are in time order.
    for (const p of [0, 1, 2]) {
      const times = messages.filter((m) => m.partition === p).map((m) => Date.parse(JSON.parse(m.value!.toString('utf8')).pickup_datetime as string));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }

    const imported = await importTrips({ path: resourcePath('data', 'chicago_taxi_trips_sample.csv'), layout: 'auto' }, ctx());
    expect(r.published).toBe(imported.rows_accepted);
    expect(r.skipped).toBe(imported.rows_rejected);
    const db = await openEngineDb(ws);
    try {
      const rows = await queryRows<{ trip_id: string }>(db.conn, `SELECT trip_id FROM ${tripStoreRelation(ws)}`);
      expect(new Set(messages.map((m) => m.key))).toEqual(new Set(rows.map((x) => x.trip_id)));
    } finally {
      db.close();
    }
  });

  it('publishes synthetic trips chosen by seed, up to the limit', async () => {
    const topic = await freshTopic('synthetic-a');
    const a = await replay(input({ source: 'synthetic', rate: 0, limit: 500, seed: 7, topic }), ctx());
    expect(a.published + a.skipped).toBe(500);
    expect(a.first_trip_id).toBe('g7-0');
    const keys = (await allMessages(topic)).map((m) => m.key).sort();
    expect(keys).toHaveLength(a.published);
    const again = await freshTopic('synthetic-b');
    await replay(input({ source: 'synthetic', rate: 0, limit: 500, seed: 7, topic: again }), ctx());
    expect((await allMessages(again)).map((m) => m.key).sort()).toEqual(keys);
  });

  it('keeps to the rate: 300 trips at 500/s take at least the time the rate allows', async () => {
    const topic = await freshTopic('paced');
    const t0 = performance.now();
    const r = await replay(input({ source: 'synthetic', rate: 500, limit: 300, seed: 3, topic }), ctx());
    const elapsed = performance.now() - t0;
    // The first batch (rate / 20 = 25 trips) goes at once; the other 275 need 550 ms at 500/s.
    expect(elapsed).toBeGreaterThanOrEqual(500);
    expect(r.published + r.skipped).toBe(300);
  });

  it('stops when cancelled, and publishes nothing after that', async () => {
    const topic = await freshTopic('cancelled');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 400);
    await expect(replay(input({ source: 'synthetic', rate: 1000, limit: 100_000, topic }), ctx(undefined, controller.signal))).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    const count = (await bus.describeTopic(topic)).messages;
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(2_000);
    await new Promise((r) => setTimeout(r, 200));
    expect((await bus.describeTopic(topic)).messages).toBe(count);
  });

  it('replays a CSV in the portal layout: its own trip ids, bad rows counted and left out', async () => {
    const topic = await freshTopic('portal');
    const file = path.join(dir, 'portal.csv');
    const header =
      'Trip ID,Taxi ID,Trip Start Timestamp,Trip End Timestamp,Trip Seconds,Trip Miles,Pickup Census Tract,Dropoff Census Tract,Pickup Community Area,Dropoff Community Area,Fare,Tips,Tolls,Extras,Trip Total,Payment Type,Company,Pickup Centroid Latitude,Pickup Centroid Longitude,Pickup Centroid Location,Dropoff Centroid Latitude,Dropoff Centroid Longitude,Dropoff Centroid Location';
    const row = (id: string, start: string, fare: string) =>
      `${id},taxi-1,${start},01/31/2016 11:45:00 PM,900,3.1,,,8,32,${fare},$2.00,$0.00,$1.00,$15.25,Credit Card,Flash Cab,41.899,-87.633,"POINT (-87.633 41.899)",41.878,-87.625,"POINT (-87.625 41.878)"`;
    fs.writeFileSync(
      file,
      [header, row('trip-b', '01/31/2016 11:30:00 PM', '$12.25'), row('trip-bad', '01/31/2016 11:30:00 PM', 'twelve'), row('trip-a', '01/31/2016 11:15:00 PM', '"$1,012.25"')].join('\n') + '\n',
    );
    const r = await replay(input({ source: file, rate: 0, topic }), ctx());
    expect(r).toMatchObject({ published: 2, skipped: 1, first_trip_id: 'trip-a', last_trip_id: 'trip-b' });
    const byKey = new Map((await allMessages(topic)).map((m) => [m.key, JSON.parse(m.value!.toString('utf8')) as Record<string, unknown>]));
    expect(byKey.get('trip-a')).toMatchObject({ fare_amount: 1012.25, taxi_id: 'taxi-1', company: 'Flash Cab', pickup_datetime: '2016-01-31T23:15:00.000Z' });
    expect(byKey.get('trip-b')).toMatchObject({ fare_amount: 12.25, tips: 2 });
    await expect(replay(input({ source: path.join(dir, 'nope.csv'), rate: 0, topic }), ctx())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('runs as the streams.replay job, in a worker, with progress', async () => {
    const s = await openServices({ workspace: dir, mode: 'cli' });
    try {
      const topic = await freshTopic('job');
      const updates: Job[] = [];
      s.jobs.on('progress', (j) => updates.push(j));
      const job = s.jobs.start('streams.replay', { source: 'synthetic', rate: 2000, limit: 1000, topic });
      const done = await s.jobs.wait(job.id);
      expect(done.status).toBe('succeeded');
      expect(done.title).toContain('Replay synthetic');
      expect(done.result).toMatchObject({ topic, rate_target: 2000 });
      const result = done.result as { published: number; skipped: number };
      expect(result.published + result.skipped).toBe(1000);
      expect(updates.some((j) => j.status === 'running' && j.progress.unit === 'trips' && j.progress.done > 0)).toBe(true);
      expect((await bus.describeTopic(topic)).messages).toBe(result.published);
    } finally {
      await s.close();
    }
  });
});
