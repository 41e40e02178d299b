/** One job: progress with rate and ETA, outcome, and its log (polled while it runs). */
import { useEffect, useState } from 'react';
import { call, toApiError, type ApiError } from '../../api/client';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { progressLine, resultHighlights } from '../../components/JobsTable';
import { KeyValues } from '../../components/KeyValues';
import { ProgressBar } from '../../components/ProgressBar';
import { StatusBadge } from '../../components/StatusBadge';
import { elapsedSeconds, formatDuration, formatRate, formatUtc } from '../../components/format';
import { isTerminal, useJobsStore } from '../../stores/jobs';
import { selectJob } from './path';

type LogLine = { at: string; level: string; message: string };
const LOG_POLL_MS = 1000;

function useJobLogs(id: string, live: boolean): { lines: LogLine[]; error: ApiError | null } {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const load = async (): Promise<void> => {
      try {
        const r = await call('jobs.logs', { id, limit: 500 });
        if (!stop) {
          setLines(r.lines);
          setError(null);
        }
      } catch (e) {
        if (!stop) setError(toApiError(e));
      }
      if (!stop && live) timer = setTimeout(() => void load(), LOG_POLL_MS);
    };
    void load();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [id, live]);
  return { lines, error };
}

export function JobDetail({ id }: { id: string }) {
  const job = useJobsStore((s) => s.byId[id]);
  const upsert = useJobsStore((s) => s.upsert);
  const cancel = useJobsStore((s) => s.cancel);
  const cancelling = useJobsStore((s) => s.cancelling[id] === true);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  // A deep link to a job older than the list read: fetch it once.
  useEffect(() => {
    if (job) return;
    call('jobs.get', { id })
      .then((j) => upsert([j]))
      .catch((e: unknown) => setLoadError(toApiError(e)));
  }, [id, job, upsert]);
  const live = job ? !isTerminal(job.status) : false;
  const logs = useJobLogs(id, live);

  if (!job) {
    return (
      <Card title="Job" testId="job-detail">
        {loadError ? <ErrorNotice error={loadError} testId="job-detail-error" /> : <span className="muted">Loading {id}…</span>}
      </Card>
    );
  }
  return (
    <Card
      title={job.title}
      subtitle={`${job.kind} · ${job.id}`}
      testId="job-detail"
      actions={
        <>
          {!isTerminal(job.status) ? (
            <button type="button" className="btn btn-small btn-danger" disabled={cancelling} onClick={() => void cancel(job.id)} data-testid="job-detail-cancel">
              {cancelling ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : null}
          <button type="button" className="btn btn-small" onClick={() => selectJob(null)} data-testid="job-detail-close">
            Close
          </button>
        </>
      }
    >
      <div data-testid="job-detail-status" data-status={job.status}>
        <StatusBadge status={job.status} />
      </div>
      <ProgressBar percent={job.progress.percent} status={job.status} testId="job-detail-progress" />
      <div className="job-progress-text" data-testid="job-detail-progress-text">
        {progressLine(job)}
        {job.progress.message ? ` — ${job.progress.message}` : ''}
      </div>
      <KeyValues
        testId="job-detail-facts"
        rows={[
          { key: 'Rate', value: formatRate(job.progress.rate, job.progress.unit), testId: 'job-detail-rate' },
          { key: 'ETA', value: job.progress.eta_s === null || isTerminal(job.status) ? '—' : formatDuration(job.progress.eta_s), testId: 'job-detail-eta' },
          { key: 'Created', value: formatUtc(job.created_at) },
          { key: 'Started', value: formatUtc(job.started_at) },
          { key: 'Finished', value: formatUtc(job.finished_at) },
          { key: 'Duration', value: formatDuration(elapsedSeconds(job.started_at, job.finished_at)) },
        ]}
      />
      {job.error ? (
        <div className="notice notice-error" role="alert" data-testid="job-detail-error">
          <code className="error-code">{job.error.code}</code> {job.error.message}
          {job.error.details ? <pre>{JSON.stringify(job.error.details, null, 2)}</pre> : null}
        </div>
      ) : null}
      {job.result !== null && job.result !== undefined ? (
        <details className="job-result" data-testid="job-detail-result">
          <summary>{resultHighlights(job.result) || 'result'}</summary>
          <pre>{JSON.stringify(job.result, null, 2)}</pre>
        </details>
      ) : null}
      <h3 className="section-title">Log</h3>
      {logs.error ? <ErrorNotice error={logs.error} testId="job-logs-error" /> : null}
      <pre className="job-log" data-testid="job-logs" style={{ maxHeight: 260, overflow: 'auto' }}>
        {logs.lines.length === 0
          ? 'No log lines from this job yet.'
          : logs.lines.map((l) => `${l.at.slice(11, 19)} ${l.level.toUpperCase().padEnd(5)} ${l.message}`).join('\n')}
      </pre>
    </Card>
  );
}
