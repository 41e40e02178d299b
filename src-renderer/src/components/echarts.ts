/**
 * Only the chart types and components the console uses are registered (echarts/core), which keeps ECharts
 * at a fraction of its full size. SVG rendering keeps text crisp at any zoom and lets tests query the DOM.
 * Loaded on demand by Chart.tsx so the shell paints before this chunk is parsed.
 */
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, ParallelChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, ParallelComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import type { ComposeOption } from 'echarts/core';
import type { BarSeriesOption, HeatmapSeriesOption, LineSeriesOption, ScatterSeriesOption } from 'echarts/charts';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption, VisualMapComponentOption } from 'echarts/components';

echarts.use([BarChart, HeatmapChart, LineChart, ParallelChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, ParallelComponent, VisualMapComponent, SVGRenderer]);

/**
 * Parallel coordinates are registered but left out of ChartOption: composing their types collapses the
 * axis options to an index signature (an ECharts typing quirk), so callers build that option untyped.
 */
export type ChartOption = ComposeOption<
  BarSeriesOption | HeatmapSeriesOption | LineSeriesOption | ScatterSeriesOption | GridComponentOption | TooltipComponentOption | LegendComponentOption | VisualMapComponentOption
>;

export const init = (el: HTMLElement): echarts.ECharts => echarts.init(el, undefined, { renderer: 'svg' });
export type ChartInstance = echarts.ECharts;
