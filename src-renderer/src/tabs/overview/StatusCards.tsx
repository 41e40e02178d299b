/**
 * "Is everything fine?": one row of headline cards — services, feature freshness, champion and its live
 * error, stream throughput and lag, open alerts — each linking to where the detail and the fix are.
 */
import { useEffect, type ReactNode } from 'react';
import type { ApiError } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import { LoadingRow } from '../../components/Spinner';
import { formatBytes, formatInt, formatLatency, formatNumber } from '../../components/format';
import { followAlerts, openAlerts, useMonitoringStore } from '../../stores/monitoring';
import { useSystemStore } from '../../stores/system';
import { ageLabel, freshnessLabel, freshnessOf } from '../features/freshness';
import { useOverviewStore } from './overviewStore';

const POLL_MS = 15_000;

function Headline({ title, testId, tone, status, href, children, error, loading }: {
  title: string;
  testId: string;
  tone: Tone;
  status: string;
  href?: string;
  children: ReactNode;
  error?: ApiError | null;
  loading?: boolean;
}) {
  return (
    <section className={`card ov-card ov-${tone}`} data-testid={testId} data-tone={tone} aria-label={title}>
      <header className="card-header">
        <h2 className="card-title">{href ? <a href={href}>{title}</a> : title}</h2>
        <StatusBadge status={status} tone={tone} testId={`${testId}-status`} />
      </header>
      <div className="card-body">
        {error ? <ErrorNotice error={error} testId={`${testId}-error`} /> : loading ? <LoadingRow label="Loading" /> : children}
      </div>
    </section>
  );
}

