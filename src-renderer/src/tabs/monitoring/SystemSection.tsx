/** System: per-method latency table and p99 series, CPU / memory / event loop, disk per store, service health. */
import { useEffect, useMemo, useState } from 'react';
import { Card } from '../../components/Card';
import { Chart } from '../../components/Chart';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { LoadingRow } from '../../components/Spinner';
import { formatBytes, formatLatency, formatTime } from '../../components/format';
import { useMonitoringStore, type SystemMetrics } from '../../stores/monitoring';
import { barOption, timeSeriesOption } from './charts';

const POLL_MS = 5000;
type MethodRow = SystemMetrics['methods'][number];

const ms = (v: number | null): string => (v === null ? '—' : formatLatency(v));
const methodColumns: Column<MethodRow>[] = [
  { key: 'method', header: 'Method', minWidth: 240, render: (m) => <code title={m.method}>{m.method}</code> },
  { key: 'calls', header: 'Calls', width: 80, align: 'right' },
  { key: 'calls_per_s', header: 'Calls/s', width: 80, align: 'right', render: (m) => m.calls_per_s.toFixed(2) },
  { key: 'error_rate', header: 'Errors', width: 80, align: 'right', render: (m) => (m.error_rate === null ? '—' : `${(m.error_rate * 100).toFixed(1)}%`) },
  { key: 'p50', header: 'p50', width: 90, align: 'right', render: (m) => ms(m.p50) },
  { key: 'p95', header: 'p95', width: 90, align: 'right', render: (m) => ms(m.p95) },
  { key: 'p99', header: 'p99', width: 90, align: 'right', render: (m) => ms(m.p99) },
  { key: 'max', header: 'Max', width: 90, align: 'right', render: (m) => ms(m.max), hidden: true },
  { key: 'total_calls', header: 'Total', width: 90, align: 'right', title: 'Calls since start' },
];

const MB = 1024 * 1024;

