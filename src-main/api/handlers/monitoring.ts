import type { HandlersFor } from '../handler-types.js';
import type { monitoringMethods } from '../methods/monitoring.js';
import type { Services } from '../../platform/services.js';

// Engines load on first use, so starting the app does not load DuckDB.
const service = () => import('../../engines/monitoring/service.js');
const reports = () => import('../../engines/monitoring/reports.js');
const bus = async (s: Services) => (await import('../../engines/streams/index.js')).getBus(s);

export const monitoringHandlers: HandlersFor<keyof typeof monitoringMethods> = {
  'monitoring.drift': (i, s) => s.jobs.start('monitoring.drift', i),
  'monitoring.reports': async (i, s) => ({ reports: (await reports()).listDriftReports(s.workspace, i.limit) }),
  'monitoring.report': async (i, s) => (await reports()).readDriftReport(s.workspace, i.id),
  'monitoring.quality': async (i, s) => (await service()).qualityOf(s.workspace, i, 'stream_window_minutes' in i.source ? await bus(s) : undefined),
  'monitoring.correlation': async (i, s) => (await service()).correlationOf(s.workspace, i, 'stream_window_minutes' in i.source ? await bus(s) : undefined),
  'monitoring.importance': (i, s) => s.jobs.start('monitoring.importance', i),
  'monitoring.performance': async (i, s) => (await service()).performanceOf(s.workspace, i, i.source === 'stream' ? await bus(s) : undefined),
  'monitoring.ab': async (i, s) => (await service()).abOf(s.workspace, i, await bus(s)),
  'monitoring.alerts': async (i, s) => (await service()).alertsView(s.appDb, s.workspace, i),
  'monitoring.alerts.ack': async (i, s) => (await service()).acknowledgeAlert(s.appDb, i.id, i.by),
  'monitoring.alerts.evaluate': (i, s) => {
    const job = s.jobs.start('monitoring.alerts.evaluate', i);
    // The worker records and publishes to the topic; the console hears of changes when the job is done.
    void s.jobs
      .wait(job.id)
      .then((done) => {
        const result = done.result as { changes?: { alert: never; event: 'fired' | 'resolved' }[] } | null;
        for (const c of result?.changes ?? []) s.events.publish('monitoring.alert', c);
      })
      .catch((e: unknown) => s.log.app.warn({ job: job.id, err: (e as Error).message }, 'alert evaluation job failed'));
    return job;
  },
};
