/**
 * The feature store's long-lived pieces inside a running app: one online store connection (SQLite or
 * Redis, by profile) and one scheduler, held by the services and closed with them.
 */
import type { Services } from '../../platform/services.js';
import { createLogger } from '../../platform/logging.js';
import { listPartitions } from './offline.js';
import { featureViewsOf } from './definitions.js';
import { FeatureScheduler } from './scheduler.js';
import type { OnlineStore } from './online/types.js';

const DAY_MS = 86_400_000;

export function getOnlineStore(s: Services): Promise<OnlineStore> {
  return s.resource(
    'online-store',
    async () => (await import('./online/index.js')).openOnlineStore(s.workspace),
    (store) => store.close(),
  );
}

/**
 * The refresh range: from the newest transformed day minus the longest aggregate window (windows look
 * back across the boundary) to the end of today; no range at all (a full build) before the first run.
 */
export function refreshRangeOf(s: Services, now: Date): { start?: string; end?: string } {
  const views = featureViewsOf(s.workspace.config);
  const newest = views
    .map((v) => listPartitions(s.workspace, v.name).at(-1)?.date)
    .filter((d): d is string => !!d)
    .sort()
    .at(0);
  if (!newest) return {};
  const lookback = Math.max(0, ...views.flatMap((v) => v.features.map((f) => (f.kind === 'aggregate' ? f.window_seconds * 1000 : 0))));
  const start = new Date(Date.parse(`${newest}T00:00:00Z`) - lookback);
  const end = new Date(Math.max(Date.parse(`${newest}T00:00:00Z`) + DAY_MS, Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY_MS));
  return { start: start.toISOString().slice(0, 10), end: end.toISOString().slice(0, 10) };
}

export function getScheduler(s: Services): Promise<FeatureScheduler> {
  return s.resource(
    'feature-scheduler',
    async () => {
      const { refresh_interval, materialization_interval, alert_interval } = s.workspace.config.scheduling;
      return new FeatureScheduler(
        s.jobs,
        [
          { name: 'refresh', kind: 'features.transform', interval_s: refresh_interval, input: (now) => refreshRangeOf(s, now) },
          { name: 'materialize', kind: 'features.materialize_incremental', interval_s: materialization_interval, input: (now) => ({ end: now.getTime() }) },
          { name: 'alerts', kind: 'monitoring.alerts.evaluate', interval_s: alert_interval, input: () => ({}) },
        ],
        createLogger(s.workspace.paths.logsDir, 'features'),
      );
    },
    (scheduler) => void scheduler.stop(),
  );
}
