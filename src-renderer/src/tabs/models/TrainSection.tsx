/**
 * Train a fare model as a job: the form is checked with the contract's own schema as it is typed (the
 * messages are the server's), the job's progress shows live, and its run and version are linked at the end.
 */
import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { TrainInputSchema, type TrainResult } from '../../../../src-main/api/methods/models';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobProgress } from '../../components/JobProgress';
import { formatInt, formatNumber } from '../../components/format';
import { useJobsStore } from '../../stores/jobs';
import { useModelsStore, type TrainInput } from '../../stores/models';
import { modelsHref } from './path';

interface Draft {
  algorithm: 'linear' | 'mlp';
  task: 'fare' | 'big_tipper';
  start: string;
  end: string;
  max_rows: string;
  epochs: string;
  learning_rate: string;
  batch_size: string;
  hidden_units: string;
  alias: string;
  run_name: string;
}

type Field = keyof Draft;

const defaults = TrainInputSchema.parse({});

const initial: Draft = {
  algorithm: defaults.algorithm,
  task: defaults.task,
  start: '',
  end: '',
  max_rows: '',
  epochs: String(defaults.epochs),
  learning_rate: String(defaults.learning_rate),
  batch_size: String(defaults.batch_size),
  hidden_units: defaults.hidden_units.join(', '),
  alias: '',
  run_name: '',
};

/** Blank is "not given"; anything else that is not a number goes through as text, so the schema names the problem. */
const num = (s: string): number | string | undefined => (s.trim() === '' ? undefined : Number.isFinite(Number(s)) ? Number(s) : s.trim());
const text = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

export function toTrainInput(d: Draft): Record<string, unknown> {
  const mlp = d.algorithm === 'mlp';
  const units = d.hidden_units
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((u) => num(u));
  const raw: Record<string, unknown> = {
    algorithm: d.algorithm,
    task: d.task,
    start: text(d.start),
    end: text(d.end),
    max_rows: num(d.max_rows),
    alias: text(d.alias),
    run_name: text(d.run_name),
    ...(mlp ? { epochs: num(d.epochs), learning_rate: num(d.learning_rate), batch_size: num(d.batch_size), hidden_units: units.length ? units : undefined } : {}),
  };
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
}

export function checkTrain(d: Draft): { input: TrainInput | null; errors: Partial<Record<Field, string>> } {
  const input = toTrainInput(d);
  const parsed = TrainInputSchema.safeParse(input);
  if (parsed.success) return { input: input as TrainInput, errors: {} };
  const errors: Partial<Record<Field, string>> = {};
  for (const issue of parsed.error.issues) {
    const f = issue.path[0] as Field;
    if (f && !errors[f]) errors[f] = issue.message;
  }
  return { input: null, errors };
}

function TextField({ id, label, value, error, placeholder, help, onChange }: { id: Field; label: ReactNode; value: string; error?: string; placeholder?: string; help?: string; onChange: (v: string) => void }) {
  return (
    <label className="field">
      <span>{label}</span>
      <input
        type="text"
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`train-${id}-error`}
        data-testid={`train-${id}`}
        spellCheck={false}
      />
      {error ? (
        <div className="field-error" id={`train-${id}-error`} data-testid={`train-${id}-error`} role="alert">
          {error}
        </div>
      ) : help ? (
        <div className="help">{help}</div>
      ) : null}
    </label>
  );
}

function TrainOutcome({ jobId }: { jobId: string }) {
  const job = useJobsStore((s) => s.byId[jobId]);
  if (!job || job.status !== 'succeeded' || !job.result) return null;
  const r = job.result as TrainResult;
  return (
    <div className="notice-ok" data-testid="train-outcome" data-run-id={r.run_id} data-version={r.version}>
      Registered <a href={modelsHref('registry', r.registered_model, r.version)}>{r.registered_model} v{r.version}</a>
      {r.alias ? (
        <>
          {' '}
          as <code>{r.alias}</code>
        </>
      ) : null}{' '}
      from <a href={modelsHref('run', r.run_id)}>run {r.run_id.slice(0, 8)}</a>: RMSE <strong>{formatNumber(r.metrics.rmse)}</strong> (mean baseline {formatNumber(r.baseline.rmse)}), MAE{' '}
      {formatNumber(r.metrics.mae)}, R² {formatNumber(r.metrics.r2)} on {formatInt(r.rows.eval)} held-out trips ({formatInt(r.rows.train)} trained on{r.algorithm === 'mlp' ? `, ${r.epochs_run} epoch${r.epochs_run === 1 ? '' : 's'}` : ''}).
    </div>
  );
}

