/**
 * Import a trip CSV from the server's disk: the same job as `taxi-mlops import`, followed live, ending in
 * what an operator checks first — rows accepted, rejected by reason, already stored, and where the
 * rejects went. The path is on the machine running the engines (the desktop app's own, or `serve`'s).
 */
import { useMemo, useState, type FormEvent } from 'react';
import { call, ImportInputSchema, ImportLayoutSchema, ImportSummarySchema, type ImportInput, type ImportSummary } from '../../api/client';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobProgress } from '../../components/JobProgress';
import { formatInt } from '../../components/format';
import { useJobRun } from '../../lib/useJobRun';
import { Stat } from '../../components/Stat';

type Layout = ImportInput['layout'];

const layoutLabels: Record<Layout, string> = {
  auto: 'Detect from the header',
  tfx: 'TFX sample (18 columns)',
  portal: 'Chicago data portal (23 columns)',
  canonical: "The app's own columns",
};

interface Draft {
  path: string;
  layout: Layout;
  source: string;
}

function validate(d: Draft): { input: ImportInput | null; pathError: string | undefined } {
  const parsed = ImportInputSchema.safeParse({ path: d.path.trim(), layout: d.layout, ...(d.source.trim() ? { source: d.source.trim() } : {}) });
  if (parsed.success) return { input: parsed.data, pathError: undefined };
  const issue = parsed.error.issues.find((i) => i.path[0] === 'path');
  return { input: null, pathError: issue ? 'the path of a CSV file is required' : parsed.error.issues[0]?.message };
}

function ImportOutcome({ summary }: { summary: ImportSummary }) {
  const reasons = Object.entries(summary.rejected_by_reason).sort((a, b) => b[1] - a[1]);
  return (
    <div className="import-outcome" data-testid="import-summary">
      <div className="stats">
        <Stat label={<>accepted of {formatInt(summary.rows_read)}</>} testId="import-accepted">{formatInt(summary.rows_accepted)}</Stat>
        <Stat label="rejected" testId="import-rejected">{formatInt(summary.rows_rejected)}</Stat>
        <Stat label={<>new ({formatInt(summary.rows_duplicate)} already stored)</>} testId="import-written">{formatInt(summary.rows_written)}</Stat>
      </div>
      {reasons.length ? (
        <ul className="import-reasons" data-testid="import-reasons">
          {reasons.map(([reason, n]) => (
            <li key={reason} data-reason={reason}>
              <code>{reason}</code> {formatInt(n)}
            </li>
          ))}
        </ul>
      ) : null}
      {summary.rejects_file ? (
        <div className="muted">
          Rejected rows, with row number, column and reason: <code data-testid="import-rejects-file">{summary.rejects_file}</code>
        </div>
      ) : null}
    </div>
  );
}

export function ImportForm() {
  const [draft, setDraft] = useState<Draft>({ path: '', layout: 'auto', source: '' });
  const [submitted, setSubmitted] = useState(false);
  const run = useJobRun();
  const { input, pathError } = useMemo(() => validate(draft), [draft]);
  const summary = run.job?.status === 'succeeded' ? ImportSummarySchema.safeParse(run.job.result) : null;

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setSubmitted(true);
    if (input && !run.starting) await run.start(() => call('data.import', input));
  };

  const shownPathError = submitted ? pathError : undefined;
  return (
    <Card title="Import trips from CSV" subtitle="A file on the machine running the engines; bad rows are kept in rejects/ with their reason" testId="import-card">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate data-testid="import-form">
        <label className="field">
          <span>File</span>
          <input
            type="text"
            value={draft.path}
            placeholder="/data/Taxi_Trips_2016.csv"
            spellCheck={false}
            onChange={(e) => setDraft((d) => ({ ...d, path: e.target.value }))}
            aria-invalid={shownPathError ? true : undefined}
            aria-describedby="import-path-error"
            data-testid="import-path"
          />
          {shownPathError ? (
            <div className="field-error" id="import-path-error" data-testid="import-path-error" role="alert">
              {shownPathError}
            </div>
          ) : null}
        </label>
        <div className="form-grid">
          <label className="field">
            <span>Layout</span>
            <select value={draft.layout} onChange={(e) => setDraft((d) => ({ ...d, layout: e.target.value as Layout }))} data-testid="import-layout">
              {ImportLayoutSchema.options.map((l) => (
                <option key={l} value={l}>
                  {layoutLabels[l]}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Source name (optional)</span>
            <input
              type="text"
              value={draft.source}
              placeholder="the file name"
              onChange={(e) => setDraft((d) => ({ ...d, source: e.target.value }))}
              data-testid="import-source"
            />
          </label>
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={run.starting || (submitted && !input)} data-testid="import-submit">
            {run.starting ? 'Starting…' : 'Import'}
          </button>
        </div>
        {run.error ? <ErrorNotice error={run.error} testId="import-error" /> : null}
      </form>
      {run.job ? <JobProgress jobId={run.job.id} testId="import-job" /> : null}
      {summary?.success ? <ImportOutcome summary={summary.data} /> : null}
    </Card>
  );
}
