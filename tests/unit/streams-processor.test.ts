/**
 * The stream processor on the embedded log: features equal to the offline transform's for the same
 * trips, bad messages dead-lettered with reasons and their original bytes, replays and redeliveries that
 * never double-count an aggregate, late trips, the status method and the job kind. Predictions (which
 * need a trained model) are covered by the integration suite; here prediction is turned off per run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call } from '../../src-main/cli/follow.js';
import { importTrips } from '../../src-main/engines/data/import.js';
import { transformFeatures } from '../../src-main/engines/features/transform.js';
import { openSqliteOnlineStore } from '../../src-main/engines/features/online/sqlite.js';
import { openBus, openPlatformBus, DEAD_LETTER_HEADERS } from '../../src-main/engines/streams/index.js';
import { replay } from '../../src-main/engines/streams/replayer.js';
import { errorMetrics, ErrorWindows, LatencyRing } from '../../src-main/engines/streams/processor/metrics.js';
import { planViews } from '../../src-main/engines/streams/processor/plan.js';
import { ProcessorState, stateFileOf } from '../../src-main/engines/streams/processor/state.js';
import { parseTripMessage } from '../../src-main/engines/data/message.js';
import { openEngineDb, queryRows } from '../../src-main/platform/duckdb.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import { openServices } from '../../src-main/platform/services.js';
import { ImportInputSchema, type Job } from '../../src-main/api/contract.js';
import { ReplayInputSchema } from '../../src-main/api/methods/streams.js';
import type { Bus } from '../../src-main/engines/streams/types.js';
import { jsonOf, portalCsv, processorWorkspace, publishTrips, readAll, runInline, tripMessages } from '../helpers/processor.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function localWorkspace(onePartition = false) {
  const t = processorWorkspace();
  if (onePartition) {
    // The raw topic made by hand with one partition: messages are read in the order they were sent.
    const b = openBus(t.workspace);
    await b.createTopic({ name: t.workspace.config.topics.raw, partitions: 1, replication_factor: 1, retention_ms: null, retention_bytes: null });
    await b.close();
  }
  const bus = await openPlatformBus(t.workspace);
  cleanups.push(t.cleanup, () => bus.close());
  return { ...t, bus };
}

describe('stream processor features', () => {
  it('computes for every trip the features the offline transform computes for it', async () => {
    const { workspace, dir, bus } = await localWorkspace(true);
    const ctx = inlineContext(workspace, silentLogger());
    // Trips 97 s apart over ~16 h: several per taxi per hour and per area, windows of 1 h, 24 h and 7 d all fill.
    const trips = tripMessages(600, { stepS: 97, taxis: 6, areas: 4, prefix: 'cmp' });
    const csv = path.join(dir, 'trips.csv');
    fs.writeFileSync(csv, portalCsv(trips));
    const imported = await importTrips(ImportInputSchema.parse({ path: csv }), ctx);
    expect(imported.rows_accepted).toBe(600);
    await transformFeatures({}, ctx);
    const replayed = await replay(ReplayInputSchema.parse({ source: csv, rate: 0 }), ctx, { bus });
    expect(replayed.published).toBe(600);

    const summary = await runInline(workspace, { idle_exit_ms: 300 }, { bus, predictor: null });
    expect(summary).toMatchObject({ processed: 600, trips: 600, dead_lettered: 0, duplicates: 0, late: 0, predicted: 0, prediction_skipped: 600 });

    const streamed = new Map((await readAll(bus, workspace.config.topics.features)).map((m) => [String(jsonOf(m).trip_id), jsonOf(m)]));
    expect(streamed.size).toBe(600);
    const db = await openEngineDb(workspace);
    try {
      const root = path.join(workspace.paths.offlineDir, 'features');
      const read = (view: string) => queryRows<Record<string, unknown>>(db.conn, `SELECT * EXCLUDE (created_timestamp), epoch_ms(event_timestamp) AS ts FROM read_parquet('${root}/${view}/*/*.parquet', hive_partitioning = false)`);
      const tripRows = new Map((await read('trip_features')).map((r) => [String(r.trip_id), r]));
      const taxiRows = new Map((await read('taxi_activity')).map((r) => [`${r.taxi_id}|${r.ts}`, r]));
      const areaRows = new Map((await read('area_demand')).map((r) => [`${r.pickup_community_area}|${r.ts}`, r]));
      let compared = 0;
      for (const t of trips) {
        const s = streamed.get(String(t.trip_id))!.features as Record<string, unknown>;
        const ts = Date.parse(t.pickup_datetime as string);
        const offline: [string, Record<string, unknown> | undefined][] = [
          ['trip_features', tripRows.get(String(t.trip_id))],
          ['taxi_activity', taxiRows.get(`${t.taxi_id}|${ts}`)],
          ['area_demand', areaRows.get(`${t.pickup_community_area}|${ts}`)],
        ];
        for (const [view, row] of offline) {
          expect(row, `${view} row of ${t.trip_id}`).toBeDefined();
          for (const [name, value] of Object.entries(row!)) {
            if (['trip_id', 'taxi_id', 'pickup_community_area', 'event_timestamp', 'ts', 'date'].includes(name) && !(view === 'trip_features' && name === 'pickup_community_area')) continue;
            const got = s[`${view}__${name}`];
            if (typeof value === 'number' && !Number.isInteger(value)) expect(got, `${t.trip_id} ${view}__${name}`).toBeCloseTo(value, 9);
            else expect(got, `${t.trip_id} ${view}__${name}`).toEqual(value === undefined ? null : value);
            compared++;
          }
        }
      }
      // Every feature of the three views, for every trip.
      expect(compared).toBe(600 * planViews(workspace.config).reduce((n, p) => n + p.view.features.length, 0));
    } finally {
      db.close();
    }
    // The online store holds the newest row of each entity: the last trip's taxi matches its streamed features.
    const store = await openSqliteOnlineStore(workspace.paths.onlineDb);
    try {
      const last = trips.at(-1)!;
      const [rec] = await store.read({ name: 'taxi_activity', join_key: 'taxi_id' }, [String(last.taxi_id)], ['trips_1h', 'trips_24h', 'avg_fare_7d']);
      const f = streamed.get(String(last.trip_id))!.features as Record<string, unknown>;
      expect(rec!.values).toEqual([f.taxi_activity__trips_1h, f.taxi_activity__trips_24h, f.taxi_activity__avg_fare_7d]);
      expect(rec!.event_ts).toBe(Date.parse(last.pickup_datetime as string));
    } finally {
      await store.close();
    }
  });
});

