/**
 * Data drift: run a drift job (reference = a model version's training set or a time range; current = a
 * time range or the stream's last minutes), past reports, and one report with its per-feature table and
 * reference-vs-current distribution.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { call, type Input } from '../../api/client';
import { Card } from '../../components/Card';
import { Chart } from '../../components/Chart';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { JobProgress } from '../../components/JobProgress';
import { StatusBadge } from '../../components/StatusBadge';
import { ServerFileLink } from '../../components/ServerFileLink';
import { LoadingRow } from '../../components/Spinner';
import { formatInt, formatNumber, formatTime } from '../../components/format';
import { transportKind } from '../../api/client';
import { useMonitoringStore, type DriftReport, type ReportSummary } from '../../stores/monitoring';
import { useSystemStore } from '../../stores/system';
import { distributionOption } from './charts';
import { isoToLocalInput, localInputToIso, useCall, useJobRun } from './hooks';
import { goToMonitoring, monitoringHref } from './path';

type DriftInput = Input<'monitoring.drift'>;
type Versions = { model: string; versions: { version: string; aliases: string[]; created_at: number }[] };

const pct = (v: number): string => `${(v * 100).toFixed(0)}%`;

/** What one side of the comparison is: a radio chip per kind, as [kind, label, test id]. */
function KindChips<K extends string>({ name, value, onChange, kinds }: { name: string; value: K; onChange: (kind: K) => void; kinds: [K, string, string][] }) {
  return (
    <div className="chips">
      {kinds.map(([kind, label, testId]) => (
        <label key={kind}>
          <input type="radio" name={name} checked={value === kind} onChange={() => onChange(kind)} data-testid={testId} />
          {` ${label}`}
        </label>
      ))}
    </div>
  );
}

/** A time range, From and To, as local date-times; their test ids are `<testId>-start` and `<testId>-end`. */
function RangeFields({ start, end, onStart, onEnd, testId }: { start: string; end: string; onStart: (v: string) => void; onEnd: (v: string) => void; testId: string }) {
  return (
    <div className="form-grid">
      <Field label="From">
        <input type="datetime-local" value={start} onChange={(e) => onStart(e.target.value)} data-testid={`${testId}-start`} />
      </Field>
      <Field label="To">
        <input type="datetime-local" value={end} onChange={(e) => onEnd(e.target.value)} data-testid={`${testId}-end`} />
      </Field>
    </div>
  );
}

type RefKind = 'model' | 'range';
type CurKind = 'range' | 'stream';
const REF_KINDS: [RefKind, string, string][] = [
  ['model', 'Model version', 'drift-ref-model'],
  ['range', 'Time range', 'drift-ref-range'],
];
const CUR_KINDS: [CurKind, string, string][] = [
  ['range', 'Time range', 'drift-cur-range'],
  ['stream', 'Stream window', 'drift-cur-stream'],
];

