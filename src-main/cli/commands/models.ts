/** taxi-mlops train, taxi-mlops predict, taxi-mlops models serving */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { Input, Output } from '../../api/contract.js';
import type { TrainResult } from '../../api/methods/models.js';
import { AppError } from '../../platform/errors.js';
import { call } from '../follow.js';
import { intArg, out, runJobCommand, withServices, type GlobalOpts } from '../common.js';

const json = (cmd: Command): boolean => cmd.optsWithGlobals<GlobalOpts>().json ?? false;
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '—' : v.toFixed(digits));

export function printTrainResult(r: TrainResult): void {
  out(`${r.registered_model} version ${r.version} (${r.algorithm}, ${r.task})${r.alias ? ` → alias ${r.alias}` : ''}`);
  out(`  run ${r.run_id}; trained on ${r.rows.train.toLocaleString('en-US')} trips, evaluated on the latest ${r.rows.eval.toLocaleString('en-US')} (from ${r.split_time})${r.rows.dropped ? `; ${r.rows.dropped.toLocaleString('en-US')} left out` : ''}`);
  out(`  ${'model'.padEnd(14)} RMSE ${fmt(r.metrics.rmse)}  MAE ${fmt(r.metrics.mae)}  R² ${fmt(r.metrics.r2)}${r.metrics.auc !== undefined ? `  accuracy ${fmt(r.metrics.accuracy)}  AUC ${fmt(r.metrics.auc)}` : ''}`);
  out(`  ${'mean baseline'.padEnd(14)} RMSE ${fmt(r.baseline.rmse)}  MAE ${fmt(r.baseline.mae)}  R² ${fmt(r.baseline.r2)}`);
  out(`  ${r.epochs_run} epoch(s), ${(r.duration_ms / 1000).toFixed(1)} s`);
}

function parseFeature(pair: string): [string, string | number | boolean | null] {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new AppError('INVALID_INPUT', `--feature ${pair}: expected name=value, e.g. trip_distance=3.2`, { value: pair });
  const raw = pair.slice(eq + 1);
  const v = raw === 'null' ? null : raw === 'true' ? true : raw === 'false' ? false : raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return [pair.slice(0, eq), v];
}

/** '13 PRESENT · 4 NOT_FOUND', most frequent first. */
function statusCounts(statuses: Record<string, string>): string {
  const n = new Map<string, number>();
  for (const st of Object.values(statuses)) n.set(st, (n.get(st) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1]).map(([st, k]) => `${k} ${st}`).join(' · ') || 'none';
}

/** What `predict` prints: per trip the prediction, a count per feature status, a warning when nothing was found online, each feature. */
export function predictionLines(r: Output<'models.predict'>): string[] {
  const lines: string[] = [];
  for (const p of r.predictions) {
    lines.push(`${p.trip_id}: ${p.prediction.toFixed(2)}  (${p.model_name} v${p.model_version}${p.variant ? `, ${p.variant}` : ''})`);
    lines.push(`  features: ${statusCounts(p.feature_statuses)}`);
    if (!Object.values(p.feature_statuses).some((st) => st === 'PRESENT' || st === 'REQUEST')) {
      lines.push('  warning: no feature value for this trip, online or in the request; the model answered for a trip with every feature missing');
    }
    for (const [f, st] of Object.entries(p.feature_statuses)) lines.push(`  ${f.padEnd(40)} ${JSON.stringify(p.features[f] ?? null).padEnd(24)} ${st}`);
  }
  lines.push(`${r.predictions.length} prediction(s) in ${r.latency_ms.toFixed(2)} ms`);
  return lines;
}

