/**
 * Structured JSON logs, one file per subsystem under the workspace's logs/ folder (the platform guide's
 * app.log, api.log, features.log, streams.log). Secrets are redacted by key name before they are written.
 * Each file rotates by size (app.log → app.1.log → … → app.<keep>.log, the oldest dropped) so a
 * long-running server never fills the disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type Subsystem = 'app' | 'api' | 'data' | 'features' | 'registry' | 'streams' | 'monitoring' | 'jobs';

const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.sasl.password',
];

export interface RotationOptions {
  /** Rotate once the file reaches this size. */
  maxBytes: number;
  /** Rotated files kept besides the live one. */
  keep: number;
}

const envInt = (name: string, fallback: number): number => {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

export const defaultRotation = (): RotationOptions => ({
  maxBytes: envInt('TAXI_LOG_MAX_BYTES', 10 * 1024 * 1024),
  keep: envInt('TAXI_LOG_KEEP', 3),
});

/** app.log → app.2.log for n = 2. */
export const rotatedName = (file: string, n: number): string => {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.${n}${ext}`;
};

/**
 * A synchronous append-only destination for pino that rotates by size. Several writers (worker threads,
 * a CLI next to the app) may append to the same file: whoever sees it over the limit renames it, and the
 * others notice the live path now names another file and reopen it, so no line goes to a rotated-away
 * file for long and none is lost.
 */
export class RotatingFile {
  private fd: number;
  private ino: number;
  private lastCheck = 0;

  constructor(
    readonly file: string,
    private readonly opts: RotationOptions = defaultRotation(),
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a');
    this.ino = fs.fstatSync(this.fd).ino;
  }

  write(chunk: string): boolean {
    this.followRotation();
    fs.writeSync(this.fd, chunk);
    if (fs.fstatSync(this.fd).size >= this.opts.maxBytes) this.rotate();
    return true;
  }

  private followRotation(): void {
    const now = Date.now();
    if (now - this.lastCheck < 200) return;
    this.lastCheck = now;
    let ino: number | null = null;
    try {
      ino = fs.statSync(this.file).ino;
    } catch {
      // Renamed away and not recreated yet: reopen creates it.
    }
    if (ino !== this.ino) this.reopen();
  }

  private rotate(): void {
    try {
      // Only the writer whose file is still the live one rotates; a concurrent writer may have done it.
      if (fs.statSync(this.file).ino === this.ino) {
        fs.rmSync(rotatedName(this.file, this.opts.keep), { force: true });
        for (let n = this.opts.keep - 1; n >= 1; n--) {
          const from = rotatedName(this.file, n);
          if (fs.existsSync(from)) fs.renameSync(from, rotatedName(this.file, n + 1));
        }
        fs.renameSync(this.file, rotatedName(this.file, 1));
      }
    } catch {
      // Another writer rotated between our checks; reopening below picks up its new live file.
    }
    this.reopen();
  }

  private reopen(): void {
    this.lastCheck = Date.now();
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'a');
    } catch {
      // The folder is gone (a removed workspace): keep writing where we were rather than throw from a log call.
      return;
    }
    fs.closeSync(this.fd);
    this.fd = fd;
    this.ino = fs.fstatSync(fd).ino;
  }

  /** pino calls this on flush; writes are synchronous already. */
  flushSync(): void {}

  end(): void {
    fs.closeSync(this.fd);
  }
}

const loggers = new Map<string, Logger>();
const files = new Map<string, RotatingFile>();

/** The log file of a subsystem; 'data', 'jobs' and 'registry' write to app.log like the guide's single app log. */
export function logFileOf(logsDir: string, subsystem: Subsystem): string {
  const file = subsystem === 'data' || subsystem === 'jobs' || subsystem === 'registry' ? 'app' : subsystem;
  return path.join(logsDir, `${file}.log`);
}

export function createLogger(logsDir: string, subsystem: Subsystem, level = process.env.TAXI_LOG_LEVEL ?? 'info'): Logger {
  const file = logFileOf(logsDir, subsystem);
  const key = `${file}|${subsystem}|${level}`;
  const existing = loggers.get(key);
  if (existing) return existing;
  // One rotating destination per file in this thread, shared by the subsystems that write to it.
  let dest = files.get(file);
  if (!dest) {
    dest = new RotatingFile(file);
    files.set(file, dest);
  }
  const logger = pino(
    { level, base: { subsystem, pid: process.pid }, redact: { paths: REDACT, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime },
    dest,
  );
  loggers.set(key, logger);
  return logger;
}

/** A logger that drops everything, for pure engine calls in tests. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
