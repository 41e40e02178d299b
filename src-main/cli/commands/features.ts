/** taxi-mlops features … and taxi-mlops scheduler */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Input, Output } from '../../api/contract.js';
import { AppError } from '../../platform/errors.js';
import { openServices } from '../../platform/services.js';
import { call } from '../follow.js';
import { out, runJobCommand, withServices, workspaceOf, type GlobalOpts } from '../common.js';

const json = (cmd: Command): boolean => cmd.optsWithGlobals<GlobalOpts>().json ?? false;
const list = (v: string): string[] => v.split(',').map((x) => x.trim()).filter(Boolean);

function printList(r: Output<'features.list'>): void {
  for (const v of r.views) {
    out(`${v.name}  (entity ${v.entity}: ${v.join_key} ${v.join_key_type}, ttl ${v.ttl_seconds}s, source ${v.source})`);
    for (const f of v.features) out(`  ${f.name.padEnd(24)} ${f.dtype.padEnd(7)} ${f.expression}`);
  }
  for (const sv of r.services) out(`service ${sv.name}: ${sv.features.join(', ')}`);
}

function printOnline(r: Output<'features.getOnline'>): void {
  const names = r.metadata.feature_names;
  const rows = r.results[0]?.values.length ?? 0;
  for (let i = 0; i < rows; i++) {
    out(`row ${i + 1}`);
    names.forEach((n, k) => {
      const res = r.results[k]!;
      out(`  ${n.padEnd(36)} ${JSON.stringify(res.values[i]).padEnd(24)} ${res.statuses[i]}`);
    });
  }
}

