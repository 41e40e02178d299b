import type { featuresMethods } from '../methods/features.js';
import type { HandlersFor } from '../handler-types.js';
import type { Services } from '../../platform/services.js';
import { featureServicesOf, featureViewsOf, validateFeatureStore } from '../../engines/features/definitions.js';
import type { FeatureDef } from '../../engines/features/types.js';
import { getOnlineStore, getScheduler } from '../../engines/features/runtime.js';

const expressionOf = (f: FeatureDef): string => {
  if (f.kind === 'column') return f.column;
  if (f.kind === 'time_part') return `${f.part}(${f.of})`;
  const arg = f.ratio_of ? `${f.ratio_of.numerator} / ${f.ratio_of.denominator}` : (f.column ?? '*');
  return `${f.fn}(${arg}) over ${f.window_seconds % 86_400 === 0 ? `${f.window_seconds / 86_400}d` : f.window_seconds % 3600 === 0 ? `${f.window_seconds / 3600}h` : `${f.window_seconds}s`}`;
};

const listOf = (s: Services) => {
  const views = featureViewsOf(s.workspace.config);
  const entities = new Map(views.map((v) => [v.entity.name, v.entity]));
  return {
    entities: [...entities.values()],
    views: views.map((v) => ({
      name: v.name,
      entity: v.entity.name,
      join_key: v.entity.join_key,
      join_key_type: v.entity.value_type,
      ttl_seconds: v.ttl_seconds,
      source: v.source,
      description: v.description,
      features: v.features.map((f) => ({ name: f.name, kind: f.kind, dtype: f.dtype, expression: expressionOf(f) })),
    })),
    services: featureServicesOf(s.workspace.config).map((x) => ({
      name: x.name,
      description: x.description,
      features: x.features.map((f) => `${f.view}:${f.feature}`),
    })),
  };
};

export const featuresHandlers: HandlersFor<keyof typeof featuresMethods> = {
  'features.list': (_i, s) => listOf(s),
  'features.validate': (_i, s) => {
    const problems = validateFeatureStore(s.workspace.config).map((p) => ({ path: p.key, message: p.message }));
    return { ok: problems.length === 0, problems };
  },
  'features.stats': async (i, s) => {
    const { featureStoreStats } = await import('../../engines/features/stats.js');
    const { listWatermarks } = await import('../../engines/features/materializations.js');
    const watermarks = Object.fromEntries(listWatermarks(s.appDb).map((w) => [w.view, w.watermark_ms]));
    return featureStoreStats(s.workspace, { watermarks, bins: i.bins, views: i.views, features: i.features });
  },
  'features.transform': (i, s) => s.jobs.start('features.transform', i),
  'features.materialize': (i, s) => s.jobs.start('features.materialize', i),
  'features.materializeIncremental': (i, s) => s.jobs.start('features.materialize_incremental', i),
  'features.getOnline': async (i, s) => {
    const { getOnlineFeatures } = await import('../../engines/features/serving.js');
    return getOnlineFeatures(i, { workspace: s.workspace, store: await getOnlineStore(s), log: s.log.api });
  },
  'features.getHistorical': async (i, s) => {
    const { getHistoricalFeatures } = await import('../../engines/features/retrieval.js');
    const { limit, ...request } = i;
    const r = await getHistoricalFeatures(request, { workspace: s.workspace, log: s.log.api });
    const rows = r.rows?.slice(0, limit);
    return {
      columns: r.columns,
      row_count: r.row_count,
      ...(rows ? { rows } : {}),
      truncated: (r.rows?.length ?? 0) > limit,
      ...(r.output ? { output: r.output } : {}),
      duration_ms: r.duration_ms,
    };
  },
  'features.push': async (i, s) => {
    const { push } = await import('../../engines/features/push.js');
    return push(i.view, i.rows, i.to, { workspace: s.workspace, store: await getOnlineStore(s), log: s.log.api });
  },
  'features.runs': async (i, s) => {
    const { listMaterializationRuns, listWatermarks } = await import('../../engines/features/materializations.js');
    return { runs: listMaterializationRuns(s.appDb, i), watermarks: listWatermarks(s.appDb) };
  },
  'features.scheduler.status': async (_i, s) => (await getScheduler(s)).status(),
  'features.scheduler.start': async (i, s) => (await getScheduler(s)).start(i.run_now),
  'features.scheduler.stop': async (_i, s) => (await getScheduler(s)).stop(),
  'features.scheduler.runNow': async (i, s) => {
    const job = (await getScheduler(s)).runNow(i.task);
    return { job, reason: job ? null : `a ${i.task} run is already queued or running` };
  },
  'features.scheduler.runs': async (i, s) => (await getScheduler(s)).runs(i.limit),
};
