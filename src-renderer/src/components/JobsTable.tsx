import { memo } from 'react';
import type { Job } from '../api/client';
import { isTerminal, useJobsStore } from '../stores/jobs';
import { ProgressBar } from './ProgressBar';
import { StatusBadge } from './StatusBadge';
import { elapsedSeconds, formatDuration, formatInt, formatRate, formatTime } from './format';

/** Percent, amount, rate and ETA of a job in one line. */
export function progressLine(job: Job): string {
  const p = job.progress;
  const parts: string[] = [];
  const percent = job.status === 'succeeded' ? 100 : p.percent;
  // Floor, so 99.6% never reads as done; one decimal early on, so a slow start still visibly moves.
  if (percent !== null) parts.push(percent < 10 && percent > 0 ? `${(Math.floor(percent * 10) / 10).toFixed(1)}%` : `${Math.floor(percent)}%`);
  parts.push(p.total !== null ? `${formatInt(p.done)} / ${formatInt(p.total)} ${p.unit}` : `${formatInt(p.done)} ${p.unit}`);
  if (!isTerminal(job.status)) {
    parts.push(formatRate(p.rate, p.unit));
    if (p.eta_s !== null) parts.push(`ETA ${formatDuration(p.eta_s)}`);
  }
  return parts.join(' · ');
}

function highlight(key: string, value: unknown): string | null {
  if (typeof value === 'number') {
    return key.endsWith('_ms') ? `${key.slice(0, -3)} ${formatDuration(value / 1000)}` : `${key} ${formatInt(value)}`;
  }
  // Long strings (paths, timestamps) crowd the line; they are in the full result.
  if ((typeof value === 'string' && value.length <= 20) || typeof value === 'boolean') return `${key} ${String(value)}`;
  return null;
}

/** Short scalar fields of a result, for a one-line summary; the full value stays one click away. */
export function resultHighlights(result: unknown): string {
  if (result === null || result === undefined) return '';
  if (typeof result !== 'object') return String(result);
  return Object.entries(result as Record<string, unknown>)
    .map(([k, v]) => highlight(k, v))
    .filter((h): h is string => h !== null)
    .slice(0, 4)
    .join(' · ');
}

function JobOutcome({ job }: { job: Job }) {
  if (job.error) {
    return (
      <div className="job-error" data-testid="job-error">
        <code className="error-code">{job.error.code}</code> {job.error.message}
      </div>
    );
  }
  if (job.result === null || job.result === undefined) return <span className="muted">{job.progress.message ?? '—'}</span>;
  return (
    <details className="job-result" data-testid="job-result">
      <summary>{resultHighlights(job.result) || 'result'}</summary>
      <pre>{JSON.stringify(job.result, null, 2)}</pre>
    </details>
  );
}

function CancelButton({ job }: { job: Job }) {
  const cancelling = useJobsStore((s) => s.cancelling[job.id] === true);
  const cancel = useJobsStore((s) => s.cancel);
  if (isTerminal(job.status)) return null;
  return (
    <button type="button" className="btn btn-small btn-danger" disabled={cancelling} onClick={() => void cancel(job.id)} data-testid="job-cancel">
      {cancelling ? 'Cancelling…' : 'Cancel'}
    </button>
  );
}

const JobRow = memo(function JobRow({ job, detailed }: { job: Job; detailed: boolean }) {
  return (
    <tr data-testid={`job-row-${job.id}`} data-job-id={job.id} data-kind={job.kind} data-status={job.status}>
      <td>
        <div className="job-title">{job.title}</div>
        <div className="job-meta">
          <code>{job.kind}</code> · <span title={job.id}>{job.id.slice(0, 8)}</span>
        </div>
      </td>
      <td>
        <StatusBadge status={job.status} testId="job-status" />
      </td>
      <td className="job-progress-cell">
        <ProgressBar percent={job.progress.percent} status={job.status} testId="job-progress" />
        <div className="job-progress-text" data-testid="job-progress-text">
          {progressLine(job)}
        </div>
      </td>
      <td className="nowrap">{formatTime(job.created_at)}</td>
      <td className="nowrap num">{formatDuration(elapsedSeconds(job.started_at, job.finished_at))}</td>
      {detailed ? (
        <td className="job-outcome">
          <JobOutcome job={job} />
        </td>
      ) : null}
      <td className="actions">
        <CancelButton job={job} />
      </td>
    </tr>
  );
});

export function JobsTable({ jobs, detailed, testId }: { jobs: Job[]; detailed: boolean; testId: string }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            <th>Job</th>
            <th>Status</th>
            <th className="w-progress">Progress</th>
            <th>Created</th>
            <th>Duration</th>
            {detailed ? <th>Result</th> : null}
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <JobRow key={job.id} job={job} detailed={detailed} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