export function SystemSection() {
  const metrics = useMonitoringStore((s) => s.metrics);
  const refresh = useMonitoringStore((s) => s.refreshMetrics);
  const [windowS, setWindowS] = useState(60);
  useEffect(() => {
    void refresh(windowS);
    const t = setInterval(() => {
      if (!document.hidden) void refresh(windowS);
    }, POLL_MS);
    return () => clearInterval(t);
  }, [refresh, windowS]);
  const d = metrics.data;

  const charts = useMemo(() => {
    if (!d) return null;
    const s = d.samples;
    const busiest = [...d.methods].sort((a, b) => b.total_calls - a.total_calls).slice(0, 5).map((m) => m.method);
    return {
      p99: timeSeriesOption(
        [
          { name: 'all methods', points: s.map((x) => ({ at: x.at, value: x.p99_ms })) },
          ...busiest.map((m) => ({ name: m, points: s.map((x) => ({ at: x.at, value: x.methods[m]?.p99_ms ?? null })) })),
        ],
        { unit: ' ms', min: 0, minSpanMs: 5 * 60_000 },
      ),
      cpu: timeSeriesOption(
        [
          { name: 'CPU', points: s.map((x) => ({ at: x.at, value: x.cpu_percent })), area: true },
          { name: 'event loop p99 (ms)', points: s.map((x) => ({ at: x.at, value: x.event_loop_p99_ms })) },
        ],
        { format: (v) => String(Math.round(v * 10) / 10), min: 0, minSpanMs: 5 * 60_000 },
      ),
      memory: timeSeriesOption(
        [
          { name: 'RSS', points: s.map((x) => ({ at: x.at, value: x.rss_bytes / MB })) },
          { name: 'heap used', points: s.map((x) => ({ at: x.at, value: x.heap_used_bytes / MB })), area: true },
        ],
        { unit: ' MiB', format: (v) => `${Math.round(v)} MiB`, min: 0, minSpanMs: 5 * 60_000 },
      ),
      disk: d.disk ? barOption(d.disk.stores.map((x) => x.name), d.disk.stores.map((x) => x.bytes), { name: 'bytes', horizontal: true, format: formatBytes }) : null,
    };
  }, [d]);

  return (
    <div className="mon-section" data-testid="mon-system">
      {metrics.error ? <ErrorNotice error={metrics.error} testId="system-error" onRetry={() => void refresh(windowS)} /> : null}
      {!d && !metrics.error ? <LoadingRow label="Reading the system metrics" /> : null}
      {d && charts ? (
        <>
          <Card
            title="Contract methods"
            subtitle={`Latency, throughput and errors over the last ${d.window_s} s (recorded at dispatch, every transport)`}
            testId="system-methods-card"
            actions={
              <select value={windowS} onChange={(e) => setWindowS(Number(e.target.value))} aria-label="Window" data-testid="system-window">
                <option value={60}>1 min</option>
                <option value={300}>5 min</option>
                <option value={900}>15 min</option>
                <option value={3600}>1 h</option>
              </select>
            }
          >
            <div className="mon-section">
              <DataTable
                testId="system-methods"
                rows={d.methods}
                columns={methodColumns}
                rowKey={(m) => m.method}
                maxHeight={300}
                noun="methods"
                initialSort={{ key: 'calls', dir: 'desc' }}
                empty={<>No calls recorded yet.</>}
              />
              <div>
                <div className="mon-chart-title">p99 per sample interval ({d.interval_ms / 1000} s)</div>
                <Chart option={charts.p99} height={240} testId="system-p99-chart" ariaLabel="p99 latency over time" />
              </div>
            </div>
          </Card>
          <div className="grid grid-even">
            <Card title="CPU and event loop" subtitle={`Share of one core; event-loop delay p99 · ${d.samples.length} sample${d.samples.length === 1 ? '' : 's'} every ${d.interval_ms / 1000} s`} testId="system-cpu-card">
              <Chart option={charts.cpu} height={220} testId="system-cpu-chart" ariaLabel="CPU and event loop delay over time" />
            </Card>
            <Card title="Memory" subtitle={d.samples.length ? `RSS ${formatBytes(d.samples.at(-1)!.rss_bytes)}, heap ${formatBytes(d.samples.at(-1)!.heap_used_bytes)}` : ''} testId="system-memory-card">
              <Chart option={charts.memory} height={220} testId="system-memory-chart" ariaLabel="Memory over time" />
            </Card>
          </div>
          <div className="grid grid-even">
            <Card title="Disk per store" subtitle={d.disk ? `Measured ${formatTime(d.disk.at)}` : ''} testId="system-disk-card">
              {charts.disk ? <Chart option={charts.disk} height={240} testId="system-disk-chart" ariaLabel="Disk use per store" /> : null}
              {d.disk ? (
                <div className="muted" data-testid="system-disk-total">
                  Total {formatBytes(d.disk.stores.reduce((a, s) => a + s.bytes, 0))}
                  {d.disk.stores.some((s) => s.partial) ? ' (at least: a folder had too many files to count)' : ''}
                </div>
              ) : null}
            </Card>
            <Card title="Service health" subtitle={d.health ? `Checked ${formatTime(d.health.at)}` : ''} testId="system-health-card">
              <div className="table-wrap">
                <table className="table" data-testid="system-health">
                  <thead>
                    <tr>
                      <th>Service</th>
                      <th>Target</th>
                      <th>Status</th>
                      <th className="num">Latency</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(d.health?.services ?? []).map((s) => (
                      <tr key={s.name} data-status={s.status}>
                        <td className="strong">{s.name}</td>
                        <td className="path" title={s.target}>
                          {s.target}
                        </td>
                        <td>
                          <StatusBadge status={s.status} title={s.detail ?? undefined} />
                        </td>
                        <td className="num">{formatLatency(s.latency_ms)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
          </div>
        </>
      ) : null}
    </div>
  );
}