describe('dead letters', () => {
  it('sends every bad message to the dead-letter topic with its reason, errors, source and original bytes', async () => {
    const { workspace, bus } = await localWorkspace();
    const raw = workspace.config.topics.raw;
    const good = tripMessages(20, { prefix: 'ok' });
    const { trip_id: _drop, ...noId } = tripMessages(1, { prefix: 'x' })[0]!;
    const huge = { ...tripMessages(1, { prefix: 'huge' })[0]!, company: 'x'.repeat(200_000) };
    const bad: { key: string; value: string | null; reason: string; field?: string }[] = [
      { key: 'b-json', value: '{"trip_id": "b-json", "fare_amount": 12.5', reason: 'not_json' },
      { key: 'b-text', value: 'hello, not a trip', reason: 'not_json' },
      { key: 'b-type', value: JSON.stringify({ ...tripMessages(1, { prefix: 'b-type' })[0]!, fare_amount: { amount: 12 } }), reason: 'invalid_type', field: 'fare_amount' },
      { key: 'b-array', value: JSON.stringify([1, 2, 3]), reason: 'invalid_type', field: '(message)' },
      { key: 'b-missing', value: JSON.stringify(noId), reason: 'missing_required', field: 'trip_id' },
      { key: 'b-pickup', value: JSON.stringify({ trip_id: 'b-pickup', fare_amount: 3 }), reason: 'missing_required', field: 'pickup_datetime' },
      { key: 'b-huge', value: JSON.stringify(huge), reason: 'too_large' },
      { key: 'b-null', value: null, reason: 'empty_value' },
    ];
    // A trip that is JSON and well typed but breaks an import rule (negative fare) is refused too.
    const ruleBroken = { ...tripMessages(1, { prefix: 'b-rule' })[0]!, fare_amount: -4 };
    const ruleReason = parseTripMessage(ruleBroken, workspace.config.data.validation);
    expect(ruleReason.ok).toBe(false);
    bad.push({ key: 'b-rule', value: JSON.stringify(ruleBroken), reason: (ruleReason as { errors: { reason: string }[] }).errors[0]!.reason, field: 'fare_amount' });

    await publishTrips(bus, raw, good.slice(0, 10));
    await bus.produce(raw, bad.map((b) => ({ key: b.key, value: b.value, headers: { origin: 'test' } })), { validate: false });
    await publishTrips(bus, raw, good.slice(10));

    const summary = await runInline(workspace, { idle_exit_ms: 300 }, { bus, predictor: null });
    expect(summary).toMatchObject({ processed: 20 + bad.length, trips: 20, dead_lettered: bad.length });

    const dlq = await readAll(bus, workspace.config.topics.raw_dead_letter);
    expect(dlq.map((m) => m.key).sort()).toEqual(bad.map((b) => b.key).sort());
    const sourceOffsets = new Map((await readAll(bus, raw)).map((m) => [m.key, m]));
    for (const b of bad) {
      const d = dlq.find((m) => m.key === b.key)!;
      expect(d.headers[DEAD_LETTER_HEADERS.reason], b.key).toBe(b.reason);
      const errors = JSON.parse(d.headers[DEAD_LETTER_HEADERS.errors]!) as { field: string; message: string }[];
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]!.message.length).toBeGreaterThan(5);
      if (b.field) expect(errors.map((e) => e.field), b.key).toContain(b.field);
      const src = sourceOffsets.get(b.key)!;
      expect(d.headers[DEAD_LETTER_HEADERS.sourceTopic]).toBe(raw);
      expect(Number(d.headers[DEAD_LETTER_HEADERS.sourcePartition])).toBe(src.partition);
      expect(Number(d.headers[DEAD_LETTER_HEADERS.sourceOffset])).toBe(src.offset);
      expect(Date.parse(d.headers[DEAD_LETTER_HEADERS.failedAt]!)).not.toBeNaN();
      expect(d.headers.origin).toBe('test');
      expect(d.value === null ? null : d.value.toString('utf8')).toBe(b.value);
    }
    // Nothing else came out of the bad ones; every good one has its features.
    const features = (await readAll(bus, workspace.config.topics.features)).map((m) => String(jsonOf(m).trip_id)).sort();
    expect(features).toEqual(good.map((t) => String(t.trip_id)).sort());

    // Run again from the same group: nothing is read twice, nothing is dead-lettered twice.
    const again = await runInline(workspace, { idle_exit_ms: 300 }, { bus, predictor: null });
    expect(again.processed).toBe(0);
    expect((await readAll(bus, workspace.config.topics.raw_dead_letter)).length).toBe(bad.length);
  });
});

