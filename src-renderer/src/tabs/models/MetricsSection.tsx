/** Evaluation metrics per registered version (from the runs behind them) and RMSE per pickup hour where logged. */
import { useEffect, useMemo } from 'react';
import { Card } from '../../components/Card';
import { Chart } from '../../components/Chart';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatInt, formatNumber } from '../../components/format';
import { useModelsStore, type ModelVersion, type Run, type VersionSummaries } from '../../stores/models';
import { hourlyOption, versionMetricsOption } from './charts';
import { TrainFirst } from './OverviewSection';
import { goToModels, modelsHref } from './path';
import { headlineKeys, hourlyRmse, isHourlyKey, metricOf } from './runs';

interface Row {
  version: ModelVersion;
  run: Run | null;
  summary: VersionSummaries['versions'][number] | null;
}

/** The versions compared on the per-hour chart: aliased ones first, then the newest, so it stays readable. */
const HOURLY_SHOWN = 6;

export function MetricsSection({ model }: { model: string | null }) {
  const models = useModelsStore((s) => s.models);
  const versions = useModelsStore((s) => s.versions);
  const loadVersions = useModelsStore((s) => s.loadVersions);
  const summaries = useModelsStore((s) => s.summaries);
  const loadSummaries = useModelsStore((s) => s.loadSummaries);
  const list = models.data ?? [];
  const current = list.find((m) => m.name === model) ?? (model ? null : (list.find((m) => m.aliases.length > 0) ?? list[0] ?? null));
  const name = current?.name ?? null;

  useEffect(() => {
    if (name) {
      void loadVersions(name);
      void loadSummaries(name);
    }
  }, [name, loadVersions, loadSummaries]);

  const data = versions.data?.model === name ? versions.data : null;
  const summary = summaries.data?.model === name ? summaries.data : null;
  const rows = useMemo<Row[]>(
    () =>
      (data?.versions ?? []).map((version) => ({
        version,
        run: data?.runs?.runs.find((r) => r.info.run_id === version.run_id) ?? null,
        summary: summary?.versions.find((v) => v.version === version.version) ?? null,
      })),
    [data, summary],
  );
  const keys = useMemo(() => {
    const all = [...new Set(rows.flatMap((r) => r.run?.data.metrics.map((m) => m.key) ?? []))].filter((k) => !isHourlyKey(k));
    const head = headlineKeys(all);
    const baseline = all.filter((k) => k.startsWith('baseline_'));
    return [...head, ...baseline, ...all.filter((k) => !head.includes(k) && !baseline.includes(k))];
  }, [rows]);
  const head = useMemo(() => headlineKeys(keys), [keys]);

  const columns = useMemo<Column<Row>[]>(
    () => [
      { key: 'version', header: 'Version', width: 90, value: (r) => Number(r.version.version), render: (r) => <strong>v{r.version.version}</strong> },
      {
        key: 'aliases',
        header: 'Aliases',
        value: (r) => r.version.aliases.join(' '),
        render: (r) => r.version.aliases.map((a) => <span key={a} className="tag">{a}</span>),
      },
      { key: 'stage', header: 'Stage', width: 100, value: (r) => r.version.current_stage },
      { key: 'algorithm', header: 'Algorithm', width: 100, value: (r) => r.version.tags.find((t) => t.key === 'taxi.algorithm')?.value ?? r.summary?.algorithm ?? null },
      { key: 'train_rows', header: 'Trained on', width: 100, align: 'right', title: 'training trips', value: (r) => r.summary?.train_rows ?? null, render: (r) => (r.summary?.train_rows == null ? '—' : formatInt(r.summary.train_rows)) },
      { key: 'eval_rows', header: 'Evaluated on', width: 110, align: 'right', title: 'held-out trips (the latest by pickup time)', value: (r) => r.summary?.eval_rows ?? null, render: (r) => (r.summary?.eval_rows == null ? '—' : formatInt(r.summary.eval_rows)) },
      {
        key: 'features',
        header: 'Features',
        width: 90,
        align: 'right',
        hidden: true,
        value: (r) => r.summary?.features.length ?? null,
        render: (r) => <span title={r.summary?.features.map((f) => `${f.name} (${f.type})`).join('\n')}>{r.summary ? r.summary.features.length : '—'}</span>,
      },
      { key: 'feature_service', header: 'Feature service', hidden: true, value: (r) => r.summary?.feature_service ?? null },
      ...keys.map(
        (k): Column<Row> => ({
          key: k,
          header: k,
          width: 100,
          align: 'right',
          hidden: !head.includes(k) && !k.startsWith('baseline_rmse'),
          value: (r) => (r.run ? metricOf(r.run, k) : null),
          render: (r) => <span data-testid="version-metric" data-metric={k}>{formatNumber(r.run ? metricOf(r.run, k) : null)}</span>,
        }),
      ),
    ],
    [keys, head],
  );

  const barKeys = head.filter((k) => ['rmse', 'mae'].includes(k.toLowerCase()));
  const barOption = useMemo(
    () =>
      versionMetricsOption(
        [...rows].reverse().map((r) => ({ label: `v${r.version.version}`, values: Object.fromEntries(barKeys.map((k) => [k, r.run ? metricOf(r.run, k) : null])) })),
        barKeys,
      ),
    // barKeys derives from head.
    [rows, head],
  );
  const hourly = useMemo(() => {
    const ranked = [...rows.filter((r) => r.version.aliases.length > 0), ...rows.filter((r) => r.version.aliases.length === 0)];
    return ranked
      .flatMap((r) => {
        const values = r.run && data?.runs ? hourlyRmse(r.run, data.runs.histories) : null;
        return values ? [{ name: `v${r.version.version}${r.version.aliases.length ? ` (${r.version.aliases.join(', ')})` : ''}`, values }] : [];
      })
      .slice(0, HOURLY_SHOWN);
  }, [rows, data]);
  const hourlyChart = useMemo(() => hourlyOption(hourly), [hourly]);

  if (models.error && !models.data) return <ErrorNotice error={models.error} testId="models-error" />;
  if (models.data && list.length === 0) return <TrainFirst />;
  if (model && models.data && !current) return <div className="empty">No registered model named “{model}”.</div>;

  return (
    <div className="grid" data-testid="metrics" data-model={name ?? ''}>
      <Card
        title={name ? `Evaluation metrics · ${name}` : 'Evaluation metrics'}
        subtitle="On each version's time-based holdout (the latest trips); baseline_* is predicting the training mean"
        testId="version-metrics-card"
        actions={
          list.length > 1 ? (
            <select value={name ?? ''} onChange={(e) => goToModels('metrics', e.target.value)} aria-label="Registered model" data-testid="metrics-model">
              {list.map((m) => (
                <option key={m.name}>{m.name}</option>
              ))}
            </select>
          ) : null
        }
      >
        <DataTable
          testId="version-metrics"
          rows={rows}
          columns={columns}
          rowKey={(r) => r.version.version}
          rowTestId={() => 'version-metrics-row'}
          onRowClick={(r) => r.run && goToModels('run', r.run.info.run_id)}
          loading={versions.loading && !data}
          error={versions.error}
          empty={<>No versions yet — train a model: <code>taxi-mlops train</code> or the <a href={modelsHref('train')}>Train form</a>.</>}
          storageKey="models.version-metrics"
          noun="versions"
        />
      </Card>
      {rows.length > 0 && barKeys.length > 0 ? (
        <div className="grid grid-even">
          <Card title="Error by version" subtitle="Lower is better" testId="version-metrics-chart-card">
            <Chart option={barOption} ariaLabel="RMSE and MAE by version" testId="version-metrics-chart" height={260} />
          </Card>
          <Card title="RMSE by pickup hour" subtitle="Aliased versions first, then the newest" testId="version-hourly-card">
            {hourly.length > 0 ? (
              <Chart option={hourlyChart} ariaLabel="RMSE per pickup hour by version" testId="version-hourly-chart" height={260} />
            ) : (
              <div className="empty" data-testid="version-hourly-empty">
                No version logged per-hour RMSE (<code>rmse_by_hour</code> with the hour as step, as <code>taxi-mlops train</code> does).
              </div>
            )}
          </Card>
        </div>
      ) : null}
    </div>
  );
}
