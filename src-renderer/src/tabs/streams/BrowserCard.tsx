import { useEffect, useMemo, useState } from 'react';
import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Spinner } from '../../components/Spinner';
import { formatDuration, formatInt } from '../../components/format';
import { useStreamsStore, type StreamMessage } from '../../stores/streams';
import { BROWSE_MAX, checkBrowse, type BrowseDraft, type FieldErrors, type FromKind } from './forms';
import { MessageDetail } from './MessageDetail';
import { messageColumns, messageKey, messageText } from './messageColumns';

const blank: BrowseDraft = { partition: '', from: 'latest', offset: '0', timestamp: '', limit: '100', text: '', field: '', equals: '' };

const FROM_LABELS: Record<FromKind, string> = { latest: 'Newest (end)', earliest: 'Oldest (start)', offset: 'Offset', timestamp: 'Time' };

export function BrowserCard({ topic, partitions }: { topic: string; partitions: number }) {
  const browse = useStreamsStore((s) => s.browse);
  const runBrowse = useStreamsStore((s) => s.runBrowse);
  const cancelBrowse = useStreamsStore((s) => s.cancelBrowse);
  const [draft, setDraft] = useState<BrowseDraft>(blank);
  const [touched, setTouched] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const checked = checkBrowse(topic, draft);
  const errors: FieldErrors = touched ? checked.errors : {};
  const set = (patch: Partial<BrowseDraft>): void => setDraft((d) => ({ ...d, ...patch }));
  const mine = browse.query?.topic === topic;
  const rows = useMemo(() => (mine ? browse.messages : []), [mine, browse.messages]);
  const message: StreamMessage | undefined = selected ? rows.find((m) => messageKey(m) === selected) : undefined;

  const submit = (): void => {
    setTouched(true);
    if (!checked.input) return;
    setSelected(null);
    void runBrowse(checked.input);
  };

  // A topic change starts from its newest messages, like opening it in any Kafka console.
  useEffect(() => {
    setSelected(null);
    setTouched(false);
    setDraft(blank);
    void runBrowse({ topic, partition: null, from: 'latest', limit: 100, filter: null });
  }, [topic, runBrowse]);

  const summary = mine
    ? browse.loading
      ? `Reading… ${formatInt(browse.progress)} messages`
      : `${formatInt(rows.length)} messages · ${formatInt(browse.scanned)} scanned${browse.reachedEnd ? ' · reached the end' : ''}${browse.tookMs !== null ? ` · ${formatDuration(browse.tookMs / 1000)}` : ''}`
    : '';

  return (
    <Card title="Message browser" subtitle={summary || 'Read a partition from an offset, a time, or the end'} testId="browser-card">
      <form
        className="browse-form"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
        noValidate
        data-testid="browse-form"
      >
        <label className="field field-narrow">
          <span>Partition</span>
          <select value={draft.partition} onChange={(e) => set({ partition: e.target.value })} data-testid="browse-partition">
            <option value="">all</option>
            {Array.from({ length: partitions }, (_, p) => (
              <option key={p} value={String(p)}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>From</span>
          <select value={draft.from} onChange={(e) => set({ from: e.target.value as FromKind })} data-testid="browse-from">
            {(Object.keys(FROM_LABELS) as FromKind[]).map((k) => (
              <option key={k} value={k}>
                {FROM_LABELS[k]}
              </option>
            ))}
          </select>
        </label>
        {draft.from === 'offset' ? (
          <label className="field">
            <span>Offset</span>
            <input value={draft.offset} onChange={(e) => set({ offset: e.target.value })} aria-invalid={!!errors.offset} inputMode="numeric" data-testid="browse-offset" />
            {errors.offset ? <span className="field-error">{errors.offset}</span> : null}
          </label>
        ) : null}
        {draft.from === 'timestamp' ? (
          <label className="field">
            <span>Time (ISO or ms)</span>
            <input value={draft.timestamp} onChange={(e) => set({ timestamp: e.target.value })} aria-invalid={!!errors.timestamp} placeholder="2026-01-31T10:00:00Z" data-testid="browse-timestamp" />
            {errors.timestamp ? <span className="field-error">{errors.timestamp}</span> : null}
          </label>
        ) : null}
        <label className="field field-narrow">
          <span>Limit</span>
          <input value={draft.limit} onChange={(e) => set({ limit: e.target.value })} aria-invalid={!!errors.limit} inputMode="numeric" title={`up to ${formatInt(BROWSE_MAX)}`} data-testid="browse-limit" />
          {errors.limit ? <span className="field-error">{errors.limit}</span> : null}
        </label>
        <label className="field">
          <span>Contains text</span>
          <input value={draft.text} onChange={(e) => set({ text: e.target.value })} placeholder="key, value or header" data-testid="browse-text" />
        </label>
        <label className="field">
          <span>JSON field</span>
          <input value={draft.field} onChange={(e) => set({ field: e.target.value })} aria-invalid={!!errors.field} placeholder="e.g. company" data-testid="browse-field" />
          {errors.field ? <span className="field-error">{errors.field}</span> : null}
        </label>
        <label className="field">
          <span>equals</span>
          <input value={draft.equals} onChange={(e) => set({ equals: e.target.value })} placeholder="(present)" data-testid="browse-equals" />
        </label>
        <div className="browse-actions">
          {browse.loading && mine ? (
            <button type="button" className="btn btn-small" onClick={cancelBrowse} data-testid="browse-cancel">
              <Spinner label="Reading" /> Stop
            </button>
          ) : (
            <button type="submit" className="btn btn-small btn-primary" data-testid="browse-submit">
              Read
            </button>
          )}
        </div>
      </form>
      {mine && browse.error ? <ErrorNotice error={browse.error} onRetry={submit} testId="browse-error" /> : null}
      <div className={message ? 'browser-split' : undefined}>
        <DataTable
          testId="messages-table"
          storageKey="streams.messages"
          rows={rows}
          columns={messageColumns}
          rowKey={messageKey}
          filterText={messageText}
          filterPlaceholder="Filter these messages…"
          selectedKey={selected}
          onRowClick={(m) => setSelected(messageKey(m))}
          loading={browse.loading && mine}
          height={440}
          noun="messages"
          empty={
            browse.query?.filter ? (
              <>No message matched the filter in what was scanned. Widen the range (From: oldest) or raise the limit.</>
            ) : (
              <>This topic holds no messages in that range. Produce one below, or start a replay.</>
            )
          }
        />
        {message ? <MessageDetail message={message} onClose={() => setSelected(null)} /> : null}
      </div>
    </Card>
  );
}
