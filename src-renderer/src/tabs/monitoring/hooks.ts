/** Small request helpers shared by the sections: one remote call with its state, and one job followed live. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { toApiError, type ApiError, type Job } from '../../api/client';
import { useJobsStore } from '../../stores/jobs';

export interface CallState<T> {
  data: T | null;
  loading: boolean;
  error: ApiError | null;
  run(load: () => Promise<T>): Promise<void>;
}

/** A later request supersedes an earlier one, so a slow stale answer never overwrites a fresh one. */
export function useCall<T>(): CallState<T> {
  const [state, setState] = useState<{ data: T | null; loading: boolean; error: ApiError | null }>({ data: null, loading: false, error: null });
  const gen = useRef(0);
  const run = useCallback(async (load: () => Promise<T>) => {
    const mine = ++gen.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await load();
      if (mine === gen.current) setState({ data, loading: false, error: null });
    } catch (err) {
      if (mine === gen.current) setState((s) => ({ ...s, loading: false, error: toApiError(err) }));
    }
  }, []);
  return { ...state, run };
}

export interface JobRun {
  job: Job | null;
  starting: boolean;
  error: ApiError | null;
  start(begin: () => Promise<Job>): Promise<void>;
}

/**
 * Starts a job and follows it through the jobs store (fed by `jobs.progress`); `onDone` runs once with the
 * finished job when it succeeds.
 */
export function useJobRun(onDone?: (job: Job) => void): JobRun {
  const [jobId, setJobId] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const job = useJobsStore((s) => (jobId ? (s.byId[jobId] ?? null) : null));
  const upsert = useJobsStore((s) => s.upsert);
  const handled = useRef<string | null>(null);
  const done = useRef(onDone);
  done.current = onDone;

  useEffect(() => {
    if (job && job.status === 'succeeded' && handled.current !== job.id) {
      handled.current = job.id;
      done.current?.(job);
    }
  }, [job]);

  const start = useCallback(
    async (begin: () => Promise<Job>) => {
      setStarting(true);
      setError(null);
      try {
        const j = await begin();
        upsert([j]);
        setJobId(j.id);
      } catch (err) {
        setError(toApiError(err));
      } finally {
        setStarting(false);
      }
    },
    [upsert],
  );
  return { job, starting, error, start };
}

/** `<input type="datetime-local">` speaks local time without a zone; the API wants ISO 8601. */
export const localInputToIso = (v: string): string | undefined => (v.trim() ? new Date(v).toISOString() : undefined);
export const isoToLocalInput = (iso: string | null | undefined): string => {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
