/** The Monitoring tab's chart options, built without a browser: what the axes and the baseline cover. */
import { describe, expect, it } from 'vitest';
import { timeSeriesOption } from '../../src-renderer/src/tabs/monitoring/charts.js';

interface LineSeries {
  name: string;
  data: [number | string, number | null][];
}

const seriesOf = (opt: ReturnType<typeof timeSeriesOption>): LineSeries[] => opt.series as unknown as LineSeries[];
const at = (iso: string): number => Date.parse(iso);

describe('timeSeriesOption', () => {
  it('draws the baseline across the whole fixed axis, even for a single window', () => {
    const opt = timeSeriesOption([{ name: 'RMSE', points: [{ at: '2026-11-28T12:00:00.000Z', value: 6.5 }] }], {
      baseline: { value: 5.5, label: 'Baseline RMSE' },
      minSpanMs: 6 * 3_600_000,
    });
    // Six hours back from the window, and 2% of that (7 min 12 s) past it so its marker is not cut.
    const start = at('2026-11-28T06:00:00.000Z');
    const end = at('2026-11-28T12:07:12.000Z');
    const baseline = seriesOf(opt).find((s) => s.name === 'Baseline RMSE')!;
    expect(baseline.data).toEqual([
      [start, 5.5],
      [end, 5.5],
    ]);
    expect(opt.xAxis).toMatchObject({ type: 'time', min: start, max: end });
  });

  it('spans the samples when the axis is free, and draws no baseline without samples', () => {
    const points = [
      { at: '2026-11-28T10:00:00.000Z', value: 1 },
      { at: '2026-11-28T08:00:00.000Z', value: 2 },
    ];
    const baseline = seriesOf(timeSeriesOption([{ name: 'MAE', points }], { baseline: { value: 3, label: 'b' } })).find((s) => s.name === 'b')!;
    expect(baseline.data.map(([t]) => t)).toEqual([at('2026-11-28T08:00:00.000Z'), at('2026-11-28T10:00:00.000Z')]);
    const empty = seriesOf(timeSeriesOption([{ name: 'MAE', points: [] }], { baseline: { value: 3, label: 'b' } })).find((s) => s.name === 'b')!;
    expect(empty.data).toEqual([]);
  });
});
