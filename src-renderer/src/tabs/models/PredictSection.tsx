/**
 * Predict fares the way a client does: trips by id with their entities (taxi, pickup area), online features
 * fetched for them, routed champion/challenger by trip (or pinned to an alias or version). Shows each
 * prediction with the model and version that made it and the status of every feature it used.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { PredictInputSchema } from '../../../../src-main/api/methods/models';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import { formatLatency, formatNumber } from '../../components/format';
import { useModelsStore, type PredictInput, type PredictOutput } from '../../stores/models';
import { TrainFirst } from './OverviewSection';

type Prediction = PredictOutput['predictions'][number];
type FeatureStatus = Prediction['feature_statuses'][string];
type Route = 'ab' | 'alias' | 'version';

const statusInfo: Record<FeatureStatus, { tone: Tone; what: string }> = {
  PRESENT: { tone: 'ok', what: 'read from the online store, within its TTL' },
  REQUEST: { tone: 'info', what: 'given with the request' },
  NULL_VALUE: { tone: 'muted', what: 'the entity has a row, but this feature is null' },
  NOT_FOUND: { tone: 'bad', what: 'no online row for this entity; the model used its default' },
  OUTSIDE_MAX_AGE: { tone: 'warn', what: 'the online row is older than the view’s TTL; the model used its default' },
};

interface TripDraft {
  trip_id: string;
  taxi_id: string;
  pickup_community_area: string;
}

interface Draft {
  model: string;
  route: Route;
  alias: string;
  version: string;
  trips: TripDraft[];
  /** name=value per line: features given with the request. */
  features: string;
}

const parseScalar = (v: string): string | number | boolean | null => {
  const t = v.trim();
  if (t === 'null') return null;
  if (t === 'true' || t === 'false') return t === 'true';
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
};

function toInput(d: Draft): { input: Record<string, unknown>; lineErrors: string[] } {
  const lineErrors: string[] = [];
  const features: Record<string, string | number | boolean | null> = {};
  d.features.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const eq = line.indexOf('=');
    if (eq <= 0) lineErrors.push(`line ${i + 1}: expected name=value, got "${line.trim()}"`);
    else features[line.slice(0, eq).trim()] = parseScalar(line.slice(eq + 1));
  });
  const requests = d.trips.map((t) => {
    const area = t.pickup_community_area.trim();
    return {
      trip_id: t.trip_id.trim(),
      ...(t.taxi_id.trim() ? { taxi_id: t.taxi_id.trim() } : {}),
      ...(area ? { pickup_community_area: Number.isFinite(Number(area)) ? Number(area) : (area as unknown as number) } : {}),
      ...(Object.keys(features).length ? { features } : {}),
    };
  });
  return {
    input: {
      ...(d.model ? { model: d.model } : {}),
      ...(d.route === 'alias' && d.alias.trim() ? { alias: d.alias.trim() } : {}),
      ...(d.route === 'version' && d.version ? { version: d.version } : {}),
      requests,
    },
    lineErrors,
  };
}

function check(d: Draft): { input: PredictInput | null; errors: Record<string, string> } {
  const { input, lineErrors } = toInput(d);
  const errors: Record<string, string> = {};
  if (lineErrors.length) errors.features = lineErrors.join('; ');
  if (d.route === 'alias' && !d.alias.trim()) errors.alias = 'name the alias to serve';
  if (d.route === 'version' && !d.version) errors.version = 'pick a version';
  const parsed = PredictInputSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [top, index, field] = issue.path;
      const key = top === 'requests' && typeof index === 'number' ? `trip-${index}-${String(field ?? 'trip_id')}` : String(top ?? 'form');
      errors[key] ??= issue.message;
    }
  }
  return Object.keys(errors).length === 0 ? { input: input as PredictInput, errors } : { input: null, errors };
}

