import { Card } from '../../components/Card';
import { KeyValues } from '../../components/KeyValues';
import { Placeholder } from '../../components/Placeholder';
import { useSystemStore } from '../../stores/system';
import { useUiStore, type ThemeChoice } from '../../stores/ui';

const themes: ThemeChoice[] = ['system', 'light', 'dark'];

function AppearanceCard() {
  const theme = useUiStore((s) => s.theme);
  const setTheme = useUiStore((s) => s.setTheme);
  return (
    <Card title="Appearance" subtitle="Stored in this browser / window only">
      <div className="segmented" role="radiogroup" aria-label="Theme">
        {themes.map((t) => (
          <button key={t} type="button" role="radio" aria-checked={theme === t} className={theme === t ? 'active' : ''} onClick={() => setTheme(t)} data-testid={`theme-${t}`}>
            {t}
          </button>
        ))}
      </div>
    </Card>
  );
}

function ActiveProfileCard() {
  const info = useSystemStore((s) => s.info.data);
  return (
    <Card title="Active profile" testId="settings-profile">
      {info ? (
        <KeyValues
          rows={[
            { key: 'Profile', value: info.profile },
            { key: 'Kind', value: info.profile_kind },
            { key: 'Workspace', value: <span className="path">{info.workspace}</span> },
          ]}
        />
      ) : (
        <span className="muted">—</span>
      )}
    </Card>
  );
}

export function SettingsTab() {
  return (
    <Placeholder
      tab="settings"
      title="Settings and profiles"
      summary="Connection profiles choose the engines: embedded (SQLite, Parquet, local log) or cluster (Redis, Kafka, MLflow)."
      planned={[
        { name: 'Profiles', what: 'Create, edit, test and switch embedded and cluster profiles.' },
        { name: 'Secrets', what: 'Passwords and tokens kept by the OS keychain, never in config.yaml.' },
        { name: 'Workspace', what: 'Open another workspace and view the effective configuration.' },
      ]}
    >
      <div className="grid grid-even">
        <ActiveProfileCard />
        <AppearanceCard />
      </div>
    </Placeholder>
  );
}
