/**
 * DataTable — the console's one table: sorting, a text filter, a column chooser, fixed-height virtualized
 * rows (100k rows scroll smoothly because only the ~30 on screen are in the DOM), row selection, a sticky
 * header, and empty / loading / error states.
 *
 * Usage:
 *
 *   const columns: Column<Topic>[] = [
 *     { key: 'name', header: 'Topic', render: (t) => <code>{t.name}</code> },             // sorts by row.name
 *     { key: 'messages', header: 'Messages', align: 'right', width: 110,
 *       value: (t) => t.end_offset - t.start_offset, render: (t) => formatInt(...) },      // sorts by value()
 *     { key: 'retention', header: 'Retention', hidden: true },                             // off until chosen
 *     { key: 'actions', header: '', sortable: false, filterable: false, render: ... },
 *   ];
 *   <DataTable testId="topics" rows={topics} columns={columns} rowKey={(t) => t.name}
 *              selectedKey={selected} onRowClick={(t) => select(t.name)}
 *              empty={<>No topics yet — create one above.</>} loading={list.loading} error={list.error} />
 *
 * Columns: `key` (unique; also the default field read from the row), `header`, `render(row)` (default: the
 * value as text), `value(row)` (what sorting and filtering use), `width` (px number or any CSS grid size;
 * default shares the rest, at least `minWidth` px), `align`, `sortable`/`filterable` (default true),
 * `hidden` (start unchecked in the chooser). Rows have a fixed height (`rowHeight`, default 34 px): keep
 * cells to one line, or raise rowHeight for two-line cells (`<div className="cell-sub">`).
 * Filtering and sorting run here, on the rows given; server-side paging belongs to the caller.
 * Keyboard: with the table focused, ↑/↓ move the selection (calls onRowClick), Home/End jump.
 * Test hooks: `data-testid={testId}`, `${testId}-filter`, `${testId}-count`, rows `${testId}-row` (or
 * `rowTestId(row)`) with `data-key`, header cells `${testId}-th-${key}` with `aria-sort`.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent, type ReactNode } from 'react';
import type { ApiError } from '../api/client';
import { ErrorNotice } from './ErrorNotice';
import { Spinner } from './Spinner';
import {
  cellValue,
  filterRows,
  gridTemplate,
  minRowWidth,
  nextSort,
  sortRows,
  visibleKeys,
  type ColumnModel,
  type SortState,
} from './dataTableModel';
import { formatInt } from './format';
import './DataTable.css';

export type { SortState } from './dataTableModel';

export interface Column<Row> extends ColumnModel<Row> {
  header: string;
  render?: (row: Row, index: number) => ReactNode;
  align?: 'left' | 'right' | 'center';
  /** Start hidden; the user can turn it on in the column chooser. */
  hidden?: boolean;
  /** Header tooltip: what the column means or its unit. */
  title?: string;
  className?: string;
}

export interface DataTableProps<Row> {
  rows: readonly Row[];
  columns: readonly Column<Row>[];
  rowKey: (row: Row, index: number) => string;
  testId?: string;
  onRowClick?: (row: Row, index: number) => void;
  selectedKey?: string | null;
  /** Fixed row height in px (virtualization needs it). */
  rowHeight?: number;
  /** Most the table grows to before it scrolls; short tables shrink to fit their rows. */
  maxHeight?: number;
  /** Always this tall (a browser of many rows), instead of shrinking to fit. */
  height?: number;
  /** Show the text filter box (default true). */
  filter?: boolean;
  filterPlaceholder?: string;
  /** What a row is searched by, when the visible column values are not the right text. */
  filterText?: (row: Row) => string;
  /** Show the column chooser (default true). */
  columnChooser?: boolean;
  /** Saves the column choice under this name in localStorage. */
  storageKey?: string;
  initialSort?: SortState | null;
  /** Extra controls on the toolbar's left, next to the filter. */
  toolbar?: ReactNode;
  /** What to show when there are no rows at all (before filtering): say what to do next. */
  empty?: ReactNode;
  loading?: boolean;
  error?: ApiError | null;
  onRetry?: () => void;
  rowTestId?: (row: Row) => string;
  rowClassName?: (row: Row) => string | undefined;
  /** Text after the count, e.g. "messages" instead of "rows". */
  noun?: string;
}

const HEADER_HEIGHT = 34;
const COLUMNS_KEY = (name: string): string => `taxi-mlops.table.${name}.columns`;

function loadSaved(storageKey: string | undefined): Record<string, boolean> | null {
  if (!storageKey) return null;
  try {
    const raw = localStorage.getItem(COLUMNS_KEY(storageKey));
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, boolean>) : null;
  } catch {
    return null;
  }
}

function defaultCell<Row>(col: Column<Row>, row: Row): ReactNode {
  const v = cellValue(col, row);
  if (v === null || v === undefined || v === '') return <span className="muted">—</span>;
  const text = typeof v === 'number' && Number.isInteger(v) ? formatInt(v) : String(v);
  return (
    <span className="dt-text" title={text}>
      {text}
    </span>
  );
}