function Result({ p }: { p: Prediction }) {
  const rows = Object.entries(p.feature_statuses).map(([name, status]) => ({ name, status, value: p.features[name] ?? null }));
  const columns: Column<(typeof rows)[number]>[] = [
    { key: 'name', header: 'Feature', minWidth: 200, render: (r) => <code title={r.name}>{r.name}</code> },
    { key: 'value', header: 'Value', align: 'right', width: 110, value: (r) => (typeof r.value === 'boolean' ? String(r.value) : r.value), render: (r) => (r.value === null ? <span className="muted">null</span> : typeof r.value === 'number' ? formatNumber(r.value) : String(r.value)) },
    {
      key: 'status',
      header: 'Status',
      width: 150,
      render: (r) => <StatusBadge status={r.status} tone={statusInfo[r.status].tone} title={statusInfo[r.status].what} testId="feature-status" />,
    },
  ];
  const counts = new Map<FeatureStatus, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return (
    <div className="variant-card" data-testid="prediction" data-trip-id={p.trip_id} data-version={p.model_version} data-variant={p.variant ?? ''} style={{ marginTop: 12 }}>
      <div className="chips" style={{ marginTop: 0 }}>
        <span className="prediction-value" data-testid="prediction-value" data-value={p.prediction}>
          {Number.isFinite(p.prediction) ? `$${p.prediction.toFixed(2)}` : '—'}
        </span>
        <span className="muted">
          trip <code>{p.trip_id}</code> · {p.model_name} <strong data-testid="prediction-version">v{p.model_version}</strong>
        </span>
        {p.variant ? <StatusBadge status={p.variant} tone={p.variant === 'champion' ? 'ok' : 'warn'} testId="prediction-variant" /> : <span className="muted">pinned</span>}
        {[...counts].map(([s, n]) => (
          <span key={s} className="status-count" data-testid={`prediction-count-${s}`} data-count={n}>
            <StatusBadge status={s} tone={statusInfo[s].tone} title={statusInfo[s].what} /> {n}
          </span>
        ))}
      </div>
      {!rows.some((r) => r.status === 'PRESENT' || r.status === 'REQUEST') ? (
        <div className="notice notice-warn" data-testid="prediction-no-features" role="status" style={{ marginTop: 8 }}>
          No feature value for this trip, online or in the request: this is the model&apos;s answer for a trip with every feature missing. Check the ids, or
          materialize the views that hold them.
        </div>
      ) : null}
      <DataTable testId="prediction-features" rows={rows} columns={columns} rowKey={(r) => r.name} columnChooser={false} filter={rows.length > 12} maxHeight={300} rowTestId={() => 'prediction-feature'} />
    </div>
  );
}

