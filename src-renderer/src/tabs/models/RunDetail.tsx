/** One run: its info, params, latest metrics, tags, metric histories and artifacts; the registered versions made from it. */
import { useEffect, useMemo, useState } from 'react';
import { Card } from '../../components/Card';
import { Chart } from '../../components/Chart';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { KeyValues } from '../../components/KeyValues';
import { LoadingRow } from '../../components/Spinner';
import { StatusBadge } from '../../components/StatusBadge';
import { formatBytes, formatDuration, formatNumber, formatTime } from '../../components/format';
import { useModelsStore, type FileInfo, type Run } from '../../stores/models';
import { historyOption, hourlyOption } from './charts';
import { goToModels, modelsHref } from './path';
import { historyKeys, hourlyRmse, runLabel } from './runs';

type Metric = Run['data']['metrics'][number];
type Tag = Run['data']['tags'][number];

function Artifacts({ runId, files, folders, depth = 0 }: { runId: string; files: FileInfo[]; folders: Record<string, FileInfo[]>; depth?: number }) {
  const openFolder = useModelsStore((s) => s.openFolder);
  if (files.length === 0 && depth === 0) return <div className="empty">No artifacts logged for this run.</div>;
  return (
    <ul className="artifact-list" data-testid={depth === 0 ? 'run-artifacts' : undefined}>
      {files.map((f) => (
        <li key={f.path} data-testid="artifact" data-path={f.path}>
          {f.is_dir ? (
            <details onToggle={(e) => (e.currentTarget.open ? void openFolder(runId, f.path) : undefined)}>
              <summary>{f.path.split('/').pop()}/</summary>
              {folders[f.path] ? <Artifacts runId={runId} files={folders[f.path]!} folders={folders} depth={depth + 1} /> : <span className="muted">…</span>}
            </details>
          ) : (
            <>
              {f.path.split('/').pop()} <span className="muted">{f.file_size === null ? '' : formatBytes(f.file_size)}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

const kvColumns = (testId: string): Column<{ key: string; value: string }>[] => [
  { key: 'key', header: 'Key', render: (r) => <code>{r.key}</code> },
  { key: 'value', header: 'Value', render: (r) => <span data-testid={`${testId}-value`}>{r.value}</span> },
];

export function RunDetail({ runId }: { runId: string | null }) {
  const detail = useModelsStore((s) => s.runDetail);
  const loadRun = useModelsStore((s) => s.loadRun);
  const models = useModelsStore((s) => s.models.data);
  const selected = useModelsStore((s) => s.selected);
  const toggle = useModelsStore((s) => s.toggleSelected);
  const [chartKey, setChartKey] = useState<string | null>(null);

  useEffect(() => {
    if (runId) void loadRun(runId);
  }, [runId, loadRun]);

  const data = detail.data?.run.info.run_id === runId ? detail.data : null;
  const metricColumns = useMemo<Column<Metric>[]>(
    () => [
      { key: 'key', header: 'Metric', render: (m) => <code>{m.key}</code> },
      { key: 'value', header: 'Latest value', align: 'right', render: (m) => <span data-testid="run-metric-value">{formatNumber(m.value)}</span> },
      { key: 'step', header: 'Step', align: 'right', width: 80 },
      { key: 'timestamp', header: 'Logged', width: 190, render: (m) => formatTime(new Date(m.timestamp).toISOString()) },
    ],
    [],
  );

  if (!runId) {
    return (
      <div className="empty" data-testid="run-none">
        No run named in the link — pick one on <a href={modelsHref('runs')}>Runs</a>.
      </div>
    );
  }
  if (detail.error && !data) return <ErrorNotice error={detail.error} onRetry={() => void loadRun(runId)} testId="run-error" />;
  if (!data) return <LoadingRow label="Loading run" />;

  const { run, comparison } = data;
  const keys = historyKeys(comparison);
  const shownKey = chartKey && keys.includes(chartKey) ? chartKey : (keys[0] ?? null);
  const hourly = hourlyRmse(run, comparison.histories);
  const versions = (models ?? []).flatMap((m) => m.latest_versions.filter((v) => v.run_id === run.info.run_id));
  const isSelected = selected.includes(run.info.run_id);

  return (
    <div className="grid" data-testid="run-detail" data-run-id={run.info.run_id}>
      <Card
        title={`Run ${runLabel(run)}`}
        subtitle={<code>{run.info.run_id}</code>}
        testId="run-info-card"
        actions={
          <>
            <button type="button" className="btn btn-small" onClick={() => toggle(run.info.run_id)} data-testid="run-toggle-compare">
              {isSelected ? 'Remove from comparison' : 'Add to comparison'}
            </button>
            {selected.length >= 2 ? (
              <button type="button" className="btn btn-small btn-primary" onClick={() => goToModels('compare', selected.join(','))}>
                Compare {selected.length}
              </button>
            ) : null}
          </>
        }
      >
        {detail.error ? <ErrorNotice error={detail.error} testId="run-error" /> : null}
        <KeyValues
          rows={[
            { key: 'Status', value: <StatusBadge status={run.info.status} testId="run-status" /> },
            { key: 'Experiment', value: <a href={modelsHref('runs', run.info.experiment_id)}>{run.info.experiment_id}</a> },
            { key: 'Started', value: formatTime(new Date(run.info.start_time).toISOString()) },
            { key: 'Duration', value: run.info.end_time ? formatDuration((run.info.end_time - run.info.start_time) / 1000) : '—' },
            { key: 'User', value: run.info.user_id || '—' },
            { key: 'Artifact root', value: <code>{data.root_uri}</code> },
            {
              key: 'Registered as',
              value:
                versions.length === 0 ? (
                  <span className="muted">not registered (or not a latest version)</span>
                ) : (
                  versions.map((v) => (
                    <a key={`${v.name}/${v.version}`} className="tag" href={modelsHref('registry', v.name)}>
                      {v.name} v{v.version}
                    </a>
                  ))
                ),
            },
          ]}
        />
      </Card>
      <div className="grid grid-even">
        <Card title="Metrics" subtitle="Latest value of each metric" testId="run-metrics-card">
          <DataTable testId="run-metrics" rows={run.data.metrics} columns={metricColumns} rowKey={(m) => m.key} empty="No metrics logged." columnChooser={false} maxHeight={360} />
        </Card>
        <Card title="Params" subtitle="Immutable once logged" testId="run-params-card">
          <DataTable testId="run-params" rows={run.data.params} columns={kvColumns('run-param')} rowKey={(p) => p.key} empty="No params logged." columnChooser={false} maxHeight={360} />
        </Card>
      </div>
      {keys.length > 0 ? (
        <Card
          title="Metric history"
          subtitle="Every logged value by step (e.g. per epoch)"
          testId="run-history-card"
          actions={
            <select value={shownKey ?? ''} onChange={(e) => setChartKey(e.target.value)} data-testid="run-history-key" aria-label="Metric">
              {keys.map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
          }
        >
          {shownKey ? <Chart option={historyOption(comparison, shownKey)} ariaLabel={`${shownKey} by step`} testId="run-history-chart" height={260} /> : null}
        </Card>
      ) : null}
      {hourly ? (
        <Card title="RMSE by pickup hour" subtitle="On the evaluation slice" testId="run-hourly-card">
          <Chart option={hourlyOption([{ name: runLabel(run), values: hourly }])} ariaLabel="RMSE per pickup hour" testId="run-hourly-chart" height={240} />
        </Card>
      ) : null}
      <div className="grid grid-even">
        <Card title="Tags" testId="run-tags-card">
          <DataTable<Tag> testId="run-tags" rows={run.data.tags} columns={kvColumns('run-tag')} rowKey={(t) => t.key} empty="No tags." columnChooser={false} maxHeight={320} />
        </Card>
        <Card title="Artifacts" subtitle={<code>{data.root_uri}</code>} testId="run-artifacts-card">
          <Artifacts runId={run.info.run_id} files={data.artifacts} folders={data.folders} />
        </Card>
      </div>
    </div>
  );
}
