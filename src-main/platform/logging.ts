/**
 * Structured JSON logs, one file per subsystem under the workspace's logs/ folder (the platform guide's
 * app.log, api.log, features.log, streams.log). Secrets are redacted by key name before they are written.
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

const loggers = new Map<string, Logger>();

/** The log file of a subsystem; 'data' and 'jobs' write to app.log like the guide's single app log. */
export function logFileOf(logsDir: string, subsystem: Subsystem): string {
  const file = subsystem === 'data' || subsystem === 'jobs' || subsystem === 'registry' ? 'app' : subsystem;
  return path.join(logsDir, `${file}.log`);
}

export function createLogger(logsDir: string, subsystem: Subsystem, level = process.env.TAXI_LOG_LEVEL ?? 'info'): Logger {
  const file = logFileOf(logsDir, subsystem);
  const key = `${file}|${subsystem}|${level}`;
  const existing = loggers.get(key);
  if (existing) return existing;
  fs.mkdirSync(logsDir, { recursive: true });
  const dest = pino.destination({ dest: file, append: true, sync: true, mkdir: true });
  const logger = pino(
    { level, base: { subsystem, pid: process.pid }, redact: { paths: REDACT, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime },
    dest,
  );
  loggers.set(key, logger);
  return logger;
}

/** A logger that drops everything, for pure engine calls in tests. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
