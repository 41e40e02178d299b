/** Online lookup playground: Feast's get-online-features against this instance's online store. */
import { useMemo, useState, type FormEvent } from 'react';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import { Spinner } from '../../components/Spinner';
import { formatInt, formatNumber, formatUtc } from '../../components/format';
import { useFeaturesStore, type FeatureList, type LookupTarget, type OnlineLookup } from '../../stores/features';
import { checkLookup, keysOf, targetKey, targetOf, type KeySpec } from './lookup';

type ValueStatus = OnlineLookup['response']['results'][number]['statuses'][number];

const statusInfo: Record<ValueStatus, { tone: Tone; what: string }> = {
  PRESENT: { tone: 'ok', what: 'a value within the view’s TTL' },
  NULL_VALUE: { tone: 'muted', what: 'the entity has a row, but this feature is null in it' },
  NOT_FOUND: { tone: 'bad', what: 'no row for this entity in the online store' },
  OUTSIDE_MAX_AGE: { tone: 'warn', what: 'a row exists, but its event is older than the TTL' },
};
const statusOrder = Object.keys(statusInfo) as ValueStatus[];

/** Feast answers "no timestamp" with the epoch. */
const hasTime = (iso: string): boolean => Date.parse(iso) > 0;

function Value({ v }: { v: string | number | boolean | null }) {
  if (v === null) return <span className="muted">null</span>;
  if (typeof v === 'number') return <span title={String(v)}>{formatNumber(v)}</span>;
  return <span>{String(v)}</span>;
}

