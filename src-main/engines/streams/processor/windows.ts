/**
 * The window state of one aggregated view held in memory (mirroring its state table, which is what
 * survives a restart): per entity, the trips with their start time, the time their values became known
 * and those values, sorted by each time. A feature is then a binary search (counts) or a short scan of
 * the rows known inside the window (sum, avg, min, max, ratio) — with SQL's semantics: nulls skipped,
 * an empty window null (count 0), a ratio of sums over rows having both values.
 */
import type { FeatureValue } from '../../features/types.js';
import type { AggregateDef, ViewPlan } from './plan.js';

export interface WindowRow {
  start: number;
  known: number;
  values: (number | null)[];
}

interface EntityRows {
  byStart: WindowRow[];
  byKnown: WindowRow[];
}

/** First index whose key is ≥ t. */
function lowerBound(rows: readonly WindowRow[], t: number, key: 'start' | 'known'): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]![key] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is > t. */
function upperBound(rows: readonly WindowRow[], t: number, key: 'start' | 'known'): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]![key] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(rows: WindowRow[], row: WindowRow, key: 'start' | 'known'): void {
  // Trips mostly arrive in time order: appending is the common case.
  if (rows.length === 0 || rows[rows.length - 1]![key] <= row[key]) rows.push(row);
  else rows.splice(upperBound(rows, row[key], key), 0, row);
}

type Reducer = (rows: readonly WindowRow[], from: number, to: number) => number | null;

function reducerOf(f: AggregateDef, columns: readonly string[]): Reducer {
  const col = (name: string): number => columns.indexOf(name);
  if (f.ratio_of) {
    const [n, d] = [col(f.ratio_of.numerator), col(f.ratio_of.denominator)];
    return (rows, from, to) => {
      let num = 0;
      let den = 0;
      let any = false;
      for (let i = from; i < to; i++) {
        const a = rows[i]!.values[n];
        const b = rows[i]!.values[d];
        if (a === null || a === undefined || b === null || b === undefined) continue;
        num += a;
        den += b;
        any = true;
      }
      return any && den !== 0 ? num / den : null;
    };
  }
  const c = col(f.column!);
  return (rows, from, to) => {
    let n = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = from; i < to; i++) {
      const v = rows[i]!.values[c];
      if (v === null || v === undefined) continue;
      n++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (f.fn === 'count') return n;
    if (n === 0) return null;
    return f.fn === 'sum' ? sum : f.fn === 'avg' ? sum / n : f.fn === 'min' ? min : max;
  };
}

export class ViewWindows {
  private readonly entities = new Map<string, EntityRows>();
  private readonly reducers: (Reducer | null)[];

  constructor(private readonly plan: ViewPlan) {
    this.reducers = plan.view.features.map((f) => (f.kind === 'aggregate' && (f.column !== undefined || f.ratio_of) ? reducerOf(f, plan.valueColumns) : null));
  }

  add(entity: string, row: WindowRow): void {
    let e = this.entities.get(entity);
    if (!e) this.entities.set(entity, (e = { byStart: [], byKnown: [] }));
    insertSorted(e.byStart, row, 'start');
    insertSorted(e.byKnown, row, 'known');
  }

  /** The view's aggregates for an entity as of `t`, into `values` (row features are left as they are). */
  aggregatesInto(entity: string, t: number, values: FeatureValue[]): void {
    const e = this.entities.get(entity);
    for (const q of this.plan.queries) {
      const from = t - q.window_ms;
      for (const fi of q.features) {
        const f = this.plan.view.features[fi] as AggregateDef;
        let v: number | null;
        if (!e) v = f.fn === 'count' && !f.ratio_of ? 0 : null;
        else if (q.clock === 'start') v = upperBound(e.byStart, t, 'start') - lowerBound(e.byStart, from, 'start');
        else v = this.reducers[fi]!(e.byKnown, lowerBound(e.byKnown, from, 'known'), upperBound(e.byKnown, t, 'known'));
        values[fi] = v === null ? null : f.dtype === 'int' ? Math.round(v) : v;
      }
    }
  }

  /** Drops rows known before `cutoff`, as the state table's expiry does. */
  expire(cutoff: number): void {
    for (const [k, e] of this.entities) {
      const n = lowerBound(e.byKnown, cutoff, 'known');
      if (n === 0) continue;
      e.byKnown.splice(0, n);
      e.byStart = e.byStart.filter((r) => r.known >= cutoff);
      if (e.byKnown.length === 0) this.entities.delete(k);
    }
  }
}
