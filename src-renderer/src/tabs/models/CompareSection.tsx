/**
 * Two or more runs side by side: params and metrics in one table, metric histories as lines (per-epoch
 * loss), a parallel-coordinates chart over the params and metrics that differ, and a scatter of any two.
 */
import { useEffect, useMemo, useState } from 'react';
import { Card } from '../../components/Card';
import { Chart } from '../../components/Chart';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { LoadingRow } from '../../components/Spinner';
import { formatNumber } from '../../components/format';
import { useResolvedTheme } from '../../stores/ui';
import { useModelsStore, type Comparison } from '../../stores/models';
import { historyOption, hourlyOption, parallelOption, scatterOption, seriesNames } from './charts';
import { compareIds, modelsHref } from './path';
import { dimensionsOf, historyKeys, hourlyRmse, isHourlyKey, valueOf, varyingDimensions, type Dimension } from './runs';

function SideBySide({ c, dims }: { c: Comparison; dims: Dimension[] }) {
  const names = seriesNames(c.runs);
  const [onlyDiff, setOnlyDiff] = useState(true);
  const varying = new Set(varyingDimensions(c, dims).map((d) => d.id));
  const rows = onlyDiff ? dims.filter((d) => varying.has(d.id)) : dims;
  const columns: Column<Dimension>[] = [
    { key: 'id', header: 'Param / metric', minWidth: 200, render: (d) => <code>{d.id}</code> },
    ...c.runs.map(
      (run): Column<Dimension> => ({
        key: run.info.run_id,
        header: names.get(run.info.run_id)!,
        align: 'right',
        value: (d) => valueOf(run, d),
        render: (d) => {
          const v = valueOf(run, d);
          return <span data-testid="compare-cell">{typeof v === 'number' ? formatNumber(v) : (v ?? '—')}</span>;
        },
      }),
    ),
  ];
  return (
    <Card
      title="Side by side"
      testId="compare-table-card"
      actions={
        <label className="check">
          <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> only what differs
        </label>
      }
    >
      <DataTable testId="compare-table" rows={rows} columns={columns} rowKey={(d) => d.id} columnChooser={false} maxHeight={380} empty="The runs have no params or metrics." />
    </Card>
  );
}

