import { create } from 'zustand';
import { call, type Output } from '../api/client';
import { idle, remoteLoader, type Remote } from './async';

export type SystemInfo = Output<'system.info'>;
export type SystemHealth = Output<'system.health'>;
export type DataSummaryView = Output<'data.summary'>;

interface SystemState {
  info: Remote<SystemInfo>;
  health: Remote<SystemHealth>;
  summary: Remote<DataSummaryView>;
  refreshInfo(): Promise<void>;
  refreshHealth(): Promise<void>;
  refreshSummary(): Promise<void>;
  refreshAll(): Promise<void>;
}

export const useSystemStore = create<SystemState>()((set, get) => {
  const loadInfo = remoteLoader(() => get().info, (info) => set({ info }));
  const loadHealth = remoteLoader(() => get().health, (health) => set({ health }));
  const loadSummary = remoteLoader(() => get().summary, (summary) => set({ summary }));
  return {
    info: idle(),
    health: idle(),
    summary: idle(),
    refreshInfo: () => loadInfo(() => call('system.info')),
    refreshHealth: () => loadHealth(() => call('system.health')),
    refreshSummary: () => loadSummary(() => call('data.summary')),
    refreshAll: async () => {
      await Promise.all([get().refreshInfo(), get().refreshHealth(), get().refreshSummary()]);
    },
  };
});
