/**
 * Runs searched on the server with MLflow's filter grammar and order_by, a page at a time (page tokens).
 * A bad filter shows the server's message with a caret under the position it names. Ticked runs are
 * compared on the Compare section.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { ApiError } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import { formatDuration, formatNumber, formatTime } from '../../components/format';
import { DEFAULT_ORDER, PAGE_SIZES, useModelsStore, type Run } from '../../stores/models';
import { goToModels, modelsHref } from './path';
import { headlineKeys, isHourlyKey, metricOf, paramOf, runLabel, shortId } from './runs';

const statusTone: Record<Run['info']['status'], Tone> = { RUNNING: 'info', SCHEDULED: 'muted', FINISHED: 'ok', FAILED: 'bad', KILLED: 'warn' };

const ORDER_SUGGESTIONS = [DEFAULT_ORDER, 'attributes.start_time ASC', 'metrics.rmse ASC', 'metrics.mae ASC', 'metrics.r2 DESC', 'attributes.run_name ASC', 'params.algorithm ASC'];
const FILTER_EXAMPLES = ["metrics.rmse < 5", "params.algorithm = 'mlp'", "tags.`taxi.task` = 'fare' and metrics.r2 > 0.5", "attributes.status = 'FINISHED'", "attributes.run_name LIKE 'mlp%'"];

/** Where the server says the filter (or order_by) went wrong, for the caret. */
export function errorPosition(error: ApiError | null): { field: 'filter' | 'order_by'; source: string; position: number } | null {
  if (!error || error.code !== 'INVALID_PARAMETER_VALUE' || !error.details) return null;
  const position = error.details.position;
  if (typeof position !== 'number') return null;
  const filter = error.details.filter;
  const order = error.details.order_by;
  if (typeof filter === 'string') return { field: 'filter', source: filter, position };
  if (typeof order === 'string') return { field: 'order_by', source: order, position };
  if (Array.isArray(order)) return { field: 'order_by', source: order.join(', '), position };
  return null;
}

function QueryError({ error }: { error: ApiError }) {
  const at = errorPosition(error);
  return (
    <div data-testid="runs-query-error" data-position={at?.position ?? ''} data-field={at?.field ?? ''}>
      <ErrorNotice error={error} testId="runs-error" />
      {at ? (
        <pre className="filter-caret" data-testid="runs-filter-caret" aria-label={`problem at position ${at.position} of the ${at.field}`}>
          {at.source}
          {'\n'}
          {' '.repeat(Math.max(0, Math.min(at.position, at.source.length)))}
          <span className="caret">^</span> position {at.position}
        </pre>
      ) : null}
    </div>
  );
}

function Selector({ run }: { run: Run }) {
  const selected = useModelsStore((s) => s.selected.includes(run.info.run_id));
  const toggle = useModelsStore((s) => s.toggleSelected);
  return (
    <input
      type="checkbox"
      checked={selected}
      aria-label={`select ${runLabel(run)} for comparison`}
      data-testid="run-select"
      onClick={(e) => e.stopPropagation()}
      onChange={() => toggle(run.info.run_id)}
    />
  );
}

