/** A feature's distribution: a histogram for numbers, the most frequent values for strings. */
import { useMemo, useState } from 'react';
import { Chart, type ChartOption } from '../../components/Chart';
import { KeyValues } from '../../components/KeyValues';
import { formatInt, formatNumber } from '../../components/format';
import type { FeatureStats } from '../../stores/features';

type Bin = NonNullable<FeatureStats['histogram']>[number];
type Top = NonNullable<FeatureStats['top']>[number];

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const axisCount = (v: number): string => compact.format(v);

/** Integer bins one unit wide are single values (an hour, a weekday): label them as such. */
function binLabel(b: Bin, dtype: FeatureStats['dtype']): string {
  if (dtype === 'int' && b.hi - b.lo <= 1) return formatNumber(b.lo);
  return `${formatNumber(b.lo)}–${formatNumber(b.hi)}`;
}

function histogramOption(f: FeatureStats, bins: Bin[], log: boolean): ChartOption {
  const total = bins.reduce((n, b) => n + b.count, 0) || 1;
  return {
    // Animation replays on every refresh and makes screenshots and tests racy.
    animation: false,
    grid: { left: 8, right: 12, top: 14, bottom: 4, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params: unknown) => {
        const p = (Array.isArray(params) ? params[0] : params) as { dataIndex: number } | undefined;
        const b = p ? bins[p.dataIndex] : undefined;
        if (!b) return '';
        return `${f.feature} in [${formatNumber(b.lo)}, ${formatNumber(b.hi)})<br/><b>${formatInt(b.count)}</b> rows (${((b.count / total) * 100).toFixed(1)}%)`;
      },
    },
    xAxis: { type: 'category', data: bins.map((b) => binLabel(b, f.dtype)), axisTick: { alignWithLabel: true }, axisLabel: { hideOverlap: true } },
    // A log axis cannot place zero; an empty bin simply has no bar there.
    yAxis: log ? { type: 'log', min: 1, axisLabel: { formatter: axisCount } } : { type: 'value', axisLabel: { formatter: axisCount } },
    series: [{ type: 'bar', name: 'Rows', data: bins.map((b) => (log && b.count === 0 ? null : b.count)), barCategoryGap: '6%' }],
  };
}

function topOption(top: Top[]): ChartOption {
  return {
    animation: false,
    grid: { left: 8, right: 24, top: 8, bottom: 4, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => (typeof v === 'number' ? formatInt(v) : String(v)) },
    xAxis: { type: 'value', axisLabel: { formatter: axisCount } },
    // Most frequent first, top to bottom.
    yAxis: { type: 'category', inverse: true, data: top.map((t) => t.value), axisTick: { show: false }, axisLabel: { width: 160, overflow: 'truncate' } },
    series: [{ type: 'bar', name: 'Rows', data: top.map((t) => t.count), barMaxWidth: 18 }],
  };
}

function Facts({ f }: { f: FeatureStats }) {
  const q = f.quantiles;
  const rows = [
    { key: 'Values', value: `${formatInt(f.count)} of ${formatInt(f.count + f.nulls)}` },
    { key: 'Nulls', value: `${formatInt(f.nulls)} (${(f.null_fraction * 100).toFixed(1)}%)` },
    { key: 'Distinct', value: formatInt(f.distinct) },
  ];
  if (f.mean !== null) {
    rows.push({ key: 'Mean ± std', value: `${formatNumber(f.mean)} ± ${formatNumber(f.std)}` });
    rows.push({ key: 'Min / max', value: `${formatNumber(f.min)} / ${formatNumber(f.max)}` });
  }
  if (q) {
    rows.push({ key: 'p5 / p25', value: `${formatNumber(q.p5)} / ${formatNumber(q.p25)}` });
    rows.push({ key: 'Median', value: formatNumber(q.p50) });
    rows.push({ key: 'p75 / p95', value: `${formatNumber(q.p75)} / ${formatNumber(q.p95)}` });
  }
  return <KeyValues rows={rows} testId="feature-facts" />;
}

export function FeatureChart({ f, viewRows }: { f: FeatureStats; viewRows: number }) {
  // Trip data is long-tailed (a 500-mile trip beside thousands of short ones); a log axis shows the tail.
  const [log, setLog] = useState(false);
  const bins = f.histogram && f.histogram.length > 0 ? f.histogram : null;
  const top = !bins && f.top && f.top.length > 0 ? f.top : null;
  const option = useMemo(() => (bins ? histogramOption(f, bins, log) : top ? topOption(top) : null), [f, bins, top, log]);
  const what = bins ? 'Histogram' : top ? `Top ${top.length} values` : 'Distribution';
  return (
    <div className="feature-panel" data-testid="feature-panel" data-feature={f.feature}>
      <div className="feature-panel-chart">
        <div className="panel-title">
          {what} of <code>{f.feature}</code>
          <span className="muted"> · {f.dtype}</span>
          {bins ? (
            <label className="check small panel-toggle">
              <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} data-testid="histogram-log" /> log scale
            </label>
          ) : null}
        </div>
        {option ? (
          <Chart
            option={option}
            height={top ? Math.max(160, top.length * 24 + 30) : 230}
            testId={bins ? 'feature-histogram' : 'feature-top'}
            ariaLabel={`${what} of ${f.feature}`}
          />
        ) : (
          <div className="empty" data-testid="feature-chart-empty">
            {viewRows === 0
              ? 'No feature rows yet — run Transform to compute this feature.'
              : `All ${formatInt(f.nulls)} values are null: the source has nothing for this feature in the transformed range.`}
          </div>
        )}
      </div>
      <div className="feature-panel-facts">
        <div className="panel-title">Statistics</div>
        <Facts f={f} />
      </div>
    </div>
  );
}