async function aggregatesOf(bus: Bus, topic: string): Promise<Map<string, Record<string, unknown>>> {
  return new Map((await readAll(bus, topic)).map((m) => [String(jsonOf(m).trip_id), jsonOf(m).features as Record<string, unknown>]));
}

describe('idempotent aggregates', () => {
  it('replaying the same trips (another group reading them again) never counts a trip twice', async () => {
    const { workspace, bus } = await localWorkspace(true);
    const raw = workspace.config.topics.raw;
    const trips = tripMessages(300, { stepS: 45, prefix: 'rp' });
    await publishTrips(bus, raw, trips);
    const first = await runInline(workspace, { idle_exit_ms: 300 }, { bus, predictor: null });
    expect(first).toMatchObject({ trips: 300, duplicates: 0 });
    const firstFeatures = await aggregatesOf(bus, workspace.config.topics.features);
    const state = ProcessorState.open(stateFileOf(workspace, 'taxi-stream-processor'), planViews(workspace.config), 86_400_000);
    const before = state.counts();
    state.close();
    expect(before.windows).toEqual({ taxi_activity: 300, area_demand: 300 });

    // The same trips published again, and the group's offsets reset so the first copies are read again too.
    await publishTrips(bus, raw, trips);
    await bus.resetOffsets({ group: 'taxi-stream-processor', topic: raw, to: { type: 'earliest' } });
    const second = await runInline(workspace, { idle_exit_ms: 300 }, { bus, predictor: null });
    expect(second).toMatchObject({ processed: 600, trips: 0, duplicates: 600 });
    const after = ProcessorState.open(stateFileOf(workspace, 'taxi-stream-processor'), planViews(workspace.config), 86_400_000);
    expect(after.counts().windows).toEqual(before.windows);
    after.close();
    // No new feature messages, and the online store still holds the first pass's values.
    expect((await readAll(bus, workspace.config.topics.features)).length).toBe(300);
    const store = await openSqliteOnlineStore(workspace.paths.onlineDb);
    try {
      const last = trips.at(-1)!;
      const [rec] = await store.read({ name: 'taxi_activity', join_key: 'taxi_id' }, [String(last.taxi_id)], ['trips_1h', 'trips_24h']);
      const f = firstFeatures.get(String(last.trip_id))!;
      expect(rec!.values).toEqual([f.taxi_activity__trips_1h, f.taxi_activity__trips_24h]);
      // 300 trips 45 s apart over 7 taxis, all within 24 h: the last trip's taxi (299 % 7 = 5) has 43.
      expect(f.taxi_activity__trips_24h).toBe(43);
    } finally {
      await store.close();
    }
  });

  it('a trip recorded but not yet published (a crash in between) gets its outputs on redelivery, counted once', async () => {
    const { workspace, bus } = await localWorkspace(true);
    const raw = workspace.config.topics.raw;
    const trips = tripMessages(50, { stepS: 30, taxis: 2, prefix: 'cr' });
    await publishTrips(bus, raw, trips);
    // What a processor killed after writing its state (and before producing anything) leaves behind.
    const plans = planViews(workspace.config);
    const state = ProcessorState.open(stateFileOf(workspace, 'taxi-stream-processor'), plans, 86_400_000);
    const parsed = trips.slice(0, 20).map((t) => (parseTripMessage(t, workspace.config.data.validation) as Extract<ReturnType<typeof parseTripMessage>, { ok: true }>).trip);
    const staged = state.stage(raw, 0, parsed);
    state.close();
    const run = await runInline(workspace, { idle_exit_ms: 300 }, { bus, predictor: null });
    expect(run).toMatchObject({ processed: 50, trips: 50, duplicates: 0 });
    const out = await aggregatesOf(bus, workspace.config.topics.features);
    expect([...out.keys()].sort()).toEqual(trips.map((t) => String(t.trip_id)).sort());
    // The redelivered trips' features are the ones computed before the crash; each trip counted once.
    staged.forEach((s) => {
      const f = out.get(s.trip.trip_id)!;
      expect(f.taxi_activity__trips_24h).toBe(s.views[1]!.values![1]);
    });
    const last = out.get('cr-49')!;
    expect(last.taxi_activity__trips_24h).toBe(25);
    const check = ProcessorState.open(stateFileOf(workspace, 'taxi-stream-processor'), plans, 86_400_000);
    expect(check.counts()).toMatchObject({ seen: 50, pending: 0, windows: { taxi_activity: 50, area_demand: 50 } });
    check.close();
  });

  it('a trip older than the watermark minus the lateness gets features but no longer changes the aggregates', async () => {
    const { workspace, bus } = await localWorkspace();
    const raw = workspace.config.topics.raw;
    // Enough trips that every partition of the raw topic has some (the watermark waits for each).
    await publishTrips(bus, raw, tripMessages(60, { start: '2024-03-10T08:00:00Z', stepS: 60, prefix: 'now' }));
    await runInline(workspace, { idle_exit_ms: 300, lateness_s: 3600 }, { bus, predictor: null });
    const late = tripMessages(1, { start: '2024-03-09T08:00:00Z', prefix: 'late' });
    await publishTrips(bus, raw, late);
    const run = await runInline(workspace, { idle_exit_ms: 300, lateness_s: 3600 }, { bus, predictor: null });
    expect(run).toMatchObject({ processed: 1, trips: 1, late: 1 });
    const state = ProcessorState.open(stateFileOf(workspace, 'taxi-stream-processor'), planViews(workspace.config), 3_600_000);
    expect(state.counts().windows.taxi_activity).toBe(60);
    state.close();
    const f = (await aggregatesOf(bus, workspace.config.topics.features)).get('late-0')!;
    expect(f.trip_features__trip_distance).toBe(1);
  });
});

