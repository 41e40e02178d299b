import { useMemo } from 'react';
import { Card } from '../../components/Card';
import { Chart, type ChartOption } from '../../components/Chart';
import { ErrorNotice } from '../../components/ErrorNotice';
import { KeyValues } from '../../components/KeyValues';
import { LoadingRow, Spinner } from '../../components/Spinner';
import { formatInt, formatTime } from '../../components/format';
import { useSystemStore, type DataSummaryView } from '../../stores/system';
import { Stat } from '../../components/Stat';

/** Start of a 'YYYY-MM' month, plus `offset` months, in UTC milliseconds. */
const monthStart = (month: string, offset = 0): number => Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1 + offset, 1);
const DAY_MS = 86_400_000;

/**
 * A time axis rather than one category per stored month: a store holding 2013–2016 and this year must
 * show the years between as a gap, not as two neighbouring bars, and its labels thin out by themselves.
 */
function monthsChartOption(months: DataSummaryView['months']): ChartOption {
  const compact = Intl.NumberFormat('en-US', { notation: 'compact' });
  return {
    // Animation replays on every refresh and makes screenshots and tests racy.
    animation: false,
    grid: { left: 8, right: 16, top: 12, bottom: 4, containLabel: true },
    tooltip: {
      trigger: 'axis',
      formatter: (params: unknown) => {
        const p = (Array.isArray(params) ? params[0] : params) as { value?: [number, number] } | undefined;
        // Bars sit mid-month, so the UTC month of the bar's time is its month.
        return p?.value ? `${new Date(p.value[0]).toISOString().slice(0, 7)}: ${formatInt(p.value[1])} trips` : '';
      },
    },
    // Each bar sits mid-month inside an axis spanning whole months, so the first and last are not cut.
    xAxis: {
      type: 'time',
      min: months.length ? monthStart(months[0]!.month) : undefined,
      max: months.length ? monthStart(months.at(-1)!.month, 1) : undefined,
      axisTick: { show: false },
      axisLabel: { hideOverlap: true, formatter: '{yyyy}-{MM}' },
    },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => compact.format(v) } },
    series: [{ type: 'bar', name: 'Trips', data: months.map((m) => [monthStart(m.month) + 15 * DAY_MS, m.rows] as [number, number]), barMinWidth: 2, barMaxWidth: 28 }],
  };
}

function DataFacts({ summary }: { summary: DataSummaryView }) {
  const option = useMemo(() => monthsChartOption(summary.months), [summary.months]);
  return (
    <>
      <div className="stats">
        <Stat label="trips" testId="data-trips">{formatInt(summary.trips)}</Stat>
        <Stat label="months">{summary.months.length}</Stat>
        <Stat label="rejected rows">{formatInt(summary.rejects.rows)}</Stat>
      </div>
      <KeyValues
        rows={[
          { key: 'First pickup', value: formatTime(summary.first_pickup), testId: 'data-first-pickup' },
          { key: 'Last pickup', value: formatTime(summary.last_pickup), testId: 'data-last-pickup' },
          { key: 'Sources', value: summary.sources.length ? summary.sources.map((s) => `${s.source} (${formatInt(s.rows)})`).join(', ') : '—' },
          { key: 'Store', value: <span className="path">{summary.store_path}</span> },
        ]}
      />
      {summary.months.length > 0 ? (
        <Chart option={option} height={200} testId="data-months-chart" ariaLabel="Trips per month" />
      ) : (
        <div className="empty" data-testid="data-empty">
          No trips yet. Import a CSV or generate synthetic trips with the forms beside (or <code>taxi-mlops import</code> from a terminal).
        </div>
      )}
    </>
  );
}

export function DataCard() {
  const summary = useSystemStore((s) => s.summary);
  const refresh = useSystemStore((s) => s.refreshSummary);
  return (
    <Card
      title="Trip store"
      testId="data-card"
      subtitle="Accepted trips by pickup month"
      actions={
        <>
          {summary.loading ? <Spinner label="Loading" /> : null}
          <button type="button" className="btn btn-small" onClick={() => void refresh()} disabled={summary.loading}>
            Refresh
          </button>
        </>
      }
    >
      {summary.error ? <ErrorNotice error={summary.error} testId="data-error" /> : null}
      {summary.data ? <DataFacts summary={summary.data} /> : !summary.error ? <LoadingRow label="Reading the trip store" /> : null}
    </Card>
  );
}
