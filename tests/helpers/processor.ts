/**
 * Helpers for the stream-processor tests: workspaces on a chosen bus and online store, trip messages,
 * reading a whole topic, and running the processor inline.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ProcessorInputSchema, type ProcessorInput, type ProcessorSummary } from '../../src-main/api/methods/processor.js';
import { runProcessor, type ProcessorDeps } from '../../src-main/engines/streams/processor/processor.js';
import type { Bus, BusMessage } from '../../src-main/engines/streams/types.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { openWorkspace, type Workspace } from '../../src-main/platform/workspace.js';
import { tempWorkspace } from './workspace.js';

export interface TestProfile {
  /** Kafka broker addresses; default: the embedded log. */
  kafka?: string[];
  /** redis://host:port; default: the SQLite online store. */
  redis?: string;
  /** Kafka topic names get this suffix so runs on a shared broker never meet. */
  topicSuffix?: string;
}

/** A fresh workspace whose active profile uses the given bus and online store (registry: SQLite). */
export function processorWorkspace(p: TestProfile = {}, prefix = 'taxi-proc-'): { workspace: Workspace; dir: string; cleanup: () => void } {
  const t = tempWorkspace(prefix);
  const file = path.join(t.dir, 'config.yaml');
  const config = parseYaml(fs.readFileSync(file, 'utf8')) as Record<string, unknown> & { profiles: Record<string, unknown>; topics: Record<string, string> };
  config.profiles.test = {
    kind: p.kafka || p.redis ? 'cluster' : 'embedded',
    online_store: p.redis ? { type: 'redis', connection_string: p.redis } : { type: 'sqlite', path: 'online.db' },
    bus: p.kafka ? { type: 'kafka', brokers: p.kafka, client_id: 'taxi-proc-test' } : { type: 'local', path: 'streams.db' },
    registry: { type: 'sqlite', path: 'registry.db' },
  };
  config.active_profile = 'test';
  if (p.topicSuffix) for (const k of Object.keys(config.topics)) config.topics[k] = `${config.topics[k]}-${p.topicSuffix}`;
  fs.writeFileSync(file, toYaml(config));
  return { workspace: openWorkspace(t.dir), dir: t.dir, cleanup: t.cleanup };
}

export interface TripOptions {
  /** First pickup (ISO); trips follow `stepS` seconds apart. */
  start?: string;
  stepS?: number;
  taxis?: number;
  areas?: number;
  prefix?: string;
}

/** `n` valid trip messages in pickup order, spread over a few taxis and areas so windows fill up. */
export function tripMessages(n: number, o: TripOptions = {}): Record<string, unknown>[] {
  const start = Date.parse(o.start ?? '2024-03-01T08:00:00Z');
  const step = (o.stepS ?? 60) * 1000;
  return Array.from({ length: n }, (_, i) => {
    const pickup = start + i * step;
    const seconds = 300 + ((i * 37) % 1500);
    const fare = 5 + ((i * 13) % 40) + 0.25;
    return {
      trip_id: `${o.prefix ?? 't'}-${i}`,
      taxi_id: `taxi-${i % (o.taxis ?? 7)}`,
      pickup_datetime: new Date(pickup).toISOString(),
      dropoff_datetime: new Date(pickup + seconds * 1000).toISOString(),
      pickup_latitude: 41.88,
      pickup_longitude: -87.63,
      dropoff_latitude: 41.9,
      dropoff_longitude: -87.65,
      pickup_community_area: 1 + (i % (o.areas ?? 5)),
      dropoff_community_area: 8,
      passenger_count: 1 + (i % 3),
      trip_distance: 1 + (i % 9) * 0.7,
      trip_seconds: seconds,
      fare_amount: fare,
      tips: i % 4 === 0 ? 0 : Math.round(fare * 15) / 100,
      payment_type: i % 4 === 0 ? 'Cash' : 'Credit Card',
      company: `Company ${i % 3}`,
    };
  });
}

export async function publishTrips(bus: Bus, topic: string, trips: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < trips.length; i += 500) {
    await bus.produce(
      topic,
      trips.slice(i, i + 500).map((t) => ({ key: String(t.trip_id), value: JSON.stringify(t) })),
    );
  }
}

