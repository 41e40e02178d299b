/**
 * The values alert rules watch, read from where the platform keeps them: the latest stored drift report,
 * prediction errors on the metrics topic (with the serving version's evaluation RMSE as baseline), and
 * message counts on the dead-letter and predictions topics.
 */
import type { Workspace } from '../../platform/workspace.js';
import type { Bus } from '../streams/types.js';
import type { MetricReader } from './alerts.js';
import { streamErrorPoints } from './error-points.js';
import { baselineRmse } from './model-reference.js';
import { metricsOf } from './performance.js';
import { latestDriftReport } from './reports.js';
import { readTopicWindow } from './topic-window.js';

/** The registered model's name from the models section when the config has one. */
function registeredModel(ws: Workspace): string {
  const models = (ws.config as { models?: { registered_model?: string } }).models;
  return models?.registered_model ?? 'chicago_taxi_fare';
}

export function metricReader(ws: Workspace, bus: () => Promise<Bus>, baseline: typeof baselineRmse = baselineRmse): MetricReader {
  const baselines = new Map<string, Promise<number | null>>();
  return async (metric, windowMs, now): Promise<Awaited<ReturnType<MetricReader>>> => {
    const since = now - windowMs;
    if (metric.startsWith('drift.')) {
      const r = latestDriftReport(ws, since);
      if (!r) return { value: null, detail: 'no drift report in the window' };
      const value = metric === 'drift.share' ? r.dataset.share : metric === 'drift.columns_drifted' ? r.dataset.drifted_columns : r.dataset.drift ? 1 : 0;
      return { value, detail: `report ${r.id}`, labels: { report: r.id } };
    }
    if (metric.startsWith('model.')) {
      const points = await streamErrorPoints(ws, await bus(), since, now + 1);
      if (points.length === 0) return { value: null, detail: 'no prediction errors in the window' };
      const m = metricsOf(points);
      if (metric === 'model.errors') return { value: m.count, detail: `${m.count} predictions with known fares` };
      if (metric === 'model.rmse') return { value: m.rmse, detail: `${m.count} predictions` };
      if (metric === 'model.mae') return { value: m.mae, detail: `${m.count} predictions` };
      if (metric === 'model.r2') return { value: m.r2, detail: `${m.count} predictions` };
      // Degradation against the most used version's evaluation RMSE.
      const counts = new Map<string, number>();
      for (const p of points) counts.set(p.model_version ?? '', (counts.get(p.model_version ?? '') ?? 0) + 1);
      const version = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
      const name = registeredModel(ws);
      const key = `${name}\u0000${version}`;
      if (!baselines.has(key)) baselines.set(key, baseline(ws, name, version).catch(() => null));
      const base = await baselines.get(key)!;
      if (base === null || !m.rmse) return { value: null, detail: `no evaluation RMSE for ${name} version ${version}` };
      const own = metricsOf(points.filter((p) => p.model_version === version));
      return { value: own.rmse! / base - 1, detail: `RMSE ${own.rmse!.toFixed(3)} vs baseline ${base.toFixed(3)} (${name} v${version}, ${own.count} predictions)`, labels: { model: name, version } };
    }
    const topic = metric === 'stream.dead_letters' ? ws.config.topics.raw_dead_letter : ws.config.topics.predictions;
    const n = (await readTopicWindow(await bus(), topic, since, now + 1)).length;
    return { value: n, detail: `${n} messages on ${topic}` };
  };
}
