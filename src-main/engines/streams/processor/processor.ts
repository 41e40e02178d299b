/**
 * The stream processor (`taxi-mlops stream run`, job kind `streams.process`): consumes the raw topic in
 * a consumer group and, per batch of one partition,
 *   1. refuses bad messages to the dead-letter topic (reason in a header, original bytes kept);
 *   2. records the batch's trips in the state store and computes their features (state.ts: seen-set and
 *      windows, one transaction) — before any output, so a crash replays harmlessly;
 *   3. pushes the feature rows to the online store;
 *   4. predicts with the served model(s) and publishes features, predictions and, as replayed trips
 *      carry their fare, each prediction's error (plus RMSE/MAE/R² window messages now and then);
 *   5. marks the trips done; the bus then commits the offsets (at least once).
 * Transient trouble (broker, Redis, registry) is retried inside the batch for a few seconds, then the
 * subscription is dropped uncommitted and taken up again after a pause, for as long as the job runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessorOptions, ProcessorStatus, ProcessorSummary } from '../../../api/methods/processor.js';
import type { Config } from '../../../platform/config.js';
import { AppError } from '../../../platform/errors.js';
import { failpoint } from '../../../platform/failpoints.js';
import type { JobContext } from '../../../platform/jobs/context.js';
import type { Logger } from '../../../platform/logging.js';
import type { Services } from '../../../platform/services.js';
import { checkPushRows } from '../../features/push.js';
import { getOnlineStore } from '../../features/runtime.js';
import type { OnlineStore } from '../../features/online/types.js';
import type { FeatureValue } from '../../features/types.js';
import { getBus } from '../index.js';
import type { FeaturesMessage, MetricMessage, PredictionMessage } from '../topics.js';
import { GROUP_SESSION_TIMEOUT_MS, type Bus, type MessageBatch, type OutgoingMessage, type Subscription } from '../types.js';
import { deadLetterOf, intake, type Refused } from './intake.js';
import { ErrorWindows, LatencyRing, RateMeter } from './metrics.js';
import { planViews, type ViewPlan } from './plan.js';
import { restoreErrorWindows } from './restore.js';
import { isNoModel, loadPredictor, modelFeatureNames, type PredictorLike } from './predict.js';
import { workerServices } from './services.js';
import { ProcessorState, stateFileOf, type StagedTrip } from './state.js';

export interface ProcessorDeps {
  services?: Services;
  bus?: Bus;
  store?: OnlineStore;
  /** A predictor to use instead of the models engine's; null = never predict. */
  predictor?: PredictorLike | null;
  /** Called after each batch is fully handled (tests, the bench). */
  onBatch?: (info: { messages: number; predictions: number; latencies: number[] }) => void;
}

/** Budget of in-batch retries before the batch is given up and the subscription restarted. */
const BATCH_RETRY_BUDGET_MS = 8000;
const STATUS_EVERY_MS = 1000;
const LAG_EVERY_MS = 5000;
const EXPIRE_EVERY_MS = 10_000;
const NO_MODEL_RECHECK_MS = 10_000;
const MAX_BACKOFF_MS = 10_000;

/**
 * Outputs are built from the typed message shapes of topics.ts, so the per-message schema check of
 * produce (a zod parse of each) is skipped for them; the end-to-end tests parse every one instead.
 */
const OWN_OUTPUT = { validate: false } as const;

class StopRequested extends Error {
  constructor() {
    super('the processor was asked to stop');
  }
}

/**
 * Failures worth waiting out: a backend that is down or slow (UNAVAILABLE, TIMEOUT), a Kafka error of
 * any kind (a restarting broker yields several), and errors that are not ours at all (sockets).
 */
export function isTransient(e: unknown): boolean {
  if (e instanceof StopRequested) return false;
  if (!(e instanceof AppError)) return true;
  if (e.code === 'UNAVAILABLE' || e.code === 'TIMEOUT') return true;
  return e.code === 'INTERNAL' && Array.isArray((e.details as { brokers?: unknown } | undefined)?.brokers);
}

const iso = (ms: number): string => new Date(ms).toISOString();
const errText = (e: unknown): string => {
  const code = (e as { code?: unknown }).code;
  return `${typeof code === 'string' ? `${code}: ` : ''}${(e as Error).message ?? String(e)}`;
};

