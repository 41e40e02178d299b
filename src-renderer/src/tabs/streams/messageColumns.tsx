import type { Column } from '../../components/DataTable';
import { formatBytes } from '../../components/format';
import type { StreamMessage } from '../../stores/streams';

/** Cells show the start of a value; the detail panel shows all of it. */
const PREVIEW = 240;

export const messageKey = (m: StreamMessage): string => `${m.partition}:${m.offset}`;

export function valuePreview(m: StreamMessage): string {
  if (m.value === null) return '(null — tombstone)';
  if (m.encoding === 'binary') return `(binary, ${m.size} bytes)`;
  return m.value.length > PREVIEW ? `${m.value.slice(0, PREVIEW)}…` : m.value;
}

/** 2026-11-27 10:31:05.123 UTC: message times are compared across machines, so UTC with milliseconds. */
export const messageTime = (m: StreamMessage): string => `${m.timestamp.replace('T', ' ').replace('Z', '')} UTC`;

export const messageColumns: Column<StreamMessage>[] = [
  { key: 'partition', header: 'Part.', align: 'right', width: 64 },
  { key: 'offset', header: 'Offset', align: 'right', width: 96 },
  { key: 'timestamp_ms', header: 'Time (UTC)', width: 236, value: (m) => m.timestamp_ms, render: (m) => <span className="dt-text mono-small">{messageTime(m)}</span> },
  { key: 'key', header: 'Key', width: 160, render: (m) => (m.key === null ? <span className="muted">—</span> : <code title={m.key}>{m.key}</code>) },
  {
    key: 'value',
    header: 'Value',
    minWidth: 320,
    value: (m) => m.value,
    render: (m) => (
      <span className="dt-text mono-small" title={m.encoding}>
        {valuePreview(m)}
      </span>
    ),
  },
  { key: 'headers', header: 'Headers', width: 90, align: 'right', value: (m) => Object.keys(m.headers).length, hidden: false },
  { key: 'size', header: 'Size', width: 84, align: 'right', render: (m) => formatBytes(m.size) },
  { key: 'encoding', header: 'Encoding', width: 90, hidden: true },
];

/** The text filter searches key, value and headers, not the formatted cells. */
export const messageText = (m: StreamMessage): string => `${m.key ?? ''}\u0000${m.value ?? ''}\u0000${Object.entries(m.headers).map(([k, v]) => `${k}=${v}`).join(' ')}\u0000${m.partition}:${m.offset}`;
