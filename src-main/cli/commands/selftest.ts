/** taxi-mlops selftest [--profile local|cluster]: the complete integration test, with a readable summary. */
import type { Command } from 'commander';
import type { SelftestReport } from '../../api/methods/selftest.js';
import { AppError } from '../../platform/errors.js';
import { call, followJob } from '../follow.js';
import { intArg, out, withServices, type GlobalOpts } from '../common.js';

export function registerSelftestCommand(program: Command): void {
  program
    .command('selftest')
    .description('run import → transform → materialize → train → register → stream → predictions → drift → alert in a scratch workspace; writes logs/integration_test_report.json')
    .option('--profile <name>', 'profile of config.yaml to test (default: the active one)')
    .option('--stream-trips <n>', 'sample trips replayed through the processor', intArg('--stream-trips', 10), 1000)
    .option('--epochs <n>', 'MLP epochs', intArg('--epochs', 1), 3)
    .option('--keep', 'keep the scratch workspace and its topics, keys and registry entries', false)
    .action(async (o: { profile?: string; streamTrips: number; epochs: number; keep: boolean }, cmd: Command) => {
      const json = cmd.optsWithGlobals<GlobalOpts>().json ?? false;
      const report = await withServices(cmd, async (s) => {
        const job = await call(s, 'system.selftest', { ...(o.profile ? { profile: o.profile } : {}), stream_trips: o.streamTrips, epochs: o.epochs, keep: o.keep });
        const done = await followJob(s, job, json);
        // A failed or cancelled run still wrote its report; print it before the error.
        return done.status === 'succeeded' ? (done.result as SelftestReport) : await call(s, 'system.selftest.report', {});
      });
      if (!report) throw new AppError('INTERNAL', 'the self-test wrote no report');
      out(json ? JSON.stringify(report, null, 2) : report.summary);
      if (report.status !== 'passed') process.exitCode = 1;
    });
}
