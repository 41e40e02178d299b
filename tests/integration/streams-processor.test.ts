/**
 * The stream processor end to end, with a trained fare model served as champion (and a challenger
 * under A/B): on the embedded log with the SQLite online store, and on a real Kafka broker with a real
 * Redis online store. Trips in = predictions out + dead letters, checked by count and by trip id; every
 * prediction has its error on the metrics topic and window metrics per model version close the run.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS } from '../../src-main/engines/streams/index.js';
import { openOnlineStore } from '../../src-main/engines/features/online/index.js';
import type { Bus } from '../../src-main/engines/streams/types.js';
import { FeaturesMessageSchema, MetricMessageSchema, PredictionMessageSchema } from '../../src-main/engines/streams/topics.js';
import { ensureService } from '../helpers/services.js';
import { jsonOf, openTestBus, processorWorkspace, publishTrips, readAll, runInline, trainTestModel, tripMessages, type TestProfile } from '../helpers/processor.js';

const kafka = await ensureService('kafka');
const redis = await ensureService('redis');
const run = `${Date.now().toString(36)}${randomUUID().slice(0, 4)}`;

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
});

const BAD = [
  { key: 'bad-json', value: '{"trip_id": "bad-json"' },
  { key: 'bad-type', value: JSON.stringify({ ...tripMessages(1, { prefix: 'bad-type' })[0]!, trip_distance: 'far' }) },
  { key: 'bad-missing', value: JSON.stringify({ trip_id: 'bad-missing', fare_amount: 10 }) },
  { key: 'bad-huge', value: JSON.stringify({ ...tripMessages(1, { prefix: 'bad-huge' })[0]!, company: 'y'.repeat(300_000) }) },
];

function endToEnd(name: string, profile: () => TestProfile | null, opts: { challenger: boolean; idleMs: number }) {
  const p = profile();
  describe.skipIf(p === null)(`processor end to end: ${name}`, () => {
    it('every trip in comes out as one prediction (by id), every bad message as a dead letter; errors and windows on the metrics topic', async () => {
      const t = processorWorkspace(p!);
      const bus: Bus = await openTestBus(t.workspace);
      const topics = t.workspace.config.topics;
      cleanups.push(t.cleanup, async () => {
        if (bus.kind === 'kafka') for (const topic of Object.values(topics)) await bus.deleteTopic(topic).catch(() => undefined);
        await bus.close();
      });
      const champion = await trainTestModel(t.workspace);
      const challenger = opts.challenger ? await trainTestModel(t.workspace, { alias: 'challenger', l2: 10 }) : null;

      const trips = tripMessages(400, { start: '2024-03-05T07:00:00Z', stepS: 40, prefix: `live-${name}` });
      await publishTrips(bus, topics.raw, trips.slice(0, 200));
      await bus.produce(topics.raw, BAD, { validate: false });
      await publishTrips(bus, topics.raw, trips.slice(200));

      const summary = await runInline(t.workspace, { idle_exit_ms: opts.idleMs, group: `proc-${run}` });
      expect(summary, JSON.stringify(summary)).toMatchObject({ processed: 404, trips: 400, dead_lettered: 4, duplicates: 0, predicted: 400, prediction_skipped: 0 });
      expect(summary.p99_ms).not.toBeNull();

      const predictions = (await readAll(bus, topics.predictions)).map(jsonOf);
      // The processor produces its outputs without the per-message schema check: every one must pass it.
      for (const m of predictions) PredictionMessageSchema.parse(m);
      for (const m of (await readAll(bus, topics.features)).map(jsonOf)) FeaturesMessageSchema.parse(m);
      expect(predictions.map((m) => m.trip_id).sort()).toEqual(trips.map((x) => x.trip_id).sort());
      for (const m of predictions) {
        expect(typeof m.prediction).toBe('number');
        expect(Number.isFinite(m.prediction)).toBe(true);
        expect(m.model_name).toBe('chicago_taxi_fare');
        expect(m.latency_ms as number).toBeGreaterThanOrEqual(0);
        expect(Object.keys(m.features as object).length).toBeGreaterThan(5);
      }
      const variants = new Map<string, number>();
      for (const m of predictions) variants.set(`${m.variant}:${m.model_version}`, (variants.get(`${m.variant}:${m.model_version}`) ?? 0) + 1);
      if (challenger) {
        // The default challenger share is 0.2, routed by a hash of the trip id.
        expect(variants.get(`challenger:${challenger.version}`)).toBeGreaterThan(40);
        expect(variants.get(`champion:${champion.version}`)).toBeGreaterThan(240);
        expect([...variants.keys()].sort()).toEqual([`challenger:${challenger.version}`, `champion:${champion.version}`]);
      } else {
        expect([...variants.entries()]).toEqual([[`champion:${champion.version}`, 400]]);
      }

      const dlq = await readAll(bus, topics.raw_dead_letter);
      expect(dlq.map((m) => m.key).sort()).toEqual(BAD.map((b) => b.key).sort());
      expect(dlq.every((m) => (m.headers[DEAD_LETTER_HEADERS.reason] ?? '').length > 0)).toBe(true);
      expect((await readAll(bus, topics.features)).length).toBe(400);

      const metrics = (await readAll(bus, topics.metrics)).map(jsonOf);
      for (const m of metrics) MetricMessageSchema.parse(m);
      const errors = metrics.filter((m) => m.kind === 'prediction_error');
      expect(errors.map((m) => m.trip_id).sort()).toEqual(trips.map((x) => x.trip_id).sort());
      const fare = new Map(trips.map((x) => [x.trip_id, x.fare_amount as number]));
      const byTrip = new Map(predictions.map((m) => [m.trip_id, m.prediction as number]));
      for (const e of errors) {
        expect(e.actual).toBe(fare.get(e.trip_id as string));
        expect(e.error as number).toBeCloseTo(byTrip.get(e.trip_id as string)! - (e.actual as number), 9);
      }
      const windows = metrics.filter((m) => m.kind === 'window');
      expect(windows.reduce((n, w) => n + (w.count as number), 0)).toBe(400);
      for (const w of windows) {
        const mine = errors.filter((e) => e.model_version === w.model_version).map((e) => e.error as number);
        expect(w.count).toBe(mine.length);
        expect(w.rmse as number).toBeCloseTo(Math.sqrt(mine.reduce((s, x) => s + x * x, 0) / mine.length), 6);
      }

      // The online store (SQLite or Redis) holds the newest aggregates the stream computed.
      const store = await openOnlineStore(t.workspace);
      try {
        const last = trips.at(-1)!;
        const feats = (await readAll(bus, topics.features)).map(jsonOf).find((m) => m.trip_id === last.trip_id)!.features as Record<string, unknown>;
        const [rec] = await store.read({ name: 'area_demand', join_key: 'pickup_community_area' }, [String(last.pickup_community_area)], ['trips_1h', 'avg_fare_1h']);
        expect(rec!.values).toEqual([feats.area_demand__trips_1h, feats.area_demand__avg_fare_1h]);
      } finally {
        await store.close();
      }
    });
  });
}

endToEnd('embedded log + SQLite', () => ({}), { challenger: true, idleMs: 800 });
endToEnd('Kafka + Redis', () => (kafka && redis ? { kafka: [kafka.url], redis: redis.url, topicSuffix: run } : null), { challenger: false, idleMs: 4000 });
