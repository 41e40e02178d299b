/** Transform, Materialize and Materialize incremental: each starts a job whose progress shows here live. */
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobProgress } from '../../components/JobProgress';
import { formatSpan, formatUtc } from '../../components/format';
import { useFeaturesStore, viewFactsOf, type FeatureView, type ViewStats } from '../../stores/features';
import { checkIncremental, checkMaterialize, checkTransform, nextMinute, utcDate, utcMinute, type FieldErrors, type RangeDraft } from './forms';

type Mode = 'transform' | 'materialize' | 'incremental';

const modes: { id: Mode; label: string; what: string }[] = [
  { id: 'transform', label: 'Transform', what: 'Turn stored trips into feature rows (Parquet, one partition per UTC day). Re-running a range replaces its days; blank dates mean all trips.' },
  { id: 'materialize', label: 'Materialize', what: 'Load the latest value per entity in [start, end) from the offline store into the online store. A newer online value is never replaced by an older one.' },
  { id: 'incremental', label: 'Incremental', what: 'Materialize each view from its watermark (or end − TTL if it has none) up to end; blank end means now.' },
];

const DAY_MS = 86_400_000;

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <div className="field-error" id={id} data-testid={id} role="alert">
      {message}
    </div>
  ) : null;
}

function TextField(props: { id: string; label: ReactNode; value: string; placeholder: string; error: string | undefined; onChange: (v: string) => void }) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <input
        type="text"
        value={props.value}
        placeholder={props.placeholder}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={`${props.id}-error`}
        data-testid={props.id}
        spellCheck={false}
      />
      <FieldError id={`${props.id}-error`} message={props.error} />
    </label>
  );
}

function ViewPicker({ views, picked, onChange, error, mode }: { views: FeatureView[]; picked: string[]; onChange: (v: string[]) => void; error: string | undefined; mode: Mode }) {
  const toggle = (name: string): void => onChange(picked.includes(name) ? picked.filter((v) => v !== name) : [...picked, name]);
  return (
    <fieldset className="field view-picker">
      <span>Views</span>
      <div className="checks">
        {views.map((v) => (
          <label key={v.name} className="check">
            <input type="checkbox" checked={picked.includes(v.name)} onChange={() => toggle(v.name)} data-testid={`${mode}-view-${v.name}`} />
            {v.name}
          </label>
        ))}
      </div>
      <FieldError id={`${mode}-views-error`} message={error} />
    </fieldset>
  );
}

/** Earliest event of any view, as a date: the natural start of "materialize everything". */
function offlineStart(stats: ViewStats[] | null): string | null {
  const oldest = (stats ?? []).map((s) => s.oldest_event).filter((t): t is string => t !== null).sort()[0];
  return oldest ? oldest.slice(0, 10) : null;
}

function Watermarks({ views, stats }: { views: FeatureView[]; stats: ViewStats[] | null }) {
  const byView = new Map((stats ?? []).map((s) => [s.view, s]));
  return (
    <ul className="watermarks" data-testid="incremental-watermarks">
      {views.map((v) => {
        const wm = byView.get(v.name)?.watermark ?? null;
        return (
          <li key={v.name}>
            <code>{v.name}</code> <span className="muted">from</span> {wm ? formatUtc(wm, { seconds: false }) : <span className="muted">end − {formatSpan(v.ttl_seconds)} TTL (never materialized)</span>}
          </li>
        );
      })}
    </ul>
  );
}

