/**
 * What the Features tab shows: definitions, offline statistics, materialization runs, the scheduler and the
 * last online lookup. Held here rather than in the tab so switching tabs keeps the operator's context.
 */
import { create } from 'zustand';
import { call, on, toApiError, type ApiError, type Input, type Job, type Output } from '../api/client';
import { idle, remoteLoader, type Remote } from './async';
import { isTerminal, useJobsStore } from './jobs';

export type FeatureList = Output<'features.list'>;
export type FeatureView = FeatureList['views'][number];
export type FeatureEntity = FeatureList['entities'][number];
export type FeatureService = FeatureList['services'][number];
export type ViewStats = Output<'features.stats'>[number];
export type FeatureStats = ViewStats['features'][number];
export type MaterializationRuns = Output<'features.runs'>;
export type SchedulerStatus = Output<'features.scheduler.status'>;
export type SchedulerTask = SchedulerStatus['tasks'][number]['name'];
export type OnlineResponse = Output<'features.getOnline'>;
export type OnlineRequest = Input<'features.getOnline'>;
export type FeatureJobMethod = 'features.transform' | 'features.materialize' | 'features.materializeIncremental';

/** A lookup target: a view (all its features) or a feature service. */
export type LookupTarget = { kind: 'view' | 'service'; name: string };

export interface OnlineLookup {
  request: OnlineRequest;
  response: OnlineResponse;
  /** Names in `feature_names` that are join keys echoed back, not features. */
  joinKeys: string[];
  at: number;
}

interface FeaturesState {
  list: Remote<FeatureList>;
  stats: Remote<ViewStats[]>;
  /** The views' rows and freshness without per-feature statistics: answers in a fraction of the time. */
  freshness: Remote<ViewStats[]>;
  runs: Remote<MaterializationRuns>;
  scheduler: Remote<SchedulerStatus>;
  schedulerRuns: Remote<Job[]>;
  lookup: Remote<OnlineLookup>;
  lookupTarget: LookupTarget | null;
  /** The last job started from the tab's pipeline card, followed live through the jobs store. */
  startedJobId: string | null;
  starting: boolean;
  startError: ApiError | null;
  schedulerBusy: boolean;
  schedulerError: ApiError | null;
  refreshList(): Promise<void>;
  refreshStats(): Promise<void>;
  refreshRuns(): Promise<void>;
  refreshScheduler(): Promise<void>;
  refreshAll(): Promise<void>;
  startJob<M extends FeatureJobMethod>(method: M, input: Input<M>): Promise<Job | null>;
  setScheduler(action: 'start' | 'stop'): Promise<void>;
  runNow(task: SchedulerTask): Promise<void>;
  setLookupTarget(target: LookupTarget): void;
  lookupOnline(request: OnlineRequest, joinKeys: string[]): Promise<void>;
}

/**
 * The views' rows and freshness from whichever answer is newer: the quick `features: false` one lands
 * seconds before the full statistics, and a refresh must not show older facts beside newer ones.
 */
export const viewFactsOf = (s: Pick<FeaturesState, 'stats' | 'freshness'>): ViewStats[] | null =>
  (s.freshness.updatedAt ?? 0) > (s.stats.updatedAt ?? 0) ? s.freshness.data : (s.stats.data ?? s.freshness.data);

const RUNS_SHOWN = 50;
const SCHEDULER_RUNS_SHOWN = 20;

