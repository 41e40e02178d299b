/** taxi-mlops jobs list | show | cancel */
import type { Command } from 'commander';
import { isTerminal } from '../../platform/jobs/manager.js';
import { call } from '../follow.js';
import { intArg, out, withServices, type GlobalOpts } from '../common.js';

export function registerJobsCommands(program: Command): void {
  const jobs = program.command('jobs').description('list, show and cancel jobs');
  jobs
    .command('list', { isDefault: true })
    .description('recent jobs, newest first')
    .option('--limit <n>', 'how many', intArg('--limit', 1), 20)
    .action(async (o: { limit: number }, cmd: Command) => {
      const list = await withServices(cmd, (s) => call(s, 'jobs.list', { limit: o.limit }));
      if (cmd.optsWithGlobals<GlobalOpts>().json) return out(JSON.stringify(list, null, 2));
      if (list.length === 0) return out('no jobs yet');
      for (const j of list) {
        const pct = j.progress.percent === null ? '' : ` ${j.progress.percent}%`;
        out(`${j.id}  ${j.status.padEnd(9)}${pct.padEnd(7)} ${j.created_at}  ${j.title}${j.error ? `  — ${j.error.code}: ${j.error.message}` : ''}`);
      }
    });
  jobs
    .command('show')
    .argument('<id>')
    .description('one job with its result or error and its log')
    .action(async (id: string, _o, cmd: Command) => {
      await withServices(cmd, async (s) => {
        const job = await call(s, 'jobs.get', { id });
        out(JSON.stringify({ ...job, log: s.jobs.logs(id) }, null, 2));
      });
    });
  jobs
    .command('cancel')
    .argument('<id>')
    .description('cancel a queued or running job')
    .action(async (id: string, _o, cmd: Command) => {
      const job = await withServices(cmd, (s) => call(s, 'jobs.cancel', { id }));
      out(`${job.id} ${isTerminal(job.status) ? job.status : 'cancel requested'}`);
    });

}
