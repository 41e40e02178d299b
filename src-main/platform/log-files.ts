/**
 * Reading the workspace logs for the Logs tab: list the files, read the tail of one (newest entries,
 * filtered by level and text), and follow the live files so new entries reach clients as events.
 * pino writes one JSON object per line; anything else (a report, a stray line) is shown as plain text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from './errors.js';
import type { LogEntry, LogLevel } from '../api/methods/settings.js';
import type { Services } from './services.js';

export const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const PINO_LEVELS: Record<number, LogLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const LIVE_ORDER = ['app', 'api', 'features', 'streams'];
/** How far back a tail reads; older entries are reported as truncated rather than scanned. */
const TAIL_WINDOW_BYTES = 4 * 1024 * 1024;
const MAX_LINE_CHARS = 16 * 1024;

export interface LogFileInfo {
  name: string;
  subsystem: string;
  size: number;
  modified: string;
  rotated: boolean;
}

const isLogName = (name: string): boolean => /\.(log|json|jsonl)$/.test(name);

function describe(name: string): { subsystem: string; rotated: boolean } {
  if (name === 'integration_test_report.json') return { subsystem: 'report', rotated: false };
  const m = /^([A-Za-z0-9_-]+?)(?:\.(\d+))?\.log$/.exec(name);
  return m ? { subsystem: m[1]!, rotated: m[2] !== undefined } : { subsystem: name.replace(/\..*$/, ''), rotated: false };
}

export function listLogFiles(logsDir: string): LogFileInfo[] {
  if (!fs.existsSync(logsDir)) return [];
  const files: LogFileInfo[] = [];
  for (const name of fs.readdirSync(logsDir)) {
    if (!isLogName(name)) continue;
    const st = fs.statSync(path.join(logsDir, name));
    if (!st.isFile()) continue;
    files.push({ name, ...describe(name), size: st.size, modified: st.mtime.toISOString() });
  }
  const rank = (f: LogFileInfo): number => {
    const i = LIVE_ORDER.indexOf(f.subsystem);
    return (f.rotated ? 100 : 0) + (i >= 0 ? i : f.subsystem === 'report' ? 50 : 10);
  };
  return files.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** The path of a log file by name, refusing anything that is not a plain file directly under logs/. */
export function logFilePath(logsDir: string, name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.') || !isLogName(name)) {
    throw new AppError('INVALID_INPUT', `"${name}" is not a log file name (see logs.files)`, { file: name });
  }
  const file = path.join(logsDir, name);
  if (!fs.existsSync(file)) {
    const have = listLogFiles(logsDir).map((f) => f.name);
    throw new AppError('NOT_FOUND', `no log file ${name} in ${logsDir} (have: ${have.join(', ') || 'none yet'})`, { file: name, dir: logsDir });
  }
  return file;
}

export function parseLogLine(file: string, line: string): LogEntry {
  const text = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
  if (text.startsWith('{')) {
    try {
      const o = JSON.parse(text) as Record<string, unknown>;
      const { level, time, msg, subsystem, pid: _pid, hostname: _host, ...fields } = o;
      return {
        file,
        time: typeof time === 'string' ? time : typeof time === 'number' ? new Date(time).toISOString() : null,
        level: typeof level === 'number' ? (PINO_LEVELS[level] ?? null) : typeof level === 'string' && (LEVELS as string[]).includes(level) ? (level as LogLevel) : null,
        subsystem: typeof subsystem === 'string' ? subsystem : null,
        msg: typeof msg === 'string' ? msg : '',
        fields,
      };
    } catch {
      // Not JSON after all (or cut by the length cap): shown as text.
    }
  }
  return { file, time: null, level: null, subsystem: null, msg: text, fields: {} };
}

export interface EntryFilter {
  level?: LogLevel | undefined;
  text?: string | undefined;
}

