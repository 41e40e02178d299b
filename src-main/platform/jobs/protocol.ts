/** Messages between the job manager and a job worker thread. */
import type { ProgressReport } from './context.js';

export interface WorkerStart {
  jobId: string;
  kind: string;
  input: unknown;
  workspaceRoot: string;
}

export type ToWorker = { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; report: ProgressReport }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'done'; result: unknown }
  | { type: 'error'; error: { code: string; message: string; details?: Record<string, unknown> } };
