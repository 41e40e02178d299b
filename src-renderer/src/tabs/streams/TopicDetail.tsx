import { useState } from 'react';
import type { ApiError } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { KeyValues } from '../../components/KeyValues';
import { LoadingRow } from '../../components/Spinner';
import { formatBytes, formatInt } from '../../components/format';
import { useStreamsStore, type TopicDescription } from '../../stores/streams';
import { ConfirmAction } from './Confirm';
import { selectStreamsPath } from './path';
import { retentionLabel } from './TopicsCard';

type PartitionRow = TopicDescription['partition_info'][number];

const ids = (xs: number[]): string => (xs.length ? xs.join(', ') : '—');

const partitionColumns: Column<PartitionRow>[] = [
  { key: 'partition', header: 'Partition', align: 'right', width: 104 },
  { key: 'low', header: 'Low offset', align: 'right', title: 'First offset still held (log start)', render: (p) => <span data-testid="partition-low">{formatInt(p.low)}</span> },
  { key: 'high', header: 'High offset', align: 'right', title: 'Offset the next message gets (log end)', render: (p) => <span data-testid="partition-high">{formatInt(p.high)}</span> },
  { key: 'messages', header: 'Messages', align: 'right' },
  { key: 'leader', header: 'Leader', align: 'right', width: 80, render: (p) => (p.leader === null ? <span className="muted">—</span> : p.leader) },
  { key: 'replicas', header: 'Replicas', value: (p) => ids(p.replicas), width: 100 },
  { key: 'isr', header: 'In sync', value: (p) => ids(p.isr), width: 100, title: 'In-sync replicas' },
];

export function TopicDetail({ name }: { name: string }) {
  const topic = useStreamsStore((s) => s.topic);
  const loadTopic = useStreamsStore((s) => s.loadTopic);
  const deleteTopic = useStreamsStore((s) => s.deleteTopic);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<ApiError | null>(null);
  const d = topic.data?.name === name ? topic.data : null;

  return (
    <Card
      title={`Topic ${name}`}
      subtitle={d ? `${d.partitions} partitions · ${formatInt(d.messages)} messages · retention ${retentionLabel(d.retention_ms)}` : 'Partitions and offsets'}
      testId="topic-detail"
      actions={
        <>
          <button type="button" className="btn btn-small" onClick={() => void loadTopic(name)} disabled={topic.loading} data-testid="topic-refresh">
            Refresh offsets
          </button>
          <ConfirmAction
            label="Delete topic"
            question={
              <>
                Delete <code>{name}</code> and its {d ? formatInt(d.messages) : ''} messages? Consumer groups keep their names but lose this topic&apos;s
                offsets. This cannot be undone.
              </>
            }
            confirmLabel="Delete topic"
            typeToConfirm={name}
            busy={deleting}
            testId="topic-delete"
            onConfirm={async () => {
              setDeleting(true);
              const err = await deleteTopic(name);
              setDeleting(false);
              setDeleteError(err);
              if (!err) selectStreamsPath({ topic: null });
            }}
          />
        </>
      }
    >
      {deleteError ? <ErrorNotice error={deleteError} testId="topic-delete-error" /> : null}
      {topic.error && !d ? <ErrorNotice error={topic.error} onRetry={() => void loadTopic(name)} testId="topic-error" /> : null}
      {!d && topic.loading ? <LoadingRow label="Loading partitions" /> : null}
      {d ? (
        <div className="topic-detail-grid">
          <div>
            <div className="panel-title">Partition offsets</div>
            <DataTable
              testId="partitions-table"
              rows={d.partition_info}
              columns={partitionColumns}
              rowKey={(p) => String(p.partition)}
              rowTestId={(p) => `partition-row-${p.partition}`}
              filter={false}
              noun="partitions"
              maxHeight={260}
            />
          </div>
          <div>
            <div className="panel-title">Settings</div>
            <KeyValues
              testId="topic-settings"
              rows={[
                { key: 'Retention', value: retentionLabel(d.retention_ms) },
                { key: 'Size limit / partition', value: d.retention_bytes === null ? 'none' : formatBytes(d.retention_bytes) },
                { key: 'Replication factor', value: d.replication_factor },
                { key: 'Schema', value: d.schema ? `${d.schema.title} — ${d.schema.description}` : 'none (any bytes accepted)' },
                ...Object.entries(d.config)
                  .filter(([k]) => !['retention.ms', 'retention.bytes'].includes(k))
                  .slice(0, 8)
                  .map(([k, v]) => ({ key: k, value: <code>{v ?? '—'}</code> })),
              ]}
            />
          </div>
        </div>
      ) : null}
    </Card>
  );
}
