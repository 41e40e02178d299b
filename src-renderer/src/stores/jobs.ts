import { create } from 'zustand';
import { call, on, toApiError, type ApiError, type Job, type JobStatus } from '../api/client';

export const isTerminal = (s: JobStatus): boolean => s === 'succeeded' || s === 'failed' || s === 'cancelled';

interface JobsState {
  byId: Record<string, Job>;
  loading: boolean;
  error: ApiError | null;
  loaded: boolean;
  /** Job ids whose cancel request is in flight, so the button can't be pressed twice. */
  cancelling: Record<string, boolean>;
  actionError: ApiError | null;
  refresh(): Promise<void>;
  upsert(jobs: Job[]): void;
  cancel(id: string): Promise<void>;
}

/**
 * Events and list answers race; a late "running" snapshot must not resurrect a job already seen finished,
 * and an older progress tick must not move a bar backwards.
 */
function newer(prev: Job | undefined, next: Job): Job {
  if (!prev) return next;
  if (isTerminal(prev.status) && !isTerminal(next.status)) return prev;
  if (!isTerminal(next.status) && prev.status === next.status && next.progress.done < prev.progress.done) return prev;
  return next;
}

export const useJobsStore = create<JobsState>()((set, get) => ({
  byId: {},
  loading: false,
  error: null,
  loaded: false,
  cancelling: {},
  actionError: null,
  refresh: async () => {
    set({ loading: true });
    try {
      const jobs = await call('jobs.list', { limit: 200 });
      const byId: Record<string, Job> = {};
      // Keep jobs only known from events (started since the list was read).
      for (const job of Object.values(get().byId)) byId[job.id] = job;
      for (const job of jobs) byId[job.id] = newer(byId[job.id], job);
      set({ byId, loading: false, error: null, loaded: true });
    } catch (err) {
      set({ loading: false, error: toApiError(err), loaded: true });
    }
  },
  upsert: (jobs) =>
    set((s) => {
      const byId = { ...s.byId };
      for (const job of jobs) byId[job.id] = newer(byId[job.id], job);
      return { byId };
    }),
  cancel: async (id) => {
    set((s) => ({ cancelling: { ...s.cancelling, [id]: true }, actionError: null }));
    try {
      get().upsert([await call('jobs.cancel', { id })]);
    } catch (err) {
      set({ actionError: toApiError(err) });
    } finally {
      set((s) => {
        const { [id]: _done, ...rest } = s.cancelling;
        return { cancelling: rest };
      });
    }
  },
}));

/** Newest first; the list answer is already ordered but events append in arrival order. */
export const selectJobs = (byId: Record<string, Job>): Job[] =>
  Object.values(byId).sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));

const FLUSH_MS = 50;

/**
 * Feeds `jobs.progress` into the store. Workers may report hundreds of ticks a second; coalescing them per
 * job into one store update every 50 ms keeps React from re-rendering on each one.
 */
export function followJobProgress(onFinished: (job: Job) => void): () => void {
  const pending = new Map<string, Job>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    timer = null;
    const jobs = [...pending.values()];
    pending.clear();
    const before = useJobsStore.getState().byId;
    useJobsStore.getState().upsert(jobs);
    for (const job of jobs) {
      const prev = before[job.id];
      if (isTerminal(job.status) && (!prev || !isTerminal(prev.status))) onFinished(job);
    }
  };
  const off = on('jobs.progress', (job) => {
    pending.set(job.id, job);
    timer ??= setTimeout(flush, FLUSH_MS);
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}