export function TrainSection() {
  const start = useModelsStore((s) => s.startTraining);
  const starting = useModelsStore((s) => s.trainStarting);
  const startError = useModelsStore((s) => s.trainError);
  const jobId = useModelsStore((s) => s.trainJobId);
  const [draft, setDraft] = useState<Draft>(initial);
  const [submitted, setSubmitted] = useState(false);
  const [touched, setTouched] = useState<Partial<Record<Field, boolean>>>({});
  const checked = useMemo(() => checkTrain(draft), [draft]);
  const errorOf = (f: Field): string | undefined => (submitted || touched[f] ? checked.errors[f] : undefined);
  const update = (f: Field, v: string): void => {
    setDraft((d) => ({ ...d, [f]: v }));
    setTouched((t) => ({ ...t, [f]: true }));
  };
  const mlp = draft.algorithm === 'mlp';

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setSubmitted(true);
    if (!checked.input || starting) return;
    await start(checked.input);
  };

  return (
    <div className="grid grid-main" data-testid="train">
      <Card title="Train a model" subtitle="Point-in-time training set from the feature store; the latest trips held out for evaluation; logged and registered as a job" testId="train-card">
        <form onSubmit={(e) => void submit(e)} noValidate data-testid="train-form">
          <div className="segmented" role="tablist" aria-label="Algorithm">
            {(['linear', 'mlp'] as const).map((a) => (
              <button key={a} type="button" role="tab" aria-selected={draft.algorithm === a} className={draft.algorithm === a ? 'active' : ''} onClick={() => update('algorithm', a)} data-testid={`train-algorithm-${a}`}>
                {a === 'linear' ? 'Linear (ridge)' : 'Neural (MLP)'}
              </button>
            ))}
          </div>
          <div className="form-grid form-grid-2">
            <label className="field">
              <span>Task</span>
              <select value={draft.task} onChange={(e) => update('task', e.target.value)} data-testid="train-task">
                <option value="fare">fare — regress fare_amount</option>
                <option value="big_tipper">big_tipper — tip &gt; 20% of fare</option>
              </select>
            </label>
            <TextField id="run_name" label="Run name (optional)" value={draft.run_name} error={errorOf('run_name')} placeholder={`${draft.algorithm}-${draft.task}-…`} onChange={(v) => update('run_name', v)} />
            <TextField id="start" label="Trips from (optional)" value={draft.start} error={errorOf('start')} placeholder="2016-01-01" help="UTC; blank: all stored trips" onChange={(v) => update('start', v)} />
            <TextField id="end" label="Trips before (optional)" value={draft.end} error={errorOf('end')} placeholder="2016-03-01" onChange={(v) => update('end', v)} />
            <TextField id="max_rows" label="At most trips (optional)" value={draft.max_rows} error={errorOf('max_rows')} placeholder="200000" help="the newest are kept" onChange={(v) => update('max_rows', v)} />
            <TextField id="alias" label="Alias for the new version (optional)" value={draft.alias} error={errorOf('alias')} placeholder="challenger" onChange={(v) => update('alias', v)} />
            {mlp ? (
              <>
                <TextField id="epochs" label="Epochs" value={draft.epochs} error={errorOf('epochs')} onChange={(v) => update('epochs', v)} />
                <TextField id="learning_rate" label="Learning rate" value={draft.learning_rate} error={errorOf('learning_rate')} onChange={(v) => update('learning_rate', v)} />
                <TextField id="batch_size" label="Batch size" value={draft.batch_size} error={errorOf('batch_size')} onChange={(v) => update('batch_size', v)} />
                <TextField id="hidden_units" label="Hidden units per layer" value={draft.hidden_units} error={errorOf('hidden_units')} placeholder="64, 32" onChange={(v) => update('hidden_units', v)} />
              </>
            ) : null}
          </div>
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={starting || (submitted && !checked.input)} data-testid="train-submit">
              {starting ? 'Starting…' : `Train ${mlp ? 'MLP' : 'linear model'}`}
            </button>
            <span className="muted">
              or from a shell: <code>taxi-mlops train --algorithm {draft.algorithm}</code>
            </span>
          </div>
        </form>
        {startError ? <ErrorNotice error={startError} testId="train-error" /> : null}
        {jobId ? (
          <>
            <JobProgress jobId={jobId} testId="train-job" />
            <TrainOutcome jobId={jobId} />
          </>
        ) : null}
      </Card>
      <Card title="What training does" testId="train-help">
        <ol className="help" style={{ paddingLeft: 18, margin: 0 }}>
          <li>Reads trips and joins the feature service’s features as of each pickup (point in time).</li>
          <li>Holds out the latest 20% of trips by pickup time for evaluation.</li>
          <li>Fits the model; the MLP stops early when validation loss stops improving.</li>
          <li>Logs params, metrics (RMSE, MAE, R² overall and per pickup hour, per-epoch loss) and artifacts as a run.</li>
          <li>Registers a version, and points the alias at it if one is given.</li>
        </ol>
        <p className="help">
          No feature rows yet? Run Transform on the <a href="#/features">Features</a> tab first.
        </p>
      </Card>
    </div>
  );
}