interface RowProps<Row> {
  row: Row;
  index: number;
  rowId: string;
  top: number;
  height: number;
  template: string;
  columns: readonly Column<Row>[];
  selected: boolean;
  className: string | undefined;
  testId: string;
  onRowClick: ((row: Row, index: number) => void) | undefined;
}

/**
 * One rendered row. Memoized so that scrolling re-renders only the rows entering the window: rows that
 * stay keep identical props (their absolute offset does not change) and React skips them.
 */
function DataRowImpl<Row>({ row, index, rowId, top, height, template, columns, selected, className, testId, onRowClick }: RowProps<Row>) {
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      className={`dt-row${index % 2 ? ' dt-odd' : ''}${selected ? ' dt-selected' : ''}${onRowClick ? ' dt-clickable' : ''}${className ? ` ${className}` : ''}`}
      style={{ gridTemplateColumns: template, height, transform: `translateY(${top}px)` }}
      onClick={onRowClick ? () => onRowClick(row, index) : undefined}
      data-testid={testId}
      data-key={rowId}
      data-index={index}
    >
      {columns.map((c) => (
        <div key={c.key} role="gridcell" className={`dt-td dt-${c.align ?? 'left'}${c.className ? ` ${c.className}` : ''}`}>
          {c.render ? c.render(row, index) : defaultCell(c, row)}
        </div>
      ))}
    </div>
  );
}
const DataRow = memo(DataRowImpl) as typeof DataRowImpl;

function ColumnChooser<Row>({ columns, shown, onToggle, testId }: { columns: readonly Column<Row>[]; shown: Set<string>; onToggle: (key: string) => void; testId: string }) {
  return (
    <details className="dt-chooser" data-testid={`${testId}-columns`}>
      <summary className="btn btn-small" title="Choose columns">
        Columns
      </summary>
      <div className="dt-chooser-menu" role="menu">
        {columns.map((c) => (
          <label key={c.key} className="check small" role="menuitemcheckbox" aria-checked={shown.has(c.key)}>
            <input
              type="checkbox"
              checked={shown.has(c.key)}
              // The last visible column stays: a table with no columns can't be got back from.
              disabled={shown.has(c.key) && shown.size === 1}
              onChange={() => onToggle(c.key)}
              data-testid={`${testId}-col-${c.key}`}
            />
            {c.header || c.key}
          </label>
        ))}
      </div>
    </details>
  );
}

