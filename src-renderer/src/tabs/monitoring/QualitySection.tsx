/** Data quality of a data set: problems first, then per-column statistics. */
import { useEffect, useState } from 'react';
import { call, type Output } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { formatInt, formatNumber } from '../../components/format';
import { useCall } from './hooks';
import { SourcePicker, type DataSource } from './SourcePicker';
import { Stat } from '../../components/Stat';

type Quality = Output<'monitoring.quality'>;
type ColumnQuality = Quality['columns'][number];

const columns: Column<ColumnQuality>[] = [
  // The column name is what a reader scans for: it keeps room for view__feature names; the numbers give way.
  { key: 'column', header: 'Column', minWidth: 220, render: (c) => <code title={c.column}>{c.column}</code> },
  { key: 'type', header: 'Type', width: 90 },
  { key: 'count', header: 'Count', width: 80, align: 'right' },
  { key: 'missing_share', header: 'Missing', width: 80, align: 'right', render: (c) => `${(c.missing_share * 100).toFixed(1)}%` },
  { key: 'unique', header: 'Unique', width: 80, align: 'right' },
  { key: 'mean', header: 'Mean', width: 80, align: 'right', render: (c) => formatNumber(c.mean) },
  { key: 'std', header: 'Std', width: 80, align: 'right', render: (c) => formatNumber(c.std), hidden: true },
  { key: 'min', header: 'Min', width: 80, align: 'right', render: (c) => formatNumber(c.min), hidden: true },
  { key: 'median', header: 'Median', width: 80, align: 'right', render: (c) => formatNumber(c.median) },
  { key: 'max', header: 'Max', width: 80, align: 'right', render: (c) => formatNumber(c.max) },
  { key: 'most_common', header: 'Most common', width: 130, value: (c) => c.most_common?.value ?? '', render: (c) => (c.most_common ? `${c.most_common.value} (${(c.most_common.share * 100).toFixed(0)}%)` : '—') },
  { key: 'out_of_range', header: 'Out of range', width: 100, align: 'right', value: (c) => c.out_of_range?.count ?? null, render: (c) => (c.out_of_range ? formatInt(c.out_of_range.count) : '—') },
  {
    key: 'categories',
    header: 'Categories +/−',
    width: 130,
    value: (c) => [...(c.new_categories ?? []), ...(c.missing_categories ?? [])].join(' '),
    render: (c) =>
      c.new_categories || c.missing_categories ? (
        <span title={`new: ${c.new_categories?.join(', ') || 'none'}\nmissing: ${c.missing_categories?.join(', ') || 'none'}`}>
          +{c.new_categories?.length ?? 0} / −{c.missing_categories?.length ?? 0}
        </span>
      ) : (
        '—'
      ),
  },
  {
    key: 'flags',
    header: 'Flags',
    width: 110,
    value: (c) => (c.constant ? 'constant' : c.almost_constant ? 'almost constant' : ''),
    render: (c) => (c.constant ? <StatusBadge status="constant" tone="warn" /> : c.almost_constant ? <StatusBadge status="almost constant" tone="warn" /> : null),
  },
];

export function QualitySection() {
  const [source, setSource] = useState<DataSource>({});
  const q = useCall<Quality>();
  const load = (): Promise<void> => q.run(() => call('monitoring.quality', { source }));
  useEffect(() => {
    void load();
  }, []);
  const d = q.data;
  return (
    <div className="mon-section" data-testid="mon-quality">
      <Card
        title="Data quality"
        subtitle={d ? `${d.source} · ${formatInt(d.rows)} rows · ${formatInt(d.duration_ms)} ms` : 'Missing values, out-of-range values, duplicates, categories and per-column statistics'}
        testId="quality-card"
        actions={
          <button type="button" className="btn btn-small btn-primary" onClick={() => void load()} disabled={q.loading} data-testid="quality-run">
            {q.loading ? 'Checking…' : 'Check'}
          </button>
        }
      >
        <SourcePicker onChange={setSource} testId="quality-source" />
        {q.error ? <ErrorNotice error={q.error} testId="quality-error" /> : null}
        {d ? (
          <>
            <div className="stats">
              <Stat label="rows" testId="quality-rows">{formatInt(d.rows)}</Stat>
              <Stat label={<>duplicate {d.duplicates?.key ?? 'rows'}</>} testId="quality-duplicates">{d.duplicates ? formatInt(d.duplicates.count) : '—'}</Stat>
              <Stat label="problems">{d.problems.length}</Stat>
            </div>
            {d.problems.length ? (
              <ul className="mon-problems" data-testid="quality-problems">
                {d.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            ) : (
              <p className="muted">No problems found.</p>
            )}
          </>
        ) : null}
        <DataTable
          testId="quality-columns"
          rows={d?.columns ?? []}
          columns={columns}
          rowKey={(c) => c.column}
          loading={q.loading && !d}
          storageKey="monitoring.quality"
          noun="columns"
          empty={<>No rows in this range. Import or generate trips (Overview), or widen the range.</>}
        />
      </Card>
    </div>
  );
}
