/** Which data a section looks at: a time range of the trip store (default: all of it) or the stream's last minutes. */
import { useState } from 'react';
import type { Input } from '../../api/client';
import { localInputToIso } from './hooks';

export type DataSource = Input<'monitoring.quality'>['source'];

export function SourcePicker({ onChange, testId }: { onChange: (s: DataSource) => void; testId: string }) {
  const [kind, setKind] = useState<'range' | 'stream'>('range');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [minutes, setMinutes] = useState('60');
  const emit = (k = kind, s = start, e = end, m = minutes): void =>
    onChange(k === 'stream' ? { stream_window_minutes: Math.max(1, Number(m) || 60) } : { start: localInputToIso(s), end: localInputToIso(e) });
  return (
    <div className="form-grid mon-source" data-testid={testId}>
      <label className="field">
        <span>Data</span>
        <select
          value={kind}
          onChange={(e) => {
            const k = e.target.value as 'range' | 'stream';
            setKind(k);
            emit(k);
          }}
          data-testid={`${testId}-kind`}
        >
          <option value="range">Trip store (time range; empty = all)</option>
          <option value="stream">Stream (last minutes of features)</option>
        </select>
      </label>
      {kind === 'range' ? (
        <>
          <label className="field">
            <span>From</span>
            <input type="datetime-local" value={start} onChange={(e) => (setStart(e.target.value), emit(kind, e.target.value))} data-testid={`${testId}-start`} />
          </label>
          <label className="field">
            <span>To</span>
            <input type="datetime-local" value={end} onChange={(e) => (setEnd(e.target.value), emit(kind, start, e.target.value))} data-testid={`${testId}-end`} />
          </label>
        </>
      ) : (
        <label className="field">
          <span>Minutes</span>
          <input type="text" inputMode="numeric" value={minutes} onChange={(e) => (setMinutes(e.target.value), emit(kind, start, end, e.target.value))} />
        </label>
      )}
    </div>
  );
}
