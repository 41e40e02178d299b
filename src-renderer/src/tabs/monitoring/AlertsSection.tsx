/** Alerts: firing first (acknowledge), resolved, the event history and the configured rules; evaluate now as a job. */
import { useEffect, useMemo } from 'react';
import { call } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobProgress } from '../../components/JobProgress';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import { formatNumber, formatTime } from '../../components/format';
import { useMonitoringStore, type AlertView, type AlertsView } from '../../stores/monitoring';
import { useJobRun } from './hooks';

const severityTone: Record<string, Tone> = { critical: 'bad', warning: 'warn', info: 'info' };

function AckButton({ alert }: { alert: AlertView }) {
  const acking = useMonitoringStore((s) => s.acking[alert.id] === true);
  const acknowledge = useMonitoringStore((s) => s.acknowledge);
  if (alert.acknowledged_at)
    return (
      <span className="muted" title={`Acknowledged ${formatTime(alert.acknowledged_at)} by ${alert.acknowledged_by ?? '?'}`}>
        ✓ acked by {alert.acknowledged_by ?? '?'}
      </span>
    );
  if (alert.state !== 'firing') return null;
  return (
    <button type="button" className="btn btn-small" disabled={acking} onClick={() => void acknowledge(alert.id)} data-testid="alert-ack">
      {acking ? 'Acknowledging…' : 'Acknowledge'}
    </button>
  );
}

const alertColumns: Column<AlertView>[] = [
  { key: 'state', header: 'State', width: 100, render: (a) => <StatusBadge status={a.state} tone={a.state === 'firing' ? 'bad' : 'ok'} testId="alert-state" /> },
  { key: 'severity', header: 'Severity', width: 100, render: (a) => <StatusBadge status={a.severity} tone={severityTone[a.severity]} /> },
  { key: 'rule', header: 'Rule', width: 170, render: (a) => <code>{a.rule}</code> },
  { key: 'message', header: 'Message' },
  { key: 'value', header: 'Value', width: 90, align: 'right', render: (a) => formatNumber(a.value) },
  { key: 'fired_at', header: 'Fired', width: 160, render: (a) => formatTime(a.fired_at) },
  { key: 'resolved_at', header: 'Resolved', width: 160, render: (a) => (a.resolved_at ? formatTime(a.resolved_at) : '—'), hidden: true },
  { key: 'ack', header: '', width: 190, sortable: false, filterable: false, value: (a) => a.acknowledged_at ?? '', render: (a) => <AckButton alert={a} /> },
];

type HistoryRow = AlertsView['history'][number];
const historyColumns: Column<HistoryRow>[] = [
  { key: 'at', header: 'When', width: 170, render: (h) => formatTime(h.at) },
  { key: 'event', header: 'Event', width: 120 },
  { key: 'rule', header: 'Rule', render: (h) => <code>{h.rule}</code> },
  { key: 'alert_id', header: 'Alert', width: 80, align: 'right' },
  { key: 'value', header: 'Value', width: 90, align: 'right', render: (h) => formatNumber(h.value) },
];

type RuleRow = AlertsView['rules'][number];
const ruleColumns: Column<RuleRow>[] = [
  { key: 'name', header: 'Rule', width: 170, render: (r) => <code>{r.name}</code> },
  { key: 'condition', header: 'Condition', width: 240, value: (r) => `${r.metric} ${r.comparison} ${r.threshold}`, render: (r) => <code>{`${r.metric} ${r.comparison} ${r.threshold}`}</code> },
  { key: 'window', header: 'Window', width: 80, value: (r) => String(r.window) },
  { key: 'severity', header: 'Severity', width: 100 },
  { key: 'description', header: 'Description' },
];

export function AlertsSection({ selected }: { selected: string | null }) {
  const alerts = useMonitoringStore((s) => s.alerts);
  const ackError = useMonitoringStore((s) => s.ackError);
  const refresh = useMonitoringStore((s) => s.refreshAlerts);
  const evaluate = useJobRun(() => void refresh());
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const d = alerts.data;
  const firing = useMemo(() => d?.alerts.filter((a) => a.state === 'firing') ?? [], [d]);
  const resolved = useMemo(() => d?.alerts.filter((a) => a.state === 'resolved') ?? [], [d]);

  return (
    <div className="mon-section" data-testid="mon-alerts">
      <Card
        title="Firing alerts"
        subtitle="Live: fired and resolved alerts arrive as they happen"
        testId="alerts-firing-card"
        actions={
          <button type="button" className="btn btn-small btn-primary" disabled={evaluate.starting} onClick={() => void evaluate.start(() => call('monitoring.alerts.evaluate', {}))} data-testid="alerts-evaluate">
            Evaluate now
          </button>
        }
      >
        {evaluate.error ? <ErrorNotice error={evaluate.error} testId="alerts-evaluate-error" /> : null}
        {evaluate.job ? <JobProgress jobId={evaluate.job.id} testId="alerts-evaluate-job" /> : null}
        {ackError ? <ErrorNotice error={ackError} testId="alerts-ack-error" /> : null}
        <DataTable
          testId="alerts-firing"
          rows={firing}
          columns={alertColumns}
          rowKey={(a) => String(a.id)}
          selectedKey={selected}
          loading={alerts.loading && !d}
          error={alerts.error}
          onRetry={() => void refresh()}
          rowHeight={38}
          noun="firing"
          empty={<>Nothing is firing. Rules are evaluated by the scheduler or with Evaluate now; a drift report with half its features drifted fires <code>data_drift</code>.</>}
        />
      </Card>
      <div className="grid grid-even">
        <Card title="Resolved" testId="alerts-resolved-card">
          <DataTable testId="alerts-resolved" rows={resolved} columns={alertColumns} rowKey={(a) => String(a.id)} maxHeight={300} noun="resolved" empty={<>No resolved alerts yet.</>} />
        </Card>
        <Card title="History" subtitle="Fired, resolved and acknowledged events" testId="alerts-history-card">
          <DataTable testId="alerts-history" rows={d?.history ?? []} columns={historyColumns} rowKey={(h) => String(h.id)} maxHeight={300} noun="events" empty={<>No alert events yet.</>} />
        </Card>
      </div>
      <Card title="Rules" subtitle="From the monitoring section of config.yaml" testId="alerts-rules-card">
        <DataTable testId="alerts-rules" rows={d?.rules ?? []} columns={ruleColumns} rowKey={(r) => r.name} filter={false} noun="rules" empty={<>No rules configured (monitoring.alerts.rules in config.yaml).</>} />
      </Card>
    </div>
  );
}
