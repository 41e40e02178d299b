/**
 * Errors that cross a boundary carry a stable code, a message a person can act on, and the context
 * (file, row, column, key path, host…) in `details`.
 */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'INVALID_CONFIG'
  | 'INVALID_FILE'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'CONFLICT'
  | 'CANCELLED'
  | 'UNAVAILABLE'
  | 'TIMEOUT'
  /** The disk holding the workspace (or its scratch folder) ran out of space. */
  | 'DISK_FULL'
  | 'UNKNOWN_METHOD'
  | 'INTERNAL'
  // MLflow's codes, used by the registry so its REST API can answer in MLflow's terms.
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_PARAMETER_VALUE';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

const DISK_FULL_TEXT = /No space left on device|ENOSPC|database or disk is full|disk quota exceeded|EDQUOT/i;

/** Whether an error (or one of its causes) says the disk is full, whatever layer raised it (fs, SQLite, DuckDB). */
export function isDiskFull(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || code === 'DISK_FULL') return true;
    if (x instanceof Error && DISK_FULL_TEXT.test(x.message)) return true;
  }
  return false;
}

const DISK_FULL_HINT = ' (the disk is full: free space on it, or move the workspace, then run it again; nothing was half-written)';

/**
 * Any thrown value as the wire shape; unexpected errors keep their message but not their stack. A full
 * disk is its own code whichever layer noticed it, so the console and scripts can say what to do.
 */
export function errorShape(e: unknown): { code: string; message: string; details?: Record<string, unknown> } {
  const shape = rawShape(e);
  if ((shape.code === 'INTERNAL' || shape.code.startsWith('SQLITE_')) && isDiskFull(e)) return { ...shape, code: 'DISK_FULL', message: shape.message + DISK_FULL_HINT };
  return shape;
}

function rawShape(e: unknown): { code: string; message: string; details?: Record<string, unknown> } {
  if (isAppError(e)) return e.toJSON();
  if (e && typeof e === 'object' && 'code' in e && 'message' in e && typeof (e as { code: unknown }).code === 'string' && !/^E[A-Z]+$/.test((e as { code: string }).code)) {
    const x = e as { code: string; message: string; details?: Record<string, unknown> };
    return x.details ? { code: x.code, message: String(x.message), details: x.details } : { code: x.code, message: String(x.message) };
  }
  if (e instanceof Error) return { code: 'INTERNAL', message: e.message };
  return { code: 'INTERNAL', message: String(e) };
}

export const cancelled = (what: string): AppError => new AppError('CANCELLED', `${what} was cancelled`);