describe('error windows after a restart', () => {
  it('are rebuilt from the prediction errors on the metrics topic within the window span, older ones left out', async () => {
    const { workspace, bus } = await localWorkspace();
    const metricsTopic = workspace.config.topics.metrics;
    const now = Date.now();
    const err = (prediction: number, actual: number, agoMs: number) => ({
      key: null,
      value: JSON.stringify({ kind: 'prediction_error', model_name: 'fare', model_version: '3', computed_at: new Date(now - agoMs).toISOString(), trip_id: `t-${agoMs}`, prediction, actual, error: prediction - actual, abs_error: Math.abs(prediction - actual) }),
    });
    await bus.produce(metricsTopic, [
      // Two hours ago: outside the 5-minute span.
      err(100, 0, 2 * 3_600_000),
      err(10, 12, 120_000),
      err(20, 18, 90_000),
      err(15, 15, 60_000),
      err(8, 11, 30_000),
    ]);
    // This run predicts nothing (no model); the window it publishes when it stops is the restored one.
    await runInline(workspace, { idle_exit_ms: 300 }, { bus, predictor: null });
    const windows = (await readAll(bus, metricsTopic)).map((m) => jsonOf(m) as Record<string, unknown>).filter((m) => m.kind === 'window');
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ model_name: 'fare', model_version: '3', count: 4 });
    expect(windows[0]!.rmse as number).toBeCloseTo(Math.sqrt(17 / 4), 9);
    expect(windows[0]!.mae as number).toBeCloseTo(7 / 4, 9);
  });
});