export const useFeaturesStore = create<FeaturesState>()((set, get) => {
  const loadList = remoteLoader(() => get().list, (list) => set({ list }));
  const loadStats = remoteLoader(() => get().stats, (stats) => set({ stats }));
  const loadFreshness = remoteLoader(() => get().freshness, (freshness) => set({ freshness }));
  const loadRuns = remoteLoader(() => get().runs, (runs) => set({ runs }));
  const loadScheduler = remoteLoader(() => get().scheduler, (scheduler) => set({ scheduler }));
  const loadSchedulerRuns = remoteLoader(() => get().schedulerRuns, (schedulerRuns) => set({ schedulerRuns }));
  const loadLookup = remoteLoader(() => get().lookup, (lookup) => set({ lookup }));

  const schedulerAction = async (act: () => Promise<void>): Promise<void> => {
    set({ schedulerBusy: true, schedulerError: null });
    try {
      await act();
    } catch (err) {
      set({ schedulerError: toApiError(err) });
    } finally {
      set({ schedulerBusy: false });
    }
  };

  return {
    list: idle(),
    stats: idle(),
    freshness: idle(),
    runs: idle(),
    scheduler: idle(),
    schedulerRuns: idle(),
    lookup: idle(),
    lookupTarget: null,
    startedJobId: null,
    starting: false,
    startError: null,
    schedulerBusy: false,
    schedulerError: null,
    refreshList: () => loadList(() => call('features.list')),
    refreshStats: async () => {
      await Promise.all([loadFreshness(() => call('features.stats', { features: false })), loadStats(() => call('features.stats', { bins: 24 }))]);
    },
    refreshRuns: () => loadRuns(() => call('features.runs', { limit: RUNS_SHOWN })),
    refreshScheduler: async () => {
      await Promise.all([
        loadScheduler(() => call('features.scheduler.status')),
        loadSchedulerRuns(() => call('features.scheduler.runs', { limit: SCHEDULER_RUNS_SHOWN })),
      ]);
    },
    refreshAll: async () => {
      const s = get();
      await Promise.all([s.refreshList(), s.refreshStats(), s.refreshRuns(), s.refreshScheduler()]);
    },
    startJob: async (method, input) => {
      set({ starting: true, startError: null });
      try {
        const job = await call(method, input);
        useJobsStore.getState().upsert([job]);
        set({ startedJobId: job.id });
        return job;
      } catch (err) {
        set({ startError: toApiError(err) });
        return null;
      } finally {
        set({ starting: false });
      }
    },
    setScheduler: (action) =>
      schedulerAction(async () => {
        const status = action === 'start' ? await call('features.scheduler.start', { run_now: false }) : await call('features.scheduler.stop');
        set({ scheduler: { data: status, loading: false, error: null, updatedAt: Date.now() } });
      }),
    runNow: (task) =>
      schedulerAction(async () => {
        const r = await call('features.scheduler.runNow', { task });
        if (r.job) useJobsStore.getState().upsert([r.job]);
        else if (r.reason) set({ schedulerError: toApiError(new Error(r.reason)) });
        await get().refreshScheduler();
      }),
    setLookupTarget: (lookupTarget) => set({ lookupTarget }),
    lookupOnline: (request, joinKeys) =>
      loadLookup(async () => ({ request, response: await call('features.getOnline', request), joinKeys, at: Date.now() })),
  };
});

const REFRESH_DEBOUNCE_MS = 250;

/**
 * Keeps statistics, runs and the scheduler current while the tab is open: every feature-store job that
 * finishes (started here, by the scheduler or from the CLI of this server) may have changed them.
 */
export function followFeatureJobs(): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let everything = false;
  const seenRunning = new Set<string>();
  const refresh = (): void => {
    timer = null;
    const s = useFeaturesStore.getState();
    void s.refreshScheduler();
    if (everything) {
      void s.refreshStats();
      void s.refreshRuns();
    }
    everything = false;
  };
  const schedule = (all: boolean): void => {
    everything ||= all;
    timer ??= setTimeout(refresh, REFRESH_DEBOUNCE_MS);
  };
  const off = on('jobs.progress', (job) => {
    if (!job.kind.startsWith('features.')) return;
    if (isTerminal(job.status)) {
      seenRunning.delete(job.id);
      schedule(true);
    } else if (!seenRunning.has(job.id)) {
      // A run starting changes only the scheduler's "last job"; progress ticks change nothing here.
      seenRunning.add(job.id);
      schedule(false);
    }
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}
