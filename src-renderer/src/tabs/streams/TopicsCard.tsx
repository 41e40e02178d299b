import { useMemo, useState } from 'react';
import type { ApiError } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatBytes, formatInt, formatSpan } from '../../components/format';
import { useStreamsStore, type TopicSummary } from '../../stores/streams';
import { checkCreate, RETENTION_UNITS, type CreateDraft, type FieldErrors, type RetentionUnit } from './forms';
import { selectStreamsPath, streamsHref } from './path';

export const retentionLabel = (ms: number | null): string => (ms === null || ms < 0 ? 'forever' : formatSpan(ms / 1000));

const columns: Column<TopicSummary>[] = [
  {
    key: 'name',
    header: 'Topic',
    minWidth: 200,
    render: (t) => (
      <a className="strong link" href={streamsHref({ topic: t.name, group: null })} onClick={(e) => e.stopPropagation()} data-testid="topic-link">
        {t.name}
      </a>
    ),
  },
  { key: 'partitions', header: 'Partitions', align: 'right', width: 112 },
  {
    key: 'messages',
    header: 'Messages',
    align: 'right',
    width: 120,
    title: 'Messages held now: the sum over partitions of high − low offset',
    render: (t) => <span data-testid="topic-messages">{formatInt(t.messages)}</span>,
  },
  { key: 'retention_ms', header: 'Retention', align: 'right', width: 110, value: (t) => t.retention_ms ?? Number.POSITIVE_INFINITY, render: (t) => retentionLabel(t.retention_ms) },
  {
    key: 'retention_bytes',
    header: 'Size limit',
    align: 'right',
    width: 110,
    title: 'Per partition',
    value: (t) => t.retention_bytes,
    render: (t) => (t.retention_bytes === null ? <span className="muted">none</span> : formatBytes(t.retention_bytes)),
  },
  { key: 'replication_factor', header: 'Replicas', align: 'right', width: 90, hidden: true },
  { key: 'internal', header: 'Internal', width: 90, hidden: true, value: (t) => (t.internal ? 'yes' : 'no') },
];

const blank: CreateDraft = { name: '', partitions: '3', retention: '7', unit: 'days', retentionMiB: '' };

function CreateTopicForm({ onDone }: { onDone: (name: string) => void }) {
  const createTopic = useStreamsStore((s) => s.createTopic);
  const [draft, setDraft] = useState<CreateDraft>(blank);
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const checked = checkCreate(draft);
  const errors: FieldErrors = touched ? checked.errors : {};
  const set = (patch: Partial<CreateDraft>): void => setDraft((d) => ({ ...d, ...patch }));

  const submit = async (): Promise<void> => {
    setTouched(true);
    if (!checked.input) return;
    setBusy(true);
    const err = await createTopic(checked.input);
    setBusy(false);
    setError(err);
    if (!err) {
      onDone(checked.input.name);
      setDraft(blank);
      setTouched(false);
    }
  };

  return (
    <form
      className="subform"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      data-testid="create-topic-form"
      noValidate
    >
      <div className="form-grid">
        <label className="field">
          <span>Name</span>
          <input value={draft.name} onChange={(e) => set({ name: e.target.value })} aria-invalid={!!errors.name} placeholder="e.g. taxi-replay-test" data-testid="create-name" />
          {errors.name ? <span className="field-error" data-testid="create-name-error">{errors.name}</span> : null}
        </label>
        <label className="field">
          <span>Partitions</span>
          <input value={draft.partitions} onChange={(e) => set({ partitions: e.target.value })} aria-invalid={!!errors.partitions} inputMode="numeric" data-testid="create-partitions" />
          {errors.partitions ? <span className="field-error">{errors.partitions}</span> : null}
        </label>
        <label className="field">
          <span>Retention (time)</span>
          <div className="inline-inputs">
            <input
              value={draft.unit === 'forever' ? '' : draft.retention}
              disabled={draft.unit === 'forever'}
              onChange={(e) => set({ retention: e.target.value })}
              aria-invalid={!!errors.retention}
              inputMode="numeric"
              data-testid="create-retention"
            />
            <select value={draft.unit} onChange={(e) => set({ unit: e.target.value as RetentionUnit })} data-testid="create-retention-unit">
              {Object.keys(RETENTION_UNITS).map((u) => (
                <option key={u} value={u}>
                  {u}
                </option>
              ))}
            </select>
          </div>
          {errors.retention ? <span className="field-error">{errors.retention}</span> : null}
        </label>
        <label className="field">
          <span>Size limit per partition (MiB)</span>
          <input value={draft.retentionMiB} onChange={(e) => set({ retentionMiB: e.target.value })} aria-invalid={!!errors.retention_bytes} placeholder="none" data-testid="create-retention-mib" />
          {errors.retention_bytes ? <span className="field-error">{errors.retention_bytes}</span> : null}
        </label>
      </div>
      {error ? <ErrorNotice error={error} testId="create-topic-error" /> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary btn-small" disabled={busy || (touched && !checked.input)} data-testid="create-submit">
          {busy ? 'Creating…' : 'Create topic'}
        </button>
      </div>
    </form>
  );
}

export function TopicsCard({ selected }: { selected: string | null }) {
  const topics = useStreamsStore((s) => s.topics);
  const refreshTopics = useStreamsStore((s) => s.refreshTopics);
  const [creating, setCreating] = useState(false);
  const rows = useMemo(() => topics.data ?? [], [topics.data]);
  const total = rows.reduce((n, t) => n + t.messages, 0);
  return (
    <Card
      title="Topics"
      subtitle={topics.data ? `${rows.length} topics · ${formatInt(total)} messages held` : 'Topics of the active bus'}
      testId="topics-card"
      actions={
        <>
          <button type="button" className="btn btn-small" onClick={() => void refreshTopics()} disabled={topics.loading} data-testid="topics-refresh">
            Refresh
          </button>
          <button type="button" className={`btn btn-small${creating ? '' : ' btn-primary'}`} onClick={() => setCreating((c) => !c)} data-testid="topics-new">
            {creating ? 'Close' : 'New topic'}
          </button>
        </>
      }
    >
      {creating ? (
        <CreateTopicForm
          onDone={(name) => {
            setCreating(false);
            selectStreamsPath({ topic: name });
          }}
        />
      ) : null}
      <DataTable
        testId="topics-table"
        storageKey="streams.topics"
        rows={rows}
        columns={columns}
        rowKey={(t) => t.name}
        rowTestId={(t) => `topic-row-${t.name}`}
        selectedKey={selected}
        onRowClick={(t) => selectStreamsPath({ topic: t.name })}
        loading={topics.loading}
        error={topics.error}
        onRetry={() => void refreshTopics()}
        noun="topics"
        maxHeight={320}
        empty={
          <>
            No topics on this bus yet. <code>taxi-mlops init</code> creates the platform topics, or use <strong>New topic</strong>.
          </>
        }
      />
    </Card>
  );
}
