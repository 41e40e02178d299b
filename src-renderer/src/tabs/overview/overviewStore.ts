/**
 * The Overview's headline state, read in one round of parallel calls and then polled: feature freshness,
 * what serves and its live error, the stream processor and consumer-group lag. Alerts come from the
 * monitoring store (live by event); health from the system store. Each part shows as soon as its answer
 * arrives, so a slow one (DuckDB stats) never holds up the rest.
 */
import { create } from 'zustand';
import { call, type Output } from '../../api/client';
import { idle, remoteLoader, type Remote } from '../../stores/async';

export type ViewStats = Output<'features.stats'>;
export type Serving = Output<'models.serving'>;
export type Performance = Output<'monitoring.performance'>;
export type ProcessorStatus = Output<'streams.processor.status'>;
export type Groups = Output<'streams.groups.list'>;
export type Metrics = Output<'system.metrics'>;

interface OverviewState {
  freshness: Remote<ViewStats>;
  serving: Remote<Serving>;
  performance: Remote<Performance>;
  processor: Remote<ProcessorStatus>;
  groups: Remote<Groups>;
  metrics: Remote<Metrics>;
  refresh(opts?: { slow?: boolean }): Promise<void>;
}

export const useOverviewStore = create<OverviewState>()((set, get) => {
  const loaders = {
    freshness: remoteLoader(() => get().freshness, (freshness) => set({ freshness })),
    serving: remoteLoader(() => get().serving, (serving) => set({ serving })),
    performance: remoteLoader(() => get().performance, (performance) => set({ performance })),
    processor: remoteLoader(() => get().processor, (processor) => set({ processor })),
    groups: remoteLoader(() => get().groups, (groups) => set({ groups })),
    metrics: remoteLoader(() => get().metrics, (metrics) => set({ metrics })),
  };
  return {
    freshness: idle(),
    serving: idle(),
    performance: idle(),
    processor: idle(),
    groups: idle(),
    metrics: idle(),
    refresh: async (opts = {}) => {
      const all = [
        loaders.serving(() => call('models.serving', {})),
        // Live error of what serves: the stream's prediction errors, in the last day, per hour.
        loaders.performance(() => call('monitoring.performance', { source: 'stream', window_minutes: 60 })),
        loaders.processor(() => call('streams.processor.status', {})),
        loaders.groups(() => call('streams.groups.list', {})),
        // Also starts the server's sampler, so Monitoring › System has history by the time it is opened.
        loaders.metrics(() => call('system.metrics', { window_s: 60, since: new Date(Date.now() - 30_000).toISOString() })),
      ];
      // Offline statistics scan Parquet; they change only when a job writes, so not on every poll.
      if (opts.slow !== false) all.push(loaders.freshness(() => call('features.stats', { features: false })));
      await Promise.all(all);
    },
  };
});
