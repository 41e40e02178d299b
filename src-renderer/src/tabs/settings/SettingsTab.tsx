import { useEffect } from 'react';
import { Card } from '../../components/Card';
import { KeyValues } from '../../components/KeyValues';
import { useSettingsStore, watchSettings } from '../../stores/settings';
import { useSystemStore } from '../../stores/system';
import { useUiStore, type ThemeChoice } from '../../stores/ui';
import { LocalApiCard } from './LocalApiCard';
import { ProfileEditor } from './ProfileEditor';
import { ProfilesCard } from './ProfilesCard';
import './settings.css';

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
            { key: 'Profile', value: info.profile, testId: 'active-profile-name' },
            { key: 'Kind', value: info.profile_kind },
            { key: 'Workspace', value: <span className="path">{info.workspace}</span> },
            { key: 'Mode', value: info.mode },
          ]}
        />
      ) : (
        <span className="muted">—</span>
      )}
    </Card>
  );
}

export function SettingsTab() {
  useEffect(() => {
    void useSettingsStore.getState().refreshProfiles();
    return watchSettings();
  }, []);
  return (
    <div className="settings-tab" data-testid="settings-tab">
      <ProfilesCard />
      <ProfileEditor />
      <div className="grid grid-even settings-side">
        <ActiveProfileCard />
        <LocalApiCard />
        <AppearanceCard />
      </div>
    </div>
  );
}