export function PredictSection() {
  const models = useModelsStore((s) => s.models.data);
  const versions = useModelsStore((s) => s.versions);
  const loadVersions = useModelsStore((s) => s.loadVersions);
  const serving = useModelsStore((s) => s.serving.data);
  const refreshServing = useModelsStore((s) => s.refreshServing);
  const predict = useModelsStore((s) => s.predict);
  const run = useModelsStore((s) => s.runPredict);
  const [draft, setDraft] = useState<Draft>({ model: '', route: 'ab', alias: 'champion', version: '', trips: [{ trip_id: 'trip-1', taxi_id: '', pickup_community_area: '8' }], features: '' });
  const [submitted, setSubmitted] = useState(false);

  useEffect(() => {
    if (!serving) void refreshServing();
  }, [serving, refreshServing]);
  const list = models ?? [];
  const model = draft.model || serving?.model || list[0]?.name || '';
  useEffect(() => {
    if (model && versions.data?.model !== model) void loadVersions(model);
  }, [model, versions.data?.model, loadVersions]);
  const modelVersions = versions.data?.model === model ? versions.data.versions : [];
  const aliases = [...new Set(list.find((m) => m.name === model)?.aliases.map((a) => a.alias) ?? [])];

  const checked = useMemo(() => check({ ...draft, model }), [draft, model]);
  const errors = submitted ? checked.errors : {};
  const setTrip = (i: number, patch: Partial<TripDraft>): void => setDraft((d) => ({ ...d, trips: d.trips.map((t, j) => (j === i ? { ...t, ...patch } : t)) }));

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setSubmitted(true);
    if (!checked.input || predict.loading) return;
    await run(checked.input);
  };

  if (models && list.length === 0) return <TrainFirst testId="predict-empty" />;
  const result = predict.data;

  return (
    <div className="grid grid-even" data-testid="predict">
      <Card title="Predict" subtitle="Trips by id with their entities; online features are fetched for them" testId="predict-card">
        <form onSubmit={(e) => void submit(e)} noValidate data-testid="predict-form">
          <div className="form-grid form-grid-2">
            <label className="field">
              <span>Registered model</span>
              <select value={model} onChange={(e) => setDraft((d) => ({ ...d, model: e.target.value, version: '' }))} data-testid="predict-model">
                {list.map((m) => (
                  <option key={m.name}>{m.name}</option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Serve with</span>
              <select value={draft.route} onChange={(e) => setDraft((d) => ({ ...d, route: e.target.value as Route }))} data-testid="predict-route">
                <option value="ab">A/B routing (champion / challenger by trip)</option>
                <option value="alias">one alias</option>
                <option value="version">one version</option>
              </select>
            </label>
            {draft.route === 'alias' ? (
              <label className="field">
                <span>Alias</span>
                <input type="text" list="predict-aliases" value={draft.alias} onChange={(e) => setDraft((d) => ({ ...d, alias: e.target.value }))} aria-invalid={errors.alias ? true : undefined} data-testid="predict-alias" />
                <datalist id="predict-aliases">
                  {aliases.map((a) => (
                    <option key={a} value={a} />
                  ))}
                </datalist>
                {errors.alias ? <div className="field-error" data-testid="predict-alias-error">{errors.alias}</div> : null}
              </label>
            ) : null}
            {draft.route === 'version' ? (
              <label className="field">
                <span>Version</span>
                <select value={draft.version} onChange={(e) => setDraft((d) => ({ ...d, version: e.target.value }))} aria-invalid={errors.version ? true : undefined} data-testid="predict-version">
                  <option value="">—</option>
                  {modelVersions.map((v) => (
                    <option key={v.version} value={v.version}>
                      v{v.version}
                      {v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}
                    </option>
                  ))}
                </select>
                {errors.version ? <div className="field-error" data-testid="predict-version-error">{errors.version}</div> : null}
              </label>
            ) : null}
          </div>
          {draft.trips.map((t, i) => (
            <div key={i} className="form-grid form-grid-2" style={{ gridTemplateColumns: '1fr 1fr 1fr auto', marginTop: 10 }} data-testid="predict-trip">
              {(['trip_id', 'taxi_id', 'pickup_community_area'] as const).map((f) => (
                <label key={f} className="field">
                  <span>{f === 'trip_id' ? 'Trip id' : f === 'taxi_id' ? 'Taxi id (optional)' : 'Pickup area (optional)'}</span>
                  <input
                    type="text"
                    value={t[f]}
                    onChange={(e) => setTrip(i, { [f]: e.target.value })}
                    aria-invalid={errors[`trip-${i}-${f}`] ? true : undefined}
                    data-testid={`predict-${f}`}
                    placeholder={f === 'pickup_community_area' ? '1–77' : ''}
                    spellCheck={false}
                  />
                  {errors[`trip-${i}-${f}`] ? (
                    <div className="field-error" data-testid={`predict-${f}-error`}>
                      {errors[`trip-${i}-${f}`]}
                    </div>
                  ) : null}
                </label>
              ))}
              <button type="button" className="btn btn-small btn-ghost" style={{ alignSelf: 'end' }} disabled={draft.trips.length === 1} onClick={() => setDraft((d) => ({ ...d, trips: d.trips.filter((_, j) => j !== i) }))} aria-label="Remove trip">
                ×
              </button>
            </div>
          ))}
          <div className="chips">
            <button
              type="button"
              className="btn btn-small btn-ghost"
              onClick={() => setDraft((d) => ({ ...d, trips: [...d.trips, { trip_id: `trip-${d.trips.length + 1}`, taxi_id: '', pickup_community_area: '' }] }))}
              data-testid="predict-add-trip"
            >
              + Add trip
            </button>
          </div>
          <label className="field" style={{ marginTop: 10 }}>
            <span>Features with the request (optional, name=value per line)</span>
            <textarea rows={3} value={draft.features} onChange={(e) => setDraft((d) => ({ ...d, features: e.target.value }))} placeholder={'trip_miles=3.2\npayment_type=Cash'} data-testid="predict-features" spellCheck={false} />
            {errors.features ? <div className="field-error" data-testid="predict-features-error">{errors.features}</div> : null}
          </label>
          {errors.form || errors.model ? <div className="field-error">{errors.form ?? errors.model}</div> : null}
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={predict.loading || (submitted && !checked.input)} data-testid="predict-submit">
              {predict.loading ? 'Predicting…' : `Predict ${draft.trips.length > 1 ? `${draft.trips.length} trips` : ''}`}
            </button>
          </div>
        </form>
      </Card>
      <Card title="Prediction" subtitle={result ? `${result.response.predictions.length} prediction(s) in ${formatLatency(result.response.latency_ms)} on the server` : 'Prediction, model version, variant and feature statuses'} testId="predict-result-card">
        {predict.error ? <ErrorNotice error={predict.error} testId="predict-error" /> : null}
        {result ? (
          <div data-testid="predict-result" data-latency={result.response.latency_ms}>
            {result.response.predictions.map((p) => (
              <Result key={p.trip_id} p={p} />
            ))}
          </div>
        ) : !predict.error ? (
          <div className="empty">Fill in a trip and press Predict. The champion serves unless the trip is routed to the challenger.</div>
        ) : null}
      </Card>
    </div>
  );
}
