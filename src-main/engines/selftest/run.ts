/**
 * The complete integration test (platform guide): every engine, through the contract and the job system,
 * on a scratch workspace for the chosen profile. Each step records status, duration and figures; a step
 * that fails is reported with its error code and the steps that need it are skipped. The report is
 * rewritten after every step to <workspace>/logs/integration_test_report.json so the console can show
 * the list while the job runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Input, Job, MethodName, Output } from '../../api/contract.js';
import { dispatch } from '../../api/dispatch.js';
import type { ProcessorSummary } from '../../api/methods/processor.js';
import type { TrainResult } from '../../api/methods/models.js';
import { SELFTEST_STEPS, type SelftestOptions, type SelftestReport, type SelftestStep, type SelftestStepName } from '../../api/methods/selftest.js';
import { AppError, errorShape } from '../../platform/errors.js';
import type { JobContext } from '../../platform/jobs/context.js';
import { resourcePath } from '../../platform/resources.js';
import { openServices, type Services } from '../../platform/services.js';
import { APP_VERSION } from '../../platform/version.js';
import { openWorkspace, type Workspace } from '../../platform/workspace.js';
import { cleanupScratch } from './cleanup.js';
import { createScratch, newSelftestId, planOf, SELFTEST_ALERT_RULE, staleScratchRoots, type ScratchPlan } from './scratch.js';
import { summaryText } from './summary.js';

export const REPORT_FILE = 'integration_test_report.json';
export const reportPath = (ws: Workspace): string => path.join(ws.paths.logsDir, REPORT_FILE);

const TITLES: Record<SelftestStepName, string> = {
  import: 'Import the bundled sample',
  transform: 'Transform trips into feature rows',
  materialize: 'Materialize to the online store',
  train_linear: 'Train the linear model',
  train_mlp: 'Train the MLP',
  register: 'Register: champion and challenger aliases',
  stream: 'Replay trips through the stream processor',
  predictions: 'Count predictions on the predictions topic',
  drift: 'Drift check of a drifted synthetic window',
  alert: 'Alert fires and reaches the alerts topic',
};

/** What each step needs before it can run; a failed or skipped need skips the step. */
const NEEDS: Record<SelftestStepName, SelftestStepName[]> = {
  import: [],
  transform: ['import'],
  materialize: ['transform'],
  train_linear: ['transform'],
  train_mlp: ['transform'],
  register: ['train_linear', 'train_mlp'],
  stream: ['register', 'materialize'],
  predictions: ['stream'],
  drift: [],
  alert: ['drift'],
};

const DAY_MS = 86_400_000;
const TRAIN_ROWS = 8000;
const DRIFT_ROWS = 3000;

interface State {
  firstPickup?: string;
  lastPickup?: string;
  linear?: TrainResult;
  mlp?: TrainResult;
  stream?: { published: number; bad: number; summary: ProcessorSummary };
  driftReportId?: string;
}

function fail(code: string, message: string, details?: Record<string, unknown>): never {
  throw new AppError(code as never, message, details);
}

const round = (v: number | null | undefined, d = 3): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(d)));

