/**
 * What the Settings tab shows and changes: connection profiles (with the status of their secrets, never
 * their values), per-profile connection tests, switching the active profile, and the desktop app's local
 * API switch. `settings.changed` from any client (another window, the CLI's server) refreshes the list.
 */
import { create } from 'zustand';
import { call, on, toApiError, type ApiError, type Input, type Output } from '../api/client';
import { idle, remoteLoader, type Remote } from './async';
import { useSystemStore } from './system';

export type ProfilesList = Output<'settings.profiles'>;
export type ProfileView = ProfilesList['profiles'][number];
export type ProfileTest = Output<'settings.profile.test'>;
export type LocalApi = Output<'settings.local_api'>;
export type SaveInput = Input<'settings.profile.save'>;

interface TestState {
  result: ProfileTest | null;
  running: boolean;
  error: ApiError | null;
  at: number | null;
}

interface SettingsState {
  profiles: Remote<ProfilesList>;
  /** The profile open in the editor; '' for a new one; null when the editor is closed. */
  editing: string | null;
  tests: Record<string, TestState>;
  activating: string | null;
  activateError: ApiError | null;
  lastSwitch: Output<'settings.profile.activate'> | null;
  localApi: Remote<LocalApi>;
  localApiBusy: boolean;
  localApiError: ApiError | null;
  refreshProfiles(): Promise<void>;
  edit(name: string | null): void;
  save(input: SaveInput): Promise<ApiError | null>;
  remove(name: string): Promise<ApiError | null>;
  test(name: string, draft?: SaveInput['profile']): Promise<void>;
  activate(name: string): Promise<void>;
  refreshLocalApi(): Promise<void>;
  setLocalApi(change: Input<'settings.local_api'>): Promise<void>;
}

export const useSettingsStore = create<SettingsState>()((set, get) => {
  const loadProfiles = remoteLoader(() => get().profiles, (profiles) => set({ profiles }));
  const loadLocalApi = remoteLoader(() => get().localApi, (localApi) => set({ localApi }));
  const setTest = (name: string, patch: Partial<TestState>): void =>
    set((s) => ({ tests: { ...s.tests, [name]: { ...(s.tests[name] ?? { result: null, running: false, error: null, at: null }), ...patch } } }));

  return {
    profiles: idle(),
    editing: null,
    tests: {},
    activating: null,
    activateError: null,
    lastSwitch: null,
    localApi: idle(),
    localApiBusy: false,
    localApiError: null,
    refreshProfiles: () => loadProfiles(() => call('settings.profiles')),
    edit: (editing) => set({ editing }),
    save: async (input) => {
      try {
        await call('settings.profile.save', input);
        await get().refreshProfiles();
        return null;
      } catch (err) {
        return toApiError(err);
      }
    },
    remove: async (name) => {
      try {
        await call('settings.profile.delete', { name });
        set((s) => ({ editing: s.editing === name ? null : s.editing }));
        await get().refreshProfiles();
        return null;
      } catch (err) {
        return toApiError(err);
      }
    },
    test: async (name, draft) => {
      setTest(name, { running: true, error: null });
      try {
        const result = await call('settings.profile.test', draft ? { profile: draft } : { name });
        setTest(name, { running: false, result, at: Date.now() });
      } catch (err) {
        setTest(name, { running: false, error: toApiError(err), result: null, at: Date.now() });
      }
    },
    activate: async (name) => {
      set({ activating: name, activateError: null });
      try {
        const lastSwitch = await call('settings.profile.activate', { name });
        set({ lastSwitch });
        await Promise.all([get().refreshProfiles(), useSystemStore.getState().refreshInfo(), useSystemStore.getState().refreshHealth()]);
      } catch (err) {
        set({ activateError: toApiError(err) });
      } finally {
        set({ activating: null });
      }
    },
    refreshLocalApi: () => loadLocalApi(() => call('settings.local_api', {})),
    setLocalApi: async (change) => {
      set({ localApiBusy: true, localApiError: null });
      try {
        const data = await call('settings.local_api', change);
        set({ localApi: { data, loading: false, error: null, updatedAt: Date.now() } });
      } catch (err) {
        set({ localApiError: toApiError(err) });
      } finally {
        set({ localApiBusy: false });
      }
    },
  };
});

/** Keeps the list and the header current when a profile changes anywhere (this window or another client). */
export function watchSettings(): () => void {
  return on('settings.changed', (e) => {
    void useSettingsStore.getState().refreshProfiles();
    if (e.reason === 'activated' || e.reason === 'saved') {
      void useSystemStore.getState().refreshInfo();
      void useSystemStore.getState().refreshHealth();
    }
    if (e.reason === 'local_api') void useSettingsStore.getState().refreshLocalApi();
  });
}