export function RunsSection({ experimentId }: { experimentId: string | null }) {
  const runs = useModelsStore((s) => s.runs);
  const query = useModelsStore((s) => s.runsQuery);
  const search = useModelsStore((s) => s.searchRuns);
  const goToPage = useModelsStore((s) => s.goToPage);
  const pageTokens = useModelsStore((s) => s.pageTokens);
  const experiments = useModelsStore((s) => s.experiments.data);
  const selected = useModelsStore((s) => s.selected);
  const setSelected = useModelsStore((s) => s.setSelected);

  const [filter, setFilter] = useState(query.filter);
  const [order, setOrder] = useState(query.order_by);

  const scope = useMemo(() => (experimentId ? [experimentId] : []), [experimentId]);
  const scopeKey = scope.join(',');
  useEffect(() => {
    const s = useModelsStore.getState();
    // Compare with the query last asked for, not the page on screen: while a search for another scope is
    // in flight the screen still shows the old page, and skipping here would let that search's answer win.
    if (!s.runs.data || s.runsQuery.experiment_ids.join(',') !== scopeKey) void s.searchRuns({ experiment_ids: scopeKey ? scopeKey.split(',') : [] });
  }, [scopeKey]);

  const submit = (e?: FormEvent): void => {
    e?.preventDefault();
    void search({ filter, order_by: order, experiment_ids: scope });
  };

  const page = runs.data;
  const rows = page?.runs ?? [];
  const expName = (id: string): string => experiments?.find((x) => x.experiment_id === id)?.name ?? id;

  const columns = useMemo<Column<Run>[]>(() => {
    const metricKeys = [...new Set(rows.flatMap((r) => r.data.metrics.map((m) => m.key)))].filter((k) => !isHourlyKey(k)).sort();
    const headline = headlineKeys(metricKeys);
    const paramKeys = [...new Set(rows.flatMap((r) => r.data.params.map((p) => p.key)))].sort();
    const shownParams = new Set(['algorithm', 'task', 'epochs', 'learning_rate'].filter((k) => paramKeys.includes(k)));
    return [
      { key: 'select', header: '', width: 36, sortable: false, filterable: false, render: (r) => <Selector run={r} /> },
      {
        key: 'run',
        header: 'Run',
        minWidth: 200,
        value: (r) => runLabel(r),
        render: (r) => (
          <a href={modelsHref('run', r.info.run_id)} title={r.info.run_id} onClick={(e) => e.stopPropagation()}>
            {runLabel(r)} <span className="muted">{shortId(r.info.run_id)}</span>
          </a>
        ),
      },
      { key: 'experiment', header: 'Experiment', value: (r) => expName(r.info.experiment_id) },
      {
        key: 'status',
        header: 'Status',
        width: 100,
        value: (r) => r.info.status,
        render: (r) => <StatusBadge status={r.info.status} tone={statusTone[r.info.status]} />,
      },
      { key: 'start', header: 'Started', width: 180, value: (r) => r.info.start_time, render: (r) => formatTime(new Date(r.info.start_time).toISOString()) },
      {
        key: 'duration',
        header: 'Duration',
        width: 90,
        align: 'right',
        value: (r) => (r.info.end_time ? r.info.end_time - r.info.start_time : null),
        render: (r) => (r.info.end_time ? formatDuration((r.info.end_time - r.info.start_time) / 1000) : '—'),
      },
      ...metricKeys.map(
        (k): Column<Run> => ({
          key: `metrics.${k}`,
          header: k,
          title: `metrics.${k}`,
          width: 96,
          align: 'right',
          hidden: !headline.includes(k),
          value: (r) => metricOf(r, k),
          render: (r) => <span data-metric={k}>{formatNumber(metricOf(r, k))}</span>,
        }),
      ),
      ...paramKeys.map(
        (k): Column<Run> => ({
          key: `params.${k}`,
          header: k,
          title: `params.${k}`,
          width: 110,
          hidden: !shownParams.has(k),
          value: (r) => paramOf(r, k),
        }),
      ),
    ];
    // expName reads experiments; rows define the dynamic columns.
  }, [rows, experiments]);

  const pageNo = page?.page ?? 0;
  const canNext = Boolean(page?.next_page_token);
  const error = runs.error;
  const allOnPage = rows.length > 0 && rows.every((r) => selected.includes(r.info.run_id));

  return (
    <Card
      title="Runs"
      subtitle={
        <>
          Search with MLflow’s filter grammar: <code>metrics.*</code>, <code>params.*</code>, <code>tags.*</code>, <code>attributes.*</code> with = != &lt; &gt; LIKE ILIKE IN, joined by <code>and</code>
        </>
      }
      testId="runs-card"
      actions={
        <button
          type="button"
          className="btn btn-primary btn-small"
          disabled={selected.length < 2}
          onClick={() => goToModels('compare', selected.join(','))}
          data-testid="compare-selected"
          title={selected.length < 2 ? 'Tick two or more runs to compare them' : undefined}
        >
          Compare {selected.length > 0 ? `(${selected.length})` : ''}
        </button>
      }
    >
      <form className="filter-bar" onSubmit={submit} noValidate data-testid="runs-search-form">
        <label className="field">
          <span>Filter</span>
          <input
            type="text"
            list="runs-filter-examples"
            value={filter}
            placeholder="metrics.rmse < 5 and params.algorithm = 'mlp'"
            onChange={(e) => setFilter(e.target.value)}
            aria-invalid={errorPosition(error)?.field === 'filter' ? true : undefined}
            data-testid="runs-filter"
            spellCheck={false}
          />
          <datalist id="runs-filter-examples">
            {FILTER_EXAMPLES.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>Order by</span>
          <input
            type="text"
            list="runs-order-suggestions"
            value={order}
            onChange={(e) => setOrder(e.target.value)}
            aria-invalid={errorPosition(error)?.field === 'order_by' ? true : undefined}
            data-testid="runs-order"
            spellCheck={false}
          />
          <datalist id="runs-order-suggestions">
            {ORDER_SUGGESTIONS.map((o) => (
              <option key={o} value={o} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>Page size</span>
          <select value={query.max_results} onChange={(e) => void search({ filter, order_by: order, experiment_ids: scope, max_results: Number(e.target.value) })} data-testid="runs-page-size">
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <div className="form-actions" style={{ margin: 0 }}>
          <button type="submit" className="btn btn-primary" disabled={runs.loading} data-testid="runs-search">
            {runs.loading ? 'Searching…' : 'Search'}
          </button>
          {filter || order !== DEFAULT_ORDER ? (
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => {
                setFilter('');
                setOrder(DEFAULT_ORDER);
                void search({ filter: '', order_by: DEFAULT_ORDER, experiment_ids: scope });
              }}
            >
              Clear
            </button>
          ) : null}
        </div>
      </form>
      <div className="chips" style={{ marginTop: 0, marginBottom: 10 }}>
        <span className="muted">Experiment:</span>
        <select value={experimentId ?? ''} onChange={(e) => goToModels('runs', e.target.value || null)} data-testid="runs-experiment">
          <option value="">All experiments</option>
          {(experiments ?? []).map((x) => (
            <option key={x.experiment_id} value={x.experiment_id}>
              {x.name}
            </option>
          ))}
        </select>
        {rows.length > 0 ? (
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setSelected(allOnPage ? selected.filter((id) => !rows.some((r) => r.info.run_id === id)) : [...selected, ...rows.map((r) => r.info.run_id)])}>
            {allOnPage ? 'Untick page' : 'Tick page'}
          </button>
        ) : null}
        {selected.length > 0 ? (
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setSelected([])} data-testid="clear-selection">
            Clear selection ({selected.length})
          </button>
        ) : null}
      </div>
      {error ? <QueryError error={error} /> : null}
      <DataTable
        testId="runs-table"
        rows={error ? [] : rows}
        columns={columns}
        rowKey={(r) => r.info.run_id}
        rowTestId={() => 'run-row'}
        onRowClick={(r) => goToModels('run', r.info.run_id)}
        empty={
          error ? (
            'Fix the filter above and search again.'
          ) : query.filter ? (
            'No run matches this filter.'
          ) : (
            <>
              No runs yet — train a model: <code>taxi-mlops train</code> or the <a href={modelsHref('train')}>Train form</a>.
            </>
          )
        }
        loading={runs.loading && !page}
        filterPlaceholder="Filter this page…"
        storageKey="models.runs"
        noun="runs on this page"
      />
      <div className="pager" data-testid="runs-pager" data-page={pageNo}>
        <button type="button" className="btn btn-small" disabled={pageNo === 0 || runs.loading} onClick={() => void goToPage(pageNo - 1)} data-testid="runs-prev">
          ← Previous
        </button>
        <span className="muted">
          Page {pageNo + 1}
          {pageTokens.length > 1 ? ` of ≥ ${Math.max(pageTokens.length, pageNo + 1 + (canNext ? 1 : 0))}` : ''}
        </span>
        <button type="button" className="btn btn-small" disabled={!canNext || runs.loading} onClick={() => void goToPage(pageNo + 1)} data-testid="runs-next">
          Next →
        </button>
      </div>
    </Card>
  );
}
