import { useMemo, useState, type FormEvent } from 'react';
import { call, DriftNameSchema, GenerateInputSchema, type DriftName, type GenerateInput } from '../../api/client';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useJobRun } from '../../lib/useJobRun';

interface Draft {
  rows: string;
  seed: string;
  drift: DriftName;
}

type Field = keyof Draft;
type FieldErrors = Partial<Record<Field, string>>;

const driftLabels: Record<DriftName, string> = {
  none: 'None',
  longer_trips: 'Longer trips',
  night_shift: 'Night shift',
  fare_hike: 'Fare hike',
  airport_surge: 'Airport surge',
};

/** Text boxes hold strings; the schema wants numbers. Blank seed means "use the contract's default". */
function toInput(d: Draft): Record<string, unknown> {
  const num = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s));
  return { rows: num(d.rows), ...(d.seed.trim() === '' ? {} : { seed: num(d.seed) }), drift: d.drift };
}

/** Validates with the contract's own schema so the form and the server can never disagree. */
function validate(d: Draft): { input: GenerateInput | null; errors: FieldErrors } {
  const parsed = GenerateInputSchema.safeParse(toInput(d));
  if (parsed.success) return { input: parsed.data, errors: {} };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0];
    if ((field === 'rows' || field === 'seed' || field === 'drift') && !errors[field]) errors[field] = issue.message;
  }
  return { input: null, errors };
}

function FieldError({ field, message }: { field: Field; message: string | undefined }) {
  return message ? (
    <div className="field-error" id={`gen-${field}-error`} data-testid={`gen-${field}-error`} role="alert">
      {message}
    </div>
  ) : null;
}

export function GenerateForm() {
  const [draft, setDraft] = useState<Draft>({ rows: '20000', seed: '42', drift: 'none' });
  const [touched, setTouched] = useState<Partial<Record<Field, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const run = useJobRun();
  const { input, errors } = useMemo(() => validate(draft), [draft]);
  const shown = (f: Field): string | undefined => (touched[f] || submitted ? errors[f] : undefined);

  const update = (f: Field, value: string): void => {
    setDraft((d) => ({ ...d, [f]: value }));
    setTouched((t) => ({ ...t, [f]: true }));
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setSubmitted(true);
    if (input && !run.starting) await run.start(() => call('data.generate', input));
  };

  return (
    <Card title="Generate synthetic trips" subtitle="Calibrated on the real sample; seeded, with optional drift" testId="generate-card">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate data-testid="generate-form">
        <div className="form-grid">
          <label className="field">
            <span>Rows</span>
            <input
              type="text"
              inputMode="numeric"
              value={draft.rows}
              onChange={(e) => update('rows', e.target.value)}
              aria-invalid={shown('rows') ? true : undefined}
              aria-describedby="gen-rows-error"
              data-testid="gen-rows"
            />
            <FieldError field="rows" message={shown('rows')} />
          </label>
          <label className="field">
            <span>Seed</span>
            <input
              type="text"
              inputMode="numeric"
              value={draft.seed}
              placeholder="42"
              onChange={(e) => update('seed', e.target.value)}
              aria-invalid={shown('seed') ? true : undefined}
              aria-describedby="gen-seed-error"
              data-testid="gen-seed"
            />
            <FieldError field="seed" message={shown('seed')} />
          </label>
          <label className="field">
            <span>Drift</span>
            <select value={draft.drift} onChange={(e) => update('drift', e.target.value)} data-testid="gen-drift">
              {DriftNameSchema.options.map((d) => (
                <option key={d} value={d}>
                  {driftLabels[d]}
                </option>
              ))}
            </select>
            <FieldError field="drift" message={shown('drift')} />
          </label>
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={run.starting || (submitted && !input)} data-testid="gen-submit">
            {run.starting ? 'Starting…' : 'Generate'}
          </button>
          {run.job ? (
            <span className="muted" data-testid="gen-started" data-job-id={run.job.id}>
              Started job {run.job.id.slice(0, 8)} — follow it below.
            </span>
          ) : null}
        </div>
        {run.error ? <ErrorNotice error={run.error} testId="gen-error" /> : null}
      </form>
    </Card>
  );
}
