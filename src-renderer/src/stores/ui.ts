import { create } from 'zustand';
import { goToHash, hashSegments } from '../lib/hashPath';

export const tabs = [
  { id: 'overview', label: 'Overview' },
  { id: 'features', label: 'Features' },
  { id: 'models', label: 'Models' },
  { id: 'streams', label: 'Streams' },
  { id: 'monitoring', label: 'Monitoring' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'settings', label: 'Settings' },
  { id: 'logs', label: 'Logs' },
] as const;

export type TabId = (typeof tabs)[number]['id'];
export type ThemeChoice = 'system' | 'light' | 'dark';

const isTabId = (s: string): s is TabId => tabs.some((t) => t.id === s);

/** The hash is the source of truth so deep links (#/jobs) and the back button work in a browser. */
export const tabFromHash = (hash: string): TabId => {
  const id = hashSegments(hash)[0]!;
  return isTabId(id) ? id : 'overview';
};

const THEME_KEY = 'taxi-mlops.theme';

function storedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

interface UiState {
  tab: TabId;
  theme: ThemeChoice;
  systemDark: boolean;
  setTheme(theme: ThemeChoice): void;
  /**
   * Bumped when the active profile changes (settings.changed): stores that cache data from the engines
   * watch it and reload, since the engines behind them were rebuilt on the new profile.
   */
  generation: number;
}

const darkQuery = (): MediaQueryList => window.matchMedia('(prefers-color-scheme: dark)');

export const useUiStore = create<UiState>()((set) => ({
  tab: tabFromHash(location.hash),
  theme: storedTheme(),
  systemDark: darkQuery().matches,
  generation: 0,
  setTheme: (theme) => {
    try {
      if (theme === 'system') localStorage.removeItem(THEME_KEY);
      else localStorage.setItem(THEME_KEY, theme);
    } catch {
      // Storage can be disabled; the choice then lasts for this session only.
    }
    set({ theme });
  },
}));

export const resolvedTheme = (s: Pick<UiState, 'theme' | 'systemDark'>): 'light' | 'dark' =>
  s.theme === 'system' ? (s.systemDark ? 'dark' : 'light') : s.theme;

export const bumpGeneration = (): void => useUiStore.setState((s) => ({ generation: s.generation + 1 }));

export const useResolvedTheme = (): 'light' | 'dark' => useUiStore(resolvedTheme);

export function goToTab(tab: TabId): void {
  goToHash(`#/${tab}`);
  useUiStore.setState({ tab });
}

/** Wires the hash, the OS colour scheme and the Ctrl/Cmd+1..8 shortcuts; returns the cleanup. */
export function watchUi(): () => void {
  const onHash = (): void => useUiStore.setState({ tab: tabFromHash(location.hash) });
  const media = darkQuery();
  const onScheme = (e: MediaQueryListEvent): void => useUiStore.setState({ systemDark: e.matches });
  const onKey = (e: KeyboardEvent): void => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return;
    const n = Number(e.key);
    const tab = Number.isInteger(n) && n >= 1 ? tabs[n - 1] : undefined;
    if (!tab) return;
    // Browsers bind Ctrl+1..8 to their own tabs; the console's tabs win while it has focus.
    e.preventDefault();
    goToTab(tab.id);
  };
  window.addEventListener('hashchange', onHash);
  media.addEventListener('change', onScheme);
  window.addEventListener('keydown', onKey);
  if (!location.hash) history.replaceState(null, '', `#/${useUiStore.getState().tab}`);
  return () => {
    window.removeEventListener('hashchange', onHash);
    media.removeEventListener('change', onScheme);
    window.removeEventListener('keydown', onKey);
  };
}
