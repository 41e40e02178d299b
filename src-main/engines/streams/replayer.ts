/**
 * The trip replayer (`taxi-mlops replay`): publishes trips to the raw topic as trip messages, keyed by
 * trip_id, at a steady rate — the bundled real sample, synthetic trips, or any CSV in either layout.
 *
 * CSV sources go through the importer's layout mapping and rules (csv-trips.ts), so a replayed trip has
 * the id and values an import of the same file gives it; they are sent in pickup order, as they
 * happened. Trips the raw topic's schema would refuse are counted and left out rather than failing the
 * whole replay.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReplayInput, ReplaySummary } from '../../api/methods/streams.js';
import { cancelled } from '../../platform/errors.js';
import type { JobContext } from '../../platform/jobs/context.js';
import { resourcePath } from '../../platform/resources.js';
import { parseTripMessage, tripToMessage } from '../data/message.js';
import type { Trip } from '../data/trip.js';
import { generateTrips, tripOfBatchRow } from '../data/generator/index.js';
import { openCsvTrips } from './csv-trips.js';
import { openPlatformBus } from './index.js';
import type { Bus, OutgoingMessage } from './types.js';

export const DEFAULT_SYNTHETIC_TRIPS = 10_000;
const FAST_BATCH = 1000;
/** At a set rate, about this many sends per second: steady without a send per trip. */
const SENDS_PER_SECOND = 20;

/**
 * Token bucket: `rate` tokens a second, at most `capacity` saved up. Taking more than there are is
 * allowed and says how long to wait, so a caller sending batches keeps the average rate exactly.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly capacity: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Takes n tokens; returns the milliseconds to wait before using them. */
  take(n: number): number {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rate;
  }
}

export interface TripSource {
  /** Rows the source will read (after the limit), when known. */
  total: number | null;
  batches: AsyncIterable<Trip[]>;
  /** Rows the source left out because the trip rules refused them. */
  refused(): number;
  close(): void;
}

function syntheticSource(rows: number, seed: number, batchSize: number): TripSource {
  async function* batches(): AsyncGenerator<Trip[]> {
    for (const b of generateTrips({ rows, seed }, undefined, { batchSize })) {
      yield Array.from({ length: b.length }, (_, k) => tripOfBatchRow(b, k));
    }
  }
  return { total: rows, batches: batches(), refused: () => 0, close: () => undefined };
}

async function csvSource(file: string, limit: number | undefined, ctx: JobContext): Promise<TripSource> {
  ctx.progress({ done: 0, total: limit ?? null, unit: 'trips', message: `reading ${path.basename(file)}` });
  // The limit counts trips sent, so rows the rules refuse do not count against it: no limit on the read.
  const csv = await openCsvTrips(file, ctx.workspace, ctx.workspace.config.data.validation, { signal: ctx.signal });
  ctx.log.info({ file: csv.file, layout: csv.layout, rows: csv.rows }, 'replay source read');
  return { total: limit === undefined ? csv.rows : Math.min(limit, csv.rows), batches: csv.batches, refused: csv.refused, close: csv.close };
}

export async function openTripSource(input: Pick<ReplayInput, 'source' | 'limit' | 'seed'>, ctx: JobContext): Promise<TripSource> {
  if (input.source === 'synthetic') return syntheticSource(input.limit ?? DEFAULT_SYNTHETIC_TRIPS, input.seed, 8192);
  const file = input.source === 'sample' ? resourcePath('data', 'chicago_taxi_trips_sample.csv') : path.resolve(input.source);
  return csvSource(file, input.limit, ctx);
}

/** Batches of `size` trips across the source's own batches. */
async function* rebatch(source: AsyncIterable<Trip[]>, size: number, limit: number): AsyncGenerator<Trip[]> {
  let pending: Trip[] = [];
  let given = 0;
  for await (const chunk of source) {
    for (const t of chunk) {
      if (given >= limit) break;
      pending.push(t);
      given++;
      if (pending.length === size) {
        yield pending;
        pending = [];
      }
    }
    if (given >= limit) break;
  }
  if (pending.length > 0) yield pending;
}

export interface ReplayOptions {
  /** Publish through this bus instead of opening the workspace's (tests, the demo). */
  bus?: Bus;
}

/** Publishes trips at `input.rate` per second (0 = as fast as possible); see the file comment. */
export async function replay(input: ReplayInput, ctx: JobContext, opts: ReplayOptions = {}): Promise<ReplaySummary> {
  const started = performance.now();
  const config = ctx.workspace.config;
  const topic = input.topic ?? config.topics.raw;
  const rules = config.data.validation;
  const source = await openTripSource(input, ctx);
  let bus: Bus;
  try {
    bus = opts.bus ?? (await openPlatformBus(ctx.workspace));
  } catch (e) {
    source.close();
    throw e;
  }
  const batchSize = input.rate > 0 ? Math.max(1, Math.min(500, Math.round(input.rate / SENDS_PER_SECOND))) : FAST_BATCH;
  const bucket = input.rate > 0 ? new TokenBucket(input.rate, batchSize) : null;
  let published = 0;
  let skipped = 0;
  let first: string | null = null;
  let last: string | null = null;
  let sendingSince: number | null = null;
  try {
    ctx.log.info({ source: input.source, topic, rate: input.rate, limit: source.total }, 'replay started');
    for await (const trips of rebatch(source.batches, batchSize, input.limit ?? Number.POSITIVE_INFINITY)) {
      if (ctx.signal.aborted) throw cancelled('replay');
      const messages: OutgoingMessage[] = [];
      for (const t of trips) {
        const message = tripToMessage(t);
        if (!parseTripMessage(message, rules).ok) {
          skipped++;
          continue;
        }
        messages.push({ key: t.trip_id, value: JSON.stringify(message) });
      }
      sendingSince ??= performance.now();
      const wait = bucket?.take(trips.length) ?? 0;
      if (wait > 0) await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined);
      if (ctx.signal.aborted) throw cancelled('replay');
      if (messages.length > 0) await bus.produce(topic, messages, { validate: false });
      published += messages.length;
      first ??= messages[0]?.key ?? null;
      last = messages[messages.length - 1]?.key ?? last;
      ctx.progress({ done: published + skipped, total: source.total, unit: 'trips', message: `published to ${topic}` });
    }
  } finally {
    source.close();
    if (!opts.bus) await bus.close();
  }
  const duration = performance.now() - started;
  const sending = sendingSince === null ? 0 : performance.now() - sendingSince;
  const summary: ReplaySummary = {
    source: input.source,
    topic,
    published,
    skipped: skipped + source.refused(),
    rate_target: input.rate,
    rate_actual: Math.round((published / Math.max(sending, 1)) * 1000 * 10) / 10,
    duration_ms: Math.round(duration),
    first_trip_id: first,
    last_trip_id: last,
  };
  ctx.log.info(summary, 'replay finished');
  return summary;
}