export async function runSelftest(o: SelftestOptions, ctx: JobContext): Promise<SelftestReport> {
  const ws = ctx.workspace;
  const t0 = Date.now();
  // A run killed before its cleanup (the worker terminated) leaves its scratch; remove those first.
  for (const root of staleScratchRoots(ws)) {
    try {
      const old = openWorkspace(root);
      ctx.log.warn({ root, notes: await cleanupScratch(planOf(old, root), old, ctx.log) }, 'selftest: removed a stale scratch workspace');
    } catch (e) {
      ctx.log.warn({ root, err: (e as Error).message }, 'selftest: a stale scratch workspace could not be read; left in place');
    }
  }
  const plan: ScratchPlan = createScratch(ws, o.profile, newSelftestId());
  const profile = ws.config.profiles[plan.profile]!;
  const steps: SelftestStep[] = SELFTEST_STEPS.map((name) => ({ name, title: TITLES[name], status: 'pending', duration_ms: 0, figures: {}, error: null }));
  const cleanupNotes: string[] = [];
  const report = (status: SelftestReport['status']): SelftestReport => {
    const r: SelftestReport = {
      status,
      started_at: new Date(t0).toISOString(),
      finished_at: new Date().toISOString(),
      duration_ms: Date.now() - t0,
      profile: {
        name: plan.profile,
        kind: profile.kind,
        online_store: profile.online_store.type === 'redis' ? `redis ${profile.online_store.connection_string.replace(/\/\/[^@/]*@/, '//')}` : `sqlite ${profile.online_store.path}`,
        bus: profile.bus.type === 'kafka' ? `kafka ${profile.bus.brokers.join(',')}` : `local ${profile.bus.path}`,
        registry: profile.registry.type === 'mlflow' ? `mlflow ${profile.registry.tracking_uri}` : `sqlite ${profile.registry.path}`,
      },
      namespace: { scratch: plan.root, project: plan.project, topics: plan.topics, registered_model: plan.registeredModel, kept: o.keep, cleanup: cleanupNotes },
      versions: { app: APP_VERSION, node: process.versions.node, platform: `${process.platform}-${process.arch}` },
      steps,
      summary: '',
      report_file: reportPath(ws),
    };
    r.summary = summaryText(r);
    return r;
  };
  const write = (r: SelftestReport): void => {
    const file = reportPath(ws);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(r, null, 2)}\n`);
    fs.renameSync(tmp, file);
  };
  write(report('running'));

  let s: Services | null = null;
  let current: string | null = null;
  const onAbort = (): void => {
    if (s && current) s.jobs.cancel(current);
  };
  ctx.signal.addEventListener('abort', onAbort);
  const state: State = {};
  try {
    s = await openServices({ workspace: plan.root, mode: 'cli', maxConcurrentJobs: 2 });
    const svc = s;
    const call = async <M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>> => {
      const res = await dispatch(svc, method, input);
      if (!res.ok) throw new AppError(res.error.code as never, `${method}: ${res.error.message}`, res.error.details);
      return res.result as Output<M>;
    };
    const runJob = async <M extends MethodName>(method: M, input: Input<M>, sideBySide = false): Promise<Record<string, unknown>> => {
      const job = (await call(method, input)) as Job;
      if (!sideBySide) current = job.id;
      if (ctx.signal.aborted) svc.jobs.cancel(job.id);
      const done = await svc.jobs.wait(job.id);
      if (done.status !== 'succeeded') {
        const code = done.status === 'cancelled' ? 'CANCELLED' : (done.error?.code ?? 'INTERNAL');
        throw new AppError(code as never, `${done.title}: ${done.error?.message ?? done.status}`, { job: done.id, kind: done.kind, ...(done.error?.details ?? {}) });
      }
      return done.result as Record<string, unknown>;
    };

    const bodies: Record<SelftestStepName, () => Promise<Record<string, unknown>>> = {
      import: async () => {
        const r = await runJob('data.import', { path: resourcePath('data', 'chicago_taxi_trips_sample.csv'), layout: 'auto', source: 'selftest-sample' });
        const sum = await call('data.summary', {});
        if (Number(r.rows_written) <= 0 || sum.trips <= 0) fail('CHECK_FAILED', `the sample import stored no trips (${String(r.rows_read)} read, ${String(r.rows_rejected)} rejected)`);
        state.firstPickup = sum.first_pickup ?? undefined;
        state.lastPickup = sum.last_pickup ?? undefined;
        return { rows_read: r.rows_read, rows_accepted: r.rows_accepted, rows_rejected: r.rows_rejected, rows_written: r.rows_written, trips_stored: sum.trips, first_pickup: sum.first_pickup, last_pickup: sum.last_pickup };
      },
      transform: async () => {
        const r = await runJob('features.transform', {});
        const views = (r.views ?? []) as { view: string; rows: number }[];
        const empty = views.filter((v) => v.rows <= 0).map((v) => v.view);
        if (views.length === 0 || empty.length > 0) fail('CHECK_FAILED', `transform wrote no rows for ${empty.join(', ') || 'any view'}`);
        return Object.fromEntries(views.map((v) => [`${v.view}_rows`, v.rows]));
      },
      materialize: async () => {
        const start = state.firstPickup!;
        const end = new Date(Date.parse(state.lastPickup!) + DAY_MS).toISOString();
        const r = await runJob('features.materialize', { start, end });
        const views = (r.views ?? []) as { view: string; written?: number; rows?: number }[];
        const total = views.reduce((a, v) => a + (v.written ?? v.rows ?? 0), 0);
        if (total <= 0) fail('CHECK_FAILED', `materialization wrote nothing to the online store for ${start} → ${end}`);
        return { ...Object.fromEntries(views.map((v) => [`${v.view}_written`, v.written ?? v.rows ?? 0])), online_store: profile.online_store.type };
      },
      train_linear: async () => {
        const r = (await runJob('models.train', { algorithm: 'linear', max_rows: TRAIN_ROWS })) as unknown as TrainResult;
        state.linear = r;
        if (r.metrics.rmse === null || r.baseline.rmse === null || r.metrics.rmse >= r.baseline.rmse) {
          fail('CHECK_FAILED', `linear RMSE ${r.metrics.rmse} is not below the mean baseline's ${r.baseline.rmse}`);
        }
        return { version: r.version, rmse: round(r.metrics.rmse), mae: round(r.metrics.mae), r2: round(r.metrics.r2), baseline_rmse: round(r.baseline.rmse), train_rows: r.rows.train, eval_rows: r.rows.eval, train_ms: Math.round(r.duration_ms) };
      },
      train_mlp: async () => {
        const r = (await runJob('models.train', { algorithm: 'mlp', max_rows: TRAIN_ROWS, epochs: o.epochs, batch_size: 256, patience: 3 })) as unknown as TrainResult;
        state.mlp = r;
        if (r.metrics.rmse === null || !Number.isFinite(r.metrics.rmse)) fail('CHECK_FAILED', 'the MLP has no finite evaluation RMSE');
        return { version: r.version, rmse: round(r.metrics.rmse), mae: round(r.metrics.mae), r2: round(r.metrics.r2), epochs_run: r.epochs_run, train_rows: r.rows.train, eval_rows: r.rows.eval, train_ms: Math.round(r.duration_ms) };
      },
      register: async () => {
        const { linear, mlp } = state as Required<Pick<State, 'linear' | 'mlp'>>;
        const [best, other] = (mlp.metrics.rmse ?? Infinity) <= (linear.metrics.rmse ?? Infinity) ? [mlp, linear] : [linear, mlp];
        const serving = svc.workspace.config.models.serving;
        await call('registry.aliases.set', { name: plan.registeredModel, alias: serving.champion_alias, version: best.version });
        await call('registry.aliases.set', { name: plan.registeredModel, alias: serving.challenger_alias, version: other.version });
        const st = await call('models.serving', {});
        if (st.champion.version !== best.version || st.challenger.version !== other.version) {
          fail('CHECK_FAILED', `serving reads champion v${st.champion.version ?? '—'} / challenger v${st.challenger.version ?? '—'}, expected v${best.version} / v${other.version}`);
        }
        return { registered_model: plan.registeredModel, champion: `v${best.version} ${best.algorithm}`, challenger: `v${other.version} ${other.algorithm}`, registry: profile.registry.type };
      },
      stream: async () => {
        // The processor stops once it has handled every message sent (the replay's and the two malformed);
        // the idle exit is only a guard against waiting forever when some never arrive.
        const idle = 60_000;
        // Open the bus (and create the namespaced topics) once here, so the two jobs do not race to set it up.
        await call('streams.topics.list', {});
        const processor = await call('streams.processor.start', { group: plan.group, from: 'earliest', idle_exit_ms: idle, limit: o.stream_trips + 2 });
        current = processor.id;
        const replayed = await runJob('streams.replay', { source: 'sample', rate: 0, limit: o.stream_trips, seed: 42 }, true);
        // Two messages the processor must refuse: not JSON, and a trip without its times.
        await call('streams.produce', {
          topic: plan.topics.raw!,
          validate: false,
          messages: [
            { key: 'selftest-not-json', text: '{"trip_id": "selftest-not-json", "fare_amount": 12.5' },
            { key: 'selftest-missing-fields', value: { trip_id: 'selftest-missing-fields', fare_amount: 9.75 } },
          ],
        });
        const done = await svc.jobs.wait(processor.id);
        if (done.status !== 'succeeded') {
          throw new AppError((done.status === 'cancelled' ? 'CANCELLED' : (done.error?.code ?? 'INTERNAL')) as never, `${done.title}: ${done.error?.message ?? done.status}`, { job: done.id });
        }
        const p = done.result as ProcessorSummary;
        const published = Number(replayed.published);
        state.stream = { published, bad: 2, summary: p };
        if (p.processed < published + 2) fail('CHECK_FAILED', `the processor handled ${p.processed} of ${published + 2} messages before going idle`);
        if (p.dead_lettered < 2) fail('CHECK_FAILED', `only ${p.dead_lettered} dead letters for the 2 malformed messages`);
        return { published, malformed_sent: 2, processed: p.processed, trips: p.trips, dead_lettered: p.dead_lettered, duplicates: p.duplicates, predicted: p.predicted, prediction_skipped: p.prediction_skipped, rate_per_s: p.rate_per_s, p50_ms: round(p.p50_ms, 1), p99_ms: round(p.p99_ms, 1) };
      },
      predictions: async () => {
        const { published, bad, summary: p } = state.stream!;
        const d = await call('streams.topics.describe', { name: plan.topics.predictions! });
        const onTopic = d.partition_info.reduce((a, x) => a + (x.high - x.low), 0);
        const tripsIn = published + bad;
        // Every trip in yields one prediction unless refused (dead letter) or seen before (duplicate).
        const expected = tripsIn - p.dead_lettered - p.duplicates;
        if (onTopic !== expected || p.predicted !== expected) {
          fail('CHECK_FAILED', `${onTopic} messages on ${plan.topics.predictions} and ${p.predicted} predicted; expected ${expected} (= ${tripsIn} in − ${p.dead_lettered} dead letters − ${p.duplicates} duplicates)`, { on_topic: onTopic, predicted: p.predicted, expected });
        }
        return { trips_in: tripsIn, dead_letters: p.dead_lettered, duplicates: p.duplicates, expected, on_topic: onTopic, predicted: p.predicted };
      },
      drift: async () => {
        const dir = path.join(plan.root, 'drift');
        fs.mkdirSync(dir, { recursive: true });
        const day = new Date(Date.now() - 8 * DAY_MS).toISOString().slice(0, 10);
        const end = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
        const refFile = path.join(dir, 'reference.parquet');
        const curFile = path.join(dir, 'current-longer-trips.parquet');
        await runJob('data.generate', { rows: DRIFT_ROWS, seed: 7, drift: 'none', start: day, end, output: refFile });
        await runJob('data.generate', { rows: DRIFT_ROWS, seed: 8, drift: 'longer_trips', start: day, end, output: curFile });
        const r = await runJob('monitoring.drift', { reference: { file: refFile }, current: { file: curFile } });
        const ds = r.dataset as { columns: number; drifted_columns: number; share: number; drift: boolean };
        const drifted = ((r.columns ?? []) as { column: string; drifted: boolean }[]).filter((c) => c.drifted).map((c) => c.column);
        state.driftReportId = String(r.id);
        if (ds.drifted_columns < 1) fail('CHECK_FAILED', `no column drifted between ${DRIFT_ROWS} trips and ${DRIFT_ROWS} trips 'longer_trips'`);
        return { report_id: r.id, rows_each: DRIFT_ROWS, drift_applied: 'longer_trips', columns: ds.columns, drifted_columns: ds.drifted_columns, share: round(ds.share), dataset_drift: ds.drift, drifted };
      },
      alert: async () => {
        const r = await runJob('monitoring.alerts.evaluate', {});
        const changes = (r.changes ?? []) as { alert: { id: number; rule: string; value: number | null }; event: string }[];
        const fired = changes.find((c) => c.alert.rule === SELFTEST_ALERT_RULE && c.event === 'fired');
        if (!fired) fail('CHECK_FAILED', `rule ${SELFTEST_ALERT_RULE} did not fire (${changes.length} changes)`);
        const bus = await (await import('../streams/index.js')).getBus(svc);
        // A topic the firing just created may not be readable at once on a broker that started moments
        // ago (its leader is still being elected), so the check looks again for a few seconds.
        const find = async () => {
          const got = await bus.fetch({ topic: plan.topics.alerts!, from: { type: 'earliest' }, limit: 50 });
          return { got, msg: got.messages.find((m) => m.value !== null && (JSON.parse(m.value.toString('utf8')) as { rule?: string }).rule === SELFTEST_ALERT_RULE) };
        };
        let { got, msg } = await find();
        for (let i = 0; i < 10 && !msg; i++) {
          await new Promise((r) => setTimeout(r, 500));
          ({ got, msg } = await find());
        }
        if (!msg) fail('CHECK_FAILED', `the firing of ${SELFTEST_ALERT_RULE} is not on topic ${plan.topics.alerts} (${got.messages.length} messages there)`);
        return { rule: SELFTEST_ALERT_RULE, alert_id: fired.alert.id, value: fired.alert.value, topic: plan.topics.alerts, partition: msg.partition, offset: msg.offset };
      },
    };

    const last = o.until ? SELFTEST_STEPS.indexOf(o.until) : SELFTEST_STEPS.length - 1;
    for (let i = 0; i < steps.length; i++) {
      const st = steps[i]!;
      const name = st.name as SelftestStepName;
      ctx.progress({ done: i, total: steps.length, unit: 'steps', message: st.title });
      const blocked = NEEDS[name].filter((n) => steps.find((x) => x.name === n)!.status !== 'passed');
      if (i > last || ctx.signal.aborted || blocked.length > 0) {
        st.status = 'skipped';
        st.error = i > last ? null : ctx.signal.aborted ? { code: 'CANCELLED', message: 'the self-test was cancelled' } : { code: 'DEPENDENCY_FAILED', message: `needs ${blocked.join(', ')}` };
        continue;
      }
      st.status = 'running';
      write(report('running'));
      const ts = performance.now();
      try {
        st.figures = await bodies[name]();
        st.status = 'passed';
        ctx.log.info({ step: name, figures: st.figures }, `selftest ${name} passed`);
      } catch (e) {
        st.status = 'failed';
        st.error = errorShape(e);
        ctx.log.error({ step: name, err: st.error }, `selftest ${name} failed: ${st.error.message}`);
      } finally {
        st.duration_ms = Math.round(performance.now() - ts);
        current = null;
      }
      write(report('running'));
    }
  } catch (e) {
    // Opening the scratch services failed: every step that did not run is reported with the reason.
    const err = errorShape(e);
    for (const st of steps) if (st.status === 'pending' || st.status === 'running') Object.assign(st, { status: 'failed', error: err });
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    if (s) await s.close().catch(() => undefined);
    if (!o.keep) cleanupNotes.push(...(await cleanupScratch(plan, openWorkspace(plan.root), ctx.log)));
  }
  const status: SelftestReport['status'] = ctx.signal.aborted ? 'cancelled' : steps.some((x) => x.status === 'failed') ? 'failed' : 'passed';
  const final = report(status);
  write(final);
  ctx.progress({ done: steps.length, total: steps.length, unit: 'steps', message: `self-test ${status}` });
  if (status === 'cancelled') throw new AppError('CANCELLED', 'the self-test was cancelled', { report: final.report_file });
  return final;
}
