/**
 * The demo's monitoring steps: a synthetic window with a named drift (longer trips) checked against the
 * champion's training set (or, without a model, the trips of the last 30 days), printing which features
 * drifted and where the report is; then one evaluation of the alert rules.
 */
import path from 'node:path';
import type { Job } from '../api/contract.js';
import { AppError } from '../platform/errors.js';
import type { Services } from '../platform/services.js';
import { call, followJob } from './follow.js';

export const MONITOR_DEMO_STEPS = 2;

const DAY_MS = 86_400_000;
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

async function runJob(s: Services, job: Job): Promise<Record<string, unknown>> {
  const done = await followJob(s, job);
  if (done.status !== 'succeeded') throw new AppError((done.error?.code ?? 'INTERNAL') as never, `${done.title}: ${done.error?.message ?? done.status}`);
  return done.result as Record<string, unknown>;
}

interface DemoReport {
  id: string;
  reference: { label: string };
  current: { label: string };
  columns: { column: string; method: string | null; score: number | null; drifted: boolean; skipped: string | null }[];
  dataset: { columns: number; drifted_columns: number; share: number; drift: boolean };
  duration_ms: number;
}

export async function runMonitorDemo(s: Services, first: number, step: (n: number, text: string) => void, print: (line: string) => void): Promise<void> {
  const today = Date.parse(`${dateOf(Date.now())}T00:00:00Z`);
  const window = path.join(s.workspace.paths.tmpDir, 'demo-drifted-window.parquet');
  await runJob(s, await call(s, 'data.generate', { rows: 20_000, seed: 7, drift: 'longer_trips', start: dateOf(today - 7 * DAY_MS), end: dateOf(today - DAY_MS), output: window }));
  let reference: Record<string, unknown> = { start: dateOf(today - 30 * DAY_MS), end: dateOf(today) };
  try {
    const serving = await call(s, 'models.serving', {});
    if (serving.champion.version) reference = { model: serving.model, version: serving.champion.version };
  } catch {
    // No models engine or no champion yet: the recent trips are the reference.
  }
  const r = (await runJob(s, await call(s, 'monitoring.drift', { reference: reference as never, current: { file: window } }))) as unknown as DemoReport;
  const drifted = r.columns.filter((c) => c.drifted);
  step(
    first,
    `drift of a synthetic longer_trips window (20,000 trips) against ${r.reference.label}: ${r.dataset.drifted_columns} of ${r.dataset.columns} features drifted` +
      ` (dataset drift: ${r.dataset.drift ? 'yes' : 'no'}, ${r.duration_ms} ms)`,
  );
  for (const c of r.columns) {
    const score = c.score === null ? '—' : c.score < 1e-3 ? c.score.toExponential(2) : c.score.toFixed(4);
    print(`    ${c.drifted ? 'DRIFT' : c.skipped ? 'skip ' : 'ok   '} ${c.column.padEnd(40)} ${(c.method ?? '').padEnd(14)} ${score}`);
  }
  print(`    drifted: ${drifted.map((c) => c.column).join(', ') || 'none'}`);
  print(`    report: ${path.join(s.workspace.paths.root, 'reports', `${r.id}.html`)} (also GET /reports/${r.id}.html on serve)`);

  const ev = await runJob(s, await call(s, 'monitoring.alerts.evaluate', {}));
  const evals = (ev.evaluations ?? []) as { rule: string; outcome: string; value: number | null }[];
  step(first + 1, `alert rules evaluated: ${evals.map((e) => `${e.rule} ${e.outcome}${e.value !== null ? ` (${Number(e.value.toFixed(3))})` : ''}`).join(', ')}`);
}
