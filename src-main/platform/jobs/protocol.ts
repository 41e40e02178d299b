/** Messages between the job manager and a job worker thread. */
import type { ProgressReport } from './context.js';

export interface WorkerStart {
  jobId: string;
  kind: string;
  input: unknown;
  workspaceRoot: string;
  /** Shared with the manager: DuckDB native calls in flight and the stop flag (native-guard.ts). */
  native?: Int32Array;
}

export type ToWorker = { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; report: ProgressReport }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'done'; result: unknown }
  | { type: 'error'; error: { code: string; message: string; details?: Record<string, unknown> } };
