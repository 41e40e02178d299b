/**
 * The main job (`npm run demo`): from nothing to a workspace with real and synthetic trips, on the
 * embedded default. Later stages (features, training, streaming, monitoring) extend this script.
 */
import type { Job } from '../api/contract.js';
import { openServices, type Services } from '../platform/services.js';
import { initWorkspace } from '../platform/workspace.js';
import { resourcePath } from '../platform/resources.js';
import { AppError } from '../platform/errors.js';
import { call, followJob } from './follow.js';
import { MODEL_DEMO_STEPS, runModelDemo } from './demo-models.js';
import { STREAM_DEMO_STEPS, runStreamDemo } from './demo-stream.js';
import { MONITOR_DEMO_STEPS, runMonitorDemo } from './demo-monitor.js';

export interface DemoOptions {
  workspace: string;
  rows: number;
  seed: number;
  print: (line: string) => void;
}

async function runJob(s: Services, job: Job): Promise<Record<string, unknown>> {
  const done = await followJob(s, job);
  if (done.status !== 'succeeded') {
    throw new AppError((done.error?.code ?? 'INTERNAL') as never, `${done.title}: ${done.error?.message ?? done.status}`);
  }
  return done.result as Record<string, unknown>;
}

const DAY_MS = 86_400_000;
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export async function runDemo(o: DemoOptions): Promise<void> {
  const t0 = performance.now();
  const steps = 6 + MODEL_DEMO_STEPS + STREAM_DEMO_STEPS + MONITOR_DEMO_STEPS;
  const step = (n: number, text: string): void => o.print(`${n}/${steps} ${text}`);
  const { workspace, created } = initWorkspace(o.workspace);
  step(1, `workspace ${workspace.paths.root} ${created ? '(created)' : '(existing)'} — profile ${workspace.profile.name}`);
  const s = await openServices({ workspace: workspace.paths.root, mode: 'cli' });
  try {
    const sample = resourcePath('data', 'chicago_taxi_trips_sample.csv');
    const imp = await runJob(s, await call(s, 'data.import', { path: sample, layout: 'auto', source: 'tfx-sample' }));
    step(
      2,
      `imported the real sample: ${imp.rows_read} rows read, ${imp.rows_accepted} accepted, ${imp.rows_rejected} rejected, ${imp.rows_written} new` +
        (imp.rejects_file ? ` (rejects: ${imp.rejects_file})` : ''),
    );
    // Synthetic trips over the last 30 days (to the end of yesterday), so the online store holds live values.
    const today = Date.parse(`${dateOf(Date.now())}T00:00:00Z`);
    const range = { start: dateOf(today - 30 * DAY_MS), end: dateOf(today - DAY_MS) };
    const gen = await runJob(s, await call(s, 'data.generate', { rows: o.rows, seed: o.seed, drift: 'none', ...range }));
    step(3, `generated ${gen.rows} synthetic trips ${range.start} → ${range.end} (seed ${gen.seed}) in ${(Number(gen.duration_ms) / 1000).toFixed(1)} s`);

    const tr = await runJob(s, await call(s, 'features.transform', {}));
    const views = tr.views as { view: string; rows: number; partitions: string[] }[];
    step(4, `transformed trips into feature rows: ${views.map((v) => `${v.view} ${v.rows.toLocaleString('en-US')}`).join(', ')}`);

    const mat = await runJob(s, await call(s, 'features.materialize', { start: `${range.start}T00:00:00Z`, end: new Date().toISOString() }));
    const mviews = (mat.views ?? []) as { view: string; written?: number; rows?: number }[];
    step(5, `materialized into the online store (${workspace.profile.online_store.type}): ${mviews.map((v) => `${v.view} ${(v.written ?? v.rows ?? 0).toLocaleString('en-US')}`).join(', ')}`);

    const online = await call(s, 'features.getOnline', {
      features: ['taxi_activity:trips_24h', 'taxi_activity:avg_fare_7d', 'taxi_activity:tip_rate_7d'],
      entities: { taxi_id: ['gtaxi-0001', 'gtaxi-0002', 'no-such-taxi'] },
    });
    step(6, 'online lookup (taxi_activity):');
    const names = online.metadata.feature_names;
    const n = online.results[0]?.values.length ?? 0;
    for (let i = 0; i < n; i++) {
      const cells = names.slice(1).map((name, k) => `${name}=${JSON.stringify(online.results[k + 1]!.values[i])} ${online.results[k + 1]!.statuses[i]}`);
      o.print(`    ${String(online.results[0]!.values[i]).padEnd(14)} ${cells.join('  ')}`);
    }

    await runModelDemo(s, 7, step, o.print);
    await runStreamDemo(s, 7 + MODEL_DEMO_STEPS, step, o.print);
    await runMonitorDemo(s, 7 + MODEL_DEMO_STEPS + STREAM_DEMO_STEPS, step, o.print);

    const sum = await call(s, 'data.summary', {});
    o.print('');
    o.print(`trip store: ${sum.trips.toLocaleString('en-US')} trips, ${sum.first_pickup ?? '-'} → ${sum.last_pickup ?? '-'}, ${sum.months.length} months`);
    for (const src of sum.sources) o.print(`  ${src.source.padEnd(28)} ${src.rows.toLocaleString('en-US').padStart(10)}`);
    o.print(`rejects: ${sum.rejects.rows} rows in ${sum.rejects.files} file(s) under ${workspace.paths.rejectsDir}`);
    o.print(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s — open the console with: npx taxi-mlops serve --workspace ${workspace.paths.root}`);
  } finally {
    await s.close();
  }
}
