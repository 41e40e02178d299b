import { useEffect, type ComponentType, type KeyboardEvent } from 'react';
import { on } from './api/client';
import { StatusBadge } from './components/StatusBadge';
import { useConnectionStore, watchConnection } from './stores/connection';
import { followJobProgress, useJobsStore } from './stores/jobs';
import { useSystemStore } from './stores/system';
import { bumpGeneration, goToTab, tabs, useResolvedTheme, useUiStore, watchUi, type TabId } from './stores/ui';
import { FeaturesTab } from './tabs/features/FeaturesTab';
import { JobsTab } from './tabs/jobs/JobsTab';
import { LogsTab } from './tabs/logs/LogsTab';
import { ModelsTab } from './tabs/models/ModelsTab';
import { MonitoringTab } from './tabs/monitoring/MonitoringTab';
import { OverviewTab } from './tabs/overview/OverviewTab';
import { SettingsTab } from './tabs/settings/SettingsTab';
import { StreamsTab } from './tabs/streams/StreamsTab';

const screens: Record<TabId, ComponentType> = {
  overview: OverviewTab,
  features: FeaturesTab,
  models: ModelsTab,
  streams: StreamsTab,
  monitoring: MonitoringTab,
  jobs: JobsTab,
  settings: SettingsTab,
  logs: LogsTab,
};

const isMac = typeof navigator !== 'undefined' && /Mac/i.test(navigator.platform);

function BrandMark() {
  return (
    <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="7" />
      <path d="M8 19.5h16M10 19.5l1.6-5.2a2 2 0 0 1 1.9-1.4h5a2 2 0 0 1 1.9 1.4l1.6 5.2M9 19.5v3.5M23 19.5v3.5M14 10h4" />
    </svg>
  );
}

function ConnectionIndicator() {
  const state = useConnectionStore((s) => s.state);
  const transport = useConnectionStore((s) => s.transport);
  const title = transport === 'ipc' ? 'Desktop (IPC)' : 'Browser (HTTP + WebSocket)';
  return (
    <span className={`conn conn-${state}`} data-testid="connection-state" data-state={state} title={title}>
      <span className="conn-dot" aria-hidden="true" />
      {state}
    </span>
  );
}

function ThemeToggle() {
  const resolved = useResolvedTheme();
  const setTheme = useUiStore((s) => s.setTheme);
  const next = resolved === 'dark' ? 'light' : 'dark';
  return (
    <button type="button" className="btn btn-ghost btn-icon" onClick={() => setTheme(next)} title={`Switch to ${next} theme`} aria-label={`Switch to ${next} theme`} data-testid="theme-toggle">
      {resolved === 'dark' ? '☀' : '☾'}
    </button>
  );
}

function Header() {
  const info = useSystemStore((s) => s.info.data);
  const health = useSystemStore((s) => s.health.data);
  return (
    <header className="app-header">
      <div className="brand">
        <BrandMark />
        <div>
          <div className="brand-name">Chicago Taxi MLOps Console</div>
          <div className="brand-sub">{info ? `v${info.version} · ${info.mode}` : '\u00a0'}</div>
        </div>
      </div>
      <div className="header-status">
        {info ? (
          <span className="pill" data-testid="header-profile" title={info.workspace}>
            <span className="pill-label">profile</span> {info.profile} <span className="muted">({info.profile_kind})</span>
          </span>
        ) : null}
        {health ? (
          <button type="button" className="pill pill-button" onClick={() => goToTab('overview')} title="Overall service health">
            <span className="pill-label">health</span> <StatusBadge status={health.status} testId="header-health" />
          </button>
        ) : null}
        <ConnectionIndicator />
        <ThemeToggle />
      </div>
    </header>
  );
}

/** Arrow keys, Home and End move between tabs (WAI-ARIA tabs pattern, automatic activation). */
function onTabKey(e: KeyboardEvent<HTMLElement>, active: TabId): void {
  const at = tabs.findIndex((t) => t.id === active);
  const to =
    e.key === 'ArrowRight' ? (at + 1) % tabs.length
    : e.key === 'ArrowLeft' ? (at - 1 + tabs.length) % tabs.length
    : e.key === 'Home' ? 0
    : e.key === 'End' ? tabs.length - 1
    : -1;
  if (to < 0) return;
  e.preventDefault();
  const next = tabs[to]!;
  goToTab(next.id);
  e.currentTarget.querySelector<HTMLElement>(`[data-testid="tab-${next.id}"]`)?.focus();
}

