import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareValues,
  filterRows,
  gridTemplate,
  minRowWidth,
  nextSort,
  sortRows,
  visibleKeys,
  type ColumnModel,
} from '../../src-renderer/src/components/dataTableModel';

interface Row {
  id: number;
  name: string;
  lag: number | null;
  tags?: string[];
}

const rows: Row[] = [
  { id: 1, name: 'taxi-raw-data', lag: 10 },
  { id: 2, name: 'taxi-features', lag: null },
  { id: 3, name: 'taxi-alerts', lag: 2 },
  { id: 4, name: 'Taxi-predictions', lag: 10 },
  { id: 5, name: 'taxi-model-metrics', lag: 0 },
];
const cols: ColumnModel<Row>[] = [{ key: 'id' }, { key: 'name' }, { key: 'lag' }, { key: 'tags', value: (r) => (r.tags ?? []).join(' ') }];
const col = (key: string): ColumnModel<Row> => cols.find((c) => c.key === key) as ColumnModel<Row>;

describe('DataTable sorting', () => {
  it('sorts numbers ascending and descending, empties last both ways, ties in input order', () => {
    expect(sortRows(rows, col('lag'), 'asc').map((r) => r.id)).toEqual([5, 3, 1, 4, 2]);
    expect(sortRows(rows, col('lag'), 'desc').map((r) => r.id)).toEqual([1, 4, 3, 5, 2]);
  });

  it('sorts text case-insensitively and numerically inside strings', () => {
    expect(sortRows(rows, col('name'), 'asc').map((r) => r.name)).toEqual(['taxi-alerts', 'taxi-features', 'taxi-model-metrics', 'Taxi-predictions', 'taxi-raw-data']);
    const parts = [{ p: 'partition-10' }, { p: 'partition-2' }, { p: 'partition-1' }];
    expect(sortRows(parts, { key: 'p' }, 'asc').map((r) => r.p)).toEqual(['partition-1', 'partition-2', 'partition-10']);
  });

  it('leaves the input array untouched and ignores unsortable columns', () => {
    const copy = rows.slice();
    sortRows(rows, col('name'), 'desc');
    expect(rows).toEqual(copy);
    expect(sortRows(rows, { key: 'name', sortable: false }, 'desc').map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it('orders any mix of values: numbers, then text, then empties; direction within a kind; ties stable', () => {
    const value = fc.oneof(fc.integer(), fc.double({ noNaN: false }), fc.string({ maxLength: 4 }), fc.constant(null), fc.constant(undefined));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), fc.boolean(), (vals, asc) => {
        const input = vals.map((v, i) => ({ i, v }));
        const out = sortRows(input, { key: 'v', value: (r) => r.v }, asc ? 'asc' : 'desc');
        expect(out).toHaveLength(input.length);
        expect(new Set(out.map((r) => r.i)).size).toBe(input.length);
        const isEmpty = (v: unknown): boolean => v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v));
        for (let k = 1; k < out.length; k++) {
          const a = out[k - 1]!;
          const b = out[k]!;
          if (isEmpty(a.v)) expect(isEmpty(b.v)).toBe(true);
          else if (!isEmpty(b.v) && typeof a.v !== typeof b.v) {
            // Mixed kinds: numbers before text in both directions.
            expect(typeof a.v).toBe('number');
          } else if (!isEmpty(b.v)) {
            const c = compareValues(a.v, b.v) * (asc ? 1 : -1);
            expect(c).toBeLessThanOrEqual(0);
            if (c === 0) expect(a.i).toBeLessThan(b.i);
          }
        }
      }),
    );
  });

  it('cycles header clicks asc → desc → off, and restarts on another column', () => {
    const a = nextSort(null, 'lag');
    expect(a).toEqual({ key: 'lag', dir: 'asc' });
    const b = nextSort(a, 'lag');
    expect(b).toEqual({ key: 'lag', dir: 'desc' });
    expect(nextSort(b, 'lag')).toBeNull();
    expect(nextSort(b, 'name')).toEqual({ key: 'name', dir: 'asc' });
  });

  it('sorts 100k rows, with the extremes at both ends', () => {
    const big = Array.from({ length: 100_000 }, (_, i) => ({ offset: (i * 7919) % 100_000, key: `k${i % 977}` }));
    const sorted = sortRows(big, { key: 'offset' }, 'desc');
    expect(sorted[0]!.offset).toBe(99_999);
    expect(sorted[99_999]!.offset).toBe(0);
  });
});

describe('DataTable filtering', () => {
  it('matches every term, case-insensitively, across columns', () => {
    expect(filterRows(rows, cols, 'TAXI pred').map((r) => r.id)).toEqual([4]);
    expect(filterRows(rows, cols, '  ').map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(filterRows(rows, cols, 'taxi 10').map((r) => r.id)).toEqual([1, 4]);
    expect(filterRows(rows, cols, 'nothing-like-this')).toEqual([]);
  });

  it('searches derived values and skips unfilterable columns', () => {
    const tagged = [{ ...rows[0]!, tags: ['hot'] }, rows[1]!];
    expect(filterRows(tagged, cols, 'hot').map((r) => r.id)).toEqual([1]);
    expect(filterRows(tagged, cols.map((c) => (c.key === 'tags' ? { ...c, filterable: false } : c)), 'hot')).toEqual([]);
  });

  it('uses the caller text function when given', () => {
    expect(filterRows(rows, cols, 'secret', (r) => (r.id === 3 ? 'secret' : '')).map((r) => r.id)).toEqual([3]);
  });
});

describe('DataTable layout', () => {
  it('builds grid columns from widths and the minimum row width', () => {
    const layout: ColumnModel<unknown>[] = [{ key: 'a', width: 80 }, { key: 'b' }, { key: 'c', width: '2fr', minWidth: 200 }, { key: 'd', minWidth: 50 }];
    expect(gridTemplate(layout)).toBe('80px minmax(90px, 1fr) 2fr minmax(50px, 1fr)');
    expect(minRowWidth(layout)).toBe(80 + 90 + 200 + 50);
  });

  it('applies a saved column choice over defaults, ignoring keys that no longer exist', () => {
    const defs = [{ key: 'a' }, { key: 'b', hidden: true }, { key: 'c' }];
    expect([...visibleKeys(defs, null)]).toEqual(['a', 'c']);
    expect([...visibleKeys(defs, { a: false, b: true, gone: true })]).toEqual(['b', 'c']);
  });
});
