/** Registered models at a glance; for the chosen one, what the champion and challenger aliases serve and how they score. */
import { useEffect, useMemo } from 'react';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { formatNumber, formatTime } from '../../components/format';
import { useModelsStore, type RegisteredModel } from '../../stores/models';
import { ServingPanel } from './ServingPanel';
import { goToModels, modelsHref } from './path';
import { headlineKeys, metricOf } from './runs';

export const CHAMPION = 'champion';
export const CHALLENGER = 'challenger';

const iso = (ms: number): string => new Date(ms).toISOString();

/** What to do when nothing has been trained yet. */
export function TrainFirst({ testId = 'models-empty' }: { testId?: string }) {
  return (
    <div className="empty" data-testid={testId}>
      No registered models yet — train a model: <code>taxi-mlops train</code> or the <a href={modelsHref('train')}>Train form</a>. MLflow clients can also
      register models against this server.
    </div>
  );
}

/** Champion and challenger of one model with their evaluation metrics, from the runs behind the versions. */
export function VariantCards({ model }: { model: RegisteredModel }) {
  const versions = useModelsStore((s) => s.versions);
  const loadVersions = useModelsStore((s) => s.loadVersions);
  useEffect(() => {
    if (versions.data?.model !== model.name) void loadVersions(model.name);
  }, [model.name, versions.data?.model, loadVersions]);
  const data = versions.data?.model === model.name ? versions.data : null;

  const variants = [CHAMPION, CHALLENGER].map((alias) => {
    const version = model.aliases.find((a) => a.alias === alias)?.version ?? null;
    const mv = version ? data?.versions.find((v) => v.version === version) : undefined;
    const run = mv ? data?.runs?.runs.find((r) => r.info.run_id === mv.run_id) : undefined;
    return { alias, version, mv, run };
  });

  return (
    <div className="model-cards" data-testid="variant-cards">
      {variants.map(({ alias, version, mv, run }) => {
        const keys = run ? headlineKeys(run.data.metrics.map((m) => m.key)) : [];
        return (
          <div key={alias} className="variant-card" data-testid={`variant-${alias}`} data-version={version ?? ''}>
            <h3>
              {alias} {version ? <a href={modelsHref('registry', model.name)}>v{version}</a> : null}
            </h3>
            {!version ? (
              <div className="muted">
                No version has the <code>{alias}</code> alias. Set it on the <a href={modelsHref('registry', model.name)}>Registry</a> section.
              </div>
            ) : (
              <>
                <div className="metric-line" data-testid={`variant-${alias}-metrics`}>
                  {keys.length === 0 ? <span className="muted">{data ? 'no evaluation metrics logged' : 'loading…'}</span> : null}
                  {keys.map((k) => (
                    <span key={k} data-metric={k}>
                      <span className="muted">{k}</span> <strong>{formatNumber(run ? metricOf(run, k) : null)}</strong>
                    </span>
                  ))}
                </div>
                <div className="muted" style={{ marginTop: 4 }}>
                  {mv ? `stage ${mv.current_stage} · registered ${formatTime(iso(mv.creation_timestamp))}` : null}
                  {run ? (
                    <>
                      {' · '}
                      <a href={modelsHref('run', run.info.run_id)}>run {run.info.run_name || run.info.run_id.slice(0, 8)}</a>
                    </>
                  ) : null}
                </div>
              </>
            )}
          </div>
        );
      })}
    </div>
  );
}

export function OverviewSection() {
  const models = useModelsStore((s) => s.models);
  const info = useModelsStore((s) => s.info.data);
  const refreshModels = useModelsStore((s) => s.refreshModels);
  const list = models.data ?? [];
  const focus = list.find((m) => m.aliases.some((a) => a.alias === CHAMPION)) ?? list[0] ?? null;

  const columns = useMemo<Column<RegisteredModel>[]>(
    () => [
      { key: 'name', header: 'Model', render: (m) => <a href={modelsHref('registry', m.name)}>{m.name}</a> },
      {
        key: 'latest',
        header: 'Latest version',
        width: 120,
        align: 'right',
        value: (m) => Math.max(0, ...m.latest_versions.map((v) => Number(v.version))),
      },
      {
        key: 'aliases',
        header: 'Aliases',
        value: (m) => m.aliases.map((a) => `${a.alias}:${a.version}`).join(' '),
        render: (m) =>
          m.aliases.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <span className="nowrap">
              {[...m.aliases]
                .sort((a, b) => a.alias.localeCompare(b.alias))
                .map((a) => (
                  <span key={a.alias} className="tag" data-testid="model-alias" data-alias={a.alias} data-version={a.version}>
                    {a.alias} → v{a.version}
                  </span>
                ))}
            </span>
          ),
      },
      { key: 'description', header: 'Description', hidden: true },
      { key: 'updated', header: 'Updated', width: 190, value: (m) => m.last_updated_timestamp, render: (m) => formatTime(iso(m.last_updated_timestamp)) },
    ],
    [],
  );

  return (
    <div className="grid" data-testid="models-overview">
      <Card
        title="Registered models"
        subtitle={info ? `${info.backend === 'sqlite' ? 'Embedded registry' : 'MLflow server'} · ${info.location}` : undefined}
        testId="registered-models-card"
      >
        <DataTable
          testId="registered-models"
          rows={list}
          columns={columns}
          rowKey={(m) => m.name}
          rowTestId={() => 'registered-model-row'}
          onRowClick={(m) => goToModels('registry', m.name)}
          selectedKey={focus?.name ?? null}
          empty={<TrainFirst />}
          loading={models.loading && !models.data}
          error={models.error}
          onRetry={() => void refreshModels()}
          storageKey="models.registered"
          noun="models"
        />
      </Card>
      {focus ? (
        <Card title={`Serving · ${focus.name}`} subtitle="Champion and challenger aliases with their evaluation metrics on the time-based holdout" testId="serving-card">
          <VariantCards model={focus} />
          <ServingPanel model={focus.name} />
        </Card>
      ) : null}
    </div>
  );
}
