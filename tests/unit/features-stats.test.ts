import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateInputSchema } from '../../src-main/api/contract.js';
import { runGenerate } from '../../src-main/engines/data/generator/index.js';
import { featureViewOf } from '../../src-main/engines/features/definitions.js';
import { listPartitions, viewRelationSql } from '../../src-main/engines/features/offline.js';
import { featureStats, featureStoreStats, type FeatureStats } from '../../src-main/engines/features/stats.js';
import { transformFeatures } from '../../src-main/engines/features/transform.js';
import { openEngineDb, queryRows, toNumber } from '../../src-main/platform/duckdb.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { tempWorkspace } from '../helpers/workspace.js';

async function viewRows(ws: Workspace, viewName: string): Promise<Record<string, unknown>[]> {
  const db = await openEngineDb(ws, { memoryLimit: '512MB' });
  try {
    return await queryRows(db.conn, `SELECT * FROM ${viewRelationSql(ws, featureViewOf(ws.config, viewName))}`);
  } finally {
    db.close();
  }
}

/** numpy's default (linear) quantile, computed here independently of DuckDB. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function expectNumericStats(s: FeatureStats, values: readonly (number | null)[]): void {
  const present = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const mean = present.reduce((a, b) => a + b, 0) / present.length;
  const std = Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / (present.length - 1));
  expect(s.count).toBe(present.length);
  expect(s.nulls).toBe(values.length - present.length);
  expect(s.min).toBe(present[0]);
  expect(s.max).toBe(present.at(-1));
  expect(s.mean).toBeCloseTo(mean, 8);
  expect(s.std).toBeCloseTo(std, 8);
  expect(s.quantiles!.p5).toBeCloseTo(quantile(present, 0.05), 8);
  expect(s.quantiles!.p50).toBeCloseTo(quantile(present, 0.5), 8);
  expect(s.quantiles!.p95).toBeCloseTo(quantile(present, 0.95), 8);
  expect(s.histogram!.reduce((a, b) => a + b.count, 0)).toBe(present.length);
  for (const bin of s.histogram!) {
    const last = bin === s.histogram!.at(-1);
    const inBin = present.filter((v) => v >= bin.lo && (v < bin.hi || (last && v <= bin.hi))).length;
    expect(bin.count, `bin [${bin.lo}, ${bin.hi})`).toBe(inBin);
  }
  expect(s.top).toBeNull();
}

describe('feature statistics', () => {
  let ws: Workspace;
  let cleanup: () => void;
  beforeAll(async () => {
    ({ workspace: ws, cleanup } = tempWorkspace('taxi-fs-'));
    const ctx = inlineContext(ws, silentLogger());
    await runGenerate(GenerateInputSchema.parse({ rows: 8_000, seed: 3, start: '2016-07-01', end: '2016-07-12' }), ctx);
    await transformFeatures({}, ctx);
  });
  afterAll(() => cleanup());

  it('match counts, nulls, moments, quantiles and histogram bins computed from the rows', async () => {
    const rows = await viewRows(ws, 'taxi_activity');
    const stats = await featureStats(ws, 'taxi_activity');
    expect(stats.rows).toBe(rows.length);
    for (const name of ['trips_24h', 'avg_fare_7d', 'tip_rate_7d']) {
      const s = stats.features.find((f) => f.feature === name)!;
      expectNumericStats(s, rows.map((r) => (r[name] === null ? null : toNumber(r[name]))));
    }
    // The first trip of each taxi has no completed fare before it, so the column has nulls to count.
    expect(stats.features.find((f) => f.feature === 'avg_fare_7d')!.nulls).toBeGreaterThan(0);
    expect(stats.features.find((f) => f.feature === 'avg_fare_7d')!.histogram).toHaveLength(20);
  });

  it('give small integer ranges one bin per value, and text its top categories', async () => {
    const rows = await viewRows(ws, 'trip_features');
    const stats = await featureStats(ws, 'trip_features', { features: ['pickup_hour', 'payment_type', 'company'] });
    expect(stats.features.map((f) => f.feature)).toEqual(['pickup_hour', 'payment_type', 'company']);
    const hour = stats.features[0]!;
    expectNumericStats(hour, rows.map((r) => r.pickup_hour as number));
    expect(hour.histogram!.map((b) => b.lo)).toEqual(Array.from({ length: hour.max! - hour.min! + 1 }, (_, i) => hour.min! + i));
    const payment = stats.features[1]!;
    const counts = new Map<string, number>();
    for (const r of rows) if (r.payment_type !== null) counts.set(r.payment_type as string, (counts.get(r.payment_type as string) ?? 0) + 1);
    const expected = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10).map(([value, count]) => ({ value, count }));
    expect(payment.top).toEqual(expected);
    expect(payment).toMatchObject({ min: null, histogram: null, quantiles: null, count: rows.filter((r) => r.payment_type !== null).length });
    const company = stats.features[2]!;
    expect(company.nulls).toBe(rows.filter((r) => r.company === null).length);
    expect(company.null_fraction).toBeCloseTo(company.nulls / rows.length, 12);
  });

  it('report freshness and the lag of a watermark behind the newest event', async () => {
    const rows = await viewRows(ws, 'area_demand');
    const newest = Math.max(...rows.map((r) => (r.event_timestamp as Date).getTime()));
    const oldest = Math.min(...rows.map((r) => (r.event_timestamp as Date).getTime()));
    const lagging = await featureStats(ws, 'area_demand', { watermark: new Date(newest - 3_600_000) });
    expect(lagging).toMatchObject({
      view: 'area_demand',
      entity: 'pickup_community_area',
      ttl_seconds: 7200,
      partitions: listPartitions(ws, 'area_demand').length,
      newest_event: new Date(newest).toISOString(),
      oldest_event: new Date(oldest).toISOString(),
      watermark_lag_seconds: 3600,
    });
    expect(lagging.bytes).toBeGreaterThan(0);
    expect((await featureStats(ws, 'area_demand', { watermark: new Date(newest + 1000).toISOString() })).watermark_lag_seconds).toBe(0);
    expect((await featureStats(ws, 'area_demand')).watermark_lag_seconds).toBeNull();
    await expect(featureStats(ws, 'area_demand', { watermark: 'later' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('cover every view at once, and refuse unknown names', async () => {
    const all = await featureStoreStats(ws, { watermarks: { taxi_activity: Date.UTC(2016, 6, 5) } });
    expect(all.map((v) => v.view)).toEqual(['trip_features', 'taxi_activity', 'area_demand']);
    expect(all[1]!.watermark).toBe('2016-07-05T00:00:00.000Z');
    expect(all[0]!.watermark).toBeNull();
    await expect(featureStats(ws, 'taxi_activty')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(featureStats(ws, 'taxi_activity', { features: ['trips_2h'] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('trips_2h') });
  });

  it('give the views\' rows and freshness alone when asked for no feature statistics, for the views asked', async () => {
    const watermarks = { taxi_activity: Date.UTC(2016, 6, 5) };
    const full = await featureStoreStats(ws, { watermarks });
    const quick = await featureStoreStats(ws, { watermarks, features: false });
    expect(quick.map((v) => v.features)).toEqual([[], [], []]);
    // Everything but the per-feature statistics is the same answer.
    expect(quick).toEqual(full.map((v) => ({ ...v, features: [] })));
    expect(quick[0]!.rows).toBeGreaterThan(0);

    const some = await featureStoreStats(ws, { views: ['area_demand', 'trip_features'], features: false });
    expect(some.map((v) => v.view)).toEqual(['trip_features', 'area_demand']);
    await expect(featureStoreStats(ws, { views: ['area_demand', 'taxi_activty'] })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('"taxi_activty"'),
    });
  });

  it('describe a view with no data yet as empty', async () => {
    const { workspace, cleanup: done } = tempWorkspace('taxi-fs-empty-');
    try {
      const s = await featureStats(workspace, 'taxi_activity');
      expect(s).toMatchObject({ rows: 0, partitions: 0, newest_event: null, watermark_lag_seconds: null });
      expect(s.features[0]).toMatchObject({ count: 0, nulls: 0, min: null, histogram: null, quantiles: null });
    } finally {
      done();
    }
  });
});
