/** Calling the contract from the CLI and following the jobs it starts. */
import type { Input, Job, MethodName, Output } from '../api/contract.js';
import { dispatch } from '../api/dispatch.js';
import { AppError } from '../platform/errors.js';
import type { Services } from '../platform/services.js';
import { jobBar } from './progress.js';

export async function call<M extends MethodName>(s: Services, method: M, input: Input<M>): Promise<Output<M>> {
  const res = await dispatch(s, method, input);
  if (!res.ok) throw new AppError(res.error.code as never, res.error.message, res.error.details);
  return res.result as Output<M>;
}

/** Follows a job with a progress bar; Ctrl-C cancels it. Resolves with the finished job. */
export async function followJob(s: Services, job: Job, quiet = false): Promise<Job> {
  const bar = quiet ? null : jobBar(job.title);
  const onProgress = (j: Job): void => {
    if (j.id === job.id) bar?.update(j);
  };
  s.jobs.on('progress', onProgress);
  const onSigint = (): void => {
    process.stderr.write('\ncancelling…\n');
    s.jobs.cancel(job.id);
  };
  process.once('SIGINT', onSigint);
  try {
    const done = await s.jobs.wait(job.id);
    bar?.update(done);
    return done;
  } finally {
    bar?.stop();
    s.jobs.off('progress', onProgress);
    process.off('SIGINT', onSigint);
  }
}