/** `key=v1,v2` pairs from --entity options into Feast's columnar entities. */
function entitiesOf(pairs: string[]): Record<string, (string | number)[]> {
  const cols: Record<string, (string | number)[]> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new AppError('INVALID_INPUT', `--entity ${p}: expected key=value[,value…], e.g. taxi_id=abc,def`);
    const values = list(p.slice(eq + 1)).map((v) => (/^-?\d+$/.test(v) ? Number(v) : v));
    cols[p.slice(0, eq)] = values;
  }
  return cols;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function registerFeatureCommands(program: Command): void {
  const features = program.command('features').description('feature store: definitions, transform, materialization, online and historical reads');

  features
    .command('list')
    .description('feature views, entities and feature services')
    .action(async (_o, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'features.list', {}));
      if (json(cmd)) out(JSON.stringify(r, null, 2));
      else printList(r);
    });

  for (const name of ['validate', 'apply']) {
    features
      .command(name)
      .description(name === 'apply' ? 'check the definitions in config.yaml and show what the store serves (definitions are live from config)' : 'check the definitions in config.yaml')
      .action(async (_o, cmd: Command) => {
        await withServices(cmd, async (s) => {
          const r = await call(s, 'features.validate', {});
          if (!r.ok) {
            for (const p of r.problems) process.stderr.write(`${s.workspace.paths.config}: ${p.path}: ${p.message}\n`);
            throw new AppError('INVALID_CONFIG', `${r.problems.length} problem(s) in the feature definitions`);
          }
          if (name === 'apply') printList(await call(s, 'features.list', {}));
          out('feature definitions are valid');
        });
      });
  }

  features
    .command('transform')
    .description('turn trips into feature rows (Parquet, by date); re-running a range replaces it')
    .option('--views <list>', 'comma-separated views (default all)', list)
    .option('--start <date>', 'first pickup date')
    .option('--end <date>', 'pickups before this date')
    .action(async (o: { views?: string[]; start?: string; end?: string }, cmd: Command) => {
      const input: Input<'features.transform'> = { ...(o.views ? { views: o.views } : {}), ...(o.start ? { start: o.start } : {}), ...(o.end ? { end: o.end } : {}) };
      const r = (await runJobCommand(cmd, 'features.transform', input)) as { rows: number; views: { view: string; rows: number; partitions: string[] }[] };
      if (!json(cmd)) for (const v of r.views) out(`${v.view}: ${v.rows} rows in ${v.partitions.length} date partition(s)`);
    });

  features
    .command('materialize')
    .description('load feature values of [start, end) into the online store')
    .argument('<start>', 'start time (ISO)')
    .argument('<end>', 'end time (ISO)')
    .option('--views <list>', 'comma-separated views (default all)', list)
    .action(async (start: string, end: string, o: { views?: string[] }, cmd: Command) => {
      const r = await runJobCommand(cmd, 'features.materialize', { start, end, ...(o.views ? { views: o.views } : {}) });
      if (!json(cmd)) out(JSON.stringify(r, null, 2));
    });

  features
    .command('materialize-incremental')
    .description('materialize each view from its watermark to END (default now)')
    .argument('[end]', 'end time (ISO)')
    .option('--views <list>', 'comma-separated views (default all)', list)
    .action(async (end: string | undefined, o: { views?: string[] }, cmd: Command) => {
      const r = await runJobCommand(cmd, 'features.materializeIncremental', { ...(end ? { end } : {}), ...(o.views ? { views: o.views } : {}) });
      if (!json(cmd)) out(JSON.stringify(r, null, 2));
    });

  features
    .command('get-online')
    .description('online feature values with statuses, e.g. --entity taxi_id=abc --features taxi_activity:trips_1h')
    .requiredOption('--entity <key=values>', 'entity key and comma-separated values (repeatable)', collect, [])
    .option('--features <list>', 'comma-separated view:feature references', list)
    .option('--service <name>', 'a feature service instead of --features')
    .action(async (o: { entity: string[]; features?: string[]; service?: string }, cmd: Command) => {
      if (!o.features && !o.service) throw new AppError('INVALID_INPUT', 'give --features view:feature,… or --service NAME');
      const input = { entities: entitiesOf(o.entity), ...(o.service ? { feature_service: o.service } : { features: o.features! }) } as Input<'features.getOnline'>;
      const r = await withServices(cmd, (s) => call(s, 'features.getOnline', input));
      if (json(cmd)) out(JSON.stringify(r, null, 2));
      else printOnline(r);
    });

  features
    .command('get-historical')
    .description('point-in-time correct features for entity rows (CSV or Parquet with join keys and event_timestamp)')
    .argument('<entities>', 'entity rows file (.csv or .parquet)')
    .option('--features <list>', 'comma-separated view:feature references', list)
    .option('--service <name>', 'a feature service instead of --features')
    .option('--output <file>', 'write the training set to .csv or .parquet')
    .action(async (file: string, o: { features?: string[]; service?: string; output?: string }, cmd: Command) => {
      if (!o.features && !o.service) throw new AppError('INVALID_INPUT', 'give --features view:feature,… or --service NAME');
      if (!fs.existsSync(file)) throw new AppError('NOT_FOUND', `entity rows file ${path.resolve(file)} does not exist`);
      const abs = path.resolve(file);
      const entities = abs.endsWith('.parquet') ? { parquet: abs } : { csv: abs };
      const outFile = o.output ? path.resolve(o.output) : undefined;
      const output = outFile ? (outFile.endsWith('.parquet') ? { parquet: outFile } : { csv: outFile }) : undefined;
      const r = await withServices(cmd, (s) =>
        call(s, 'features.getHistorical', { entities, features: o.service ? { feature_service: o.service } : o.features!, ...(output ? { output } : {}) }),
      );
      if (json(cmd) || !output) out(JSON.stringify(r, null, 2));
      else out(`${r.row_count} rows × ${r.columns.length} columns → ${r.output} in ${r.duration_ms} ms`);
    });

  features
    .command('stats')
    .description('statistics and freshness per view and feature')
    .option('--views <list>', 'comma-separated views', list)
    .action(async (o: { views?: string[] }, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'features.stats', o.views ? { views: o.views } : {}));
      if (json(cmd)) return out(JSON.stringify(r, null, 2));
      for (const v of r) {
        out(`${v.view}: ${v.rows} rows, ${v.partitions} partitions, newest ${v.newest_event ?? '-'}, watermark ${v.watermark ?? '-'}`);
        for (const f of v.features) {
          const range = f.min === null ? (f.top?.slice(0, 3).map((t) => `${t.value} (${t.count})`).join(', ') ?? '') : `min ${f.min} p50 ${f.quantiles?.p50 ?? '-'} max ${f.max} mean ${f.mean?.toFixed(3)}`;
          out(`  ${f.feature.padEnd(24)} nulls ${(f.null_fraction * 100).toFixed(1)}%  ${range}`);
        }
      }
    });

  program
    .command('scheduler')
    .description('refresh features every refresh_interval, materialize every materialization_interval, evaluate alert rules every alert_interval')
    .option('--daemon', 'keep running until stopped (Ctrl-C / SIGTERM)')
    .action(async (o: { daemon?: boolean }, cmd: Command) => {
      const s = await openServices({ workspace: workspaceOf(cmd), mode: 'cli' });
      const { getScheduler } = await import('../../engines/features/runtime.js');
      const scheduler = await getScheduler(s);
      if (!o.daemon) {
        // One pass: refresh, then materialize, then the alert rules, each followed to its end.
        try {
          for (const task of ['refresh', 'materialize', 'alerts'] as const) {
            const job = scheduler.runNow(task);
            if (!job) throw new AppError('CONFLICT', `a ${task} run is already going in another process`);
            const done = await s.jobs.wait(job.id);
            out(`${task}: ${done.status}${done.error ? ` — ${done.error.code}: ${done.error.message}` : ''}`);
            if (done.status !== 'succeeded') process.exitCode = 1;
          }
        } finally {
          await s.close();
        }
        return;
      }
      const st = scheduler.start(true);
      out(`scheduler running on ${s.workspace.paths.root}: ${st.tasks.map((t) => `${t.name} every ${t.interval_s}s`).join(', ')} (logs/features.log)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      scheduler.stop();
      await s.close();
      out('scheduler stopped');
    });
}
