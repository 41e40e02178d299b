/** taxi-mlops init | demo */
import path from 'node:path';
import type { Command } from 'commander';
import { initWorkspace } from '../../platform/workspace.js';
import { runDemo } from '../demo.js';
import { intArg, out, workspaceOf, type GlobalOpts } from '../common.js';

export function registerWorkspaceCommands(program: Command): void {
  program
    .command('init')
    .description('create a workspace with a default config.yaml (an existing config is kept)')
    .action(async (_o, cmd: Command) => {
      const { workspace, created } = initWorkspace(workspaceOf(cmd));
      out(`${created ? 'created' : 'already initialised'} workspace ${workspace.paths.root} (profile ${workspace.profile.name})`);
      // The platform topics exist from the start on the embedded log; a cluster's Kafka may not be
      // reachable yet, so there they are created on first use instead.
      if (workspace.profile.bus.type === 'local') {
        const { openPlatformBus } = await import('../../engines/streams/index.js');
        const bus = await openPlatformBus(workspace);
        const topics = (await bus.listTopics()).map((t) => t.name);
        await bus.close();
        out(`topics: ${topics.join(', ')}`);
      }
    });

  program
    .command('demo')
    .description('the main job: init a workspace, import the bundled sample, generate synthetic trips, build and serve features')
    .option('--rows <n>', 'synthetic trips to generate', intArg('--rows', 1), 200_000)
    .option('--seed <s>', 'random seed', intArg('--seed'), 42)
    .action(async (o: { rows: number; seed: number }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      const ws = path.resolve(g.workspace ?? process.env.TAXI_WORKSPACE ?? '.workspace-demo');
      await runDemo({ workspace: ws, rows: o.rows, seed: o.seed, print: out });
    });

}