/** Minimum level (entries without a level pass only when no level is asked) and case-insensitive text over the whole entry. */
export function entryFilter(f: EntryFilter): (e: LogEntry, raw: string) => boolean {
  const min = f.level ? LEVELS.indexOf(f.level) : -1;
  const needle = f.text?.trim().toLowerCase() ?? '';
  return (e, raw) => {
    if (min > 0 && (e.level === null || LEVELS.indexOf(e.level) < min)) return false;
    return needle === '' || raw.toLowerCase().includes(needle);
  };
}

export interface TailResult {
  entries: LogEntry[];
  scanned: number;
  truncated: boolean;
}

/** The newest `limit` entries that pass the filter, oldest first, from the last few MiB of the file. */
export function readTail(file: string, name: string, limit: number, filter: EntryFilter = {}): TailResult {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - TAIL_WINDOW_BYTES);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    let text = buf.toString('utf8');
    // A window that starts mid-line drops that partial first line.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const pass = entryFilter(filter);
    const picked: LogEntry[] = [];
    for (let i = lines.length - 1; i >= 0 && picked.length < limit; i--) {
      const e = parseLogLine(name, lines[i]!);
      if (pass(e, lines[i]!)) picked.push(e);
    }
    return { entries: picked.reverse(), scanned: lines.length, truncated: start > 0 };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Follows the live log files of a folder by polling their sizes (cheap, and it works on every platform
 * and across the worker threads and processes that append): new complete lines are parsed and handed
 * over in one batch per file per tick. A file that shrank or was replaced (rotation) is read from its start.
 */
export class LogFollower {
  private readonly offsets = new Map<string, { ino: number; offset: number; partial: string }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly logsDir: string,
    private readonly onEntries: (file: string, entries: LogEntry[]) => void,
    intervalMs = 400,
  ) {
    for (const f of this.liveFiles()) this.offsets.set(f, this.stateAtEnd(f));
    this.timer = setInterval(() => this.poll(), intervalMs);
    this.timer.unref();
  }

  private liveFiles(): string[] {
    return listLogFiles(this.logsDir)
      .filter((f) => !f.rotated && f.name.endsWith('.log'))
      .map((f) => f.name);
  }

  private stateAtEnd(name: string): { ino: number; offset: number; partial: string } {
    const st = fs.statSync(path.join(this.logsDir, name));
    return { ino: st.ino, offset: st.size, partial: '' };
  }

  poll(): void {
    let names: string[];
    try {
      names = this.liveFiles();
    } catch {
      return;
    }
    for (const name of names) {
      try {
        this.pollFile(name);
      } catch {
        // Rotated between stat and read; the next tick starts the new file from its beginning.
      }
    }
  }

  private pollFile(name: string): void {
    const file = path.join(this.logsDir, name);
    const st = fs.statSync(file);
    // A file first seen after start is new: everything in it is news.
    const state = this.offsets.get(name) ?? { ino: st.ino, offset: 0, partial: '' };
    if (st.ino !== state.ino || st.size < state.offset) Object.assign(state, { ino: st.ino, offset: 0, partial: '' });
    this.offsets.set(name, state);
    if (st.size === state.offset) return;
    const fd = fs.openSync(file, 'r');
    let chunk: string;
    try {
      const len = Math.min(st.size - state.offset, TAIL_WINDOW_BYTES);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, st.size - len);
      chunk = buf.toString('utf8');
      state.offset = st.size;
    } finally {
      fs.closeSync(fd);
    }
    const text = state.partial + chunk;
    const cut = text.lastIndexOf('\n');
    state.partial = cut < 0 ? text : text.slice(cut + 1);
    if (cut < 0) return;
    const entries = text
      .slice(0, cut)
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => parseLogLine(name, l));
    if (entries.length > 0) this.onEntries(name, entries);
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** One follower per running app, started by the first tail that asks to follow; events go to every client. */
export function followWorkspaceLogs(s: Services): Promise<LogFollower> {
  return s.resource(
    'log-follower',
    async () => new LogFollower(s.workspace.paths.logsDir, (file, entries) => s.events.publish('logs.line', { file, entries })),
    (f) => f.close(),
  );
}
