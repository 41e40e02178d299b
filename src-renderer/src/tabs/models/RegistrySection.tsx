/**
 * A registered model's versions with stage and aliases, and the actions on a version: set or move an
 * alias, delete one, transition the stage (optionally archiving the others in it), delete the version.
 * Each action asks for confirmation first and shows the registry's code and message if it fails.
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { call } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import { formatNumber, formatTime } from '../../components/format';
import { useModelsStore, type ModelVersion, type RegisteredModel } from '../../stores/models';
import { CHALLENGER, CHAMPION, TrainFirst } from './OverviewSection';
import { goToModels, modelsHref } from './path';
import { metricOf } from './runs';

const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
type Stage = (typeof STAGES)[number];
const stageTone: Record<Stage, Tone> = { None: 'muted', Staging: 'info', Production: 'ok', Archived: 'warn' };

interface Pending {
  label: string;
  what: ReactNode;
  danger?: boolean;
  run: () => Promise<unknown>;
}

function ActionResult() {
  const action = useModelsStore((s) => s.action);
  const clear = useModelsStore((s) => s.clearAction);
  if (action.busy) return <div className="muted" data-testid="registry-action-busy">{action.busy}…</div>;
  if (action.error)
    return (
      <div data-testid="registry-action-error" data-label={action.error.label}>
        <ErrorNotice error={action.error.error} testId="registry-error" onRetry={undefined} />
      </div>
    );
  if (action.done)
    return (
      <div className="notice-ok" data-testid="registry-action-done">
        Done: {action.done}.{' '}
        <button type="button" className="link-button" onClick={clear}>
          dismiss
        </button>
      </div>
    );
  return null;
}

function VersionActions({ model, version, pending, setPending }: { model: RegisteredModel; version: ModelVersion; pending: Pending | null; setPending: (p: Pending | null) => void }) {
  const busy = useModelsStore((s) => s.action.busy !== null);
  const [alias, setAlias] = useState(CHAMPION);
  const [stage, setStage] = useState<Stage>(version.current_stage === 'Production' ? 'Archived' : 'Production');
  const [archive, setArchive] = useState(true);
  const aliasError = alias.trim() === '' ? 'name the alias' : alias.length > 255 ? 'at most 255 characters' : null;
  const holder = model.aliases.find((a) => a.alias === alias.trim())?.version ?? null;
  const known = [...new Set([CHAMPION, CHALLENGER, ...model.aliases.map((a) => a.alias)])];
  const name = model.name;
  const v = version.version;

  return (
    <div className="action-panel" data-testid="version-actions" data-version={v}>
      <fieldset>
        <legend>Alias</legend>
        <label className="field">
          <span>Alias name</span>
          <input type="text" list="alias-names" value={alias} onChange={(e) => setAlias(e.target.value)} aria-invalid={aliasError ? true : undefined} data-testid="alias-name" />
          <datalist id="alias-names">
            {known.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
          {aliasError ? (
            <div className="field-error" data-testid="alias-name-error">
              {aliasError}
            </div>
          ) : holder ? (
            <div className="help">{holder === v ? `already on v${v}` : `now on v${holder}; setting it moves it here`}</div>
          ) : null}
        </label>
        <button
          type="button"
          className="btn btn-primary btn-small"
          disabled={Boolean(aliasError) || busy || holder === v || pending !== null}
          data-testid="alias-set"
          onClick={() =>
            setPending({
              label: holder ? `move ${alias.trim()} from v${holder} to v${v}` : `set ${alias.trim()} on v${v}`,
              what: holder ? (
                <>
                  Move alias <code>{alias.trim()}</code> of {name} from v{holder} to v{v}? Whatever serves by this alias switches to v{v}.
                </>
              ) : (
                <>
                  Point alias <code>{alias.trim()}</code> of {name} at v{v}?
                </>
              ),
              run: () => call('registry.aliases.set', { name, alias: alias.trim(), version: v }),
            })
          }
        >
          {holder && holder !== v ? `Move to v${v}` : `Set on v${v}`}
        </button>
        {version.aliases.length > 0 ? (
          <div className="chips" style={{ marginTop: 0 }}>
            {version.aliases.map((a) => (
              <span key={a} className="tag">
                {a}{' '}
                <button
                  type="button"
                  className="link-button"
                  aria-label={`delete alias ${a}`}
                  data-testid={`alias-delete-${a}`}
                  disabled={busy || pending !== null}
                  onClick={() =>
                    setPending({
                      label: `delete alias ${a}`,
                      danger: true,
                      what: (
                        <>
                          Delete alias <code>{a}</code> of {name}? Clients that load <code>models:/{name}@{a}</code> will fail until it is set again.
                        </>
                      ),
                      run: () => call('registry.aliases.delete', { name, alias: a }),
                    })
                  }
                >
                  ×
                </button>
              </span>
            ))}
          </div>
        ) : null}
      </fieldset>
      <fieldset>
        <legend>Stage</legend>
        <label className="field">
          <span>Transition to</span>
          <select value={stage} onChange={(e) => setStage(e.target.value as Stage)} data-testid="stage-select">
            {STAGES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={archive} onChange={(e) => setArchive(e.target.checked)} data-testid="stage-archive" disabled={stage === 'None' || stage === 'Archived'} /> archive the other
          versions in {stage}
        </label>
        <button
          type="button"
          className="btn btn-small"
          disabled={busy || stage === version.current_stage || pending !== null}
          data-testid="stage-transition"
          onClick={() => {
            const archiving = archive && stage !== 'None' && stage !== 'Archived';
            setPending({
              label: `move v${v} to ${stage}`,
              what: (
                <>
                  Move {name} v{v} from {version.current_stage} to {stage}
                  {archiving ? `, archiving the other versions in ${stage}` : ''}?
                </>
              ),
              run: () => call('registry.versions.transitionStage', { name, version: v, stage, archive_existing_versions: archiving }),
            });
          }}
        >
          Transition
        </button>
      </fieldset>
      <fieldset>
        <legend>Version</legend>
        <div className="help">{version.description || 'No description.'}</div>
        <div className="help">
          Source <code>{version.source}</code>
        </div>
        <button
          type="button"
          className="btn btn-small btn-danger"
          disabled={busy || pending !== null}
          data-testid="version-delete"
          onClick={() =>
            setPending({
              label: `delete v${v}`,
              danger: true,
              what: (
                <>
                  Delete {name} v{v}
                  {version.aliases.length > 0 ? ` and its aliases (${version.aliases.join(', ')})` : ''}? Its number is not reused; the run and its artifacts stay.
                </>
              ),
              run: () => call('registry.versions.delete', { name, version: v }),
            })
          }
        >
          Delete version
        </button>
      </fieldset>
    </div>
  );
}

export function RegistrySection({ model, version }: { model: string | null; version: string | null }) {
  const models = useModelsStore((s) => s.models);
  const versions = useModelsStore((s) => s.versions);
  const loadVersions = useModelsStore((s) => s.loadVersions);
  const act = useModelsStore((s) => s.act);
  const clearAction = useModelsStore((s) => s.clearAction);
  const [pending, setPending] = useState<Pending | null>(null);

  const list = models.data ?? [];
  const current = list.find((m) => m.name === model) ?? (model ? null : (list[0] ?? null));
  const name = current?.name ?? null;

  useEffect(() => {
    if (name) void loadVersions(name);
    setPending(null);
    clearAction();
  }, [name, loadVersions, clearAction]);

  const data = versions.data?.model === name ? versions.data : null;
  const rows = data?.versions ?? [];
  const selected = rows.find((v) => v.version === version) ?? rows.find((v) => v.aliases.includes(CHAMPION)) ?? rows[0] ?? null;

  const columns = useMemo<Column<ModelVersion>[]>(() => {
    const runOf = (v: ModelVersion) => data?.runs?.runs.find((r) => r.info.run_id === v.run_id);
    return [
      { key: 'version', header: 'Version', width: 90, value: (v) => Number(v.version), render: (v) => <strong>v{v.version}</strong> },
      {
        key: 'stage',
        header: 'Stage',
        width: 110,
        value: (v) => v.current_stage,
        render: (v) => <StatusBadge status={v.current_stage} tone={stageTone[v.current_stage]} testId="version-stage" />,
      },
      {
        key: 'aliases',
        header: 'Aliases',
        value: (v) => v.aliases.join(' '),
        render: (v) =>
          v.aliases.length === 0 ? (
            <span className="muted">—</span>
          ) : (
            <span className="nowrap">
              {v.aliases.map((a) => (
                <span key={a} className="tag" data-testid="version-alias" data-alias={a}>
                  {a}
                </span>
              ))}
            </span>
          ),
      },
      { key: 'rmse', header: 'RMSE', width: 90, align: 'right', value: (v) => (runOf(v) ? metricOf(runOf(v)!, 'rmse') : null), render: (v) => formatNumber(runOf(v) ? metricOf(runOf(v)!, 'rmse') : null) },
      { key: 'algorithm', header: 'Algorithm', width: 100, value: (v) => v.tags.find((t) => t.key === 'taxi.algorithm')?.value ?? null },
      {
        key: 'run',
        header: 'Run',
        width: 110,
        value: (v) => v.run_id,
        render: (v) =>
          v.run_id ? (
            <a href={modelsHref('run', v.run_id)} onClick={(e) => e.stopPropagation()}>
              {v.run_id.slice(0, 8)}
            </a>
          ) : (
            '—'
          ),
      },
      { key: 'created', header: 'Registered', width: 190, value: (v) => v.creation_timestamp, render: (v) => formatTime(new Date(v.creation_timestamp).toISOString()) },
      { key: 'description', header: 'Description', hidden: true },
    ];
  }, [data]);

  if (models.error && !models.data) return <ErrorNotice error={models.error} testId="models-error" />;
  if (models.data && list.length === 0) return <TrainFirst />;
  if (model && models.data && !current) {
    return (
      <div className="empty" data-testid="registry-unknown-model">
        No registered model named “{model}”. Pick one: {list.map((m) => <a key={m.name} className="tag" href={modelsHref('registry', m.name)}>{m.name}</a>)}
      </div>
    );
  }

  const confirm = async (): Promise<void> => {
    if (!pending || !name) return;
    const p = pending;
    setPending(null);
    await act(p.label, name, p.run);
  };

  return (
    <div className="grid" data-testid="registry" data-model={name ?? ''}>
      <Card
        title={name ? `Registry · ${name}` : 'Registry'}
        subtitle={current?.description || 'Versions with their stage and aliases; click a version for its actions'}
        testId="versions-card"
        actions={
          list.length > 1 ? (
            <select value={name ?? ''} onChange={(e) => goToModels('registry', e.target.value)} data-testid="registry-model" aria-label="Registered model">
              {list.map((m) => (
                <option key={m.name}>{m.name}</option>
              ))}
            </select>
          ) : null
        }
      >
        <DataTable
          testId="versions"
          rows={rows}
          columns={columns}
          rowKey={(v) => v.version}
          rowTestId={() => 'version-row'}
          selectedKey={selected?.version ?? null}
          onRowClick={(v) => name && goToModels('registry', name, v.version)}
          empty={<>No versions yet — train a model (<code>taxi-mlops train</code> or the <a href={modelsHref('train')}>Train form</a>) or register one from a run.</>}
          loading={versions.loading && !data}
          error={versions.error}
          onRetry={() => name && void loadVersions(name)}
          storageKey="models.versions"
          noun="versions"
        />
        {current && selected ? (
          <>
            <h3 className="panel-title" style={{ marginTop: 14 }}>
              Actions on v{selected.version}
            </h3>
            <VersionActions key={`${current.name}/${selected.version}`} model={current} version={selected} pending={pending} setPending={setPending} />
          </>
        ) : null}
        {pending ? (
          <div className="confirm-bar" role="alertdialog" aria-label="Confirm registry action" data-testid="confirm-action" data-label={pending.label}>
            <span>{pending.what}</span>
            <button type="button" className={`btn btn-small ${pending.danger ? 'btn-danger' : 'btn-primary'}`} onClick={() => void confirm()} data-testid="confirm-yes">
              Confirm
            </button>
            <button type="button" className="btn btn-small btn-ghost" onClick={() => setPending(null)} data-testid="confirm-no">
              Cancel
            </button>
          </div>
        ) : null}
        <ActionResult />
      </Card>
    </div>
  );
}
