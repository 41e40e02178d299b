/**
 * "Run self-test": starts system.selftest and shows its step list live (the job rewrites the report after
 * every step; the card re-reads it on each progress tick), then the last report's summary.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { call, toApiError, type ApiError } from '../../api/client';
import type { Output } from '../../api/client';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import { formatDuration, formatUtc } from '../../components/format';
import { isTerminal, useJobsStore } from '../../stores/jobs';
import { selectJob } from './path';

type Report = NonNullable<Output<'system.selftest.report'>>;
type Step = Report['steps'][number];

const TONE: Record<string, Tone> = { passed: 'ok', failed: 'bad', skipped: 'muted', running: 'info', pending: 'muted', cancelled: 'warn' };

function figuresText(f: Record<string, unknown>): string {
  return Object.entries(f)
    .filter(([, v]) => v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v)))
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 3 }) : String(v)}`)
    .join(' · ');
}

function StepRow({ s }: { s: Step }) {
  return (
    <tr data-testid={`selftest-step-${s.name}`} data-status={s.status}>
      <td>
        <div className="strong">{s.title}</div>
        <div className="cell-sub">
          <code>{s.name}</code>
        </div>
      </td>
      <td>
        <StatusBadge status={s.status} tone={TONE[s.status]} />
      </td>
      <td className="num nowrap">{s.status === 'pending' || s.status === 'skipped' ? '—' : formatDuration(s.duration_ms / 1000)}</td>
      <td className="selftest-figures">
        {s.error ? (
          <span className="job-error">
            <code className="error-code">{s.error.code}</code> {s.error.message}
          </span>
        ) : (
          <span className="muted">{figuresText(s.figures)}</span>
        )}
      </td>
    </tr>
  );
}

export function SelftestCard() {
  const [report, setReport] = useState<Report | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [quick, setQuick] = useState(false);
  const [starting, setStarting] = useState(false);
  const job = useJobsStore((s) => (jobId ? s.byId[jobId] : undefined));
  const upsert = useJobsStore((s) => s.upsert);
  const reading = useRef(false);

  const read = useCallback(async () => {
    if (reading.current) return;
    reading.current = true;
    try {
      setReport(await call('system.selftest.report', {}));
      setError(null);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      reading.current = false;
      setLoaded(true);
    }
  }, []);

  useEffect(() => void read(), [read]);
  // Each progress tick of the running self-test means a step started or ended: re-read the report.
  const tick = job ? `${job.status}:${job.progress.done}` : '';
  useEffect(() => {
    if (tick) void read();
  }, [tick, read]);
  useEffect(() => {
    if (!job || isTerminal(job.status)) return;
    const t = setInterval(() => void read(), 2000);
    return () => clearInterval(t);
  }, [job, read]);

  const running = job !== undefined && !isTerminal(job.status);
  const start = async (): Promise<void> => {
    setStarting(true);
    try {
      // The shortened run stops after the transform; the later steps are reported skipped.
      const j = await call('system.selftest', quick ? { until: 'transform' } : {});
      upsert([j]);
      setJobId(j.id);
      setError(null);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setStarting(false);
    }
  };

  const counts = report ? (['passed', 'failed', 'skipped'] as const).map((k) => `${report.steps.filter((s) => s.status === k).length} ${k}`).join(', ') : '';
  return (
    <Card
      title="Self-test"
      subtitle="The complete integration test in a scratch workspace of the chosen profile: import → transform → materialize → train → register → stream → predictions → drift → alert"
      testId="selftest-card"
      actions={
        <>
          <label className="checkbox" title="Stop after the transform (import and transform only)">
            <input type="checkbox" checked={quick} onChange={(e) => setQuick(e.target.checked)} disabled={running} data-testid="selftest-quick" /> shortened
          </label>
          {job ? (
            <button type="button" className="btn btn-small" onClick={() => selectJob(job.id)} data-testid="selftest-open-job">
              Job
            </button>
          ) : null}
          <button type="button" className="btn btn-small btn-primary" disabled={running || starting} onClick={() => void start()} data-testid="selftest-run">
            {running ? 'Running…' : 'Run self-test'}
          </button>
        </>
      }
    >
      {error ? <ErrorNotice error={error} onRetry={() => void read()} testId="selftest-error" /> : null}
      {!report ? (
        <div className="empty" data-testid="selftest-empty">
          {loaded ? 'No self-test has run in this workspace yet. Run one to check every engine against the active profile (about 3 minutes).' : 'Loading…'}
        </div>
      ) : (
        <>
          <div className="selftest-head" data-testid="selftest-summary" data-status={report.status}>
            <StatusBadge status={report.status} tone={TONE[report.status] ?? 'info'} testId="selftest-status" /> profile <strong>{report.profile.name}</strong> ({report.profile.kind}) ·{' '}
            {formatUtc(report.started_at)} · {formatDuration(report.duration_ms / 1000)} · {counts}
            <div className="cell-sub">
              {report.profile.online_store} · {report.profile.bus} · {report.profile.registry} · app {report.versions.app ?? '?'} · node {report.versions.node ?? '?'}
            </div>
          </div>
          <div className="table-wrap">
            <table className="table" data-testid="selftest-steps">
              <thead>
                <tr>
                  <th>Step</th>
                  <th>Status</th>
                  <th>Duration</th>
                  <th>Figures</th>
                </tr>
              </thead>
              <tbody>
                {report.steps.map((s) => (
                  <StepRow key={s.name} s={s} />
                ))}
              </tbody>
            </table>
          </div>
          <div className="cell-sub" data-testid="selftest-report-file">
            Report: <code>{report.report_file}</code>
          </div>
        </>
      )}
    </Card>
  );
}
