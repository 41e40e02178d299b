import { useEffect, useMemo, useRef, useState } from 'react';
import { call, toApiError, type ApiError, type Output } from '../../api/client';
import { Card } from '../../components/Card';
import { Chart, type ChartOption } from '../../components/Chart';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobProgress } from '../../components/JobProgress';
import { KeyValues } from '../../components/KeyValues';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import { formatInt, formatLatency, formatTime, formatUtc } from '../../components/format';
import { useJobsStore } from '../../stores/jobs';
import { Stat } from '../../components/Stat';

type ProcessorStatusView = Output<'streams.processor.status'>;

const POLL_MS = 2000;
const HISTORY = 150;

const toneOf = (s: string): Tone => (s === 'running' ? 'ok' : s === 'retrying' ? 'warn' : 'muted');

function throughputOption(points: { at: number; rate: number; lag: number | null }[]): ChartOption {
  return {
    animation: false,
    grid: { left: 8, right: 12, top: 34, bottom: 4, containLabel: true },
    legend: { top: 0, left: 0, itemWidth: 12, itemHeight: 8 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time', splitNumber: 3, axisLabel: { hideOverlap: true, formatter: '{HH}:{mm}:{ss}' } },
    yAxis: [
      { type: 'value', name: 'msg/s', nameTextStyle: { align: 'left' } },
      { type: 'value', name: 'lag', splitLine: { show: false } },
    ],
    series: [
      { type: 'line', name: 'messages/s', showSymbol: false, data: points.map((p) => [p.at, p.rate]) },
      { type: 'line', name: 'lag', yAxisIndex: 1, showSymbol: false, data: points.map((p) => [p.at, p.lag]) },
    ],
  };
}

/** The stream processor's state and throughput, polled while the tab is open, and a start button. */
export function ProcessorCard() {
  const [status, setStatus] = useState<ProcessorStatusView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [startError, setStartError] = useState<ApiError | null>(null);
  const [starting, setStarting] = useState(false);
  const [jobId, setJobId] = useState<string | null>(null);
  const [points, setPoints] = useState<{ at: number; rate: number; lag: number | null }[]>([]);
  const upsert = useJobsStore((s) => s.upsert);
  const alive = useRef(true);

  useEffect(() => {
    alive.current = true;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const poll = async (): Promise<void> => {
      try {
        const s = await call('streams.processor.status', {});
        if (!alive.current) return;
        setStatus(s);
        setError(null);
        setPoints((p) => [...p.slice(-(HISTORY - 1)), { at: Date.now(), rate: s.rate_per_s, lag: s.lag }]);
      } catch (err) {
        const e = toApiError(err);
        if (alive.current) setError(e);
      }
      if (alive.current) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      alive.current = false;
      if (timer) clearTimeout(timer);
    };
  }, []);

  const start = async (): Promise<void> => {
    setStarting(true);
    setStartError(null);
    try {
      const job = await call('streams.processor.start', {});
      upsert([job]);
      setJobId(job.id);
    } catch (err) {
      setStartError(toApiError(err));
    } finally {
      setStarting(false);
    }
  };

  const option = useMemo(() => throughputOption(points), [points]);
  const state = status ? status.state : 'unknown';
  const shownJob = jobId ?? (status?.running ? status.job_id : null);

  return (
    <Card
      title="Stream processor"
      subtitle={status ? `Group ${status.group} · raw trips → features → predictions` : 'Raw trips → features → predictions'}
      testId="processor-card"
      actions={
        <>
          <StatusBadge status={state} tone={toneOf(state)} testId="processor-state" />
          <button type="button" className="btn btn-small btn-primary" disabled={starting || status?.running === true || (error !== null && status === null)} onClick={() => void start()} data-testid="processor-start">
            {starting ? 'Starting…' : 'Start processor'}
          </button>
        </>
      }
    >
      {error ? <ErrorNotice error={error} testId="processor-error" /> : null}
      {startError ? <ErrorNotice error={startError} testId="processor-start-error" /> : null}
      {status ? (
        <>
          <div className="stats stats-4">
            <Stat label="messages / s (10 s)" testId="processor-rate">{status.rate_per_s.toFixed(1)}</Stat>
            <Stat label="processed" testId="processor-processed">{formatInt(status.processed)}</Stat>
            <Stat label="predicted">{formatInt(status.predicted)}</Stat>
            <Stat label="dead-lettered" warn={status.dead_lettered > 0}>{formatInt(status.dead_lettered)}</Stat>
          </div>
          <div className="processor-grid section-gap">
            <Chart option={option} height={170} ariaLabel="Processor throughput and lag" testId="processor-chart" />
            <KeyValues
              testId="processor-facts"
              rows={[
                { key: 'Lag', value: status.lag === null ? '—' : formatInt(status.lag), testId: 'processor-lag' },
                { key: 'Latency p50 / p99', value: `${formatLatency(status.p50_ms)} / ${formatLatency(status.p99_ms)}` },
                { key: 'Trips', value: `${formatInt(status.trips)} (${formatInt(status.duplicates)} duplicates, ${formatInt(status.late)} late)` },
                { key: 'Retries', value: status.retries > 0 ? <span className="text-warn">{status.retries}</span> : '0' },
                { key: 'Bus / online store', value: `${status.bus ?? '—'} / ${status.online_store ?? '—'}` },
                { key: 'Watermark (event time)', value: formatUtc(status.watermark) },
                { key: 'Started', value: formatTime(status.started_at) },
                ...(status.skip_reason ? [{ key: 'Predictions skipped', value: status.skip_reason }] : []),
                ...(status.last_error ? [{ key: 'Last error', value: <span className="text-bad">{status.last_error}</span> }] : []),
              ]}
            />
          </div>
        </>
      ) : null}
      {shownJob ? <JobProgress jobId={shownJob} testId="processor-job" /> : null}
    </Card>
  );
}