function TabBar({ active }: { active: TabId }) {
  const mod = isMac ? '⌘' : 'Ctrl+';
  return (
    <nav className="tabbar" role="tablist" aria-label="Console sections" onKeyDown={(e) => onTabKey(e, active)}>
      {tabs.map((t, i) => (
        <a
          key={t.id}
          href={`#/${t.id}`}
          role="tab"
          tabIndex={t.id === active ? 0 : -1}
          aria-controls={`panel-${t.id}`}
          aria-selected={t.id === active}
          className={t.id === active ? 'tab active' : 'tab'}
          title={`${t.label} (${mod}${i + 1})`}
          data-testid={`tab-${t.id}`}
        >
          {t.label}
          <kbd>{i + 1}</kbd>
        </a>
      ))}
    </nav>
  );
}

function DisconnectedBanner() {
  const state = useConnectionStore((s) => s.state);
  if (state !== 'disconnected') return null;
  return (
    <div className="banner banner-bad" role="status" data-testid="disconnected-banner">
      Disconnected from the server — reconnecting. Live job progress resumes when the connection is back.
    </div>
  );
}

const HEADER_HEALTH_MS = 30_000;

/** Connects stores to the outside world once for the app's lifetime. */
function useAppWiring(): void {
  const reconnects = useConnectionStore((s) => s.reconnects);

  useEffect(() => {
    const offUi = watchUi();
    const offConn = watchConnection();
    // A profile switch rebuilt the engines: the header, health and every cached view are stale.
    const offProfile = on('settings.changed', (e) => {
      if (e.reason !== 'activated') return;
      void useSystemStore.getState().refreshInfo();
      void useSystemStore.getState().refreshHealth();
      void useSystemStore.getState().refreshSummary();
      void useJobsStore.getState().refresh();
      bumpGeneration();
    });
    const offJobs = followJobProgress((job) => {
      // A finished job may have changed what the stores hold, and health reports on their contents.
      if (job.status === 'succeeded') {
        void useSystemStore.getState().refreshSummary();
        void useSystemStore.getState().refreshHealth();
      }
    });
    return () => {
      offUi();
      offConn();
      offJobs();
      offProfile();
    };
  }, []);

  // The header's health pill is on every tab, so it is kept current from here, not only by the Overview's
  // own (faster) poll; a deep link to another tab would otherwise show no health at all.
  useEffect(() => {
    const refreshIfIdle = (): void => {
      const h = useSystemStore.getState().health;
      if (!h.loading && !document.hidden) void useSystemStore.getState().refreshHealth();
    };
    refreshIfIdle();
    const timer = setInterval(refreshIfIdle, HEADER_HEALTH_MS);
    return () => clearInterval(timer);
  }, []);

  // Also on every reconnect: events sent while the socket was down are gone, so re-read the state.
  useEffect(() => {
    void useSystemStore.getState().refreshInfo();
    void useJobsStore.getState().refresh();
    if (reconnects > 0) {
      void useSystemStore.getState().refreshHealth();
      void useSystemStore.getState().refreshSummary();
    }
  }, [reconnects]);
}

export function App() {
  useAppWiring();
  const tab = useUiStore((s) => s.tab);
  const theme = useResolvedTheme();
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const label = tabs.find((t) => t.id === tab)?.label ?? '';
  useEffect(() => {
    document.title = `${label} · Chicago Taxi MLOps Console`;
  }, [label]);

  const Screen = screens[tab];
  return (
    <div className="app" data-testid="app" data-tab={tab}>
      <Header />
      <TabBar active={tab} />
      <DisconnectedBanner />
      <main className="content" role="tabpanel" id={`panel-${tab}`} aria-label={label} data-testid={`panel-${tab}`}>
        <Screen />
      </main>
    </div>
  );
}
