#!/usr/bin/env node
/**
 * taxi-mlops — the headless front end. Every command goes through the same contract as the console
 * (dispatch), so the CLI, IPC and HTTP accept and refuse exactly the same inputs.
 */
import fs from 'node:fs';
import { Command } from 'commander';
import { errorShape } from '../platform/errors.js';
import { APP_VERSION } from '../platform/version.js';
import { registerDataCommands } from './commands/data.js';
import { registerFeatureCommands } from './commands/features.js';
import { registerJobsCommands } from './commands/jobs.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerModelCommands } from './commands/models.js';
import { registerServeCommand } from './commands/serve.js';
import { registerStreamsCommands } from './commands/streams.js';
import { registerStreamCommands } from './commands/stream.js';
import { registerWorkspaceCommands } from './commands/workspace.js';
import { registerSelftestCommand } from './commands/selftest.js';
import { registerProfilesCommands } from './commands/profiles.js';
import { registerMonitorCommands } from './commands/monitor.js';

export function buildProgram(): Command {
  const program = new Command('taxi-mlops')
    .description('Chicago Taxi MLOps Console — headless commands')
    .version(APP_VERSION)
    .option('-w, --workspace <dir>', 'workspace folder (default: $TAXI_WORKSPACE or ~/.taxi-mlops)')
    .option('--json', 'print machine-readable JSON results')
    .showHelpAfterError('(run with --help for usage)');
  // One file per domain under commands/; each adds its commands here.
  registerWorkspaceCommands(program);
  registerDataCommands(program);
  registerFeatureCommands(program);
  registerJobsCommands(program);
  registerRegistryCommands(program);
  registerModelCommands(program);
  registerServeCommand(program);
  registerStreamsCommands(program);
  registerStreamCommands(program);
  registerSelftestCommand(program);
  registerProfilesCommands(program);
  registerMonitorCommands(program);
  refuseUnknownSubcommands(program, program);
  return program;
}

/**
 * Groups with a default subcommand (`topics` runs `topics list`) would hand an unknown word to it, and
 * commander then says "too many arguments for 'list'". Name the unknown command and what exists instead,
 * pointing at a top-level command of that name when there is one (`topics produce` → `produce`).
 */
function refuseUnknownSubcommands(cmd: Command, root: Command): void {
  if (cmd.commands.length > 0 && cmd !== root) {
    cmd.hook('preSubcommand', (parent, sub) => {
      const first = parent.args[0];
      if (first === undefined || first.startsWith('-') || first === sub.name() || sub.aliases().includes(first)) return;
      const topLevel = root.commands.find((c) => c.name() === first);
      const hint = topLevel ? ` — did you mean "taxi-mlops ${first}"?` : '';
      parent.error(`error: unknown command '${first}' for '${parent.name()}' (commands: ${parent.commands.map((c) => c.name()).join(', ')})${hint}`);
    });
  }
  for (const c of cmd.commands) refuseUnknownSubcommands(c, root);
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    const err = errorShape(e);
    process.stderr.write(`taxi-mlops: ${err.code}: ${err.message}\n`);
    process.exitCode = err.code === 'INVALID_INPUT' || err.code === 'INVALID_CONFIG' ? 2 : 1;
  }
}

const invokedDirectly = (() => {
  const entry = process.argv[1] ? fs.realpathSync(process.argv[1]) : '';
  return /cli[\\/]index\.ts$|cli\.js$|taxi-mlops(\.js)?$/.test(entry);
})();
if (invokedDirectly) void main();