function Histories({ c }: { c: Comparison }) {
  const keys = historyKeys(c);
  const [key, setKey] = useState<string | null>(null);
  const shown = key && keys.includes(key) ? key : (keys[0] ?? null);
  const option = useMemo(() => (shown ? historyOption(c, shown) : null), [c, shown]);
  return (
    <Card
      title="Metric history"
      subtitle="One line per run, by step"
      testId="compare-history-card"
      actions={
        keys.length > 0 ? (
          <select value={shown ?? ''} onChange={(e) => setKey(e.target.value)} data-testid="compare-history-key" aria-label="Metric">
            {keys.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        ) : null
      }
    >
      {option ? (
        <Chart option={option} ariaLabel={`${shown} by step for each run`} testId="compare-history-chart" height={280} />
      ) : (
        <div className="empty" data-testid="compare-history-empty">
          These runs logged no metric more than once (a per-epoch loss is logged by <code>taxi-mlops train --algorithm mlp</code>).
        </div>
      )}
    </Card>
  );
}

function Parallel({ c, dims }: { c: Comparison; dims: Dimension[] }) {
  const dark = useResolvedTheme() === 'dark';
  const shown = useMemo(() => varyingDimensions(c, dims).filter((d) => !isHourlyKey(d.key)).slice(0, 12), [c, dims]);
  const option = useMemo(() => parallelOption(c, shown, dark), [c, shown, dark]);
  return (
    <Card title="Parallel coordinates" subtitle="Params and metrics that differ between the runs (up to 12 axes)" testId="compare-parallel-card">
      {shown.length >= 2 ? (
        <Chart option={option} ariaLabel="Parallel coordinates of params and metrics" testId="compare-parallel-chart" height={300} />
      ) : (
        <div className="empty">The runs differ in fewer than two params or metrics.</div>
      )}
    </Card>
  );
}

function Scatter({ c, dims }: { c: Comparison; dims: Dimension[] }) {
  const candidates = dims.filter((d) => !isHourlyKey(d.key));
  const metrics = candidates.filter((d) => d.kind === 'metric');
  const varying = varyingDimensions(c, candidates);
  const defaultX = varying.find((d) => d.kind === 'param' && d.numeric) ?? varying.find((d) => d.kind === 'param') ?? candidates[0];
  const defaultY = metrics.find((d) => d.key === 'rmse') ?? metrics[0];
  const [xId, setXId] = useState<string | null>(null);
  const [yId, setYId] = useState<string | null>(null);
  const x = candidates.find((d) => d.id === xId) ?? defaultX;
  const y = metrics.find((d) => d.id === yId) ?? defaultY;
  const option = useMemo(() => (x && y ? scatterOption(c, x, y) : null), [c, x, y]);
  return (
    <Card title="Scatter" subtitle="A metric against a param (or another metric), one point per run" testId="compare-scatter-card">
      <div className="chart-pickers">
        <label className="field">
          <span>x</span>
          <select value={x?.id ?? ''} onChange={(e) => setXId(e.target.value)} data-testid="scatter-x">
            {candidates.map((d) => (
              <option key={d.id}>{d.id}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>y</span>
          <select value={y?.id ?? ''} onChange={(e) => setYId(e.target.value)} data-testid="scatter-y">
            {metrics.map((d) => (
              <option key={d.id}>{d.id}</option>
            ))}
          </select>
        </label>
      </div>
      {option ? <Chart option={option} ariaLabel={`${y?.id} against ${x?.id}`} testId="compare-scatter-chart" height={280} /> : <div className="empty">The runs have no metrics.</div>}
    </Card>
  );
}

function Hourly({ c }: { c: Comparison }) {
  const names = seriesNames(c.runs);
  const rows = c.runs.flatMap((r) => {
    const values = hourlyRmse(r, c.histories);
    return values ? [{ name: names.get(r.info.run_id)!, values }] : [];
  });
  const option = useMemo(() => hourlyOption(rows), [rows]);
  if (rows.length === 0) return null;
  return (
    <Card title="RMSE by pickup hour" subtitle="Evaluation slice, per run" testId="compare-hourly-card">
      <Chart option={option} ariaLabel="RMSE per pickup hour for each run" testId="compare-hourly-chart" height={260} />
    </Card>
  );
}

export function CompareSection({ ids }: { ids: string | null }) {
  const comparison = useModelsStore((s) => s.comparison);
  const compare = useModelsStore((s) => s.compare);
  const setSelected = useModelsStore((s) => s.setSelected);
  const runIds = useMemo(() => compareIds(ids), [ids]);
  const key = runIds.join(',');

  useEffect(() => {
    if (runIds.length === 0) return;
    // The link is the selection: opening a shared comparison ticks its runs.
    setSelected(runIds);
    void compare(runIds);
    // key stands for runIds.
  }, [key, compare, setSelected]);

  const c = comparison.data;
  const current = c && c.runs.length === runIds.length && c.runs.every((r) => runIds.includes(r.info.run_id)) ? c : null;
  const dims = useMemo(() => (current ? dimensionsOf(current) : []), [current]);

  if (runIds.length < 2) {
    return (
      <div className="empty" data-testid="compare-empty">
        Tick two or more runs on <a href={modelsHref('runs')}>Runs</a>, then press Compare. No runs yet? Train a model: <code>taxi-mlops train</code> or the{' '}
        <a href={modelsHref('train')}>Train form</a>.
      </div>
    );
  }
  if (comparison.error && !current) return <ErrorNotice error={comparison.error} onRetry={() => void compare(runIds)} testId="compare-error" />;
  if (!current) return <LoadingRow label="Loading runs" />;

  return (
    <div className="grid" data-testid="compare" data-runs={current.runs.length}>
      <SideBySide c={current} dims={dims} />
      <Histories c={current} />
      <div className="grid grid-even">
        <Parallel c={current} dims={dims} />
        <Scatter c={current} dims={dims} />
      </div>
      <Hourly c={current} />
    </div>
  );
}
