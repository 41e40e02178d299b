/**
 * Data quality, correlation and permutation importance on small data with known answers. Correlation
 * constants from pandas 2.3.3 (DataFrame.corr('pearson' / 'spearman')) on the sequences below, computed
 * once with the Evidently venv's Python:
 *   x = [((i*37+11) % 101)/7 for i in range(50)]; y = [x[i]*0.5 + (i*13) % 7 ...]; z = [(i*29+3) % 11 ...]
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeCorrelation } from '../../src-main/engines/monitoring/correlation.js';
import { permutationImportance } from '../../src-main/engines/monitoring/importance.js';
import { computeQuality } from '../../src-main/engines/monitoring/quality.js';
import { openEngineDb, type EngineDb } from '../../src-main/platform/duckdb.js';
import type { Workspace } from '../../src-main/platform/workspace.js';
import { tempWorkspace } from '../helpers/workspace.js';

let ws: Workspace;
let cleanup: () => void;
let db: EngineDb;

beforeAll(async () => {
  ({ workspace: ws, cleanup } = tempWorkspace('taxi-mon-quality-'));
  db = await openEngineDb(ws);
});
afterAll(() => {
  db?.close();
  cleanup?.();
});

describe('data quality', () => {
  it('counts missing, duplicates, out-of-range values, constant columns and new/missing categories', async () => {
    await db.conn.run(`CREATE TABLE q AS SELECT * FROM (VALUES
      ('t1', 1.5, 'Cash', 7, 3),
      ('t2', NULL, 'Cash', 7, 3),
      ('t3', 600.0, 'Credit Card', 7, 3),
      ('t3', 2.0, 'Bitcoin', 7, 3),
      ('t5', -1.0, NULL, 7, 99)
    ) v(trip_id, "trip_features__trip_distance", "trip_features__payment_type", "trip_features__pickup_hour", "trip_features__pickup_community_area")`);
    await db.conn.run(`CREATE TABLE qref AS SELECT * FROM (VALUES ('Cash'), ('Credit Card'), ('Mobile')) v("trip_features__payment_type")`);
    const cols = [
      { name: 'trip_features__trip_distance', type: 'numerical' as const },
      { name: 'trip_features__payment_type', type: 'categorical' as const },
      { name: 'trip_features__pickup_hour', type: 'categorical' as const },
      { name: 'trip_features__pickup_community_area', type: 'numerical' as const },
    ];
    const q = await computeQuality(ws, db.conn, 'q', cols, { sql: 'qref', columns: [cols[1]!] });
    expect(q.rows).toBe(5);
    expect(q.duplicates).toEqual({ key: 'trip_id', count: 1 });
    const dist = q.columns[0]!;
    expect(dist).toMatchObject({ count: 4, missing: 1, missing_share: 0.2, unique: 4, min: -1, max: 600 });
    expect(dist.mean).toBeCloseTo((1.5 + 600 + 2 - 1) / 4, 12);
    expect(dist.median).toBeCloseTo(1.75, 12);
    // max_trip_distance_miles defaults to 500: 600 and -1 are out of range.
    expect(dist.out_of_range).toEqual({ count: 2, min: 0, max: 500 });
    const pay = q.columns[1]!;
    expect(pay.most_common).toEqual({ value: 'Cash', count: 2, share: 0.5 });
    expect(pay.new_categories).toEqual(['Bitcoin']);
    expect(pay.missing_categories).toEqual(['Mobile']);
    expect(q.columns[2]!.constant).toBe(true);
    const area = q.columns[3]!;
    expect(area.almost_constant).toBe(false);
    expect(area.out_of_range!.count).toBe(1);
    expect(q.problems.some((p) => p.includes('duplicate'))).toBe(true);
    expect(q.problems.some((p) => p.includes('trip_features__pickup_hour: constant'))).toBe(true);
  });
});

describe('correlation', () => {
  it('Pearson and Spearman match pandas', async () => {
    const x = Array.from({ length: 50 }, (_, i) => ((i * 37 + 11) % 101) / 7.0);
    const y = x.map((v, i) => v * 0.5 + ((i * 13) % 7));
    const z = Array.from({ length: 50 }, (_, i) => (i * 29 + 3) % 11);
    await db.conn.run(`CREATE TABLE c AS SELECT * FROM (VALUES ${x.map((v, i) => `(${v}, ${y[i]}, ${z[i]})`).join(', ')}) v(x, y, z)`);
    const r = await computeCorrelation(db.conn, 'c', ['x', 'y', 'z']);
    const pearson = [
      [1.0, 0.734839668257685, 0.49403006138318795],
      [0.734839668257685, 1.0, 0.4381968517267262],
      [0.49403006138318795, 0.4381968517267262, 1.0],
    ];
    const spearman = [
      [1.0, 0.7307082833133254, 0.49561650564165627],
      [0.7307082833133254, 1.0, 0.4584416514875832],
      [0.49561650564165627, 0.4584416514875832, 1.0],
    ];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        expect(r.pearson[i]![j]!).toBeCloseTo(pearson[i]![j]!, 10);
        expect(r.spearman[i]![j]!).toBeCloseTo(spearman[i]![j]!, 10);
      }
    }
  });
});

describe('permutation importance', () => {
  it('ranks the feature the predictions depend on first and an unused one at zero', () => {
    // A fare model that reads distance strongly, hour weakly and ignores company.
    const model = {
      featureNames: ['d', 'h', 'company'],
      predictRows: (rows: ReadonlyArray<Readonly<Record<string, string | number | boolean | null>>>) => Float64Array.from(rows.map((r) => 3 + 2 * Number(r.d) + 0.1 * Number(r.h))),
    };
    const rows = Array.from({ length: 500 }, (_, i) => ({ d: (i * 7) % 23, h: (i * 5) % 24, company: `c${i % 4}` }));
    const actual = rows.map((r) => 3 + 2 * r.d + 0.1 * r.h + ((r.d * 31) % 3) - 1);
    const r = permutationImportance(model, rows, actual, 3, 7);
    expect(r.features.map((f) => f.feature)).toEqual(['d', 'h', 'company']);
    expect(r.features[0]!.importance).toBeGreaterThan(10 * r.features[1]!.importance);
    expect(r.features[1]!.importance).toBeGreaterThan(0);
    expect(r.features[2]!.importance).toBe(0);
    // Same seed, same answer.
    expect(permutationImportance(model, rows, actual, 3, 7).features).toEqual(r.features);
  });
});
