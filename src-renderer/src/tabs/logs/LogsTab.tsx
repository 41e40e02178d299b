import { useEffect, useState } from 'react';
import { Card } from '../../components/Card';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatBytes } from '../../components/format';
import { StatusBadge, type Tone } from '../../components/StatusBadge';
import { followLogs, LEVELS, useLogsStore, type LogLevel, type Row } from './logsStore';
import './logs.css';

const LEVEL_TONE: Record<LogLevel, Tone> = { trace: 'muted', debug: 'muted', info: 'info', warn: 'warn', error: 'bad', fatal: 'bad' };

const fieldsText = (f: Record<string, unknown>): string => (Object.keys(f).length === 0 ? '' : JSON.stringify(f));

const columns: Column<Row>[] = [
  {
    key: 'time',
    header: 'Time (UTC)',
    width: 120,
    title: 'When the entry was written; hover for the date',
    render: (r) => (r.time ? <span className="mono-time" title={r.time}>{r.time.slice(11, 23)}</span> : <span className="muted">—</span>),
  },
  {
    key: 'level',
    header: 'Level',
    width: 80,
    value: (r) => (r.level ? LEVELS.indexOf(r.level) : -1),
    render: (r) => (r.level ? <StatusBadge status={r.level} tone={LEVEL_TONE[r.level]} testId="log-level" /> : <span className="muted">text</span>),
  },
  { key: 'subsystem', header: 'Subsystem', width: 120 },
  {
    key: 'msg',
    header: 'Message',
    minWidth: 260,
    render: (r) => (
      <span className="dt-text log-msg" title={r.msg} data-testid="log-msg">
        {r.msg}
      </span>
    ),
  },
  { key: 'fields', header: 'Context', minWidth: 200, value: (r) => fieldsText(r.fields), render: (r) => <code className="dt-text log-fields" title={fieldsText(r.fields)}>{fieldsText(r.fields)}</code> },
];

function FileList() {
  const files = useLogsStore((s) => s.files);
  const file = useLogsStore((s) => s.file);
  const open = useLogsStore((s) => s.open);
  const refresh = useLogsStore((s) => s.refreshFiles);
  return (
    <Card title="Files" subtitle="logs/ in the workspace" testId="log-files" actions={<button type="button" className="btn btn-small btn-ghost" onClick={() => void refresh()}>Refresh</button>}>
      {files.error ? <ErrorNotice error={files.error} onRetry={() => void refresh()} /> : null}
      <ul className="log-file-list">
        {(files.data?.files ?? []).map((f) => (
          <li key={f.name}>
            <button type="button" className={f.name === file ? 'log-file active' : 'log-file'} onClick={() => void open(f.name)} data-testid="log-file" data-file={f.name} aria-pressed={f.name === file}>
              <span className="log-file-name">{f.name}</span>
              <span className="muted">
                {formatBytes(f.size)}
                {f.rotated ? ' · rotated' : ''}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {files.data && files.data.files.length === 0 ? <p className="muted">No logs yet — they appear as the app works.</p> : null}
    </Card>
  );
}

function Filters() {
  const level = useLogsStore((s) => s.level);
  const text = useLogsStore((s) => s.text);
  const live = useLogsStore((s) => s.live);
  const held = useLogsStore((s) => s.held);
  const setFilter = useLogsStore((s) => s.setFilter);
  const setLive = useLogsStore((s) => s.setLive);
  const [typed, setTyped] = useState(text);
  // The text filter goes to the server after a short pause in typing.
  useEffect(() => {
    if (typed === text) return;
    const t = setTimeout(() => void setFilter({ text: typed }), 250);
    return () => clearTimeout(t);
  }, [typed, text, setFilter]);
  return (
    <div className="log-filters">
      <label className="field inline">
        <span>Level</span>
        <select value={level} onChange={(e) => void setFilter({ level: e.target.value as LogLevel | '' })} data-testid="log-level-filter">
          <option value="">all</option>
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {l} and above
            </option>
          ))}
        </select>
      </label>
      <label className="field inline grow">
        <span>Text</span>
        <input type="search" value={typed} placeholder="message, field, value…" onChange={(e) => setTyped(e.target.value)} data-testid="log-text-filter" />
      </label>
      <button type="button" className={live ? 'btn btn-small' : 'btn btn-small btn-primary'} onClick={() => void setLive(!live)} data-testid="log-live-toggle" data-live={String(live)}>
        {live ? 'Pause' : `Resume${held > 0 ? ` (${held} new)` : ''}`}
      </button>
      <span className={live ? 'live-dot on' : 'live-dot'} title={live ? 'New lines appear as they are written' : 'Paused'} />
    </div>
  );
}

export function LogsTab() {
  const file = useLogsStore((s) => s.file);
  const tail = useLogsStore((s) => s.tail);
  useEffect(() => {
    const s = useLogsStore.getState();
    void s.refreshFiles();
    void s.open(s.file);
    const off = followLogs();
    // The file list's sizes move as the logs grow.
    const timer = setInterval(() => void useLogsStore.getState().refreshFiles(), 5000);
    return () => {
      off();
      clearInterval(timer);
    };
  }, []);
  const rows = tail.data?.rows ?? [];
  // A report (integration_test_report.json) is one JSON document, not a log: shown whole, as written.
  const isDocument = file.endsWith('.json');
  return (
    <div className="logs-tab" data-testid="logs-tab">
      <FileList />
      <Card
        title={file}
        subtitle={tail.data ? `newest first · ${tail.data.truncated ? 'older entries not scanned' : `${tail.data.scanned} lines scanned`}` : 'structured log, newest first'}
        testId="log-view"
        className="log-view"
      >
        {isDocument ? (
          <pre className="log-document" data-testid="log-document">
            {rows
              .slice()
              .reverse()
              .map((r) => r.msg)
              .join('\n')}
          </pre>
        ) : (
          <Filters />
        )}
        {isDocument ? null : (
          <DataTable
            testId="log-entries"
            rows={rows}
            columns={columns}
            rowKey={(r) => String(r.seq)}
            rowTestId={() => 'log-row'}
            rowClassName={(r) => (r.level ? `log-${r.level}` : undefined)}
            height={560}
            filter={false}
            storageKey="logs"
            loading={tail.loading && !tail.data}
            error={tail.error}
            onRetry={() => void useLogsStore.getState().open(file)}
            empty={<>Nothing matches — widen the level or clear the text filter.</>}
            noun="entries"
          />
        )}
      </Card>
    </div>
  );
}
