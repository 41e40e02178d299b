import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { useSettingsStore, type ProfileView } from '../../stores/settings';
import { TestResults } from './TestResults';

function services(p: ProfileView): string {
  const o = p.profile.online_store;
  const b = p.profile.bus;
  const r = p.profile.registry;
  return [o.type === 'redis' ? `Redis ${o.connection_string}` : 'SQLite', b.type === 'kafka' ? `Kafka ${b.brokers.join(',')}` : 'local log', r.type === 'mlflow' ? `MLflow ${r.tracking_uri}` : 'SQLite registry'].join(' · ');
}

function SecretsCell({ p }: { p: ProfileView }) {
  if (p.secrets.length === 0) return <span className="muted">none</span>;
  return (
    <span className="secret-list">
      {p.secrets.map((s) => (
        <span key={s.name} className={`tag ${s.status === 'set' ? 'tag-ok' : 'tag-bad'}`} title={`${s.used_by}${s.source ? ` · from ${s.source}` : ''}`} data-testid="secret-status" data-secret={s.name} data-status={s.status}>
          {s.name}: {s.status === 'set' ? 'set' : 'not set'}
        </span>
      ))}
    </span>
  );
}

function Actions({ p }: { p: ProfileView }) {
  const test = useSettingsStore((s) => s.test);
  const activate = useSettingsStore((s) => s.activate);
  const edit = useSettingsStore((s) => s.edit);
  const testing = useSettingsStore((s) => s.tests[p.name]?.running ?? false);
  const activating = useSettingsStore((s) => s.activating);
  return (
    <span className="row-actions" onClick={(e) => e.stopPropagation()}>
      <button type="button" className="btn btn-small" onClick={() => void test(p.name)} disabled={testing} data-testid="profile-test-button">
        {testing ? 'Testing…' : 'Test'}
      </button>
      <button type="button" className="btn btn-small" onClick={() => edit(p.name)} data-testid="profile-edit-button">
        Edit
      </button>
      <button
        type="button"
        className="btn btn-small btn-primary"
        onClick={() => void activate(p.name)}
        disabled={p.active || activating !== null}
        title={p.active ? 'This profile is active' : 'Switch the engines to this profile (no restart)'}
        data-testid="profile-activate-button"
      >
        {activating === p.name ? 'Switching…' : 'Activate'}
      </button>
    </span>
  );
}

const columns: Column<ProfileView>[] = [
  {
    key: 'name',
    header: 'Profile',
    width: 170,
    render: (p) => (
      <span className="profile-name">
        <strong>{p.name}</strong> {p.active ? <StatusBadge status="active" tone="ok" testId="profile-active" /> : null}
      </span>
    ),
  },
  { key: 'kind', header: 'Kind', width: 100 },
  { key: 'services', header: 'Services', minWidth: 260, value: (p) => services(p), render: (p) => <span className="dt-text" title={services(p)}>{services(p)}</span> },
  { key: 'secrets', header: 'Secrets', width: 230, value: (p) => p.secrets.map((s) => `${s.name} ${s.status}`).join(' '), render: (p) => <SecretsCell p={p} /> },
  { key: 'actions', header: '', width: 230, sortable: false, filterable: false, render: (p) => <Actions p={p} /> },
];

export function ProfilesCard() {
  const profiles = useSettingsStore((s) => s.profiles);
  const refresh = useSettingsStore((s) => s.refreshProfiles);
  const edit = useSettingsStore((s) => s.edit);
  const editing = useSettingsStore((s) => s.editing);
  const activateError = useSettingsStore((s) => s.activateError);
  const lastSwitch = useSettingsStore((s) => s.lastSwitch);
  const tests = useSettingsStore((s) => s.tests);
  const rows = profiles.data?.profiles ?? [];
  const tested = rows.filter((p) => tests[p.name]);
  return (
    <Card
      title="Connection profiles"
      subtitle="Embedded runs everything on this machine; cluster connects to Redis, Kafka and MLflow. Switching rebuilds the engines without a restart."
      testId="profiles-card"
      actions={
        <button type="button" className="btn btn-small" onClick={() => edit('')} data-testid="profile-new-button">
          New profile
        </button>
      }
    >
      {activateError ? <ErrorNotice error={activateError} testId="activate-error" /> : null}
      {lastSwitch ? (
        <div className="notice notice-info" data-testid="switch-notice">
          Switched from <strong>{lastSwitch.previous}</strong> to <strong>{lastSwitch.active}</strong> in {lastSwitch.took_ms} ms
          {lastSwitch.running_jobs > 0 ? ` — ${lastSwitch.running_jobs} running job(s) finish on the profile they started with` : ''}.
        </div>
      ) : null}
      <DataTable
        testId="profiles"
        rows={rows}
        columns={columns}
        rowKey={(p) => p.name}
        rowTestId={(p) => `profile-row-${p.name}`}
        selectedKey={editing}
        onRowClick={(p) => edit(p.name)}
        rowHeight={40}
        filter={false}
        columnChooser={false}
        loading={profiles.loading && !profiles.data}
        error={profiles.error}
        onRetry={() => void refresh()}
        empty={<>No profiles in config.yaml — create one with “New profile”.</>}
        noun="profiles"
      />
      {tested.map((p) => (
        <div key={p.name} className="test-block">
          <div className="test-title">
            Connection test · <strong>{p.name}</strong>
          </div>
          <TestResults name={p.name} />
        </div>
      ))}
    </Card>
  );
}
