/**
 * Wakes readers of the embedded log when something was appended: at once for writes through this
 * connection, and within a few milliseconds for writes by other connections (job workers, other
 * processes), seen through SQLite's `PRAGMA data_version`, which changes when another connection commits.
 */
import { EventEmitter } from 'node:events';
import type { Db } from '../../../platform/db/sqlite.js';

const POLL_MS = 5;

export class Wakeup {
  private readonly emitter = new EventEmitter();
  private timer: NodeJS.Timeout | null = null;
  private version: number;

  constructor(private readonly db: Db) {
    this.emitter.setMaxListeners(0);
    this.version = this.dataVersion();
  }

  notify(): void {
    this.emitter.emit('change');
  }

  /** Resolves on the next change, after `ms`, or when `signal` aborts — whichever comes first. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timeout);
        this.emitter.off('change', done);
        signal?.removeEventListener('abort', done);
        this.release();
        resolve();
      };
      const timeout = setTimeout(done, ms);
      this.emitter.on('change', done);
      signal?.addEventListener('abort', done, { once: true });
      this.watch();
    });
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.emitter.emit('change');
  }

  private dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  private watch(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.db.open) return this.close();
      const v = this.dataVersion();
      if (v !== this.version) {
        this.version = v;
        this.emitter.emit('change');
      }
    }, POLL_MS);
  }

  private release(): void {
    if (this.timer && this.emitter.listenerCount('change') === 0) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
