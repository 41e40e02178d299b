/**
 * What a long-running task sees while it runs inside a job worker. Engines take this interface, not the
 * job manager, so they stay plain functions that a test can call directly.
 */
import type { Logger } from '../logging.js';
import type { Workspace } from '../workspace.js';

export interface ProgressReport {
  /** Units done so far (rows, bytes, steps). */
  done: number;
  /** Total units when known; the runner derives percent and ETA from it. */
  total?: number | null;
  unit: string;
  message?: string;
}

export interface JobContext {
  readonly signal: AbortSignal;
  readonly workspace: Workspace;
  readonly log: Logger;
  /** Cheap to call often: the runner throttles what it forwards. */
  progress(report: ProgressReport): void;
}

/** Throws CANCELLED when the job was cancelled; call between batches. */
export function throwIfCancelled(ctx: Pick<JobContext, 'signal'>, what = 'job'): void {
  if (ctx.signal.aborted) {
    const err = new Error(`${what} was cancelled`) as Error & { code: string };
    err.code = 'CANCELLED';
    throw err;
  }
}

/** A context for direct calls (tests, benches): no cancellation, progress ignored unless a sink is given. */
export function inlineContext(
  workspace: Workspace,
  log: Logger,
  onProgress?: (r: ProgressReport) => void,
  signal: AbortSignal = new AbortController().signal,
): JobContext {
  return { signal, workspace, log, progress: (r) => onProgress?.(r) };
}
