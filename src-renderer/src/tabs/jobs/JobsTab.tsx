import { useMemo, useState } from 'react';
import type { JobStatus } from '../../api/client';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobsTable } from '../../components/JobsTable';
import { LoadingRow, Spinner } from '../../components/Spinner';
import { selectJobs, useJobsStore } from '../../stores/jobs';

const filters: (JobStatus | 'all')[] = ['all', 'running', 'queued', 'succeeded', 'failed', 'cancelled'];

function countsByStatus(statuses: JobStatus[]): Record<string, number> {
  const counts: Record<string, number> = { all: statuses.length };
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

export function JobsTab() {
  const byId = useJobsStore((s) => s.byId);
  const loading = useJobsStore((s) => s.loading);
  const loaded = useJobsStore((s) => s.loaded);
  const error = useJobsStore((s) => s.error);
  const actionError = useJobsStore((s) => s.actionError);
  const refresh = useJobsStore((s) => s.refresh);
  const [filter, setFilter] = useState<JobStatus | 'all'>('all');

  const all = useMemo(() => selectJobs(byId), [byId]);
  const counts = useMemo(() => countsByStatus(all.map((j) => j.status)), [all]);
  const shown = filter === 'all' ? all : all.filter((j) => j.status === filter);

  return (
    <div className="tab-page" data-testid="jobs-tab">
      <Card
        title="Jobs"
        subtitle="Imports, generation, materialization and training run in workers; progress streams live"
        testId="jobs-card"
        actions={
          <>
            {loading ? <Spinner label="Loading" /> : null}
            <button type="button" className="btn btn-small" onClick={() => void refresh()} disabled={loading} data-testid="jobs-refresh">
              Refresh
            </button>
          </>
        }
      >
        <div className="segmented" role="tablist" aria-label="Filter by status">
          {filters.map((f) => (
            <button
              key={f}
              type="button"
              role="tab"
              aria-selected={filter === f}
              className={filter === f ? 'active' : ''}
              onClick={() => setFilter(f)}
              data-testid={`jobs-filter-${f}`}
            >
              {f} <span className="count">{counts[f] ?? 0}</span>
            </button>
          ))}
        </div>
        {error ? <ErrorNotice error={error} onRetry={() => void refresh()} testId="jobs-error" /> : null}
        {actionError ? <ErrorNotice error={actionError} testId="jobs-action-error" /> : null}
        {shown.length > 0 ? (
          <JobsTable jobs={shown} detailed testId="jobs-table" />
        ) : loaded ? (
          <div className="empty" data-testid="jobs-empty">
            {filter === 'all' ? 'No jobs have run in this workspace yet.' : `No ${filter} jobs.`}
          </div>
        ) : (
          <LoadingRow label="Loading jobs" />
        )}
      </Card>
    </div>
  );
}