export function PipelineCard({ views }: { views: FeatureView[] }) {
  const stats = useFeaturesStore(viewFactsOf);
  const startJob = useFeaturesStore((s) => s.startJob);
  const starting = useFeaturesStore((s) => s.starting);
  const startError = useFeaturesStore((s) => s.startError);
  const startedJobId = useFeaturesStore((s) => s.startedJobId);
  const names = useMemo(() => views.map((v) => v.name), [views]);

  const [mode, setMode] = useState<Mode>('transform');
  const [drafts, setDrafts] = useState<Record<Mode, RangeDraft>>(() => ({
    transform: { start: '', end: '', views: names },
    materialize: { start: utcDate(Date.now() - 7 * DAY_MS), end: utcMinute(nextMinute(Date.now())), views: names },
    incremental: { start: '', end: '', views: names },
  }));
  const [touched, setTouched] = useState<Partial<Record<Mode, boolean>>>({});
  const [submitted, setSubmitted] = useState<Partial<Record<Mode, boolean>>>({});

  // The definitions may arrive after the first render; tick every view until the operator chooses.
  useEffect(() => {
    setDrafts((d) => {
      const next = { ...d };
      for (const m of ['transform', 'materialize', 'incremental'] as const) if (!touched[m]) next[m] = { ...d[m], views: names };
      return next;
    });
  }, [names, touched]);

  // Default the materialize range to the whole offline store once it is known.
  const firstDay = offlineStart(stats);
  useEffect(() => {
    if (firstDay && !touched.materialize) setDrafts((d) => ({ ...d, materialize: { ...d.materialize, start: firstDay } }));
  }, [firstDay, touched.materialize]);

  const draft = drafts[mode];
  const checked = useMemo(
    () => (mode === 'transform' ? checkTransform(draft, names) : mode === 'materialize' ? checkMaterialize(draft, names) : checkIncremental(draft, names)),
    [mode, draft, names],
  );
  const show = touched[mode] || submitted[mode];
  const errors: FieldErrors = show ? checked.errors : {};

  const update = (patch: Partial<RangeDraft>): void => {
    setDrafts((d) => ({ ...d, [mode]: { ...d[mode], ...patch } }));
    setTouched((t) => ({ ...t, [mode]: true }));
  };

  const quick = (fromMs: number | null, label: string): ReactNode => (
    <button
      type="button"
      className="btn btn-small btn-ghost chip"
      onClick={() => update({ start: fromMs === null ? (firstDay ?? '') : utcMinute(fromMs), end: utcMinute(nextMinute(Date.now())) })}
    >
      {label}
    </button>
  );

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setSubmitted((s) => ({ ...s, [mode]: true }));
    if (!checked.input || starting) return;
    if (mode === 'transform') await startJob('features.transform', checkTransform(draft, names).input!);
    else if (mode === 'materialize') await startJob('features.materialize', checkMaterialize(draft, names).input!);
    else await startJob('features.materializeIncremental', checkIncremental(draft, names).input!);
  };

  const current = modes.find((m) => m.id === mode)!;
  return (
    <Card title="Pipeline" subtitle="Offline → online, as jobs with live progress · times in UTC" testId="pipeline-card">
      <div className="segmented" role="tablist" aria-label="Pipeline step">
        {modes.map((m) => (
          <button key={m.id} type="button" role="tab" aria-selected={mode === m.id} className={mode === m.id ? 'active' : ''} onClick={() => setMode(m.id)} data-testid={`pipeline-mode-${m.id}`}>
            {m.label}
          </button>
        ))}
      </div>
      <p className="help">{current.what}</p>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate data-testid={`${mode}-form`}>
        {mode !== 'incremental' ? (
          <div className="form-grid form-grid-2">
            <TextField
              id={`${mode}-start`}
              label={mode === 'transform' ? 'Start (optional)' : 'Start'}
              value={draft.start}
              placeholder="2016-01-01 or 2016-01-01T06:00Z"
              error={errors.start}
              onChange={(v) => update({ start: v })}
            />
            <TextField
              id={`${mode}-end`}
              label={mode === 'transform' ? 'End, exclusive (optional)' : 'End, exclusive'}
              value={draft.end}
              placeholder="2016-02-01"
              error={errors.end}
              onChange={(v) => update({ end: v })}
            />
          </div>
        ) : (
          <>
            <div className="form-grid form-grid-2">
              <TextField id="incremental-end" label="End (optional)" value={draft.end} placeholder="now" error={errors.end} onChange={(v) => update({ end: v })} />
            </div>
            <Watermarks views={views} stats={stats} />
          </>
        )}
        {mode === 'materialize' ? (
          <div className="chips">
            <span className="muted">Range:</span>
            {quick(Date.now() - DAY_MS, 'Last 24 h')}
            {quick(Date.now() - 7 * DAY_MS, 'Last 7 days')}
            {quick(null, 'All offline data')}
          </div>
        ) : null}
        <ViewPicker views={views} picked={draft.views} onChange={(v) => update({ views: v })} error={errors.views} mode={mode} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={starting || (Boolean(submitted[mode]) && !checked.input)} data-testid={`${mode}-submit`}>
            {starting ? 'Starting…' : mode === 'transform' ? 'Run transform' : mode === 'materialize' ? 'Materialize' : 'Materialize incremental'}
          </button>
        </div>
      </form>
      {startError ? <ErrorNotice error={startError} testId="pipeline-error" /> : null}
      {startedJobId ? <JobProgress jobId={startedJobId} testId="pipeline-job" /> : null}
    </Card>
  );
}
