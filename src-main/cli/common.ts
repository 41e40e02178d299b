/** Helpers every CLI command uses: workspace resolution, services, running jobs with a progress bar. */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { methods, type Input, type Job, type MethodName, type Output } from '../api/contract.js';
import { AppError } from '../platform/errors.js';
import { openServices, type Services } from '../platform/services.js';
import { defaultWorkspaceDir } from '../platform/workspace.js';
import { call, followJob } from './follow.js';

export const out = (s: string): void => void process.stdout.write(`${s}\n`);

export function intArg(name: string, min = 0) {
  return (v: string): number => {
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
}

export interface GlobalOpts {
  workspace?: string;
  json?: boolean;
}

export function workspaceOf(cmd: Command): string {
  const o = cmd.optsWithGlobals<GlobalOpts>();
  return path.resolve(o.workspace ?? defaultWorkspaceDir());
}

export async function withServices<T>(cmd: Command, fn: (s: Services) => Promise<T>): Promise<T> {
  const s = await openServices({ workspace: workspaceOf(cmd), mode: 'cli' });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

export function failJob(job: Job): never {
  const e = job.error ?? { code: 'INTERNAL', message: 'job failed' };
  throw new AppError(e.code as never, `${job.title}: ${e.message}`, e.details);
}

/** Methods that start a job (declared with `job: true` in the contract). */
export type JobMethod = { [M in MethodName]: Output<M> extends Job ? (Job extends Output<M> ? M : never) : never }[MethodName];

export async function runJobCommand<M extends JobMethod>(cmd: Command, method: M, input: Input<M>): Promise<unknown> {
  const json = cmd.optsWithGlobals<GlobalOpts>().json ?? false;
  if (!(methods[method] as { job?: boolean }).job) throw new AppError('INTERNAL', `${method} does not start a job`);
  return withServices(cmd, async (s) => {
    const job = (await call(s, method, input)) as Job;
    const done = await followJob(s, job, json);
    if (done.status !== 'succeeded') failJob(done);
    if (json) out(JSON.stringify(done.result, null, 2));
    return done.result;
  });
}

export function printImport(r: Record<string, unknown>): void {
  const reasons = Object.entries((r.rejected_by_reason as Record<string, number>) ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out(`imported ${r.file} (${r.layout} layout)`);
  out(`  rows read ${r.rows_read}, accepted ${r.rows_accepted}, rejected ${r.rows_rejected}${reasons ? ` (${reasons})` : ''}`);
  out(`  written ${r.rows_written}, already present ${r.rows_duplicate}, months ${(r.months as string[]).length}`);
  if (r.rejects_file) out(`  rejects: ${r.rejects_file}`);
}

