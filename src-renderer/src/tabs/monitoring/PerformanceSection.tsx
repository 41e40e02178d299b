/** Model performance over time (RMSE / MAE / R² per window, baseline, model-drift flag) and the A/B comparison. */
import { useEffect, useMemo, useState } from 'react';
import { call, type Output } from '../../api/client';
import { Card } from '../../components/Card';
import { Chart } from '../../components/Chart';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { formatInt, formatNumber, formatTime } from '../../components/format';
import { timeSeriesOption } from './charts';
import { useCall } from './hooks';
import { Stat } from '../../components/Stat';

type Performance = Output<'monitoring.performance'>;
type Ab = Output<'monitoring.ab'>;

/** At least six windows of axis, so a young model's first window is not a lone dot in days of empty axis. */
const spanOf = (windowMinutes: number): number => 6 * windowMinutes * 60_000;

export function PerformanceSection() {
  const [source, setSource] = useState<'stream' | 'offline'>('stream');
  const [windowMin, setWindowMin] = useState('60');
  const p = useCall<Performance>();
  const load = (src = source): Promise<void> =>
    p.run(() => call('monitoring.performance', { source: src, ...(Number(windowMin) > 0 ? { window_minutes: Number(windowMin) } : {}) }));
  useEffect(() => {
    void load();
  }, []);
  const d = p.data;
  const rmse = useMemo(
    () =>
      d
        ? timeSeriesOption(
            [
              { name: 'RMSE', points: d.windows.map((w) => ({ at: w.start, value: w.rmse })) },
              { name: 'MAE', points: d.windows.map((w) => ({ at: w.start, value: w.mae })) },
            ],
            { baseline: d.baseline_rmse !== null ? { value: d.baseline_rmse, label: 'Baseline RMSE' } : null, min: 0, minSpanMs: spanOf(d.window_minutes) },
          )
        : null,
    [d],
  );
  const r2 = useMemo(
    () => (d ? timeSeriesOption([{ name: 'R²', points: d.windows.map((w) => ({ at: w.start, value: w.r2 })) }], { minSpanMs: spanOf(d.window_minutes) }) : null),
    [d],
  );
  return (
    <div className="mon-section" data-testid="mon-performance">
      <Card
        title="Model performance over time"
        subtitle={d ? `${d.model}${d.version ? ` v${d.version}` : ''} · ${d.source} · ${d.window_minutes}-minute windows · ${formatInt(d.overall.count)} predictions` : 'Predictions joined with actual fares, per window'}
        testId="performance-card"
        actions={
          <>
            <select value={source} onChange={(e) => (setSource(e.target.value as 'stream' | 'offline'), void load(e.target.value as 'stream' | 'offline'))} data-testid="performance-source" aria-label="Source">
              <option value="stream">Stream (prediction errors)</option>
              <option value="offline">Offline (evaluation set)</option>
            </select>
            <input className="mon-small-input" value={windowMin} onChange={(e) => setWindowMin(e.target.value)} aria-label="Window minutes" title="Window, minutes" />
            <button type="button" className="btn btn-small" onClick={() => void load()} disabled={p.loading} data-testid="performance-run">
              Refresh
            </button>
          </>
        }
      >
        {p.error ? <ErrorNotice error={p.error} testId="performance-error" /> : null}
        {d ? (
          <>
            <div className={`verdict ${d.model_drift.detected ? 'verdict-bad' : 'verdict-ok'}`} data-testid="model-drift" data-detected={String(d.model_drift.detected)}>
              <strong>{d.model_drift.detected ? 'Model drift' : 'No model drift'}</strong> — {d.model_drift.message}
            </div>
            <div className="stats stats-4">
              <Stat label="RMSE">{formatNumber(d.overall.rmse)}</Stat>
              <Stat label="MAE">{formatNumber(d.overall.mae)}</Stat>
              <Stat label="R²">{formatNumber(d.overall.r2)}</Stat>
              <Stat label="baseline RMSE">{formatNumber(d.baseline_rmse)}</Stat>
            </div>
            {d.windows.length ? (
              <div className="grid grid-even">
                <Chart option={rmse!} height={260} testId="performance-chart" ariaLabel="RMSE and MAE per window" />
                <Chart option={r2!} height={260} testId="performance-r2-chart" ariaLabel="R² per window" />
              </div>
            ) : (
              <div className="empty">
                No predictions with actual fares in this period. Start the stream processor (Streams › Processor) and replay trips, or switch to the offline evaluation set.
              </div>
            )}
          </>
        ) : null}
      </Card>
    </div>
  );
}

type Variant = Ab['variants'][number];
const variantColumns: Column<Variant>[] = [
  { key: 'variant', header: 'Variant', render: (v) => <strong>{v.variant}</strong> },
  { key: 'model_versions', header: 'Versions', value: (v) => v.model_versions.join(', ') },
  { key: 'count', header: 'Predictions', width: 110, align: 'right' },
  { key: 'rmse', header: 'RMSE', width: 90, align: 'right', render: (v) => formatNumber(v.rmse) },
  { key: 'mae', header: 'MAE', width: 90, align: 'right', render: (v) => formatNumber(v.mae) },
  { key: 'r2', header: 'R²', width: 90, align: 'right', render: (v) => formatNumber(v.r2) },
];

export function AbSection() {
  const ab = useCall<Ab>();
  const load = (): Promise<void> => ab.run(() => call('monitoring.ab', {}));
  useEffect(() => {
    void load();
  }, []);
  const d = ab.data;
  return (
    <div className="mon-section" data-testid="mon-ab">
      <Card
        title="A/B: champion vs challenger"
        subtitle="Per-variant error from the stream; Welch’s t-test on absolute errors"
        testId="ab-card"
        actions={
          <button type="button" className="btn btn-small" onClick={() => void load()} disabled={ab.loading} data-testid="ab-run">
            Refresh
          </button>
        }
      >
        {ab.error ? <ErrorNotice error={ab.error} testId="ab-error" /> : null}
        {d ? (
          <>
            <div className="verdict verdict-info" data-testid="ab-verdict">
              {d.verdict}
            </div>
            {d.test ? (
              <p className="muted" data-testid="ab-test">
                t = {d.test.t.toFixed(3)}, df = {d.test.df.toFixed(1)}, p = {d.test.p_value.toPrecision(3)} (α = {d.test.alpha}); mean |error| {d.test.a} {formatNumber(d.test.mean_a)} vs {d.test.b}{' '}
                {formatNumber(d.test.mean_b)} <StatusBadge status={d.test.p_value < d.test.alpha ? 'significant' : 'not significant'} tone={d.test.p_value < d.test.alpha ? 'warn' : 'muted'} />
              </p>
            ) : null}
          </>
        ) : null}
        <DataTable
          testId="ab-variants"
          rows={d?.variants ?? []}
          columns={variantColumns}
          rowKey={(v) => v.variant}
          filter={false}
          loading={ab.loading && !d}
          noun="variants"
          empty={<>No predictions with actual fares from either variant yet. Set a challenger alias (Models › Registry) and run the stream processor.</>}
        />
        {d ? <div className="muted">Read {formatTime(new Date().toISOString())}</div> : null}
      </Card>
    </div>
  );
}
