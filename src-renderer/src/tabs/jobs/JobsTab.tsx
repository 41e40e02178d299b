/**
 * Jobs: every job with its progress bar, rate and ETA, filtered by kind and status, one click to its log
 * and cancel (#/jobs/<id>); the scheduler's next runs; the self-test with its live step list.
 */
import { useMemo, useState } from 'react';
import type { Job, JobStatus } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { progressLine } from '../../components/JobsTable';
import { ProgressBar } from '../../components/ProgressBar';
import { Spinner } from '../../components/Spinner';
import { StatusBadge } from '../../components/StatusBadge';
import { elapsedSeconds, formatDuration, formatRate, formatUtc } from '../../components/format';
import { isTerminal, selectJobs, useJobsStore } from '../../stores/jobs';
import { JobDetail } from './JobDetail';
import { NextRunsCard } from './NextRunsCard';
import { SelftestCard } from './SelftestCard';
import { selectJob, useSelectedJobId } from './path';

const STATUSES: (JobStatus | 'all')[] = ['all', 'running', 'queued', 'succeeded', 'failed', 'cancelled'];

function CancelCell({ job }: { job: Job }) {
  const cancelling = useJobsStore((s) => s.cancelling[job.id] === true);
  const cancel = useJobsStore((s) => s.cancel);
  if (isTerminal(job.status)) return null;
  return (
    <button
      type="button"
      className="btn btn-small btn-danger"
      disabled={cancelling}
      onClick={(e) => {
        e.stopPropagation();
        void cancel(job.id);
      }}
      data-testid="job-cancel"
    >
      {cancelling ? 'Cancelling…' : 'Cancel'}
    </button>
  );
}

const columns: Column<Job>[] = [
  {
    key: 'title',
    header: 'Job',
    minWidth: 220,
    value: (j) => `${j.title} ${j.kind} ${j.id}`,
    render: (j) => (
      <>
        <div className="job-title">{j.title}</div>
        <div className="cell-sub">
          <code>{j.kind}</code> · {j.id.slice(0, 8)}
        </div>
      </>
    ),
  },
  { key: 'status', header: 'Status', width: 110, render: (j) => <StatusBadge status={j.status} testId="job-status" /> },
  {
    key: 'progress',
    header: 'Progress',
    minWidth: 220,
    value: (j) => j.progress.percent ?? (j.status === 'succeeded' ? 100 : 0),
    render: (j) => (
      <>
        <ProgressBar percent={j.progress.percent} status={j.status} testId="job-progress" />
        <div className="cell-sub" data-testid="job-progress-text">
          {progressLine(j)}
        </div>
      </>
    ),
  },
  { key: 'rate', header: 'Rate', width: 120, align: 'right', value: (j) => j.progress.rate ?? -1, render: (j) => <span data-testid="job-rate">{formatRate(j.progress.rate, j.progress.unit)}</span> },
  { key: 'eta', header: 'ETA', width: 80, align: 'right', value: (j) => j.progress.eta_s ?? -1, render: (j) => (isTerminal(j.status) || j.progress.eta_s === null ? '—' : formatDuration(j.progress.eta_s)) },
  { key: 'created_at', header: 'Created', width: 150, render: (j) => formatUtc(j.created_at) },
  { key: 'duration', header: 'Duration', width: 90, align: 'right', value: (j) => elapsedSeconds(j.started_at, j.finished_at) ?? -1, render: (j) => formatDuration(elapsedSeconds(j.started_at, j.finished_at)) },
  {
    key: 'error',
    header: 'Error',
    hidden: true,
    value: (j) => (j.error ? `${j.error.code} ${j.error.message}` : ''),
  },
  { key: 'actions', header: '', width: 100, sortable: false, filterable: false, render: (j) => <CancelCell job={j} /> },
];

export function JobsTab() {
  const byId = useJobsStore((s) => s.byId);
  const loading = useJobsStore((s) => s.loading);
  const loaded = useJobsStore((s) => s.loaded);
  const error = useJobsStore((s) => s.error);
  const actionError = useJobsStore((s) => s.actionError);
  const refresh = useJobsStore((s) => s.refresh);
  const [status, setStatus] = useState<JobStatus | 'all'>('all');
  const [kind, setKind] = useState<string>('all');
  const selected = useSelectedJobId();

  const all = useMemo(() => selectJobs(byId), [byId]);
  const kinds = useMemo(() => [...new Set(all.map((j) => j.kind))].sort(), [all]);
  const counts = useMemo(() => {
    const c: Record<string, number> = { all: 0 };
    for (const j of all) {
      if (kind !== 'all' && j.kind !== kind) continue;
      c.all = (c.all ?? 0) + 1;
      c[j.status] = (c[j.status] ?? 0) + 1;
    }
    return c;
  }, [all, kind]);
  const shown = useMemo(() => all.filter((j) => (status === 'all' || j.status === status) && (kind === 'all' || j.kind === kind)), [all, status, kind]);

  return (
    <div className="tab-page" data-testid="jobs-tab">
      {selected ? <JobDetail key={selected} id={selected} /> : null}
      <Card
        title="Jobs"
        subtitle="Imports, transforms, materializations, training, stream processing, drift checks and self-tests run in workers; progress streams live"
        testId="jobs-card"
        actions={
          <>
            {loading ? <Spinner label="Loading" /> : null}
            <select value={kind} onChange={(e) => setKind(e.target.value)} aria-label="Filter by kind" data-testid="jobs-kind">
              <option value="all">all kinds</option>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
            <button type="button" className="btn btn-small" onClick={() => void refresh()} disabled={loading} data-testid="jobs-refresh">
              Refresh
            </button>
          </>
        }
      >
        <div className="segmented" role="tablist" aria-label="Filter by status">
          {STATUSES.map((f) => (
            <button key={f} type="button" role="tab" aria-selected={status === f} className={status === f ? 'active' : ''} onClick={() => setStatus(f)} data-testid={`jobs-filter-${f}`}>
              {f} <span className="count">{counts[f] ?? 0}</span>
            </button>
          ))}
        </div>
        {error ? <ErrorNotice error={error} onRetry={() => void refresh()} testId="jobs-error" /> : null}
        {actionError ? <ErrorNotice error={actionError} testId="jobs-action-error" /> : null}
        <DataTable
          testId="jobs-table"
          rows={shown}
          columns={columns}
          rowKey={(j) => j.id}
          rowTestId={(j) => `job-row-${j.id}`}
          rowHeight={52}
          maxHeight={520}
          selectedKey={selected}
          onRowClick={(j) => selectJob(j.id)}
          loading={!loaded}
          filterPlaceholder="Filter jobs by title, kind, id…"
          empty={status === 'all' && kind === 'all' ? 'No jobs have run in this workspace yet — import data on Overview or run the self-test below.' : 'No jobs match these filters.'}
        />
      </Card>
      <SelftestCard />
      <NextRunsCard />
    </div>
  );
}
