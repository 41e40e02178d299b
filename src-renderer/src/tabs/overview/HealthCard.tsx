import { useEffect } from 'react';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { LoadingRow, Spinner } from '../../components/Spinner';
import { formatLatency, formatTime } from '../../components/format';
import { useSystemStore, type SystemHealth } from '../../stores/system';

const REFRESH_MS = 10_000;

function HealthTable({ health }: { health: SystemHealth }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="health-table">
        <thead>
          <tr>
            <th>Service</th>
            <th>Kind</th>
            <th>Target</th>
            <th>Status</th>
            <th className="num">Latency</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {health.services.map((s) => (
            <tr key={s.name} data-testid={`health-row-${s.name}`} data-kind={s.kind} data-status={s.status}>
              <td className="strong">{s.name}</td>
              <td>
                <code>{s.kind}</code>
              </td>
              <td className="path" title={s.target}>
                {s.target}
              </td>
              <td>
                <StatusBadge status={s.status} testId="health-status" />
              </td>
              <td className="num nowrap" data-testid="health-latency" data-latency={s.latency_ms ?? ''}>
                {formatLatency(s.latency_ms)}
              </td>
              <td className="muted">{s.detail ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function HealthCard() {
  const health = useSystemStore((s) => s.health);
  const refresh = useSystemStore((s) => s.refreshHealth);

  useEffect(() => {
    void refresh();
    // A hidden window has nobody to show the answer to; checks cost the server real I/O.
    const timer = setInterval(() => {
      if (!document.hidden) void refresh();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  const data = health.data;
  return (
    <Card
      title="System health"
      testId="health-card"
      subtitle={data ? <>Checked {formatTime(data.checked_at)} · profile {data.profile}</> : 'Every service of the active profile'}
      actions={
        <>
          {health.loading ? <Spinner label="Checking" /> : null}
          {data ? <StatusBadge status={data.status} testId="health-overall" /> : null}
          <button type="button" className="btn btn-small" onClick={() => void refresh()} disabled={health.loading} data-testid="health-refresh">
            Refresh
          </button>
        </>
      }
    >
      {health.error ? <ErrorNotice error={health.error} testId="health-error" /> : null}
      {data ? <HealthTable health={data} /> : !health.error ? <LoadingRow label="Checking services" /> : null}
    </Card>
  );
}
