/** The one place charts are drawn: owns the ECharts instance, follows the theme, resizes and disposes it. */
import { useEffect, useRef, useState } from 'react';
import type { ChartInstance, ChartOption } from './echarts';
import { useResolvedTheme } from '../stores/ui';

export type { ChartOption } from './echarts';

interface ChartProps {
  option: ChartOption;
  height?: number;
  testId?: string;
  ariaLabel: string;
}

function withAxisColors<A>(axis: A, text: string, line: string): A {
  if (!axis || Array.isArray(axis)) return axis;
  const a = axis as Record<string, unknown>;
  return {
    ...a,
    axisLabel: { color: text, ...(a.axisLabel as object | undefined) },
    axisLine: { lineStyle: { color: line } },
    splitLine: { lineStyle: { color: line } },
  } as A;
}

/** Colours follow the app theme; the chart's own background stays transparent so the card shows through. */
function themed(option: ChartOption, dark: boolean): ChartOption {
  const text = dark ? '#a9b4c4' : '#4b5768';
  const line = dark ? '#262f3d' : '#e2e7ee';
  return {
    backgroundColor: 'transparent',
    color: dark ? ['#5b9bff', '#3ccf91', '#f5b94a', '#f26d6d'] : ['#2563eb', '#16a34a', '#d97706', '#dc2626'],
    textStyle: { color: text, fontFamily: 'inherit' },
    ...option,
    xAxis: withAxisColors(option.xAxis, text, line),
    yAxis: withAxisColors(option.yAxis, text, line),
  };
}

export function Chart({ option, height = 220, testId, ariaLabel }: ChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const [chart, setChart] = useState<ChartInstance | null>(null);
  const dark = useResolvedTheme() === 'dark';

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    let instance: ChartInstance | null = null;
    let observer: ResizeObserver | null = null;
    let disposed = false;
    void import('./echarts').then(({ init }) => {
      // The component may have unmounted while the chunk was loading.
      if (disposed) return;
      const created = init(node);
      instance = created;
      observer = new ResizeObserver(() => created.resize());
      observer.observe(node);
      setChart(created);
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      instance?.dispose();
      setChart(null);
    };
  }, []);

  useEffect(() => {
    // notMerge: a new option replaces the old one, so series removed from the data disappear.
    chart?.setOption(themed(option, dark), { notMerge: true });
  }, [chart, option, dark]);

  return <div ref={el} className="chart" style={{ height }} data-testid={testId} data-ready={chart ? 'true' : 'false'} role="img" aria-label={ariaLabel} />;
}