function RunDriftForm({ onReport }: { onReport: (id: string) => void }) {
  const summary = useSystemStore((s) => s.summary.data);
  const models = useCall<Versions>();
  const [refKind, setRefKind] = useState<RefKind>('model');
  const [version, setVersion] = useState('');
  const [set, setSet] = useState<'train' | 'eval'>('train');
  const [refStart, setRefStart] = useState('');
  const [refEnd, setRefEnd] = useState('');
  const [curKind, setCurKind] = useState<CurKind>('range');
  const [curStart, setCurStart] = useState('');
  const [curEnd, setCurEnd] = useState('');
  const [minutes, setMinutes] = useState('60');
  const [formError, setFormError] = useState<string | null>(null);
  const run = useJobRun((job) => {
    const id = (job.result as { id?: string } | null)?.id;
    void useMonitoringStore.getState().refreshReports();
    if (id) onReport(id);
  });

  useEffect(() => {
    void models.run(() => call('models.list', { limit: 50 }));
    void useSystemStore.getState().refreshSummary();
  }, []);
  const versions = models.data?.versions ?? [];
  useEffect(() => {
    if (!version && versions.length) setVersion((versions.find((v) => v.aliases.includes('champion')) ?? versions[0]!).version);
    if (models.data && versions.length === 0) setRefKind('range');
  }, [versions, version, models.data]);
  // Defaults from the trip store: the current window is the last day of data, the reference the rest.
  useEffect(() => {
    if (!summary?.last_pickup || curStart) return;
    const last = Date.parse(summary.last_pickup);
    setCurStart(isoToLocalInput(new Date(last - 86_400_000).toISOString()));
    setCurEnd(isoToLocalInput(new Date(last + 60_000).toISOString()));
    setRefStart(isoToLocalInput(summary.first_pickup));
    setRefEnd(isoToLocalInput(new Date(last - 86_400_000).toISOString()));
  }, [summary, curStart]);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setFormError(null);
    let reference: DriftInput['reference'];
    if (refKind === 'model') {
      if (!models.data || !version) return setFormError('Choose a model version, or compare against a time range.');
      reference = { model: models.data.model, version, set };
    } else reference = { start: localInputToIso(refStart), end: localInputToIso(refEnd) };
    let current: DriftInput['current'];
    if (curKind === 'stream') {
      const m = Number(minutes);
      if (!Number.isFinite(m) || m <= 0) return setFormError('Stream window: a positive number of minutes.');
      current = { stream_window_minutes: m };
    } else current = { start: localInputToIso(curStart), end: localInputToIso(curEnd) };
    void run.start(() => call('monitoring.drift', { reference, current }));
  };

  return (
    <Card title="Run data drift" subtitle="Evidently’s default tests per feature; dataset drift when half the features drift" testId="drift-form-card">
      <form className="form" onSubmit={submit} noValidate data-testid="drift-form">
        <div className="mon-form-row">
          <fieldset className="mon-fieldset">
            <legend>Reference</legend>
            <KindChips name="ref-kind" value={refKind} onChange={setRefKind} kinds={REF_KINDS} />
            {refKind === 'model' ? (
              <div className="form-grid">
                <Field label={`Version of ${models.data?.model ?? 'the model'}`}>
                  <select value={version} onChange={(e) => setVersion(e.target.value)} data-testid="drift-version">
                    {versions.length === 0 ? <option value="">no versions — train one in Models › Train</option> : null}
                    {versions.map((v) => (
                      <option key={v.version} value={v.version}>
                        v{v.version}
                        {v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field label="Set">
                  <select value={set} onChange={(e) => setSet(e.target.value as 'train' | 'eval')} data-testid="drift-set">
                    <option value="train">training set</option>
                    <option value="eval">evaluation set</option>
                  </select>
                </Field>
              </div>
            ) : (
              <RangeFields start={refStart} end={refEnd} onStart={setRefStart} onEnd={setRefEnd} testId="drift-ref" />
            )}
          </fieldset>
          <fieldset className="mon-fieldset">
            <legend>Current</legend>
            <KindChips name="cur-kind" value={curKind} onChange={setCurKind} kinds={CUR_KINDS} />
            {curKind === 'range' ? (
              <RangeFields start={curStart} end={curEnd} onStart={setCurStart} onEnd={setCurEnd} testId="drift-cur" />
            ) : (
              <div className="form-grid">
                <Field label="Last minutes of the features topic">
                  <input type="text" inputMode="numeric" value={minutes} onChange={(e) => setMinutes(e.target.value)} data-testid="drift-minutes" />
                </Field>
              </div>
            )}
          </fieldset>
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={run.starting} data-testid="drift-run">
            {run.starting ? 'Starting…' : 'Run drift'}
          </button>
        </div>
        {formError ? (
          <div className="field-error" role="alert" data-testid="drift-form-error">
            {formError}
          </div>
        ) : null}
        {run.error ? <ErrorNotice error={run.error} testId="drift-run-error" /> : null}
        {models.error ? <ErrorNotice error={models.error} testId="drift-models-error" /> : null}
        {run.job ? <JobProgress jobId={run.job.id} testId="drift-job" /> : null}
      </form>
    </Card>
  );
}

const reportColumns: Column<ReportSummary>[] = [
  { key: 'created_at', header: 'Created', width: 170, render: (r) => formatTime(r.created_at) },
  { key: 'reference', header: 'Reference' },
  { key: 'current', header: 'Current' },
  { key: 'drifted_columns', header: 'Drifted', width: 90, align: 'right', value: (r) => r.drifted_columns, render: (r) => `${r.drifted_columns}/${r.columns}` },
  { key: 'share', header: 'Share', width: 80, align: 'right', render: (r) => pct(r.share) },
  { key: 'drift', header: 'Dataset', width: 110, value: (r) => (r.drift ? 'drift' : 'no drift'), render: (r) => <StatusBadge status={r.drift ? 'drift' : 'no drift'} tone={r.drift ? 'bad' : 'ok'} /> },
];

function ReportsCard({ selected }: { selected: string | null }) {
  const reports = useMonitoringStore((s) => s.reports);
  const refresh = useMonitoringStore((s) => s.refreshReports);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <Card title="Past reports" subtitle="Newest first; click one to open it" testId="drift-reports-card">
      <DataTable
        testId="drift-reports"
        rows={reports.data?.reports ?? []}
        columns={reportColumns}
        rowKey={(r) => r.id}
        selectedKey={selected}
        onRowClick={(r) => goToMonitoring('drift', r.id)}
        loading={reports.loading && !reports.data}
        error={reports.error}
        onRetry={() => void refresh()}
        maxHeight={280}
        noun="reports"
        empty={<>No drift reports yet. Choose a reference and a current window above and press Run drift.</>}
      />
    </Card>
  );
}

type ColumnDrift = DriftReport['columns'][number];

const featureColumns: Column<ColumnDrift>[] = [
  { key: 'column', header: 'Feature', minWidth: 200, render: (c) => <code title={c.column}>{c.column}</code> },
  { key: 'type', header: 'Type', width: 100, hidden: true },
  {
    key: 'method',
    header: 'Method',
    width: 110,
    value: (c) => c.method ?? '',
    render: (c) => <span title={c.method_title ?? c.skipped ?? undefined}>{c.method ?? (c.skipped ? 'skipped' : '—')}</span>,
  },
  { key: 'score', header: 'Score', width: 110, align: 'right', value: (c) => c.score, render: (c) => formatNumber(c.score) },
  { key: 'threshold', header: 'Threshold', width: 100, align: 'right', value: (c) => c.threshold, render: (c) => (c.threshold === null ? '—' : `${c.score_kind === 'p_value' ? '< ' : '≥ '}${c.threshold}`) },
  { key: 'ref_mean', header: 'Ref. mean', width: 100, align: 'right', value: (c) => c.reference.mean, render: (c) => formatNumber(c.reference.mean), hidden: true },
  { key: 'cur_mean', header: 'Cur. mean', width: 100, align: 'right', value: (c) => c.current.mean, render: (c) => formatNumber(c.current.mean), hidden: true },
  { key: 'drifted', header: 'Drift', width: 100, value: (c) => (c.drifted ? 'drifted' : 'ok'), render: (c) => <StatusBadge status={c.drifted ? 'drifted' : 'ok'} tone={c.drifted ? 'bad' : 'ok'} testId="feature-drifted" /> },
];

function ReportView({ id, column }: { id: string; column: string | null }) {
  const report = useCall<DriftReport>();
  useEffect(() => {
    void report.run(() => call('monitoring.report', { id }));
  }, [id]);
  const r = report.data && report.data.id === id ? report.data : null;
  const selected = useMemo(() => {
    if (!r) return null;
    return r.columns.find((c) => c.column === column) ?? r.columns.find((c) => c.drifted && c.distribution) ?? r.columns.find((c) => c.distribution) ?? null;
  }, [r, column]);
  const option = useMemo(() => (selected?.distribution ? distributionOption(selected.distribution) : null), [selected]);
  const http = transportKind() === 'http';

  return (
    <Card
      title="Drift report"
      testId="drift-report"
      subtitle={r ? `${formatTime(r.created_at)} · ${r.reference.label} → ${r.current.label}` : id}
      actions={
        r && http ? (
          <>
            <ServerFileLink className="btn btn-small" href={`/reports/${encodeURIComponent(r.id)}.html`} testId="report-html">
              HTML report
            </ServerFileLink>
            <ServerFileLink className="btn btn-small" href={`/reports/${encodeURIComponent(r.id)}.json`} testId="report-json">
              JSON
            </ServerFileLink>
          </>
        ) : null
      }
    >
      {report.error ? <ErrorNotice error={report.error} testId="drift-report-error" onRetry={() => void report.run(() => call('monitoring.report', { id }))} /> : null}
      {!r && !report.error ? <LoadingRow label="Loading the report" /> : null}
      {r ? (
        <>
          <div className={`verdict ${r.dataset.drift ? 'verdict-bad' : 'verdict-ok'}`} data-testid="drift-verdict" data-drift={String(r.dataset.drift)}>
            <strong>{r.dataset.drift ? 'Dataset drift detected' : 'No dataset drift'}</strong>: {r.dataset.drifted_columns} of {r.dataset.columns} features drifted ({pct(r.dataset.share)}; dataset drift at ≥{' '}
            {pct(r.dataset.drift_share)}). Reference {formatInt(r.reference_rows)} rows, current {formatInt(r.current_rows)} rows, computed in {formatInt(r.duration_ms)} ms.
          </div>
          {!http ? <p className="muted">The HTML and JSON exports are served by <code>taxi-mlops serve</code> at /reports/{r.id}.html.</p> : null}
          <div className="mon-report-grid">
            <DataTable
              testId="drift-features"
              rows={r.columns}
              columns={featureColumns}
              rowKey={(c) => c.column}
              selectedKey={selected?.column ?? null}
              onRowClick={(c) => goToMonitoring('drift', r.id, c.column)}
              rowClassName={(c) => (c.drifted ? 'row-bad' : undefined)}
              maxHeight={420}
              noun="features"
              filter={r.columns.length > 8}
            />
            <div data-testid="drift-distribution" data-column={selected?.column ?? ''}>
              {selected && option ? (
                <>
                  <div className="mon-chart-title">
                    <code>{selected.column}</code> — reference vs current ({selected.type === 'numerical' ? 'histogram, share of rows' : 'categories, share of rows'})
                  </div>
                  <Chart option={option} height={320} testId="drift-distribution-chart" ariaLabel={`Distribution of ${selected.column}, reference vs current`} />
                  <div className="muted">
                    Mean {formatNumber(selected.reference.mean)} → {formatNumber(selected.current.mean)} · missing {formatInt(selected.reference.missing)} → {formatInt(selected.current.missing)}
                  </div>
                </>
              ) : (
                <div className="empty">Choose a feature in the table to see its reference and current distributions.</div>
              )}
            </div>
          </div>
        </>
      ) : null}
    </Card>
  );
}

export function DriftSection({ reportId, column }: { reportId: string | null; column: string | null }) {
  return (
    <div className="mon-section" data-testid="mon-drift">
      <RunDriftForm onReport={(id) => goToMonitoring('drift', id)} />
      {reportId ? <ReportView id={reportId} column={column} /> : null}
      <ReportsCard selected={reportId} />
      {reportId ? (
        <a href={monitoringHref('drift')} className="muted">
          ← all reports
        </a>
      ) : null}
    </div>
  );
}
