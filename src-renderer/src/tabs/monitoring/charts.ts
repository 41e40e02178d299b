/** ECharts options of the Monitoring tab; every chart has animation off (screenshots and tests stay steady). */
import type { ChartOption } from '../../components/Chart';
import type { DriftReport } from '../../stores/monitoring';

type Distribution = NonNullable<DriftReport['columns'][number]['distribution']>;

const compact = (v: number): string => (Math.abs(v) >= 1000 ? Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(v) : String(Number(v.toPrecision(3))));
const shares = (counts: number[]): number[] => {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
};
const pct = (v: unknown): string => (typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : String(v));

/** Reference and current as shares of their rows (sizes differ), overlaid on the same bins or categories. */
export function distributionOption(d: Distribution): ChartOption {
  const labels =
    d.kind === 'histogram'
      ? d.edges.slice(0, -1).map((lo, i) => `${compact(lo)}–${compact(d.edges[i + 1]!)}`)
      : [...d.categories, ...(d.other ? ['(other)'] : [])];
  const ref = d.kind === 'histogram' ? d.reference : [...d.reference, ...(d.other ? [d.other.reference] : [])];
  const cur = d.kind === 'histogram' ? d.current : [...d.current, ...(d.other ? [d.other.current] : [])];
  const overlaid = d.kind === 'histogram';
  return {
    animation: false,
    grid: { left: 8, right: 12, top: 30, bottom: 4, containLabel: true },
    legend: { top: 0, itemGap: 18 },
    tooltip: { trigger: 'axis', valueFormatter: pct },
    xAxis: { type: 'category', data: labels, axisLabel: { hideOverlap: true }, axisTick: { show: false } },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series: [
      { type: 'bar', name: 'Reference', data: shares(ref), barCategoryGap: overlaid ? '4%' : '30%', itemStyle: { opacity: overlaid ? 0.55 : 0.9 } },
      // Overlaid histograms: the current bars sit on the reference ones so shifts show as mismatched edges.
      { type: 'bar', name: 'Current', data: shares(cur), barGap: overlaid ? '-100%' : '10%', itemStyle: { opacity: overlaid ? 0.55 : 0.9 } },
    ],
  };
}

export function barOption(labels: string[], values: number[], opts: { name: string; errors?: number[]; horizontal?: boolean; format?: (v: number) => string }): ChartOption {
  const fmt = opts.format ?? ((v: number) => String(Number(v.toPrecision(4))));
  const category = { type: 'category' as const, data: labels, axisTick: { show: false }, inverse: opts.horizontal };
  const value = { type: 'value' as const, axisLabel: { formatter: (v: number) => fmt(v) } };
  return {
    animation: false,
    grid: { left: opts.horizontal ? 24 : 8, right: 24, top: 10, bottom: 4, containLabel: true },
    tooltip: { trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' ? fmt(v) : String(v)) },
    xAxis: opts.horizontal ? value : category,
    yAxis: opts.horizontal ? category : value,
    series: [{ type: 'bar', name: opts.name, data: values, barMaxWidth: 26 }],
  };
}

export interface LinePoint {
  at: string;
  value: number | null;
}

/** Where a baseline starts and ends (ms): the axis range when it is fixed, else the first and last sample. */
function baselineEnds(series: { points: LinePoint[] }[], range: { min?: number; max?: number }): number[] {
  const times = series.flatMap((x) => x.points.map((p) => Date.parse(p.at)));
  if (!times.length) return [];
  return [range.min ?? Math.min(...times), range.max ?? Math.max(...times)];
}

/** Time series sharing one time axis; `baseline` draws a dashed horizontal line. */
export function timeSeriesOption(
  series: { name: string; points: LinePoint[]; area?: boolean }[],
  opts: { unit?: string; format?: (v: number) => string; baseline?: { value: number; label: string } | null; min?: number; minSpanMs?: number } = {},
): ChartOption {
  const fmt = opts.format ?? ((v: number) => `${Number(v.toPrecision(4))}${opts.unit ?? ''}`);
  // A young series (one or two samples) would otherwise get an axis of days around one point.
  let range: { min?: number; max?: number } = {};
  if (opts.minSpanMs) {
    const times = series.flatMap((x) => x.points.map((p) => Date.parse(p.at)));
    if (times.length) {
      const last = Math.max(...times);
      const first = Math.min(...times);
      const min = Math.min(first, last - opts.minSpanMs);
      // A little room after the newest sample, so its marker is not cut in half by the plot's edge.
      range = { min, max: last + (last - min) * 0.02 };
    }
  }
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 30, bottom: 4, containLabel: true },
    legend: { top: 0, type: 'scroll', itemGap: 18 },
    tooltip: { trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' ? fmt(v) : '—') },
    xAxis: { type: 'time', ...range },
    yAxis: { type: 'value', min: opts.min, axisLabel: { formatter: (v: number) => fmt(v) } },
    series: [
      ...series.map((s) => ({
        type: 'line' as const,
        name: s.name,
        showSymbol: s.points.length < 40,
        connectNulls: false,
        areaStyle: s.area ? { opacity: 0.12 } : undefined,
        data: s.points.map((p) => [p.at, p.value] as [string, number | null]),
      })),
      ...(opts.baseline
        ? [
            {
              type: 'line' as const,
              name: opts.baseline.label,
              symbol: 'none',
              lineStyle: { type: 'dashed' as const },
              // Across the whole axis: a single window would otherwise give a line of zero length.
              data: baselineEnds(series, range).map((at) => [at, opts.baseline!.value] as [number, number]),
            },
          ]
        : []),
    ],
  };
}

/** A correlation matrix as a heatmap, −1 … 1, with each cell's value written in it. */
export function heatmapOption(columns: string[], matrix: (number | null)[][]): ChartOption {
  const data: [number, number, number | '-'][] = [];
  for (let i = 0; i < columns.length; i++) for (let j = 0; j < columns.length; j++) data.push([j, i, matrix[i]?.[j] ?? '-']);
  return {
    animation: false,
    grid: { left: 8, right: 8, top: 8, bottom: 60, containLabel: true },
    tooltip: { formatter: (p: unknown) => {
      const v = (p as { value: [number, number, number | '-'] }).value;
      return `${columns[v[1]]} × ${columns[v[0]]}: ${typeof v[2] === 'number' ? v[2].toFixed(3) : '—'}`;
    } },
    xAxis: { type: 'category', data: columns, axisLabel: { rotate: 40, interval: 0 }, splitArea: { show: true } },
    yAxis: { type: 'category', data: columns, axisLabel: { interval: 0 }, splitArea: { show: true } },
    visualMap: { min: -1, max: 1, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 160, inRange: { color: ['#2563eb', '#f5f7fa', '#dc2626'] } },
    series: [{ type: 'heatmap', data, label: { show: columns.length <= 14, formatter: (p: unknown) => { const v = (p as { value: [number, number, number | '-'] }).value[2]; return typeof v === 'number' ? v.toFixed(2) : ''; }, fontSize: 10 } }],
  };
}