describe('status and the job', () => {
  it('runs as a job in a worker (streams.processor.start) and reports through streams.processor.status', async () => {
    const { workspace, dir, bus } = await localWorkspace();
    await publishTrips(bus, workspace.config.topics.raw, tripMessages(120, { prefix: 'job' }));
    await bus.produce(workspace.config.topics.raw, [{ key: 'bad', value: 'nope' }], { validate: false });
    const s = await openServices({ workspace: dir, mode: 'cli' });
    try {
      const never = await call(s, 'streams.processor.status', { group: 'other-group' });
      expect(never).toMatchObject({ running: false, state: 'never_run', processed: 0 });
      const job = await call(s, 'streams.processor.start', { idle_exit_ms: 1500 });
      expect(job.kind).toBe('streams.process');
      let sawRunning = false;
      const done: Job = await new Promise((resolve) => {
        const check = async (): Promise<void> => {
          const st = await call(s, 'streams.processor.status', {});
          if (st.running) sawRunning = true;
          const j = s.jobs.get(job.id);
          if (['succeeded', 'failed', 'cancelled'].includes(j.status)) resolve(j);
          else setTimeout(() => void check(), 100);
        };
        void check();
      });
      expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
      expect(done.result).toMatchObject({ processed: 121, trips: 120, dead_lettered: 1, stopped: 'idle' });
      expect(done.progress.done).toBe(121);
      expect(sawRunning).toBe(true);
      const st = await call(s, 'streams.processor.status', {});
      expect(st).toMatchObject({ running: false, state: 'stopped', processed: 121, dead_lettered: 1, trips: 120, lag: 0 });
      expect(st.bus).toMatch(/^local /);
      expect(st.online_store).toMatch(/^sqlite /);
    } finally {
      await s.close();
    }
  });
});

describe('processor measures', () => {
  it('RMSE, MAE and R² of prediction errors; none for an empty window; R² null without spread', () => {
    const m = errorMetrics([
      { prediction: 10, actual: 12 },
      { prediction: 20, actual: 18 },
      { prediction: 30, actual: 33 },
    ]);
    expect(m.rmse).toBeCloseTo(Math.sqrt((4 + 4 + 9) / 3), 12);
    expect(m.mae).toBeCloseTo(7 / 3, 12);
    const mean = (12 + 18 + 33) / 3;
    expect(m.r2).toBeCloseTo(1 - 17 / ((12 - mean) ** 2 + (18 - mean) ** 2 + (33 - mean) ** 2), 12);
    expect(errorMetrics([])).toEqual({ rmse: null, mae: null, r2: null });
    expect(errorMetrics([{ prediction: 1, actual: 5 }, { prediction: 2, actual: 5 }]).r2).toBeNull();
  });

  it('error windows keep only the span, per model version', () => {
    const w = new ErrorWindows(60_000);
    w.add('m', '1', 10, 12, 1_000);
    w.add('m', '1', 10, 11, 50_000);
    w.add('m', '2', 5, 5, 55_000);
    const now = w.windows(100_000);
    expect(now.map((x) => [x.model_version, x.count])).toEqual([['1', 1], ['2', 1]]);
    expect(now[0]!.mae).toBe(1);
    expect(w.windows(200_000)).toEqual([]);
  });

  it('latency percentiles are nearest-rank over the most recent values', () => {
    const r = new LatencyRing(100);
    for (let i = 1; i <= 250; i++) r.add(i);
    expect(r.count).toBe(100);
    expect(r.percentiles([50, 99, 100])).toEqual([200, 249, 250]);
  });
});