export function DataTable<Row>(props: DataTableProps<Row>) {
  const {
    rows,
    columns,
    rowKey,
    testId = 'table',
    onRowClick,
    selectedKey = null,
    rowHeight = 34,
    maxHeight = 440,
    height,
    filter = true,
    filterPlaceholder = 'Filter…',
    filterText,
    columnChooser = true,
    storageKey,
    initialSort = null,
    toolbar,
    empty,
    loading = false,
    error = null,
    onRetry,
    rowTestId,
    rowClassName,
    noun = 'rows',
  } = props;

  const [query, setQuery] = useState('');
  // Typing stays responsive on 100k rows: the filter pass runs at lower priority than the keystroke.
  const deferredQuery = useDeferredValue(query);
  const [sort, setSort] = useState<SortState | null>(initialSort);
  const [saved, setSaved] = useState<Record<string, boolean> | null>(() => loadSaved(storageKey));

  const shown = useMemo(() => visibleKeys(columns, saved), [columns, saved]);
  const visible = useMemo(() => columns.filter((c) => shown.has(c.key)), [columns, shown]);

  const toggleColumn = useCallback(
    (key: string) => {
      const next: Record<string, boolean> = {};
      for (const c of columns) next[c.key] = c.key === key ? !shown.has(key) : shown.has(c.key);
      setSaved(next);
      if (storageKey) {
        try {
          localStorage.setItem(COLUMNS_KEY(storageKey), JSON.stringify(next));
        } catch {
          // Storage may be off; the choice lasts for this view only.
        }
      }
    },
    [columns, shown, storageKey],
  );

  const filtered = useMemo(() => filterRows(rows, visible, deferredQuery, filterText), [rows, visible, deferredQuery, filterText]);
  const sorted = useMemo(() => {
    if (!sort) return filtered;
    return sortRows(filtered, columns.find((c) => c.key === sort.key), sort.dir);
  }, [filtered, sort, columns]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: sorted.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    // A few rows past each edge: enough for wheel steps, few enough that a jump builds little.
    overscan: 6,
    // The sticky header sits inside the scroll box, above the rows.
    scrollMargin: HEADER_HEIGHT,
    // Render on the next frame rather than synchronously inside each scroll event: fewer renders per frame.
    useFlushSync: false,
  });

  const selectedIndex = useMemo(() => (selectedKey === null ? -1 : sorted.findIndex((r, i) => rowKey(r, i) === selectedKey)), [sorted, selectedKey, rowKey]);

  // A selection made elsewhere (a deep link, the keyboard) is scrolled into view once.
  const lastScrolled = useRef<string | null>(null);
  useEffect(() => {
    if (selectedIndex >= 0 && lastScrolled.current !== selectedKey) {
      lastScrolled.current = selectedKey;
      virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
    }
  }, [selectedIndex, selectedKey, virtualizer]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    if (!onRowClick || sorted.length === 0) return;
    let next: number | null = null;
    if (e.key === 'ArrowDown') next = Math.min(sorted.length - 1, selectedIndex + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, selectedIndex - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = sorted.length - 1;
    if (next === null) return;
    e.preventDefault();
    const row = sorted[next];
    if (row === undefined) return;
    onRowClick(row, next);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };

  const template = gridTemplate(visible as readonly ColumnModel<unknown>[]);
  const minWidth = minRowWidth(visible as readonly ColumnModel<unknown>[]);
  const bodyHeight = sorted.length * rowHeight;
  // With no rows, the box shrinks to its message whatever height was asked for.
  const fitted = Math.min(maxHeight, HEADER_HEIGHT + Math.max(bodyHeight, rowHeight * 3) + 2);
  const boxHeight = sorted.length === 0 ? fitted : (height ?? fitted);
  const gridStyle: CSSProperties = { gridTemplateColumns: template };

  let bodyMessage: ReactNode = null;
  if (sorted.length === 0) {
    if (loading && rows.length === 0) {
      bodyMessage = (
        <span className="dt-loading" data-testid={`${testId}-loading`}>
          <Spinner label="Loading" /> Loading…
        </span>
      );
    } else if (rows.length === 0) {
      bodyMessage = <span data-testid={`${testId}-empty`}>{empty ?? 'Nothing here yet.'}</span>;
    } else {
      bodyMessage = (
        <span data-testid={`${testId}-nomatch`}>
          No {noun} match “{deferredQuery}”.{' '}
          <button type="button" className="link-button" onClick={() => setQuery('')}>
            Clear the filter
          </button>
        </span>
      );
    }
  }

  const countText =
    sorted.length === rows.length ? `${formatInt(rows.length)} ${noun}` : `${formatInt(sorted.length)} of ${formatInt(rows.length)} ${noun}`;

  return (
    <div className="dt" data-testid={testId}>
      {error ? <ErrorNotice error={error} onRetry={onRetry} testId={`${testId}-error`} /> : null}
      {filter || columnChooser || toolbar ? (
        <div className="dt-toolbar">
          {filter ? (
            <input
              type="search"
              className="dt-filter"
              placeholder={filterPlaceholder}
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              aria-label="Filter rows"
              data-testid={`${testId}-filter`}
            />
          ) : null}
          {toolbar}
          <span className="dt-spacer" />
          {loading && rows.length > 0 ? <Spinner label="Refreshing" /> : null}
          <span className="dt-count muted" data-testid={`${testId}-count`} data-count={sorted.length} data-total={rows.length}>
            {countText}
          </span>
          {columnChooser ? <ColumnChooser columns={columns} shown={shown} onToggle={toggleColumn} testId={testId} /> : null}
        </div>
      ) : null}
      <div
        ref={scrollRef}
        className="dt-scroll"
        style={{ height: boxHeight }}
        tabIndex={0}
        role="grid"
        aria-rowcount={sorted.length + 1}
        aria-colcount={visible.length}
        onKeyDown={onKeyDown}
        data-testid={`${testId}-scroll`}
      >
        <div className="dt-inner" style={{ minWidth }}>
          <div className="dt-head" role="row" style={{ ...gridStyle, height: HEADER_HEIGHT }}>
            {visible.map((c) => {
              const sortable = c.sortable !== false;
              const dir = sort?.key === c.key ? sort.dir : null;
              return (
                <div
                  key={c.key}
                  role="columnheader"
                  className={`dt-th dt-${c.align ?? 'left'}${sortable ? ' dt-sortable' : ''}`}
                  aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'}
                  title={c.title}
                  data-testid={`${testId}-th-${c.key}`}
                  onClick={sortable ? () => setSort((s) => nextSort(s, c.key)) : undefined}
                >
                  <span className="dt-th-label">{c.header}</span>
                  {dir ? <span className="dt-sort-mark">{dir === 'asc' ? '▲' : '▼'}</span> : null}
                </div>
              );
            })}
          </div>
          {bodyMessage ? (
            <div className="dt-message">{bodyMessage}</div>
          ) : (
            <div className="dt-body" style={{ height: bodyHeight }}>
              {virtualizer.getVirtualItems().map((item) => {
                const row = sorted[item.index] as Row;
                const key = rowKey(row, item.index);
                return (
                  <DataRow
                    key={key}
                    row={row}
                    index={item.index}
                    rowId={key}
                    top={item.start - HEADER_HEIGHT}
                    height={rowHeight}
                    template={template}
                    columns={visible}
                    selected={key === selectedKey}
                    className={rowClassName?.(row)}
                    testId={rowTestId ? rowTestId(row) : `${testId}-row`}
                    onRowClick={onRowClick}
                  />
                );
              })}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}
