/** taxi-mlops import | generate | summary */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { DriftNameSchema, type Input } from '../../api/contract.js';
import { call } from '../follow.js';
import { intArg, out, printImport, runJobCommand, withServices, type GlobalOpts } from '../common.js';

export function registerDataCommands(program: Command): void {
  program
    .command('import')
    .description('import trips from a CSV file (TFX sample, City of Chicago portal, or the columns the app itself writes)')
    .argument('<file>', 'CSV file')
    .addOption(new Option('--layout <layout>', 'CSV layout').choices(['auto', 'tfx', 'portal', 'canonical']).default('auto'))
    .option('--source <name>', 'name recorded as the source of these trips')
    .action(async (file: string, o: { layout: 'auto' | 'tfx' | 'portal' | 'canonical'; source?: string }, cmd: Command) => {
      const input = { path: path.resolve(file), layout: o.layout, ...(o.source ? { source: o.source } : {}) };
      const r = (await runJobCommand(cmd, 'data.import', input)) as Record<string, unknown>;
      if (!cmd.optsWithGlobals<GlobalOpts>().json) printImport(r);
    });

  program
    .command('generate')
    .description('generate synthetic trips calibrated on the real sample')
    .requiredOption('--rows <n>', 'number of trips', intArg('--rows', 1))
    .option('--seed <s>', 'random seed (same seed, same trips)', intArg('--seed'), 42)
    .option('--start <date>', 'first pickup date (ISO)')
    .option('--end <date>', 'last pickup date (ISO)')
    .addOption(new Option('--drift <name>', 'inject a named drift').choices(DriftNameSchema.options).default('none'))
    .option('--output <file>', 'write to a .csv or .parquet file instead of the trip store')
    .action(async (o: { rows: number; seed: number; start?: string; end?: string; drift: Input<'data.generate'>['drift']; output?: string }, cmd: Command) => {
      const input: Input<'data.generate'> = {
        rows: o.rows,
        seed: o.seed,
        drift: o.drift,
        ...(o.start ? { start: o.start } : {}),
        ...(o.end ? { end: o.end } : {}),
        ...(o.output ? { output: path.resolve(o.output) } : {}),
      };
      const r = (await runJobCommand(cmd, 'data.generate', input)) as Record<string, unknown>;
      if (!cmd.optsWithGlobals<GlobalOpts>().json) out(`generated ${r.rows} trips (seed ${r.seed}, drift ${r.drift}) → ${r.output}`);
    });

  program
    .command('summary')
    .description('what the trip store holds')
    .action(async (_o, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'data.summary', {}));
      out(JSON.stringify(r, null, 2));
    });

}
