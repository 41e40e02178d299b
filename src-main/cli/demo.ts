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

export async function runDemo(o: DemoOptions): Promise<void> {
  const t0 = performance.now();
  const { workspace, created } = initWorkspace(o.workspace);
  o.print(`1/3 workspace ${workspace.paths.root} ${created ? '(created)' : '(existing)'} — profile ${workspace.profile.name}`);
  const s = await openServices({ workspace: workspace.paths.root, mode: 'cli' });
  try {
    const sample = resourcePath('data', 'chicago_taxi_trips_sample.csv');
    const imp = await runJob(s, await call(s, 'data.import', { path: sample, layout: 'auto', source: 'tfx-sample' }));
    o.print(
      `2/3 imported the real sample: ${imp.rows_read} rows read, ${imp.rows_accepted} accepted, ${imp.rows_rejected} rejected, ${imp.rows_written} new` +
        (imp.rejects_file ? ` (rejects: ${imp.rejects_file})` : ''),
    );
    const gen = await runJob(s, await call(s, 'data.generate', { rows: o.rows, seed: o.seed, drift: 'none' }));
    o.print(`3/3 generated ${gen.rows} synthetic trips (seed ${gen.seed}) in ${(Number(gen.duration_ms) / 1000).toFixed(1)} s`);
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
