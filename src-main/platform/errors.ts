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

/** Any thrown value as the wire shape; unexpected errors keep their message but not their stack. */
export function errorShape(e: unknown): { code: string; message: string; details?: Record<string, unknown> } {
  if (isAppError(e)) return e.toJSON();
  if (e && typeof e === 'object' && 'code' in e && 'message' in e && typeof (e as { code: unknown }).code === 'string') {
    const x = e as { code: string; message: string; details?: Record<string, unknown> };
    return x.details ? { code: x.code, message: String(x.message), details: x.details } : { code: x.code, message: String(x.message) };
  }
  if (e instanceof Error) return { code: 'INTERNAL', message: e.message };
  return { code: 'INTERNAL', message: String(e) };
}

export const cancelled = (what: string): AppError => new AppError('CANCELLED', `${what} was cancelled`);
