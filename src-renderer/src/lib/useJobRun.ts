/** One job started from a form and followed live through the jobs store (fed by `jobs.progress`). */
import { useCallback, useEffect, useRef, useState } from 'react';
import { toApiError, type ApiError, type Job } from '../api/client';
import { useJobsStore } from '../stores/jobs';

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

