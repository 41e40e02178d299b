/** Permutation importance of a model version (a job) and the Pearson / Spearman correlation matrices. */
import { useEffect, useMemo, useState } from 'react';
import { call, type Output } from '../../api/client';
import { Card } from '../../components/Card';
import { Chart } from '../../components/Chart';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobProgress } from '../../components/JobProgress';
import { formatInt, formatNumber } from '../../components/format';
import { barOption, heatmapOption } from './charts';
import { useCall, useJobRun } from './hooks';
import { SourcePicker, type DataSource } from './SourcePicker';

type Versions = Output<'models.list'>;
interface Importance {
  model: string;
  version: string;
  rows: number;
  repeats: number;
  baseline_rmse: number;
  features: { feature: string; importance: number; std: number; relative: number }[];
  duration_ms: number;
}

function ImportanceCard() {
  const models = useCall<Versions>();
  const [version, setVersion] = useState('');
  const [result, setResult] = useState<Importance | null>(null);
  const run = useJobRun((job) => setResult(job.result as Importance));
  useEffect(() => {
    void models.run(() => call('models.list', { limit: 50 }));
  }, []);
  const versions = models.data?.versions ?? [];
  useEffect(() => {
    if (!version && versions.length) setVersion((versions.find((v) => v.aliases.includes('champion')) ?? versions[0]!).version);
  }, [versions, version]);
  const sorted = useMemo(() => (result ? [...result.features].sort((a, b) => b.importance - a.importance) : []), [result]);
  const option = useMemo(
    () => barOption(sorted.map((f) => f.feature), sorted.map((f) => f.importance), { name: 'RMSE increase', horizontal: true }),
    [sorted],
  );
  return (
    <Card
      title="Permutation importance"
      subtitle={result ? `v${result.version} · ${formatInt(result.rows)} rows × ${result.repeats} shuffles · baseline RMSE ${formatNumber(result.baseline_rmse)}` : 'How much the RMSE rises when a feature is shuffled, on the version’s evaluation set'}
      testId="importance-card"
    >
      <div className="form-grid">
        <label className="field">
          <span>Version of {models.data?.model ?? 'the model'}</span>
          <select value={version} onChange={(e) => setVersion(e.target.value)} data-testid="importance-version">
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
                {v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="form-actions">
        <button
          type="button"
          className="btn btn-primary"
          disabled={!models.data || !version || run.starting}
          onClick={() => void run.start(() => call('monitoring.importance', { model: models.data!.model, version }))}
          data-testid="importance-run"
        >
          Compute importance
        </button>
      </div>
      {models.data && versions.length === 0 ? <div className="empty">No model versions yet. Train one in Models › Train, then compute its importance here.</div> : null}
      {models.error ? <ErrorNotice error={models.error} /> : null}
      {run.error ? <ErrorNotice error={run.error} testId="importance-error" /> : null}
      {run.job ? <JobProgress jobId={run.job.id} testId="importance-job" /> : null}
      {sorted.length ? <Chart option={option} height={Math.max(180, sorted.length * 26)} testId="importance-chart" ariaLabel="Permutation importance per feature" /> : null}
    </Card>
  );
}

function CorrelationCard() {
  const [source, setSource] = useState<DataSource>({});
  const [kind, setKind] = useState<'pearson' | 'spearman'>('pearson');
  const c = useCall<Output<'monitoring.correlation'>>();
  const load = (): Promise<void> => c.run(() => call('monitoring.correlation', { source }));
  useEffect(() => {
    void load();
  }, []);
  const option = useMemo(() => (c.data ? heatmapOption(c.data.columns, c.data[kind]) : null), [c.data, kind]);
  return (
    <Card
      title="Correlation"
      subtitle={c.data ? `${c.data.source} · ${formatInt(c.data.rows)} rows` : 'Pearson and Spearman over the numerical columns and the fare'}
      testId="correlation-card"
      actions={
        <>
          <select value={kind} onChange={(e) => setKind(e.target.value as 'pearson' | 'spearman')} data-testid="correlation-kind" aria-label="Correlation kind">
            <option value="pearson">Pearson</option>
            <option value="spearman">Spearman</option>
          </select>
          <button type="button" className="btn btn-small" onClick={() => void load()} disabled={c.loading} data-testid="correlation-run">
            {c.loading ? 'Computing…' : 'Compute'}
          </button>
        </>
      }
    >
      <SourcePicker onChange={setSource} testId="correlation-source" />
      {c.error ? <ErrorNotice error={c.error} testId="correlation-error" /> : null}
      {option && c.data && c.data.columns.length ? (
        <Chart option={option} height={Math.max(320, c.data.columns.length * 34 + 90)} testId="correlation-chart" ariaLabel={`${kind} correlation matrix`} />
      ) : c.data ? (
        <div className="empty">No numerical data in this range. Import or generate trips, or widen the range.</div>
      ) : null}
    </Card>
  );
}

export function FeaturesSection() {
  return (
    <div className="mon-section grid grid-even" data-testid="mon-features">
      <ImportanceCard />
      <CorrelationCard />
    </div>
  );
}
