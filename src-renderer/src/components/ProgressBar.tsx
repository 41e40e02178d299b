import type { JobStatus } from '../api/client';

interface ProgressBarProps {
  percent: number | null;
  status: JobStatus;
  testId?: string;
}

/** Without a known total the bar runs indeterminate rather than pretending to a percentage. */
export function ProgressBar({ percent, status, testId }: ProgressBarProps) {
  const done = status === 'succeeded';
  const value = done ? 100 : percent === null ? null : Math.max(0, Math.min(100, percent));
  return (
    <div
      className={`progress progress-${status}${value === null && status === 'running' ? ' progress-indeterminate' : ''}`}
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value ?? undefined}
      data-testid={testId}
      data-percent={value ?? ''}
    >
      <div className="progress-fill" style={{ width: `${value ?? (status === 'running' ? 30 : 0)}%` }} />
    </div>
  );
}
