import { useMemo } from 'react';
import { Card } from '../../components/Card';
import { JobsTable } from '../../components/JobsTable';
import { goToTab } from '../../stores/ui';
import { selectJobs, useJobsStore } from '../../stores/jobs';

const SHOWN = 6;

/** Feature-store jobs from any starter (this tab, the scheduler, Feast's routes), live. */
export function FeatureJobs() {
  const byId = useJobsStore((s) => s.byId);
  const jobs = useMemo(() => selectJobs(byId).filter((j) => j.kind.startsWith('features.')).slice(0, SHOWN), [byId]);
  return (
    <Card
      title="Feature jobs"
      subtitle="Transform and materialization jobs, whoever started them"
      testId="feature-jobs"
      actions={
        <button type="button" className="btn btn-small" onClick={() => goToTab('jobs')}>
          All jobs
        </button>
      }
    >
      {jobs.length > 0 ? (
        <JobsTable jobs={jobs} detailed testId="feature-jobs-table" />
      ) : (
        <div className="empty">No feature jobs yet. Run Transform above to compute feature rows from the stored trips.</div>
      )}
    </Card>
  );
}
