/**
 * The drift engine around the statistics: a stream window as the current data (features topic on the
 * embedded bus), stored reports (JSON + self-contained HTML, listing, ids checked), columns without values
 * reported as not tested, and a per-column method that does not fit the column refused with its name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateInputSchema } from '../../src-main/api/contract.js';
import { runGenerate } from '../../src-main/engines/data/generator/index.js';
import { listDriftReports, readDriftReport, reportFile } from '../../src-main/engines/monitoring/reports.js';
import { runDrift } from '../../src-main/engines/monitoring/run-drift.js';
import { openPlatformBus } from '../../src-main/engines/streams/index.js';
import { openEngineDb, queryRows, sqlString } from '../../src-main/platform/duckdb.js';
import { AppError } from '../../src-main/platform/errors.js';
import { inlineContext } from '../../src-main/platform/jobs/context.js';
import { silentLogger } from '../../src-main/platform/logging.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { tempWorkspace } from '../helpers/workspace.js';

let ws: Workspace;
let dir: string;
let cleanup: () => void;
let ref: string;
let cur: string;

beforeAll(async () => {
  ({ workspace: ws, dir, cleanup } = tempWorkspace('taxi-mon-drift-'));
  const ctx = inlineContext(ws, silentLogger());
  ref = path.join(dir, 'ref.parquet');
  cur = path.join(dir, 'cur.parquet');
  await runGenerate(GenerateInputSchema.parse({ rows: 3000, seed: 5, drift: 'none', output: ref }), ctx);
  await runGenerate(GenerateInputSchema.parse({ rows: 3000, seed: 6, drift: 'longer_trips', output: cur }), ctx);
}, 120_000);
afterAll(() => cleanup?.());

describe('drift sources and reports', () => {
  it('a stream window of the features topic is the current data; longer trips drift there too', async () => {
    // The features messages the stream processor would publish for the drifted trips (view__feature keys).
    const db = await openEngineDb(ws);
    let rows: Record<string, unknown>[];
    try {
      rows = await queryRows(db.conn, `SELECT trip_id, taxi_id, pickup_community_area, trip_distance, trip_seconds, payment_type, company, CAST(hour(pickup_datetime) AS INTEGER) AS h FROM read_parquet(${sqlString(cur)}) LIMIT 1500`);
    } finally {
      db.close();
    }
    const now = Date.now();
    const bus = await openPlatformBus(ws);
    try {
      await bus.produce(
        ws.config.topics.features,
        rows.map((r, i) => ({
          key: String(r.trip_id),
          timestamp: now - 10 * 60_000 + i,
          value: JSON.stringify({
            trip_id: r.trip_id,
            taxi_id: r.taxi_id,
            pickup_community_area: r.pickup_community_area ?? null,
            event_timestamp: new Date(now - 20 * 60_000).toISOString(),
            computed_at: new Date(now).toISOString(),
            features: {
              trip_features__trip_distance: r.trip_distance,
              trip_features__trip_seconds: r.trip_seconds,
              trip_features__pickup_hour: r.h,
              trip_features__payment_type: r.payment_type,
              trip_features__company: r.company,
            },
          }),
        })),
      );
    } finally {
      await bus.close();
    }
    const report = await runDrift(ws, { reference: { file: ref }, current: { stream_window_minutes: 30 }, save: false });
    expect(report.current.kind).toBe('stream');
    expect(report.current_rows).toBe(1500);
    expect(report.columns.map((c) => c.column).sort()).toEqual(
      ['trip_features__company', 'trip_features__payment_type', 'trip_features__pickup_hour', 'trip_features__trip_distance', 'trip_features__trip_seconds'].sort(),
    );
    const byName = Object.fromEntries(report.columns.map((c) => [c.column, c]));
    expect(byName.trip_features__trip_distance!.method).toBe('wasserstein');
    expect(byName.trip_features__trip_distance!.drifted).toBe(true);
    expect(byName.trip_features__payment_type!.drifted).toBe(false);
    // The scratch file of the window is gone.
    expect(fs.readdirSync(ws.paths.tmpDir).filter((f) => f.startsWith('monitoring-stream-'))).toEqual([]);
  });

  it('stores JSON and a self-contained HTML report, lists them newest first, and checks ids', async () => {
    const a = await runDrift(ws, { reference: { file: ref }, current: { file: ref } });
    const b = await runDrift(ws, { reference: { file: ref }, current: { file: cur } });
    expect(a.dataset.drift).toBe(false);
    expect(a.columns.every((c) => c.skipped !== null || !c.drifted)).toBe(true);
    expect(b.columns.filter((c) => c.drifted).map((c) => c.column)).toEqual(expect.arrayContaining(['trip_features__trip_distance', 'trip_features__trip_seconds', 'fare_amount']));
    const list = listDriftReports(ws);
    expect(list.map((r) => r.id)).toEqual([b.id, a.id].sort().reverse());
    expect(readDriftReport(ws, b.id).columns).toEqual(b.columns);
    const html = fs.readFileSync(reportFile(ws, b.id, 'html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('trip_features__trip_distance');
    // Self-contained: no external scripts, styles, images or fetches.
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(() => reportFile(ws, '../../etc/passwd', 'json')).toThrowError(AppError);
    expect(() => reportFile(ws, 'drift-20200101-000000-abcdef', 'json')).toThrowError(/no drift report/);
  });

  it('a column with no values is not tested; a method that does not fit the column type is refused', async () => {
    const r = await runDrift(ws, { reference: { file: ref }, current: { file: cur }, save: false });
    // The generator, like the sample, leaves passenger_count empty.
    const pc = r.columns.find((c) => c.column === 'trip_features__passenger_count')!;
    expect(pc.reference.count).toBe(0);
    expect(pc.skipped).toMatch(/no values in the reference/);
    expect(pc.drifted).toBe(false);
    expect(r.dataset.columns).toBe(r.columns.length - 1);
    await expect(runDrift(ws, { reference: { file: ref }, current: { file: cur }, methods: { trip_features__company: 'wasserstein' }, save: false })).rejects.toThrowError(
      /monitoring\.drift\.methods\.trip_features__company: wasserstein does not apply to categorical/,
    );
  });
});
