import { ErrorNotice } from '../../components/ErrorNotice';
import { formatLatency } from '../../components/format';
import { Spinner } from '../../components/Spinner';
import { StatusBadge } from '../../components/StatusBadge';
import { useSettingsStore } from '../../stores/settings';

const SERVICE_LABEL: Record<string, string> = { online_store: 'Online store', bus: 'Stream bus', registry: 'Model registry' };

/** One line per service: what was reached, how fast, or why not — in words, with the address. */
export function TestResults({ name }: { name: string }) {
  const test = useSettingsStore((s) => s.tests[name]);
  if (!test) return null;
  if (test.running && !test.result) return <Spinner label={`Testing ${name}`} />;
  if (test.error) return <ErrorNotice error={test.error} testId="profile-test-error" />;
  if (!test.result) return null;
  return (
    <div className="test-results" data-testid="profile-test" data-profile={name} data-ok={String(test.result.ok)}>
      {test.result.services.map((r) => (
        <div key={r.service} className={`test-row test-${r.status}`} data-testid={`test-${r.service}`} data-status={r.status}>
          <StatusBadge status={r.status} label={r.status === 'ok' ? 'OK' : 'down'} />
          <span className="test-service">{SERVICE_LABEL[r.service] ?? r.service}</span>
          <code className="test-kind">{r.kind}</code>
          <span className="path test-target" title={r.target}>
            {r.target}
          </span>
          <span className="test-latency" data-testid="test-latency">
            {r.latency_ms === null ? '—' : formatLatency(r.latency_ms)}
          </span>
          <span className="test-message" data-testid="test-message">
            {r.code ? <code className="error-code">{r.code}</code> : null} {r.message}
          </span>
        </div>
      ))}
    </div>
  );
}