function Result({ lookup }: { lookup: OnlineLookup }) {
  const { response, joinKeys } = lookup;
  const names = response.metadata.feature_names;
  const keyCols = names.map((n, i) => ({ n, i })).filter((c) => joinKeys.includes(c.n));
  const featureCols = names.map((n, i) => ({ n, i })).filter((c) => !joinKeys.includes(c.n));
  const rows = response.results[0]?.values.length ?? 0;
  const rowLabel = (r: number): string =>
    keyCols.map((c) => (keyCols.length > 1 ? `${c.n}=${String(response.results[c.i]!.values[r])}` : String(response.results[c.i]!.values[r]))).join(' · ');
  const counts = new Map<ValueStatus, number>();
  for (const c of featureCols) for (const s of response.results[c.i]!.statuses) counts.set(s, (counts.get(s) ?? 0) + 1);

  return (
    <div data-testid="lookup-result">
      <div className="lookup-summary">
        <span className="muted">
          {formatInt(rows)} entity row{rows === 1 ? '' : 's'} × {featureCols.length} features · read {formatUtc(new Date(lookup.at).toISOString())}
        </span>
        {statusOrder
          .filter((s) => counts.has(s))
          .map((s) => (
            <span key={s} className="status-count" data-testid={`lookup-count-${s}`} data-count={counts.get(s)}>
              <StatusBadge status={s} tone={statusInfo[s].tone} title={statusInfo[s].what} /> {formatInt(counts.get(s)!)}
            </span>
          ))}
      </div>
      <div className="table-wrap lookup-table-wrap">
        <table className="table lookup-table" data-testid="lookup-table">
          <thead>
            <tr>
              <th>Feature</th>
              {Array.from({ length: rows }, (_, r) => (
                <th key={r} data-testid={`lookup-entity-${r}`} title={rowLabel(r)}>
                  <span className="entity-head">{rowLabel(r)}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {featureCols.map((c) => {
              const result = response.results[c.i]!;
              return (
                <tr key={c.n} data-feature={c.n}>
                  <td className="strong nowrap">{c.n}</td>
                  {Array.from({ length: rows }, (_, r) => {
                    const status = result.statuses[r]!;
                    const ts = result.event_timestamps[r]!;
                    return (
                      <td key={r} className="lookup-cell" data-testid="lookup-cell" data-feature={c.n} data-row={r} data-status={status}>
                        <div className="lookup-value">
                          <Value v={result.values[r] ?? null} />
                          <StatusBadge status={status} tone={statusInfo[status].tone} title={statusInfo[status].what} testId="value-status" />
                        </div>
                        <div className="cell-sub">{hasTime(ts) ? formatUtc(ts) : 'no event'}</div>
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function KeyInput({ spec, value, error, showViews, onChange }: { spec: KeySpec; value: string; error: string | undefined; showViews: boolean; onChange: (v: string) => void }) {
  const id = `lookup-key-${spec.join_key}`;
  return (
    <label className="field">
      <span>
        {spec.join_key} <span className="muted">({spec.type}{showViews ? ` · ${spec.views.join(', ')}` : ''})</span>
      </span>
      <input
        type="text"
        value={value}
        placeholder={spec.type === 'int' ? 'e.g. 8, 32, 76' : spec.join_key === 'taxi_id' ? 'e.g. gtaxi-0001, gtaxi-0002' : 'one or more ids, comma-separated'}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-error`}
        data-testid={id}
        spellCheck={false}
      />
      {error ? (
        <div className="field-error" id={`${id}-error`} data-testid={`${id}-error`} role="alert">
          {error}
        </div>
      ) : null}
    </label>
  );
}

export function LookupCard({ list, defaultView, materialized }: { list: FeatureList; defaultView: string | null; materialized: boolean }) {
  const stored = useFeaturesStore((s) => s.lookupTarget);
  const setTarget = useFeaturesStore((s) => s.setLookupTarget);
  const lookup = useFeaturesStore((s) => s.lookup);
  const lookupOnline = useFeaturesStore((s) => s.lookupOnline);
  const fallback = defaultView ?? list.views[0]?.name ?? null;
  const target: LookupTarget | null = stored ?? (fallback ? { kind: 'view', name: fallback } : null);

  const [keyDrafts, setKeyDrafts] = useState<Record<string, string>>({});
  const [fullNames, setFullNames] = useState<Record<string, boolean>>({});
  const [submitted, setSubmitted] = useState(false);
  const keys = useMemo(() => (target ? keysOf(target, list) : []), [target, list]);
  // A service spans views whose feature names collide (trips_1h), so it defaults to view__feature names.
  const full = target ? (fullNames[targetKey(target)] ?? target.kind === 'service') : false;
  const checked = useMemo(() => (target ? checkLookup(target, keys, keyDrafts, full) : null), [target, keys, keyDrafts, full]);
  // A box complains once it has text or the form was sent, not while the operator is still on another one.
  const errorOf = (field: string): string | undefined => (submitted || (keyDrafts[field] ?? '').trim() !== '' ? checked?.errors[field] : undefined);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setSubmitted(true);
    if (!checked?.request) return;
    void lookupOnline(checked.request, keys.map((k) => k.join_key));
  };

  if (!target) return null;
  return (
    <Card
      title="Online lookup"
      subtitle="get-online-features against the online store, with a status per value"
      testId="lookup-card"
      actions={lookup.loading ? <Spinner label="Reading" /> : null}
    >
      {!materialized ? (
        <div className="notice notice-info" data-testid="lookup-hint">
          The online store is empty until a view is materialized — every value reads NOT_FOUND. Run <strong>Materialize</strong> first.
        </div>
      ) : null}
      <form className="form" onSubmit={submit} noValidate data-testid="lookup-form">
        <div className="form-grid">
          <label className="field">
            <span>View or feature service</span>
            <select
              value={targetKey(target)}
              onChange={(e) => {
                setTarget(targetOf(e.target.value));
                setSubmitted(false);
              }}
              data-testid="lookup-target"
            >
              <optgroup label="Feature views">
                {list.views.map((v) => (
                  <option key={v.name} value={`view:${v.name}`}>
                    {v.name} ({v.features.length})
                  </option>
                ))}
              </optgroup>
              {list.services.length > 0 ? (
                <optgroup label="Feature services">
                  {list.services.map((s) => (
                    <option key={s.name} value={`service:${s.name}`}>
                      {s.name} ({s.features.length})
                    </option>
                  ))}
                </optgroup>
              ) : null}
            </select>
          </label>
          {keys.map((k) => (
            <KeyInput key={k.join_key} spec={k} value={keyDrafts[k.join_key] ?? ''} error={errorOf(k.join_key)} showViews={target.kind === 'service'} onChange={(v) => setKeyDrafts((d) => ({ ...d, [k.join_key]: v }))} />
          ))}
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={lookup.loading || (submitted && !checked?.request)} data-testid="lookup-submit">
            Get online features
          </button>
          <label className="check">
            <input
              type="checkbox"
              checked={full}
              onChange={(e) => setFullNames((f) => ({ ...f, [targetKey(target)]: e.target.checked }))}
              data-testid="lookup-full-names"
            />
            full feature names (<code>view__feature</code>)
          </label>
          {checked && checked.rows > 1 ? <span className="muted">{checked.rows} entity rows</span> : null}
        </div>
        {submitted && checked?.errors.form ? (
          <div className="field-error" data-testid="lookup-form-error" role="alert">
            {checked.errors.form}
          </div>
        ) : null}
      </form>
      {lookup.error ? <ErrorNotice error={lookup.error} testId="lookup-error" /> : null}
      {lookup.data ? (
        <Result lookup={lookup.data} />
      ) : (
        <div className="legend" data-testid="lookup-legend">
          {statusOrder.map((s) => (
            <div key={s}>
              <StatusBadge status={s} tone={statusInfo[s].tone} /> <span className="muted">{statusInfo[s].what}</span>
            </div>
          ))}
        </div>
      )}
    </Card>
  );
}
