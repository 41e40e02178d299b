/** taxi-mlops experiments … | runs … | models …: the model registry of the active profile. */
import { Option, type Command } from 'commander';
import type { Input, MethodName, Output } from '../../api/contract.js';
import { AppError } from '../../platform/errors.js';
import { call } from '../follow.js';
import { intArg, out, withServices, type GlobalOpts } from '../common.js';

type Run = Output<'registry.runs.get'>;
type Version = Output<'registry.versions.get'>;

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const when = (ms: number | null): string => (ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** Calls a contract method and prints JSON (--json) or the human form. */
async function show<M extends MethodName>(cmd: Command, method: M, input: Input<M>, human: (r: Output<M>) => void): Promise<void> {
  const r = await withServices(cmd, (s) => call(s, method, input));
  if (cmd.optsWithGlobals<GlobalOpts>().json) return out(JSON.stringify(r, null, 2));
  human(r);
}

function printRuns(runs: Run[], next: string | null): void {
  if (runs.length === 0) return out('no runs match');
  for (const r of runs) {
    const metrics = r.data.metrics.map((m) => `${m.key}=${m.value === null ? 'NaN' : +m.value.toPrecision(6)}`).join(' ');
    const params = r.data.params.map((p) => `${p.key}=${p.value}`).join(' ');
    out(`${r.info.run_id}  ${pad(r.info.status, 9)} ${when(r.info.start_time)}  ${pad(r.info.run_name, 24)} ${metrics}${params ? `  | ${params}` : ''}`);
  }
  if (next) out(`more: --page-token ${next}`);
}

const versionLine = (v: Version): string =>
  `${v.name} v${v.version}  ${pad(v.current_stage, 10)} ${v.aliases.length ? `@${v.aliases.join(' @')}  ` : ''}${v.run_id ? `run ${v.run_id}  ` : ''}${v.source}`;

function experimentsCommands(program: Command): void {
  const exp = program.command('experiments').description('list, create, rename, delete and restore experiments');
  exp
    .command('list', { isDefault: true })
    .description('experiments, newest first')
    .option('--filter <filter>', "MLflow filter, e.g. \"name LIKE 'fare%'\"")
    .addOption(new Option('--view <view>', 'which experiments').choices(['active', 'deleted', 'all']).default('active'))
    .option('--max <n>', 'how many', intArg('--max', 1), 100)
    .action(async (o: { filter?: string; view: 'active' | 'deleted' | 'all'; max: number }, cmd: Command) => {
      const view_type = o.view === 'deleted' ? 'DELETED_ONLY' : o.view === 'all' ? 'ALL' : 'ACTIVE_ONLY';
      await show(cmd, 'registry.experiments.list', { view_type, max_results: o.max, ...(o.filter ? { filter: o.filter } : {}) }, (r) => {
        if (r.experiments.length === 0) return out('no experiments match');
        for (const e of r.experiments) out(`${pad(e.experiment_id, 6)} ${pad(e.name, 40)} ${e.lifecycle_stage.padEnd(8)} created ${when(e.creation_time)}`);
      });
    });
  exp
    .command('create')
    .argument('<name>')
    .description('create an experiment')
    .action(async (name: string, _o, cmd: Command) => show(cmd, 'registry.experiments.create', { name }, (e) => out(`created experiment ${e.experiment_id} "${e.name}"`)));
  exp
    .command('rename')
    .arguments('<experiment-id> <new-name>')
    .description('rename an experiment')
    .action(async (id: string, newName: string, _o, cmd: Command) =>
      show(cmd, 'registry.experiments.rename', { experiment_id: id, new_name: newName }, (e) => out(`experiment ${e.experiment_id} is now "${e.name}"`)),
    );
  for (const [verb, method] of [
    ['delete', 'registry.experiments.delete'],
    ['restore', 'registry.experiments.restore'],
  ] as const) {
    exp
      .command(verb)
      .argument('<experiment-id>')
      .description(`${verb} an experiment and its runs`)
      .action(async (id: string, _o, cmd: Command) => show(cmd, method, { experiment_id: id }, (e) => out(`experiment ${e.experiment_id} "${e.name}" is ${e.lifecycle_stage}`)));
  }
}

function runsCommands(program: Command): void {
  const runs = program.command('runs').description('search runs, show one, print a metric history');
  runs
    .command('search', { isDefault: true })
    .description("search runs with MLflow's filter grammar")
    .option('--experiment <id>', 'experiment id (repeatable; default: all active experiments)', collect)
    .option('--filter <filter>', "e.g. \"metrics.rmse < 5 and params.model = 'mlp'\"")
    .option('--order-by <clause>', 'e.g. "metrics.rmse ASC" (repeatable)', collect)
    .option('--max <n>', 'how many', intArg('--max', 1), 50)
    .option('--page-token <token>', 'the token printed by the previous page')
    .addOption(new Option('--view <view>', 'which runs').choices(['active', 'deleted', 'all']).default('active'))
    .action(
      async (o: { experiment?: string[]; filter?: string; orderBy?: string[]; max: number; pageToken?: string; view: string }, cmd: Command) => {
        const input: Input<'registry.runs.search'> = {
          max_results: o.max,
          run_view_type: o.view === 'deleted' ? 'DELETED_ONLY' : o.view === 'all' ? 'ALL' : 'ACTIVE_ONLY',
          ...(o.experiment ? { experiment_ids: o.experiment } : {}),
          ...(o.filter ? { filter: o.filter } : {}),
          ...(o.orderBy ? { order_by: o.orderBy } : {}),
          ...(o.pageToken ? { page_token: o.pageToken } : {}),
        };
        await show(cmd, 'registry.runs.search', input, (r) => printRuns(r.runs, r.next_page_token));
      },
    );
  runs
    .command('show')
    .argument('<run-id>')
    .description('one run with its params, tags and latest metrics')
    .action(async (runId: string, _o, cmd: Command) => show(cmd, 'registry.runs.get', { run_id: runId }, (r) => out(JSON.stringify(r, null, 2))));
  runs
    .command('history')
    .arguments('<run-id> <metric>')
    .description('every logged value of one metric')
    .action(async (runId: string, key: string, _o, cmd: Command) =>
      show(cmd, 'registry.runs.metricHistory', { run_id: runId, key }, (r) => {
        if (r.metrics.length === 0) return out(`run ${runId} has no metric "${key}"`);
        for (const m of r.metrics) out(`step ${pad(String(m.step), 6)} ${when(m.timestamp)}  ${m.value === null ? 'NaN' : m.value}`);
      }),
    );
}

function modelsCommands(program: Command): void {
  const models = program.command('models').description('registered models, versions, stages and aliases');
  models
    .command('list', { isDefault: true })
    .description('registered models with their aliases and latest versions')
    .option('--filter <filter>', "e.g. \"name LIKE 'fare%'\"")
    .action(async (o: { filter?: string }, cmd: Command) =>
      show(cmd, 'registry.models.list', o.filter ? { filter: o.filter } : {}, (r) => {
        if (r.models.length === 0) return out('no registered models');
        for (const m of r.models) {
          const aliases = m.aliases.map((a) => `@${a.alias}=v${a.version}`).join(' ');
          const latest = m.latest_versions.map((v) => `v${v.version}:${v.current_stage}`).join(' ');
          out(`${pad(m.name, 32)} ${aliases}${aliases && latest ? '  ' : ''}${latest}`);
        }
      }),
    );
  models
    .command('show')
    .argument('<name>')
    .description('one registered model')
    .action(async (name: string, _o, cmd: Command) => show(cmd, 'registry.models.get', { name }, (m) => out(JSON.stringify(m, null, 2))));
  models
    .command('create')
    .argument('<name>')
    .option('--description <text>', 'what the model is for')
    .description('register a model name')
    .action(async (name: string, o: { description?: string }, cmd: Command) =>
      show(cmd, 'registry.models.create', { name, ...(o.description ? { description: o.description } : {}) }, (m) => out(`registered model "${m.name}"`)),
    );
  models
    .command('rename')
    .arguments('<name> <new-name>')
    .description('rename a registered model (versions and aliases follow)')
    .action(async (name: string, newName: string, _o, cmd: Command) => show(cmd, 'registry.models.rename', { name, new_name: newName }, (m) => out(`renamed to "${m.name}"`)));
  models
    .command('delete')
    .argument('<name>')
    .description('delete a registered model with all its versions')
    .action(async (name: string, _o, cmd: Command) => show(cmd, 'registry.models.delete', { name }, (r) => out(`deleted "${r.deleted}"`)));
  models
    .command('register')
    .arguments('<name> <source>')
    .description('create a version from runs:/<run_id>/<path> (or another URI); the model is created when new')
    .option('--run-id <id>', 'the run the source belongs to')
    .option('--description <text>', 'version description')
    .action(async (name: string, source: string, o: { runId?: string; description?: string }, cmd: Command) => {
      const v = await withServices(cmd, async (s) => {
        await call(s, 'registry.models.create', { name }).catch((e: AppError) => {
          if (e.code !== 'RESOURCE_ALREADY_EXISTS') throw e;
        });
        return call(s, 'registry.versions.create', { name, source, ...(o.runId ? { run_id: o.runId } : {}), ...(o.description ? { description: o.description } : {}) });
      });
      if (cmd.optsWithGlobals<GlobalOpts>().json) return out(JSON.stringify(v, null, 2));
      out(`created ${versionLine(v)}`);
    });
  models
    .command('versions')
    .argument('<name>')
    .description('the versions of a model, newest first')
    .action(async (name: string, _o, cmd: Command) =>
      show(cmd, 'registry.versions.list', { name, order_by: ['version_number DESC'] }, (r) => {
        if (r.versions.length === 0) return out(`"${name}" has no versions`);
        for (const v of r.versions) out(versionLine(v));
      }),
    );
  models
    .command('stage')
    .arguments('<name> <version> <stage>')
    .description('move a version to None, Staging, Production or Archived')
    .option('--archive-existing', 'archive the other versions in that stage')
    .action(async (name: string, version: string, stage: string, o: { archiveExisting?: boolean }, cmd: Command) => {
      const canonical = ['None', 'Staging', 'Production', 'Archived'].find((x) => x.toLowerCase() === stage.toLowerCase());
      if (!canonical) throw new AppError('INVALID_INPUT', `stage must be one of None, Staging, Production, Archived; got "${stage}"`, { stage });
      await show(
        cmd,
        'registry.versions.transitionStage',
        { name, version, stage: canonical as 'None', archive_existing_versions: o.archiveExisting ?? false },
        (v) => out(versionLine(v)),
      );
    });
  models
    .command('alias')
    .arguments('<name> <alias> [version]')
    .description('point an alias at a version, show where it points (no version), or remove it (--delete)')
    .option('--delete', 'remove the alias')
    .action(async (name: string, alias: string, version: string | undefined, o: { delete?: boolean }, cmd: Command) => {
      if (o.delete) return show(cmd, 'registry.aliases.delete', { name, alias }, () => out(`removed @${alias} from "${name}"`));
      if (version) return show(cmd, 'registry.aliases.set', { name, alias, version }, (v) => out(`@${alias} → ${versionLine(v)}`));
      return show(cmd, 'registry.aliases.get', { name, alias }, (v) => out(`@${alias} → ${versionLine(v)}`));
    });
}

export function registerRegistryCommands(program: Command): void {
  experimentsCommands(program);
  runsCommands(program);
  modelsCommands(program);
}
