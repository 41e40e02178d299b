/**
 * ECharts options for the Models tab: metric histories per run, parallel coordinates over params and
 * metrics, a scatter of two dimensions, per-hour error and per-version metrics. Animation is off: the
 * values are read, not watched, and screenshots must show the final picture.
 */
import type { ChartOption } from '../../components/Chart';
import { formatNumber } from '../../components/format';
import type { Comparison, Run } from '../../stores/models';
import { runLabel, valueOf, type Dimension } from './runs';

/**
 * Legend labels are measured in ECharts' default font but drawn in the app's (wider) one; the extra gap
 * keeps a long run name from running under the next entry's icon.
 */
const legend = { type: 'scroll' as const, top: 0, itemGap: 26 };

const axisText = (dark: boolean): string => (dark ? '#a9b4c4' : '#4b5768');
const axisLine = (dark: boolean): string => (dark ? '#262f3d' : '#e2e7ee');

/** Runs named the same (e.g. two "mlp" runs) get their id appended so legend entries stay distinct. */
export function seriesNames(runs: Run[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(runLabel(r), (counts.get(runLabel(r)) ?? 0) + 1);
  return new Map(runs.map((r) => [r.info.run_id, (counts.get(runLabel(r)) ?? 0) > 1 ? `${runLabel(r)} (${r.info.run_id.slice(0, 6)})` : runLabel(r)]));
}

export function historyOption(c: Comparison, key: string): ChartOption {
  const names = seriesNames(c.runs);
  return {
    animation: false,
    grid: { left: 56, right: 16, top: 36, bottom: 40 },
    tooltip: { trigger: 'axis' },
    legend,
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 26, minInterval: 1 },
    yAxis: { type: 'value', scale: true, name: key, nameTextStyle: { align: 'left' } },
    series: c.runs.map((run) => ({
      type: 'line' as const,
      name: names.get(run.info.run_id)!,
      showSymbol: false,
      data: (c.histories.find((h) => h.run_id === run.info.run_id && h.key === key)?.metrics ?? []).map((m) => [m.step, m.value]),
    })),
  };
}

export function parallelOption(c: Comparison, dims: Dimension[], dark: boolean): ChartOption {
  const names = seriesNames(c.runs);
  const text = axisText(dark);
  const line = axisLine(dark);
  // Untyped on purpose: see components/echarts.ts on the parallel typings.
  const option = {
    animation: false,
    tooltip: { trigger: 'item' },
    legend,
    parallel: { left: 60, right: 90, top: 72, bottom: 28 },
    parallelAxis: dims.map((d, dim) => {
      const categories = d.numeric ? null : [...new Set(c.runs.map((r) => String(valueOf(r, d) ?? '—')))].sort();
      return {
        dim,
        name: d.id,
        // Long names alternate in height instead of being cut to the axis spacing.
        nameGap: dim % 2 === 0 ? 10 : 26,
        nameTruncate: { maxWidth: 220 },
        nameTextStyle: { color: text },
        axisLabel: { color: text },
        axisLine: { lineStyle: { color: line } },
        ...(categories ? { type: 'category', data: categories } : { type: 'value', scale: true }),
      };
    }),
    series: c.runs.map((run) => ({
      type: 'parallel' as const,
      name: names.get(run.info.run_id)!,
      lineStyle: { width: 2, opacity: 0.85 },
      data: [dims.map((d) => (d.numeric ? valueOf(run, d) : String(valueOf(run, d) ?? '—')))] as (number | string)[][],
    })),
  };
  return option as unknown as ChartOption;
}

export function scatterOption(c: Comparison, x: Dimension, y: Dimension): ChartOption {
  const names = seriesNames(c.runs);
  const categories = x.numeric ? null : [...new Set(c.runs.map((r) => String(valueOf(r, x) ?? '—')))].sort();
  return {
    animation: false,
    grid: { left: 64, right: 24, top: 36, bottom: 44 },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const item = p as { seriesName: string; value: [number | string, number] };
        return `${item.seriesName}<br/>${x.id}: ${typeof item.value[0] === 'number' ? formatNumber(item.value[0]) : item.value[0]}<br/>${y.id}: ${formatNumber(item.value[1])}`;
      },
    },
    legend,
    xAxis: categories ? { type: 'category', data: categories, name: x.id, nameLocation: 'middle', nameGap: 28 } : { type: 'value', scale: true, name: x.id, nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', scale: true, name: y.id, nameTextStyle: { align: 'left' } },
    series: c.runs.map((run) => {
      const vx = valueOf(run, x);
      const vy = valueOf(run, y);
      return {
        type: 'scatter' as const,
        name: names.get(run.info.run_id)!,
        symbolSize: 14,
        data: vx === null || typeof vy !== 'number' ? [] : [[x.numeric ? vx : String(vx), vy]],
      };
    }),
  };
}

export function hourlyOption(rows: { name: string; values: (number | null)[] }[]): ChartOption {
  return {
    animation: false,
    grid: { left: 52, right: 16, top: 36, bottom: 40 },
    tooltip: { trigger: 'axis' },
    legend,
    xAxis: { type: 'category', data: Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')), name: 'pickup hour', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'value', name: 'RMSE', scale: true },
    series: rows.map((r) => ({ type: 'bar' as const, name: r.name, data: r.values })),
  };
}

export function versionMetricsOption(versions: { label: string; values: Record<string, number | null> }[], keys: string[]): ChartOption {
  return {
    animation: false,
    grid: { left: 52, right: 16, top: 36, bottom: 32 },
    tooltip: { trigger: 'axis' },
    legend,
    xAxis: { type: 'category', data: versions.map((v) => v.label) },
    yAxis: { type: 'value', scale: false },
    series: keys.map((k) => ({ type: 'bar' as const, name: k, data: versions.map((v) => v.values[k] ?? null) })),
  };
}
