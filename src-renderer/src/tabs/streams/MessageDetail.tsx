import { KeyValues } from '../../components/KeyValues';
import { formatBytes, formatInt } from '../../components/format';
import type { StreamMessage } from '../../stores/streams';
import { messageTime } from './messageColumns';

function prettyValue(m: StreamMessage): string {
  if (m.value === null) return 'null (a tombstone: no value)';
  if (m.encoding === 'json') {
    try {
      return JSON.stringify(m.json !== undefined ? m.json : JSON.parse(m.value), null, 2);
    } catch {
      return m.value;
    }
  }
  return m.value;
}

/** One message in full: where it is, its key and headers, and the value pretty-printed when it is JSON. */
export function MessageDetail({ message, onClose, testId = 'message-detail' }: { message: StreamMessage; onClose: () => void; testId?: string }) {
  const headers = Object.entries(message.headers);
  return (
    <div className="message-detail" data-testid={testId} data-partition={message.partition} data-offset={message.offset}>
      <div className="message-detail-head">
        <div className="panel-title">
          Message <code>{message.topic}</code> · partition {message.partition} · offset {formatInt(message.offset)}
        </div>
        <button type="button" className="btn btn-small btn-ghost" onClick={onClose} aria-label="Close message" data-testid={`${testId}-close`}>
          ✕
        </button>
      </div>
      <div className="message-detail-grid">
        <div>
          <KeyValues
            rows={[
              { key: 'Time', value: messageTime(message) },
              { key: 'Key', value: message.key === null ? <span className="muted">none</span> : <code>{message.key}</code>, testId: `${testId}-key` },
              { key: 'Size', value: formatBytes(message.size) },
              { key: 'Encoding', value: message.encoding },
            ]}
          />
          <div className="panel-title section-gap">Headers</div>
          {headers.length === 0 ? (
            <div className="muted">none</div>
          ) : (
            <KeyValues testId={`${testId}-headers`} rows={headers.map(([k, v]) => ({ key: k, value: <code>{v}</code> }))} />
          )}
        </div>
        <div>
          <div className="panel-title">Value</div>
          <pre className="json-value" data-testid={`${testId}-value`}>
            {prettyValue(message)}
          </pre>
        </div>
      </div>
    </div>
  );
}