function ServicesHeadline() {
  const health = useSystemStore((s) => s.health);
  const last = useOverviewStore((s) => s.metrics.data?.samples.at(-1) ?? null);
  const d = health.data;
  const down = d?.services.filter((s) => s.status !== 'ok') ?? [];
  const tone: Tone = !d ? 'muted' : d.status === 'ok' ? 'ok' : d.status === 'degraded' ? 'warn' : 'bad';
  return (
    <Headline title="Services" testId="ov-services" tone={tone} status={d?.status ?? '…'} error={health.error} loading={!d && health.loading}>
      {d ? (
        <ul className="ov-list">
          {d.services.map((s) => (
            <li key={s.name} data-status={s.status}>
              <StatusBadge status={s.status} /> {s.name} <span className="muted">{formatLatency(s.latency_ms)}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {down.length ? <div className="muted">{down.map((s) => `${s.name}: ${s.detail ?? s.status}`).join('; ')}</div> : null}
      {last ? (
        <a className="muted" href="#/monitoring/system" data-testid="ov-process">
          Server CPU {Math.round(last.cpu_percent)}% · RSS {formatBytes(last.rss_bytes)}
          {last.event_loop_p99_ms !== null ? ` · event loop p99 ${formatLatency(last.event_loop_p99_ms)}` : ''}
        </a>
      ) : null}
    </Headline>
  );
}

function FreshnessHeadline() {
  const stats = useOverviewStore((s) => s.freshness);
  const now = Date.now();
  const views = (stats.data ?? []).map((v) => ({ v, f: freshnessOf(v, now) }));
  const stale = views.filter((x) => x.f.state !== 'fresh');
  const tone: Tone = !stats.data ? 'muted' : views.length === 0 ? 'muted' : stale.length === 0 ? 'ok' : 'warn';
  return (
    <Headline
      title="Feature freshness"
      testId="ov-freshness"
      href="#/features"
      tone={tone}
      status={!stats.data ? '…' : stale.length ? `${stale.length} not fresh` : 'fresh'}
      error={stats.error}
      loading={!stats.data && stats.loading}
    >
      {views.length ? (
        <ul className="ov-list">
          {views.map(({ v, f }) => (
            <li key={v.view} data-testid="ov-freshness-view" data-view={v.view} data-state={f.state} title={f.reasons.join(' ')}>
              <StatusBadge status={freshnessLabel(f.state)} tone={f.tone} /> <code>{v.view}</code> <span className="muted">{ageLabel(f.ageSeconds)}</span>
            </li>
          ))}
        </ul>
      ) : (
        <div className="empty">No feature views with data. Import trips, then run Transform and Materialize in the Features tab.</div>
      )}
    </Headline>
  );
}

function ChampionHeadline() {
  const serving = useOverviewStore((s) => s.serving);
  const perf = useOverviewStore((s) => s.performance);
  const d = serving.data;
  const champion = d?.champion;
  const latest = perf.data?.windows.filter((w) => w.count > 0).at(-1) ?? null;
  const drift = perf.data?.model_drift.detected ?? false;
  const tone: Tone = !d ? 'muted' : !champion?.version ? 'warn' : drift ? 'bad' : 'ok';
  return (
    <Headline
      title="Champion model"
      testId="ov-champion"
      href="#/models/overview"
      tone={tone}
      status={!d ? '…' : !champion?.version ? 'none' : drift ? 'model drift' : 'serving'}
      error={serving.error}
      loading={!d && serving.loading}
    >
      {d && champion?.version ? (
        <>
          <div className="ov-big" data-testid="ov-champion-version">
            {d.model} v{champion.version} <span className="muted">{champion.algorithm ?? ''}</span>
          </div>
          <div>
            Evaluation RMSE <strong>{formatNumber(champion.rmse)}</strong>
            {' · '}
            {latest ? (
              <span data-testid="ov-champion-live">
                live RMSE <strong>{formatNumber(latest.rmse)}</strong> over {formatInt(latest.count)} predictions
              </span>
            ) : (
              <span className="muted" data-testid="ov-champion-live">no live errors yet (run the stream processor)</span>
            )}
          </div>
          {d.challenger.version ? (
            <div className="muted">
              Challenger v{d.challenger.version} gets {Math.round(d.challenger_share * 100)}% of traffic
            </div>
          ) : null}
          {perf.error ? <div className="muted">Live error unavailable: {perf.error.code}</div> : null}
        </>
      ) : d ? (
        <div className="empty">No champion alias. Train a model in Models › Train and set it as champion.</div>
      ) : null}
    </Headline>
  );
}

function StreamHeadline() {
  const proc = useOverviewStore((s) => s.processor);
  const groups = useOverviewStore((s) => s.groups);
  const p = proc.data;
  const totalLag = (groups.data?.groups ?? []).reduce((a, g) => a + g.lag, 0);
  const tone: Tone = !p ? 'muted' : p.state === 'running' ? (p.last_error ? 'warn' : 'ok') : p.state === 'retrying' ? 'warn' : 'muted';
  return (
    <Headline title="Stream" testId="ov-stream" href="#/streams" tone={tone} status={p?.state.replace('_', ' ') ?? '…'} error={proc.error} loading={!p && proc.loading}>
      {p ? (
        <>
          <div className="ov-big" data-testid="ov-stream-rate">
            {formatNumber(p.rate_per_s)} <span className="muted">msg/s</span>
          </div>
          <div>
            Processor lag <strong data-testid="ov-stream-lag">{p.lag === null ? '—' : formatInt(p.lag)}</strong> · {formatInt(p.predicted)} predicted · {formatInt(p.dead_lettered)} dead-lettered
          </div>
          <div className="muted">
            {groups.data ? `${groups.data.groups.length} consumer groups, total lag ${formatInt(totalLag)}` : groups.error ? `groups: ${groups.error.code}` : ''}
          </div>
          {p.state === 'never_run' ? <div className="muted">Start the processor in Streams › Processor to score trips live.</div> : null}
        </>
      ) : null}
    </Headline>
  );
}

function AlertsHeadline() {
  const alerts = useMonitoringStore((s) => s.alerts);
  const open = openAlerts(alerts.data);
  const unacked = open.filter((a) => !a.acknowledged_at);
  const critical = open.some((a) => a.severity === 'critical');
  const tone: Tone = !alerts.data ? 'muted' : open.length === 0 ? 'ok' : critical ? 'bad' : 'warn';
  return (
    <Headline title="Open alerts" testId="ov-alerts" href="#/monitoring/alerts" tone={tone} status={alerts.data ? String(open.length) : '…'} error={alerts.error} loading={!alerts.data && alerts.loading}>
      <div className="ov-big">
        <a href="#/monitoring/alerts" data-testid="ov-alerts-count" data-count={open.length}>
          {open.length} firing
        </a>
        {unacked.length !== open.length ? <span className="muted"> ({unacked.length} unacknowledged)</span> : null}
      </div>
      {open.length ? (
        <ul className="ov-list">
          {open.slice(0, 3).map((a) => (
            <li key={a.id}>
              <StatusBadge status={a.severity} tone={a.severity === 'critical' ? 'bad' : 'warn'} /> {a.message}
            </li>
          ))}
        </ul>
      ) : (
        <div className="muted">Nothing firing.</div>
      )}
    </Headline>
  );
}

export function StatusCards() {
  useEffect(() => {
    const ov = useOverviewStore.getState();
    // One round, all in parallel; health is refreshed by its own card.
    void ov.refresh();
    void useMonitoringStore.getState().refreshAlerts();
    const off = followAlerts();
    let n = 0;
    const timer = setInterval(() => {
      if (document.hidden) return;
      n++;
      void useOverviewStore.getState().refresh({ slow: n % 4 === 0 });
    }, POLL_MS);
    return () => {
      off();
      clearInterval(timer);
    };
  }, []);
  return (
    <div className="ov-grid" data-testid="ov-status">
      <ServicesHeadline />
      <FreshnessHeadline />
      <ChampionHeadline />
      <StreamHeadline />
      <AlertsHeadline />
    </div>
  );
}
