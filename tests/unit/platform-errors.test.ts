/** The wire shape of errors: codes stay stable, and a full disk is its own code whichever layer noticed it. */
import { describe, expect, it } from 'vitest';
import { AppError, errorShape, isDiskFull } from '../../src-main/platform/errors.js';

const enospc = (): NodeJS.ErrnoException => Object.assign(new Error("ENOSPC: no space left on device, write '/ws/tmp/x'"), { code: 'ENOSPC', errno: -28 });

describe('errorShape', () => {
  it('keeps AppErrors as they are', () => {
    expect(errorShape(new AppError('NOT_FOUND', 'model m not found', { name: 'm' }))).toEqual({ code: 'NOT_FOUND', message: 'model m not found', details: { name: 'm' } });
  });

  it('does not pass Node errno codes off as error codes', () => {
    const e = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT' });
    expect(errorShape(e).code).toBe('INTERNAL');
  });

  it('names a full disk from fs, from DuckDB text, from SQLite, and through a cause', () => {
    const duck = new Error('IO Error: Could not write file "/ws/tmp/a.parquet": No space left on device');
    const sqlite = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const wrapped = new AppError('INTERNAL', 'import failed (append): write error', { phase: 'append' }, { cause: enospc() });
    for (const e of [enospc(), duck, sqlite, wrapped]) {
      expect(isDiskFull(e)).toBe(true);
      const s = errorShape(e);
      expect(s.code, String(e)).toBe('DISK_FULL');
      expect(s.message).toContain((e as Error).message);
      expect(s.message).toMatch(/disk is full: free space/);
    }
    // Context survives the reclassification.
    expect(errorShape(wrapped).details).toEqual({ phase: 'append' });
  });

  it('leaves other failures and deliberate codes alone', () => {
    expect(isDiskFull(new Error('IO Error: permission denied'))).toBe(false);
    expect(errorShape(new Error('boom')).code).toBe('INTERNAL');
    // A user-facing code that merely mentions the words is not rewritten.
    expect(errorShape(new AppError('INVALID_INPUT', 'path "No space left on device.csv" is not a CSV')).code).toBe('INVALID_INPUT');
  });
});
