/** The feature scheduler's next runs (refresh and incremental materialization), polled. */
import { useEffect, useState } from 'react';
import { call, toApiError, type ApiError, type Output } from '../../api/client';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { formatSpan, formatUtc } from '../../components/format';
import { selectJob } from './path';

type Status = Output<'features.scheduler.status'>;
const POLL_MS = 10_000;

export function NextRunsCard() {
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    let stop = false;
    const load = async (): Promise<void> => {
      try {
        const s = await call('features.scheduler.status', {});
        if (!stop) {
          setStatus(s);
          setError(null);
          setNow(Date.now());
        }
      } catch (e) {
        if (!stop) setError(toApiError(e));
      }
    };
    void load();
    const t = setInterval(() => void load(), POLL_MS);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);
  return (
    <Card title="Scheduled runs" subtitle={status ? (status.running ? `Scheduler running since ${formatUtc(status.started_at)}` : 'Scheduler stopped — start it on the Features tab') : undefined} testId="jobs-next-runs">
      {error ? <ErrorNotice error={error} testId="jobs-next-runs-error" /> : null}
      {status ? (
        <div className="table-wrap">
          <table className="table" data-testid="jobs-next-runs-table">
            <thead>
              <tr>
                <th>Task</th>
                <th>Every</th>
                <th>Next run</th>
                <th>Last job</th>
              </tr>
            </thead>
            <tbody>
              {status.tasks.map((t) => (
                <tr key={t.name} data-testid={`jobs-next-${t.name}`}>
                  <td>
                    {t.name} <code className="cell-sub">{t.kind}</code>
                  </td>
                  <td>{formatSpan(t.interval_s)}</td>
                  <td data-testid="jobs-next-at">
                    {status.running && t.next_run_at ? (
                      <>
                        {formatUtc(t.next_run_at)} <span className="cell-sub">{Date.parse(t.next_run_at) <= now ? 'due now' : `in ${formatSpan((Date.parse(t.next_run_at) - now) / 1000)}`}</span>
                      </>
                    ) : (
                      <span className="muted">{status.running ? 'after the current run' : 'not scheduled'}</span>
                    )}
                  </td>
                  <td>
                    {t.last_job ? (
                      <button type="button" className="link" onClick={() => selectJob(t.last_job!.id)}>
                        <StatusBadge status={t.last_job.status} /> {formatUtc(t.last_job.finished_at ?? t.last_job.created_at)}
                      </button>
                    ) : (
                      <span className="muted">none yet</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Card>
  );
}