/** Every message a topic holds, partition by partition. */
export async function readAll(bus: Bus, topic: string): Promise<BusMessage[]> {
  const d = await bus.describeTopic(topic);
  const out: BusMessage[] = [];
  for (const p of d.partition_info) {
    let offset = p.low;
    while (offset < p.high) {
      const r = await bus.fetch({ topic, partition: p.partition, from: { type: 'offset', offset }, limit: 1000, maxScan: 1000 });
      if (r.messages.length === 0) break;
      out.push(...r.messages);
      offset = r.messages[r.messages.length - 1]!.offset + 1;
    }
  }
  return out;
}

export const jsonOf = (m: BusMessage): Record<string, unknown> => JSON.parse(m.value!.toString('utf8')) as Record<string, unknown>;

export async function runInline(ws: Workspace, input: ProcessorInput, deps: ProcessorDeps = {}, signal?: AbortSignal): Promise<ProcessorSummary> {
  return runProcessor(ProcessorInputSchema.parse(input), inlineContext(ws, silentLogger(), undefined, signal), deps);
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false | null> | T | undefined | false | null, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false && v !== null) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------- portal CSV of test trips, so the offline store can hold exactly the trips the stream carries ----------

const PORTAL_HEADER = [
  'Trip ID', 'Taxi ID', 'Trip Start Timestamp', 'Trip End Timestamp', 'Trip Seconds', 'Trip Miles', 'Pickup Census Tract', 'Dropoff Census Tract',
  'Pickup Community Area', 'Dropoff Community Area', 'Fare', 'Tips', 'Tolls', 'Extras', 'Trip Total', 'Payment Type', 'Company',
  'Pickup Centroid Latitude', 'Pickup Centroid Longitude', 'Pickup Centroid Location', 'Dropoff Centroid Latitude', 'Dropoff Centroid Longitude', 'Dropoff Centroid Location',
];

function portalTime(iso: string): string {
  const d = new Date(iso);
  const h = d.getUTCHours();
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())}/${d.getUTCFullYear()} ${p2(h % 12 === 0 ? 12 : h % 12)}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

export function portalCsv(trips: readonly Record<string, unknown>[]): string {
  const rows = trips.map((t) =>
    [
      t.trip_id, t.taxi_id, portalTime(t.pickup_datetime as string), portalTime(t.dropoff_datetime as string), t.trip_seconds, t.trip_distance, '', '',
      t.pickup_community_area, t.dropoff_community_area, t.fare_amount, t.tips, 0, 0, (t.fare_amount as number) + (t.tips as number), t.payment_type, t.company,
      t.pickup_latitude, t.pickup_longitude, '', t.dropoff_latitude, t.dropoff_longitude, '',
    ].join(','),
  );
  return `${PORTAL_HEADER.join(',')}\n${rows.join('\n')}\n`;
}


/**
 * Trips imported into the trip store, transformed into features and a linear fare model trained on
 * them and registered (alias `alias`, default champion): what the processor needs to predict.
 */
export async function trainTestModel(ws: Workspace, opts: { alias?: string; l2?: number; trips?: number } = {}): Promise<{ version: string }> {
  const { importTrips } = await import('../../src-main/engines/data/import.js');
  const { transformFeatures } = await import('../../src-main/engines/features/transform.js');
  const { trainModel } = await import('../../src-main/engines/models/train.js');
  const { ImportInputSchema } = await import('../../src-main/api/contract.js');
  const ctx = inlineContext(ws, silentLogger());
  const csv = path.join(ws.paths.root, 'training-trips.csv');
  if (!fs.existsSync(csv)) {
    fs.writeFileSync(csv, portalCsv(tripMessages(opts.trips ?? 800, { start: '2024-02-20T06:00:00Z', stepS: 300, prefix: 'train' })));
    await importTrips(ImportInputSchema.parse({ path: csv }), ctx);
    await transformFeatures({}, ctx);
  }
  const r = await trainModel({ algorithm: 'linear', alias: opts.alias ?? 'champion', ...(opts.l2 !== undefined ? { l2: opts.l2 } : {}) }, ctx);
  return { version: r.version };
}

/**
 * The workspace's bus with the platform topics. On a broker that has only just created them, a
 * partition may not have its leader yet (NOT_LEADER right after creation); the opening is retried then.
 */
export async function openTestBus(ws: Workspace): Promise<Bus> {
  const { openPlatformBus } = await import('../../src-main/engines/streams/index.js');
  return waitFor('the platform topics', () => openPlatformBus(ws), 60_000, 500);
}
