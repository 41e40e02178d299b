/**
 * Monitoring state shared by the Monitoring tab and the Overview: alerts (kept live by the
 * `monitoring.alert` event), the latest drift reports, and the system metrics series (polled).
 */
import { create } from 'zustand';
import { call, on, toApiError, type ApiError, type Output } from '../api/client';
import { idle, remoteLoader, type Remote } from './async';

export type AlertsView = Output<'monitoring.alerts'>;
export type AlertView = AlertsView['alerts'][number];
export type ReportSummary = Output<'monitoring.reports'>['reports'][number];
export type DriftReport = Output<'monitoring.report'>;
export type SystemMetrics = Output<'system.metrics'>;

interface MonitoringState {
  alerts: Remote<AlertsView>;
  reports: Remote<{ reports: ReportSummary[] }>;
  metrics: Remote<SystemMetrics>;
  acking: Record<number, boolean>;
  ackError: ApiError | null;
  refreshAlerts(): Promise<void>;
  refreshReports(): Promise<void>;
  refreshMetrics(windowS?: number): Promise<void>;
  acknowledge(id: number): Promise<void>;
}

export const useMonitoringStore = create<MonitoringState>()((set, get) => {
  const loadAlerts = remoteLoader(() => get().alerts, (alerts) => set({ alerts }));
  const loadReports = remoteLoader(() => get().reports, (reports) => set({ reports }));
  const loadMetrics = remoteLoader(() => get().metrics, (metrics) => set({ metrics }));
  return {
    alerts: idle(),
    reports: idle(),
    metrics: idle(),
    acking: {},
    ackError: null,
    refreshAlerts: () => loadAlerts(() => call('monitoring.alerts', { limit: 200 })),
    refreshReports: () => loadReports(() => call('monitoring.reports', { limit: 100 })),
    refreshMetrics: (windowS = 60) => loadMetrics(() => call('system.metrics', { window_s: windowS })),
    acknowledge: async (id) => {
      set({ acking: { ...get().acking, [id]: true }, ackError: null });
      try {
        const updated = await call('monitoring.alerts.ack', { id, by: 'console' });
        const cur = get().alerts.data;
        if (cur) set({ alerts: { ...get().alerts, data: { ...cur, alerts: cur.alerts.map((a) => (a.id === id ? updated : a)) } } });
        void get().refreshAlerts();
      } catch (err) {
        set({ ackError: toApiError(err) });
      } finally {
        const { [id]: _, ...rest } = get().acking;
        set({ acking: rest });
      }
    },
  };
});

/** Open = firing (acknowledged or not): what the Overview counts. */
export const openAlerts = (v: AlertsView | null): AlertView[] => (v ? v.alerts.filter((a) => a.state === 'firing') : []);

/** Fired and resolved alerts arrive as events; the list is re-read so history and order stay the server's. */
export function followAlerts(): () => void {
  return on('monitoring.alert', (e) => {
    const cur = useMonitoringStore.getState().alerts.data;
    if (cur) {
      const others = cur.alerts.filter((a) => a.id !== e.alert.id);
      useMonitoringStore.setState({ alerts: { ...useMonitoringStore.getState().alerts, data: { ...cur, alerts: [e.alert, ...others] } } });
    }
    void useMonitoringStore.getState().refreshAlerts();
  });
}
