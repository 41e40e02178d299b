/** The in-process scheduler: refresh (transform) and incremental materialization on config.yaml's intervals. */
import { useEffect } from 'react';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { progressLine } from '../../components/JobsTable';
import { ProgressBar } from '../../components/ProgressBar';
import { KeyValues } from '../../components/KeyValues';
import { StatusBadge } from '../../components/StatusBadge';
import { LoadingRow, Spinner } from '../../components/Spinner';
import { elapsedSeconds, formatDuration, formatSpan, formatUtc } from '../../components/format';
import type { Job } from '../../api/client';
import { useFeaturesStore, type SchedulerStatus } from '../../stores/features';

const POLL_MS = 15_000;
const RUNS_SHOWN = 6;

const taskLabel: Record<SchedulerStatus['tasks'][number]['name'], string> = { refresh: 'Refresh (transform)', materialize: 'Materialize incremental', alerts: 'Evaluate alert rules' };

function NextRun({ iso, running, now }: { iso: string | null; running: boolean; now: number }) {
  if (!iso) return <span className="muted">{running ? 'when the current run ends' : 'not scheduled'}</span>;
  const inS = (Date.parse(iso) - now) / 1000;
  return (
    <>
      {formatUtc(iso, { seconds: false })}
      <div className="cell-sub">{inS <= 0 ? 'due now' : `in ${formatSpan(inS)}`}</div>
    </>
  );
}

function Tasks({ status, now }: { status: SchedulerStatus; now: number }) {
  const runNow = useFeaturesStore((s) => s.runNow);
  const busy = useFeaturesStore((s) => s.schedulerBusy);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="sched-tasks">
        <thead>
          <tr>
            <th>Task</th>
            <th>Next run</th>
            <th>Last run</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {status.tasks.map((t) => (
            <tr key={t.name} data-testid={`sched-task-${t.name}`}>
              <td>
                <div className="strong">{taskLabel[t.name]}</div>
                <div className="cell-sub">
                  every {formatSpan(t.interval_s)} · <code>{t.kind}</code>
                </div>
              </td>
              <td data-testid="sched-next">
                {status.running ? <NextRun iso={t.next_run_at} running={t.last_job?.status === 'running'} now={now} /> : <span className="muted">scheduler stopped</span>}
              </td>
              <td>
                {t.last_job ? (
                  <>
                    <StatusBadge status={t.last_job.status} title={t.last_job.error ? `${t.last_job.error.code}: ${t.last_job.error.message}` : undefined} />
                    <div className="cell-sub">{formatUtc(t.last_job.finished_at ?? t.last_job.created_at, { seconds: false })}</div>
                  </>
                ) : (
                  <span className="muted">never</span>
                )}
                {t.skipped_overlaps > 0 ? (
                  <div className="cell-sub text-warn" title="Ticks skipped because the previous run was still going">
                    {t.skipped_overlaps} skipped (overlap)
                  </div>
                ) : null}
              </td>
              <td className="actions">
                <button type="button" className="btn btn-small" disabled={busy} onClick={() => void runNow(t.name)} data-testid={`sched-run-${t.name}`}>
                  Run now
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Narrower than the Jobs table: this card shares its row with the lookup. */
function TaskRuns({ jobs }: { jobs: Job[] }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="sched-runs-table">
        <thead>
          <tr>
            <th>Run</th>
            <th>Status</th>
            <th className="w-progress">Progress</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} data-job-id={job.id} data-kind={job.kind} data-status={job.status}>
              <td>
                <div className="job-title">{job.kind === 'features.transform' ? 'Refresh (transform)' : 'Materialize incremental'}</div>
                <div className="cell-sub" title={job.title}>
                  {formatUtc(job.created_at)} · {formatDuration(elapsedSeconds(job.started_at, job.finished_at))}
                </div>
              </td>
              <td>
                <StatusBadge status={job.status} title={job.error ? `${job.error.code}: ${job.error.message}` : undefined} />
              </td>
              <td>
                <ProgressBar percent={job.progress.percent} status={job.status} />
                <div className="job-progress-text">{job.error ? `${job.error.code}: ${job.error.message}` : progressLine(job)}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function SchedulerCard({ now }: { now: number }) {
  const scheduler = useFeaturesStore((s) => s.scheduler);
  const runs = useFeaturesStore((s) => s.schedulerRuns);
  const busy = useFeaturesStore((s) => s.schedulerBusy);
  const error = useFeaturesStore((s) => s.schedulerError);
  const refresh = useFeaturesStore((s) => s.refreshScheduler);
  const setScheduler = useFeaturesStore((s) => s.setScheduler);
  const status = scheduler.data;
  const running = status?.running === true;

  // Next-run times move on their own while the scheduler runs; a stopped one changes only through us.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      if (!document.hidden) void refresh();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [running, refresh]);

  return (
    <Card
      title="Scheduler"
      subtitle="Refresh and materialize on the intervals of config.yaml (scheduling)"
      testId="scheduler-card"
      actions={
        <>
          {scheduler.loading || busy ? <Spinner label="Working" /> : null}
          {status ? (
            <span data-testid="sched-state" data-running={running ? 'true' : 'false'}>
              <StatusBadge status={running ? 'running' : 'stopped'} tone={running ? 'ok' : 'muted'} />
            </span>
          ) : null}
          {status && !running ? (
            <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={() => void setScheduler('start')} data-testid="sched-start">
              Start
            </button>
          ) : null}
          {running ? (
            <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => void setScheduler('stop')} data-testid="sched-stop">
              Stop
            </button>
          ) : null}
        </>
      }
    >
      {scheduler.error ? <ErrorNotice error={scheduler.error} onRetry={() => void refresh()} testId="sched-error" /> : null}
      {error ? <ErrorNotice error={error} testId="sched-action-error" /> : null}
      {status ? (
        <>
          <KeyValues
            rows={[
              {
                key: 'State',
                value: running ? `running since ${formatUtc(status.started_at)}` : 'stopped — start it here, or run taxi-mlops scheduler --daemon headless',
                testId: 'sched-summary',
              },
            ]}
          />
          <Tasks status={status} now={now} />
        </>
      ) : !scheduler.error ? (
        <LoadingRow label="Reading the scheduler" />
      ) : null}
      <div className="panel-title section-gap" title="Every transform and incremental materialization, scheduled or started by hand">
        Recent runs of these tasks
      </div>
      {runs.error ? <ErrorNotice error={runs.error} testId="sched-runs-error" /> : null}
      {runs.data && runs.data.length > 0 ? (
        <TaskRuns jobs={runs.data.slice(0, RUNS_SHOWN)} />
      ) : runs.data ? (
        <div className="empty" data-testid="sched-runs-empty">
          No runs yet — start the scheduler or press Run now.
        </div>
      ) : null}
    </Card>
  );
}
