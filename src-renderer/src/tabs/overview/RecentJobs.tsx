import { useMemo } from 'react';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobsTable } from '../../components/JobsTable';
import { LoadingRow } from '../../components/Spinner';
import { goToTab } from '../../stores/ui';
import { selectJobs, useJobsStore } from '../../stores/jobs';

const RECENT = 5;

export function RecentJobs() {
  const byId = useJobsStore((s) => s.byId);
  const loaded = useJobsStore((s) => s.loaded);
  const error = useJobsStore((s) => s.error);
  const actionError = useJobsStore((s) => s.actionError);
  const refresh = useJobsStore((s) => s.refresh);
  const recent = useMemo(() => selectJobs(byId).slice(0, RECENT), [byId]);
  return (
    <Card
      title="Recent jobs"
      subtitle="Live progress of long-running work"
      testId="recent-jobs"
      actions={
        <button type="button" className="btn btn-small" onClick={() => goToTab('jobs')}>
          All jobs
        </button>
      }
    >
      {error ? <ErrorNotice error={error} onRetry={() => void refresh()} testId="jobs-error" /> : null}
      {actionError ? <ErrorNotice error={actionError} testId="jobs-action-error" /> : null}
      {recent.length > 0 ? (
        <JobsTable jobs={recent} detailed={false} testId="recent-jobs-table" />
      ) : loaded ? (
        <div className="empty">No jobs yet. Generate synthetic trips above to start one.</div>
      ) : (
        <LoadingRow label="Loading jobs" />
      )}
    </Card>
  );
}