interface Counters {
  processed: number;
  trips: number;
  dead_lettered: number;
  duplicates: number;
  late: number;
  predicted: number;
  prediction_skipped: number;
  skip_reason: string | null;
}

class Processor {
  readonly counters: Counters = { processed: 0, trips: 0, dead_lettered: 0, duplicates: 0, late: 0, predicted: 0, prediction_skipped: 0, skip_reason: null };
  readonly latency = new LatencyRing();
  readonly rate = new RateMeter();
  readonly errors: ErrorWindows;
  readonly startedAt = Date.now();
  stopRequested = false;
  lastActivity = Date.now();
  subscribed = false;
  /** Partitions this member owned after the last rebalance (null before the first). */
  assigned: number | null = null;
  busy = false;
  busyMs = 0;
  lastError: string | null = null;
  retries = 0;
  lag: number | null = null;
  bus: Bus | null = null;
  store: OnlineStore | null = null;
  private predictor: PredictorLike | null | undefined;
  private modelInputs: Set<string> | undefined;
  private noModelUntil = 0;
  private lastWindow = Date.now();
  private lastExpire = Date.now();
  private lastStatus = 0;
  private readonly topics: Config['topics'];

  constructor(
    private readonly ctx: JobContext,
    private readonly opts: ProcessorOptions,
    private readonly services: Services,
    private readonly state: ProcessorState,
    private readonly plans: readonly ViewPlan[],
    private readonly deps: ProcessorDeps,
  ) {
    this.topics = ctx.workspace.config.topics;
    this.errors = new ErrorWindows(opts.metrics_window_minutes * 60_000);
    if (deps.predictor !== undefined) this.predictor = deps.predictor;
    if (deps.predictor === null) this.counters.skip_reason = 'prediction turned off for this run';
  }

  private get log(): Logger {
    return this.ctx.log;
  }