export function registerModelCommands(program: Command): void {
  program
    .command('train')
    .description('train a fare model from the feature store, evaluate it and register a version (a job)')
    .option('-a, --algorithm <name>', 'linear | mlp', 'mlp')
    .option('--task <name>', 'fare | big_tipper', 'fare')
    .option('--epochs <n>', 'MLP epochs (early stopping may end sooner)', intArg('--epochs', 1))
    .option('--max-rows <n>', 'train on a reproducible sample of N trips', intArg('--max-rows', 100))
    .option('--start <time>', 'first pickup time')
    .option('--end <time>', 'pickups before this time')
    .option('--alias <name>', 'point this alias at the new version (e.g. champion)')
    .option('--service <name>', 'feature service (default: models.feature_service)')
    .option('--model <name>', 'registered model name (default: models.registered_model)')
    .action(async (o: { algorithm: string; task: string; epochs?: number; maxRows?: number; start?: string; end?: string; alias?: string; service?: string; model?: string }, cmd: Command) => {
      const input = {
        algorithm: o.algorithm,
        task: o.task,
        ...(o.epochs ? { epochs: o.epochs } : {}),
        ...(o.maxRows ? { max_rows: o.maxRows } : {}),
        ...(o.start ? { start: o.start } : {}),
        ...(o.end ? { end: o.end } : {}),
        ...(o.alias ? { alias: o.alias } : {}),
        ...(o.service ? { feature_service: o.service } : {}),
        ...(o.model ? { registered_model: o.model } : {}),
      } as Input<'models.train'>;
      const r = (await runJobCommand(cmd, 'models.train', input)) as TrainResult;
      if (!json(cmd)) printTrainResult(r);
    });

  program
    .command('predict')
    .description('predict fares from online features (champion/challenger unless --alias or --version)')
    .option('--trip-id <id>', 'trip to predict')
    .option('--taxi-id <id>', 'taxi of the trip (for its activity features)')
    .option('--area <n>', 'pickup community area (for its demand features)', intArg('--area', 0))
    .option('-f, --feature <name=value>', 'a feature value to use (repeatable), e.g. trip_distance=3.2', collect)
    .option('--requests <file.json>', 'a JSON array of requests ({trip_id, taxi_id?, pickup_community_area?, features?})')
    .option('--alias <name>', 'serve this alias only')
    .option('--model-version <n>', 'serve this version only (a program-level --version prints the app version)')
    .option('--model <name>', 'registered model (default: models.registered_model)')
    .action(async (o: { tripId?: string; taxiId?: string; area?: number; feature?: string[]; requests?: string; alias?: string; modelVersion?: string; model?: string }, cmd: Command) => {
      let requests: Input<'models.predict'>['requests'];
      if (o.requests) {
        try {
          requests = JSON.parse(fs.readFileSync(o.requests, 'utf8')) as typeof requests;
        } catch (e) {
          throw new AppError('INVALID_INPUT', `--requests ${o.requests}: ${(e as Error).message}`, { file: o.requests });
        }
      } else {
        if (!o.tripId) throw new AppError('INVALID_INPUT', 'give --trip-id (or --requests file.json)');
        requests = [
          {
            trip_id: o.tripId,
            ...(o.taxiId ? { taxi_id: o.taxiId } : {}),
            ...(o.area !== undefined ? { pickup_community_area: o.area } : {}),
            ...(o.feature?.length ? { features: Object.fromEntries(o.feature.map(parseFeature)) } : {}),
          },
        ];
      }
      const input: Input<'models.predict'> = { requests, ...(o.alias ? { alias: o.alias } : {}), ...(o.modelVersion ? { version: o.modelVersion } : {}), ...(o.model ? { model: o.model } : {}) };
      const r = await withServices(cmd, (s) => call(s, 'models.predict', input));
      if (json(cmd)) out(JSON.stringify(r, null, 2));
      else predictionLines(r).forEach((l) => out(l));
    });

  // `models` (registered models) belongs to the registry commands; serving is added beside them.
  const models = program.commands.find((c) => c.name() === 'models') ?? program.command('models').description('registered models and serving');
  models
    .command('serving')
    .description('which versions champion and challenger serve, the challenger share and the model cache')
    .option('--model <name>', 'registered model (default: models.registered_model)')
    .action(async (o: { model?: string }, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'models.serving', o.model ? { model: o.model } : {}));
      if (json(cmd)) {
        out(JSON.stringify(r, null, 2));
        return;
      }
      out(`${r.model} (features: ${r.feature_service}); challenger share ${(r.challenger_share * 100).toFixed(0)}%`);
      for (const v of [r.champion, r.challenger]) out(`  ${v.alias.padEnd(11)} ${v.version ? `version ${v.version} (${v.algorithm ?? '?'}, RMSE ${fmt(v.rmse)})` : 'not set'}`);
      out(`  cache ${r.cache.size}/${r.cache.capacity} loaded, ${r.cache.hits} hits, ${r.cache.misses} misses`);
    });
}
