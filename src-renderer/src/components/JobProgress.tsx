/** One job followed live, for the card that started it: the same bar and line as the Jobs tab, inline. */
import { useJobsStore, isTerminal } from '../stores/jobs';
import { progressLine, resultHighlights } from './JobsTable';
import { ProgressBar } from './ProgressBar';
import { StatusBadge } from './StatusBadge';
import { elapsedSeconds, formatDuration } from './format';

export function JobProgress({ jobId, testId }: { jobId: string; testId: string }) {
  const job = useJobsStore((s) => s.byId[jobId]);
  const cancelling = useJobsStore((s) => s.cancelling[jobId] === true);
  const cancel = useJobsStore((s) => s.cancel);
  if (!job) return null;
  const summary = job.status === 'succeeded' ? resultHighlights(job.result) : '';
  return (
    <div className="job-inline" data-testid={testId} data-job-id={job.id} data-kind={job.kind} data-status={job.status}>
      <div className="job-inline-head">
        <span className="job-title">{job.title}</span>
        <StatusBadge status={job.status} testId={`${testId}-status`} />
        <span className="muted nowrap">{formatDuration(elapsedSeconds(job.started_at, job.finished_at))}</span>
        {!isTerminal(job.status) ? (
          <button type="button" className="btn btn-small btn-danger" disabled={cancelling} onClick={() => void cancel(job.id)} data-testid={`${testId}-cancel`}>
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : null}
      </div>
      <ProgressBar percent={job.progress.percent} status={job.status} testId={`${testId}-bar`} />
      <div className="job-progress-text" data-testid={`${testId}-text`}>
        {progressLine(job)}
        {job.progress.message && !isTerminal(job.status) ? <span className="muted"> · {job.progress.message}</span> : null}
      </div>
      {job.error ? (
        <div className="job-error" data-testid={`${testId}-error`}>
          <code className="error-code">{job.error.code}</code> {job.error.message}
        </div>
      ) : null}
      {summary ? (
        <div className="muted job-inline-result" data-testid={`${testId}-result`}>
          {summary}
        </div>
      ) : null}
    </div>
  );
}