  /** Runs `fn`, retrying transient failures with backoff within the batch budget. */
  private async retrying<T>(what: string, fn: () => Promise<T>, deadline: number): Promise<T> {
    let delay = 100;
    for (;;) {
      try {
        const r = await fn();
        if (this.retries > 0) this.log.info({ what, retries: this.retries }, 'recovered');
        this.retries = 0;
        return r;
      } catch (e) {
        if (!isTransient(e) || Date.now() + delay > deadline || this.ctx.signal.aborted) throw e;
        this.retries++;
        this.lastError = `${what}: ${errText(e)}`;
        if (this.retries === 1 || this.retries % 10 === 0) this.log.warn({ what, err: errText(e), retries: this.retries }, 'retrying');
        this.writeStatus('retrying');
        await sleep(delay);
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  readonly handle = async (batch: MessageBatch): Promise<void> => {
    if (this.stopRequested) throw new StopRequested();
    this.busy = true;
    const started = performance.now();
    try {
      await this.handleBatch(batch);
    } finally {
      this.busyMs += performance.now() - started;
      this.busy = false;
      this.lastActivity = Date.now();
    }
  };

  private async handleBatch(batch: MessageBatch): Promise<void> {
    const deadline = Date.now() + BATCH_RETRY_BUDGET_MS;
    const rules = this.ctx.workspace.config.data.validation;
    const refused: Refused[] = [];
    const trips: Extract<ReturnType<typeof intake>, { ok: true }>[] = [];
    for (const m of batch.messages) {
      const r = intake(m, rules);
      if (r.ok) trips.push(r);
      else if (!this.state.deadLetterWritten(m.topic, m.partition, m.offset)) refused.push(r);
    }
    const staged = this.state.stage(batch.topic, batch.partition, trips.map((t) => t.trip));
    const fresh: { s: StagedTrip; publishedAt: number }[] = [];
    staged.forEach((s, i) => {
      if (!s.duplicate) fresh.push({ s, publishedAt: trips[i]!.message.timestamp });
    });

    await this.retrying('online store', () => this.pushOnline(fresh.map((f) => f.s)), deadline);
    const now = Date.now();
    const featureMessages: OutgoingMessage[] = fresh.map(({ s }) => ({ key: s.trip.trip_id, value: JSON.stringify(this.featuresMessage(s, now)) }));
    const predictions = await this.predict(fresh, deadline);
    const deadLetters = refused.map((r) => deadLetterOf(r, now));

    await this.retrying(
      'produce',
      async () => {
        if (deadLetters.length > 0) await this.bus!.produce(this.topics.raw_dead_letter, deadLetters);
        if (featureMessages.length > 0) await this.bus!.produce(this.topics.features, featureMessages, OWN_OUTPUT);
        if (predictions.messages.length > 0) await this.bus!.produce(this.topics.predictions, predictions.messages, OWN_OUTPUT);
        if (predictions.metrics.length > 0) await this.bus!.produce(this.topics.metrics, predictions.metrics, OWN_OUTPUT);
      },
      deadline,
    );
    failpoint('processor.outputs-produced');
    this.state.markDone(
      fresh.map((f) => f.s.trip.trip_id),
      refused.map((r) => ({ topic: r.message.topic, partition: r.message.partition, offset: r.message.offset })),
    );

    failpoint('processor.state-written');
    const c = this.counters;
    c.processed += batch.messages.length;
    c.trips += fresh.length;
    c.dead_lettered += refused.length;
    c.duplicates += staged.length - fresh.length;
    c.late += fresh.filter((f) => f.s.late).length;
    c.predicted += predictions.messages.length;
    for (const l of predictions.latencies) this.latency.add(l);
    this.rate.add(batch.messages.length);
    this.lastActivity = Date.now();
    await this.maybePublishWindows(deadline);
    this.maybeExpire();
    this.progress();
    this.deps.onBatch?.({ messages: batch.messages.length, predictions: predictions.messages.length, latencies: predictions.latencies });
  }

  /**
   * One write per view, straight to the store (rows checked against the view as push() checks them,
   * without push()'s request parsing, which costs more than the write at stream rates).
   */
  private async pushOnline(staged: readonly StagedTrip[]): Promise<void> {
    const now = Date.now();
    for (const [vi, p] of this.plans.entries()) {
      const rows: Record<string, FeatureValue>[] = [];
      for (const s of staged) {
        const v = s.views[vi];
        if (!v || v.key === null || v.values === null) continue;
        const row: Record<string, FeatureValue> = { [p.view.entity.join_key]: (s.trip as unknown as Record<string, FeatureValue>)[p.view.entity.join_key] ?? null, event_timestamp: s.trip.pickup_datetime.getTime() };
        p.view.features.forEach((f, i) => (row[f.name] = v.values![i]!));
        rows.push(row);
      }
      if (rows.length === 0) continue;
      const checked = checkPushRows(p.view, rows, now);
      await this.store!.write(p.online, checked.map((r) => ({ key: r.key, event_ts: r.event_ts, created_ts: r.created_ts, values: r.values })));
    }
  }

  private featuresOf(s: StagedTrip): Record<string, FeatureValue> {
    const out: Record<string, FeatureValue> = {};
    this.plans.forEach((p, vi) => {
      const values = s.views[vi]?.values ?? null;
      p.names.forEach((n, i) => (out[n] = values ? values[i]! : null));
    });
    return out;
  }

  private featuresMessage(s: StagedTrip, now: number): FeaturesMessage {
    return {
      trip_id: s.trip.trip_id,
      taxi_id: s.trip.taxi_id,
      pickup_community_area: s.trip.pickup_community_area,
      event_timestamp: iso(s.trip.pickup_datetime.getTime()),
      features: this.featuresOf(s),
      computed_at: iso(now),
    };
  }

  private async resolvePredictor(): Promise<PredictorLike | null> {
    if (this.predictor !== undefined) return this.predictor;
    const { predictor, reason } = await loadPredictor(this.services);
    if (!predictor) {
      this.counters.skip_reason = reason;
      this.log.warn({ reason }, 'predictions skipped: no predictor');
    }
    this.predictor = predictor;
    return predictor;
  }

  private async predict(fresh: readonly { s: StagedTrip; publishedAt: number }[], deadline: number): Promise<{ messages: OutgoingMessage[]; metrics: OutgoingMessage[]; latencies: number[] }> {
    const none = { messages: [], metrics: [], latencies: [] };
    if (fresh.length === 0) return none;
    const predictor = await this.resolvePredictor();
    if (!predictor || Date.now() < this.noModelUntil) {
      this.counters.prediction_skipped += fresh.length;
      return none;
    }
    // Entity keys other than the trip are left out: every value comes with the request, so the
    // predictor need not read back from the online store what was just written to it.
    this.modelInputs ??= modelFeatureNames(this.ctx.workspace.config);
    const inputs = this.modelInputs;
    const requests = fresh.map(({ s }) => {
      const all = this.featuresOf(s);
      const features: Record<string, FeatureValue> = {};
      for (const k in all) if (inputs.size === 0 || inputs.has(k)) features[k] = all[k]!;
      return { trip_id: s.trip.trip_id, features };
    });
    let out;
    try {
      out = await this.retrying('predict', () => predictor.predict({ requests }), deadline);
    } catch (e) {
      if (!isNoModel(e)) throw e;
      if (this.counters.skip_reason !== errText(e)) this.log.warn({ err: errText(e) }, 'predictions skipped: no model to serve');
      this.counters.skip_reason = errText(e);
      this.counters.prediction_skipped += fresh.length;
      this.noModelUntil = Date.now() + NO_MODEL_RECHECK_MS;
      return none;
    }
    this.counters.skip_reason = null;
    const predictedAt = Date.now();
    const byTrip = new Map(fresh.map((f) => [f.s.trip.trip_id, f]));
    const messages: OutgoingMessage[] = [];
    const metrics: OutgoingMessage[] = [];
    const latencies: number[] = [];
    for (const p of out.predictions) {
      const f = byTrip.get(p.trip_id);
      if (!f) continue;
      const latency = Math.max(0, predictedAt - f.publishedAt);
      latencies.push(latency);
      const message: PredictionMessage = {
        trip_id: p.trip_id,
        model_name: p.model_name,
        model_version: String(p.model_version),
        variant: p.variant,
        prediction: p.prediction,
        features: p.features,
        latency_ms: latency,
        predicted_at: iso(predictedAt),
        event_timestamp: iso(f.s.trip.pickup_datetime.getTime()),
      };
      messages.push({ key: p.trip_id, value: JSON.stringify(message) });
      const actual = f.s.trip.fare_amount;
      if (typeof actual === 'number' && Number.isFinite(actual) && Number.isFinite(p.prediction)) {
        const error = p.prediction - actual;
        const metric: MetricMessage = {
          kind: 'prediction_error',
          model_name: p.model_name,
          model_version: String(p.model_version),
          computed_at: iso(predictedAt),
          trip_id: p.trip_id,
          prediction: p.prediction,
          actual,
          error,
          abs_error: Math.abs(error),
        };
        metrics.push({ key: p.trip_id, value: JSON.stringify(metric) });
        this.errors.add(p.model_name, String(p.model_version), p.prediction, actual, predictedAt);
      }
    }
    this.counters.prediction_skipped += fresh.length - messages.length;
    return { messages, metrics, latencies };
  }

  private windowsRestored = false;

  /** Rebuilds the error windows from the metrics topic once per run; a failure only costs the history. */
  async restoreWindowsOnce(): Promise<void> {
    if (this.windowsRestored || !this.bus) return;
    this.windowsRestored = true;
    const since = Date.now() - this.opts.metrics_window_minutes * 60_000;
    try {
      const n = await restoreErrorWindows(this.bus, this.topics.metrics, this.errors, since);
      if (n > 0) this.log.info({ prediction_errors: n, since: new Date(since).toISOString() }, 'error windows restored from the metrics topic');
    } catch (e) {
      // No metrics topic yet: nothing to restore.
      if (e instanceof AppError && e.code === 'NOT_FOUND') return;
      this.log.warn({ err: errText(e) }, 'error windows start empty: the metrics topic could not be read');
    }
  }

  /** RMSE/MAE/R² per model version over the last window span, every `window_every_ms`. */
  async maybePublishWindows(deadline: number, force = false): Promise<number> {
    const now = Date.now();
    if (!force && now - this.lastWindow < this.opts.window_every_ms) return 0;
    this.lastWindow = now;
    const windows = this.errors.windows(now);
    if (windows.length === 0) return 0;
    const messages = windows.map((w): OutgoingMessage => {
      const m: MetricMessage = {
        kind: 'window',
        model_name: w.model_name,
        model_version: w.model_version,
        computed_at: iso(now),
        window_start: iso(w.window_start),
        window_end: iso(w.window_end),
        count: w.count,
        rmse: w.rmse,
        mae: w.mae,
        r2: w.r2,
      };
      return { key: `${w.model_name}:${w.model_version}`, value: JSON.stringify(m) };
    });
    await this.retrying('produce windows', () => this.bus!.produce(this.topics.metrics, messages, OWN_OUTPUT), deadline);
    return messages.length;
  }

  private maybeExpire(): void {
    if (Date.now() - this.lastExpire < EXPIRE_EVERY_MS) return;
    this.lastExpire = Date.now();
    const r = this.state.expire();
    if (r.seen + r.windows > 0) this.log.debug(r, 'state expired');
  }

  progress(): void {
    const c = this.counters;
    this.ctx.progress({
      done: c.processed,
      total: this.opts.limit ?? null,
      unit: 'messages',
      message: `${c.predicted} predicted, ${c.dead_lettered} dead-lettered${c.duplicates ? `, ${c.duplicates} duplicates` : ''}${c.prediction_skipped ? `, ${c.prediction_skipped} not predicted` : ''}${this.lag !== null ? `, lag ${this.lag}` : ''}`,
    });
    if (Date.now() - this.lastStatus >= STATUS_EVERY_MS) this.writeStatus('running');
  }

  status(state: ProcessorStatus['state']): ProcessorStatus {
    const [p50, p99] = this.latency.percentiles([50, 99]);
    const wm = this.state.watermark();
    return {
      running: state === 'running' || state === 'retrying',
      state,
      job_id: null,
      group: this.opts.group,
      ...this.counters,
      rate_per_s: Math.round(this.rate.perSecond() * 10) / 10,
      lag: this.lag,
      last_error: this.lastError,
      retries: this.retries,
      started_at: iso(this.startedAt),
      updated_at: iso(Date.now()),
      p50_ms: p50 ?? null,
      p99_ms: p99 ?? null,
      watermark: wm === null ? null : iso(wm),
      bus: this.bus ? `${this.bus.kind} ${this.bus.target}` : null,
      online_store: this.store ? `${this.store.kind} ${this.store.target}` : null,
    };
  }

  writeStatus(state: ProcessorStatus['state']): void {
    this.lastStatus = Date.now();
    try {
      this.state.writeStatus({ ...this.status(state), pid: process.pid });
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'status not written');
    }
  }

  /** Which raw partitions hold messages: the watermark waits for each of them. */
  async refreshPartitions(): Promise<void> {
    if (!this.bus) return;
    const d = await this.bus.describeTopic(this.topics.raw);
    this.state.setSourcePartitions(
      this.topics.raw,
      d.partition_info.filter((pi) => pi.high > pi.low).map((pi) => pi.partition),
    );
  }

  async refreshLag(): Promise<void> {
    if (!this.bus) return;
    await this.refreshPartitions().catch(() => undefined);
    try {
      const d = await this.bus.describeGroup(this.opts.group);
      this.lag = d.offsets.filter((o) => o.topic === this.topics.raw).reduce((n, o) => n + (o.lag ?? o.high - o.low), 0);
    } catch {
      // No group yet (nothing committed) or the bus is down: keep the last value.
    }
  }
}

/** Runs the processor until the limit, idleness or cancellation; see the file comment. */
export async function runProcessor(opts: ProcessorOptions, ctx: JobContext, deps: ProcessorDeps = {}): Promise<ProcessorSummary> {
  const ws = ctx.workspace;
  const services = deps.services ?? workerServices(ws, ctx.log);
  const plans = planViews(ws.config);
  const state = ProcessorState.open(stateFileOf(ws, opts.group), plans, opts.lateness_s * 1000);
  const p = new Processor(ctx, opts, services, state, plans, deps);
  let stopped: ProcessorSummary['stopped'] = 'cancelled';
  let wake: () => void = () => undefined;
  const requestStop = (why: ProcessorSummary['stopped']): void => {
    if (p.stopRequested) return;
    stopped = why;
    p.stopRequested = true;
    wake();
  };
  const onAbort = (): void => requestStop('cancelled');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const watch = setInterval(() => {
    if (opts.limit !== undefined && p.counters.processed >= opts.limit) requestStop('limit');
    // Idleness counts only while subscribed: opening backends or waiting out an outage is not idle.
    // A member that owns no partition may be waiting for those of a member that died (the group gives
    // them over after its session timeout), so it waits that much longer before calling the stream idle.
    const grace = p.assigned === 0 ? GROUP_SESSION_TIMEOUT_MS : 0;
    if (opts.idle_exit_ms !== undefined && p.subscribed && !p.busy && Date.now() - p.lastActivity >= opts.idle_exit_ms + grace) requestStop('idle');
  }, 50);
  const statusTimer = setInterval(() => p.writeStatus(p.retries > 0 ? 'retrying' : 'running'), STATUS_EVERY_MS);
  const lagTimer = setInterval(() => void p.refreshLag(), LAG_EVERY_MS);
  ctx.log.info({ group: opts.group, from: opts.from, limit: opts.limit ?? null, state: state.file }, 'stream processor started');
  let backoff = 500;
  try {
    p.writeStatus('running');
    if (ctx.signal.aborted) requestStop('cancelled');
    while (!p.stopRequested) {
      let sub: Subscription | null = null;
      try {
        const opening = Date.now();
        p.bus ??= deps.bus ?? (await getBus(services));
        p.store ??= deps.store ?? (await getOnlineStore(services));
        await p.restoreWindowsOnce();
        await p.refreshPartitions();
        ctx.log.info({ ms: Date.now() - opening, bus: p.bus.kind, store: p.store.kind }, 'subscribing');
        sub = await p.bus.consume({
          group: opts.group,
          topics: [ws.config.topics.raw],
          fromBeginning: opts.from === 'earliest',
          maxBatch: opts.max_batch,
          clientId: 'taxi-stream-processor',
          handler: p.handle,
          // Idle time counts from the last rebalance: partitions taken over from another member may hold a backlog.
          onAssignment: (partitions) => {
            p.assigned = partitions;
            p.lastActivity = Math.max(p.lastActivity, Date.now());
          },
        });
        const stop = new Promise<void>((resolve) => (wake = resolve));
        if (p.stopRequested) wake();
        // Idle time counts from when the group is joined, not from when the job was queued.
        p.lastActivity = Math.max(p.lastActivity, Date.now());
        p.subscribed = true;
        await Promise.race([sub.done, stop]).finally(() => (p.subscribed = false));
        await sub.stop();
        await sub.done;
        if (!p.stopRequested) throw new AppError('UNAVAILABLE', 'the consumer left its group');
      } catch (e) {
        if (sub) await sub.stop().catch(() => undefined);
        if (e instanceof StopRequested) break;
        if (!isTransient(e)) throw e;
        if (p.stopRequested) {
          ctx.log.warn({ err: errText(e) }, 'batch not finished at stop; it is read again next time');
          break;
        }
        p.lastError = errText(e);
        p.retries++;
        ctx.log.warn({ err: p.lastError, retry_in_ms: backoff }, 'stream processor interrupted; resuming from the last committed offsets');
        p.writeStatus('retrying');
        await sleep(backoff, undefined, { signal: ctx.signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
    }
    await p.maybePublishWindows(Date.now() + BATCH_RETRY_BUDGET_MS, true).catch((e: unknown) => ctx.log.warn({ err: errText(e) }, 'last window metrics not published'));
    await p.refreshLag();
    p.progress();
    const s = p.status('stopped');
    p.writeStatus('stopped');
    const summary: ProcessorSummary = {
      group: opts.group,
      processed: s.processed,
      trips: s.trips,
      dead_lettered: s.dead_lettered,
      duplicates: s.duplicates,
      late: s.late,
      predicted: s.predicted,
      prediction_skipped: s.prediction_skipped,
      skip_reason: s.skip_reason,
      stopped,
      duration_ms: Date.now() - p.startedAt,
      busy_ms: Math.round(p.busyMs),
      rate_per_s: Math.round((s.processed / Math.max(1, Date.now() - p.startedAt)) * 1000 * 10) / 10,
      p50_ms: s.p50_ms,
      p99_ms: s.p99_ms,
      state_file: state.file,
    };
    ctx.log.info(summary, 'stream processor stopped');
    return summary;
  } catch (e) {
    p.lastError = errText(e);
    p.writeStatus('stopped');
    throw e;
  } finally {
    clearInterval(watch);
    clearInterval(statusTimer);
    clearInterval(lagTimer);
    ctx.signal.removeEventListener('abort', onAbort);
    state.close();
    if (!deps.services) await services.close();
  }
}
