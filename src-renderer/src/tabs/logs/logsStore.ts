/**
 * The Logs tab's state: the workspace's log files, the open file's newest entries (read with the server's
 * level and text filters), and live entries from `logs.line` filtered the same way here, newest first.
 */
import { create } from 'zustand';
import { call, on, type Output } from '../../api/client';
import { idle, remoteLoader, type Remote } from '../../stores/async';

export type LogFiles = Output<'logs.files'>;
export type LogEntry = Output<'logs.tail'>['entries'][number];
export type LogLevel = NonNullable<LogEntry['level']>;
export const LEVELS: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** Most entries held: older ones drop off the end as live ones arrive. */
const KEEP = 5000;
const FIRST_READ = 1000;

export interface Row extends LogEntry {
  /** Arrival order, so rows keep a stable key and order. */
  seq: number;
}

interface LogsState {
  files: Remote<LogFiles>;
  file: string;
  level: LogLevel | '';
  text: string;
  live: boolean;
  tail: Remote<{ rows: Row[]; scanned: number; truncated: boolean }>;
  /** Live entries that arrived while paused, shown on resume. */
  held: number;
  refreshFiles(): Promise<void>;
  open(file: string): Promise<void>;
  setFilter(patch: { level?: LogLevel | ''; text?: string }): Promise<void>;
  setLive(live: boolean): Promise<void>;
}

let seq = 0;

/** The same test the server applies: minimum level, then case-insensitive text anywhere in the entry. */
export function passes(e: LogEntry, level: LogLevel | '', text: string): boolean {
  if (level && (e.level === null || LEVELS.indexOf(e.level) < LEVELS.indexOf(level))) return false;
  const needle = text.trim().toLowerCase();
  if (!needle) return true;
  return `${e.msg} ${e.level ?? ''} ${e.subsystem ?? ''} ${e.time ?? ''} ${JSON.stringify(e.fields)}`.toLowerCase().includes(needle);
}

export const useLogsStore = create<LogsState>()((set, get) => {
  const loadFiles = remoteLoader(() => get().files, (files) => set({ files }));
  const loadTail = remoteLoader(() => get().tail, (tail) => set({ tail }));
  const read = (): Promise<void> => {
    const { file, level, text } = get();
    set({ held: 0 });
    // A JSON document (the self-test report) is read whole; filters are for log lines.
    const document = file.endsWith('.json');
    return loadTail(async () => {
      const r = await call(
        'logs.tail',
        document
          ? { file, limit: KEEP, follow: false }
          : { file, limit: FIRST_READ, follow: true, ...(level ? { level } : {}), ...(text.trim() ? { text: text.trim() } : {}) },
      );
      return { rows: r.entries.map((e) => ({ ...e, seq: ++seq })).reverse(), scanned: r.scanned, truncated: r.truncated };
    });
  };
  return {
    files: idle(),
    file: 'app.log',
    level: '',
    text: '',
    live: true,
    tail: idle(),
    held: 0,
    refreshFiles: () => loadFiles(() => call('logs.files')),
    open: async (file) => {
      set({ file, tail: idle() });
      await read();
    },
    setFilter: async (patch) => {
      set(patch);
      await read();
    },
    setLive: async (live) => {
      set({ live });
      // Resuming re-reads, so what arrived while paused is shown in order.
      if (live) await read();
    },
  };
});

/** Appends live entries of the open file while the tab is shown; returns the cleanup. */
export function followLogs(): () => void {
  return on('logs.line', ({ file, entries }) => {
    const s = useLogsStore.getState();
    if (file !== s.file || !s.tail.data) return;
    const fresh = entries.filter((e) => passes(e, s.level, s.text));
    if (fresh.length === 0) return;
    if (!s.live) {
      useLogsStore.setState({ held: s.held + fresh.length });
      return;
    }
    const rows = [...fresh.map((e) => ({ ...e, seq: ++seq })).reverse(), ...s.tail.data.rows].slice(0, KEEP);
    useLogsStore.setState({ tail: { ...s.tail, data: { ...s.tail.data, rows } } });
  });
}
