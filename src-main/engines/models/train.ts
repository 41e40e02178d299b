/**
 * The `models.train` job: training set from the feature store (point in time), time split, feature spec,
 * a linear or MLP model, evaluation against the mean baseline overall and per pickup hour, and everything
 * logged to the registry as an MLflow run — params, metrics (per-epoch loss history with steps, per-hour
 * RMSE with the hour as step), the model, its feature spec and an MLmodel file, the training and evaluation
 * sets as Parquet and the reference profile — then a registered version, optionally behind an alias.
 *
 * Nothing is registered unless every artifact was written. The run is created once the model is fitted;
 * a job that fails or is cancelled after that leaves it FAILED or KILLED with the reason in a tag.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import { TrainInputSchema, type TrainInput, type TrainResult } from '../../api/methods/models.js';
import { openEngineDb } from '../../platform/duckdb.js';
import { isAppError } from '../../platform/errors.js';
import { throwIfCancelled, type JobContext } from '../../platform/jobs/context.js';
import { openRegistryStore } from '../registry/index.js';
import type { Metric, RegistryStore } from '../registry/types.js';
import { modelsConfigOf, registeredModelFor } from './config.js';
import { buildTrainingSet, type TrainingSet } from './dataset.js';
import { Encoder, fitFeatureSpec, type FeatureSpec } from './feature-spec.js';
import { EVALUATION_FILE, MLMODEL_FLAVOR, MODEL_DIR, MODEL_FILES, REFERENCE_DIR, REFERENCE_FILES, TAGS } from './layout.js';
import { fitLinear, predictLinear, type LinearModel } from './linear.js';
import { accuracy, perHour, regressionMetrics, rocAuc } from './metrics.js';
import { modelJsonOf } from './mlp-forward.js';
import { writeParquet, type ParquetColumn } from './parquet.js';
import { profileOf } from './profile.js';

const LABEL = 'fare_amount';
const BIG_TIP_SHARE = 0.2;
/** Share of the training rows (the latest) the MLP validates on for early stopping. */
const VALIDATION_SHARE = 0.1;

export interface TrainEnv {
  /** Default: the workspace profile's registry, opened for this job. */
  registry?: RegistryStore;
}

const labelOf = (task: TrainInput['task'], row: Record<string, unknown>): number => {
  const fare = Number(row[LABEL]);
  if (task === 'fare') return fare;
  return Number(row.tips ?? 0) > BIG_TIP_SHARE * fare ? 1 : 0;
};

async function experimentIdOf(r: RegistryStore, name: string): Promise<string> {
  try {
    return (await r.getExperimentByName(name)).experiment_id;
  } catch (e) {
    if (!isAppError(e) || e.code !== 'RESOURCE_DOES_NOT_EXIST') throw e;
    try {
      return await r.createExperiment({ name, tags: [{ key: 'mlflow.note.content', value: 'Fare models trained by taxi-mlops from the feature store' }] });
    } catch (e2) {
      // Another job created it in between.
      if (isAppError(e2) && e2.code === 'RESOURCE_ALREADY_EXISTS') return (await r.getExperimentByName(name)).experiment_id;
      throw e2;
    }
  }
}

async function ensureRegisteredModel(r: RegistryStore, name: string, task: TrainInput['task']): Promise<void> {
  try {
    await r.getRegisteredModel(name);
  } catch (e) {
    if (!isAppError(e) || e.code !== 'RESOURCE_DOES_NOT_EXIST') throw e;
    try {
      await r.createRegisteredModel({ name, description: task === 'fare' ? 'Chicago taxi fare (fare_amount) regressor' : 'Chicago taxi big tipper (tips > 20% of fare) classifier' });
    } catch (e2) {
      if (!isAppError(e2) || e2.code !== 'RESOURCE_ALREADY_EXISTS') throw e2;
    }
  }
}

async function logMetrics(r: RegistryStore, runId: string, metrics: Metric[]): Promise<void> {
  for (let i = 0; i < metrics.length; i += 1000) await r.logBatch(runId, { metrics: metrics.slice(i, i + 1000) });
}

function mlmodelYaml(runId: string, algorithm: string, spec: FeatureSpec): string {
  return toYaml({
    artifact_path: MODEL_DIR,
    run_id: runId,
    utc_time_created: new Date().toISOString().replace('T', ' ').replace('Z', ''),
    flavors: {
      [MLMODEL_FLAVOR]: {
        algorithm,
        task: spec.task,
        model_file: algorithm === 'linear' ? MODEL_FILES.linear : MODEL_FILES.mlpJson,
        ...(algorithm === 'mlp' ? { weights_file: MODEL_FILES.mlpWeights, format: 'tfjs-layers-model' } : {}),
        feature_spec: MODEL_FILES.spec,
        feature_service: spec.feature_service,
      },
    },
    signature: {
      inputs: JSON.stringify(spec.features.map((f) => ({ name: f.name, type: f.type === 'numerical' ? 'double' : 'string' }))),
      outputs: JSON.stringify([{ name: spec.task === 'fare' ? LABEL : 'big_tipper_probability', type: 'double' }]),
    },
  });
}

interface Fitted {
  predictions: Float64Array;
  files: Record<string, Buffer>;
  history: { epoch: number; loss: number; val_loss: number }[];
  epochsRun: number;
}

async function fitModel(i: TrainInput, set: TrainingSet, spec: FeatureSpec, enc: Encoder, ctx: JobContext, step: (message: string, done?: number) => void): Promise<Fitted> {
  const n = set.rows.length;
  const d = enc.dim;
  const x = enc.encode(set.rows);
  const y = Float64Array.from(set.rows, (r) => labelOf(i.task, r));
  const ntrain = set.split;
  throwIfCancelled(ctx, 'training');
  if (i.algorithm === 'linear') {
    step(`solving ridge regression on ${ntrain.toLocaleString('en-US')} rows × ${d} inputs`);
    const model: LinearModel = fitLinear(x, ntrain, d, y, i.l2);
    let predictions = predictLinear(model, x.subarray(ntrain * d), n - ntrain);
    if (i.task === 'big_tipper') predictions = predictions.map((p) => Math.min(1, Math.max(0, p)));
    return { predictions, files: { [MODEL_FILES.linear]: Buffer.from(JSON.stringify(model)) }, history: [], epochsRun: 1 };
  }
  const { trainMlp } = await import('./mlp-train.js');
  const { forwardMlp, parseMlp } = await import('./mlp-forward.js');
  const scaled = new Float32Array(n);
  for (let k = 0; k < n; k++) scaled[k] = i.task === 'fare' ? (y[k]! - spec.label_scale.mean) / spec.label_scale.std : y[k]!;
  const valFrom = Math.max(1, Math.floor(ntrain * (1 - VALIDATION_SHARE)));
  step(`training MLP ${[d, ...i.hidden_units, 1].join('→')} on ${valFrom.toLocaleString('en-US')} rows (validating on ${(ntrain - valFrom).toLocaleString('en-US')})`);
  const r = await trainMlp(Float32Array.from(x.subarray(0, ntrain * d)), scaled.subarray(0, ntrain), ntrain, d, valFrom, {
    epochs: i.epochs,
    batchSize: i.batch_size,
    learningRate: i.learning_rate,
    hidden: i.hidden_units,
    patience: i.patience,
    seed: i.seed,
    objective: i.task === 'fare' ? 'regression' : 'binary',
    signal: ctx.signal,
    onEpoch: (e) => {
      ctx.log.info({ epoch: e.epoch, loss: e.loss, val_loss: e.val_loss }, 'epoch');
      step(`epoch ${e.epoch}/${i.epochs}: loss ${e.loss.toFixed(4)}, val_loss ${e.val_loss.toFixed(4)}${e.best ? ' (best)' : ''}`, e.epoch);
    },
  });
  const files = { [MODEL_FILES.mlpJson]: Buffer.from(modelJsonOf(r.artifacts)), [MODEL_FILES.mlpWeights]: Buffer.from(r.artifacts.weightData) };
  // Evaluate through the serving forward pass from the saved files: what is measured is what is served.
  const net = parseMlp(files[MODEL_FILES.mlpJson]!.toString('utf8'), files[MODEL_FILES.mlpWeights]!, MODEL_DIR);
  const raw = forwardMlp(net, x.subarray(ntrain * d), n - ntrain);
  const predictions = i.task === 'fare' ? raw.map((p) => p * spec.label_scale.std + spec.label_scale.mean) : raw;
  return { predictions, files, history: r.history, epochsRun: r.epochsRun };
}

export async function trainModel(input: unknown, ctx: JobContext, env: TrainEnv = {}): Promise<TrainResult> {
  const i = TrainInputSchema.parse(input);
  const started = performance.now();
  const ws = ctx.workspace;
  const cfg = modelsConfigOf(ws.config);
  const featureService = i.feature_service ?? cfg.feature_service;
  const modelName = i.registered_model ?? registeredModelFor(cfg, i.task);
  const totalSteps = 5 + (i.algorithm === 'mlp' ? i.epochs : 0);
  let done = 0;
  const step = (message: string, epoch?: number): void => {
    if (epoch !== undefined) done = 3 + epoch;
    else done++;
    ctx.progress({ done, total: totalSteps, unit: 'steps', message });
  };

  step(`building the training set from feature service ${featureService}`);
  const db = await openEngineDb(ws);
  let set: TrainingSet;
  try {
    set = await buildTrainingSet(ws, db.conn, { featureService, ...(i.start ? { start: i.start } : {}), ...(i.end ? { end: i.end } : {}), ...(i.max_rows ? { maxRows: i.max_rows } : {}), maxFare: i.max_fare, evalFraction: i.eval_fraction }, ctx.signal);
    ctx.log.info({ rows: set.rows.length, split: set.split, dropped: set.dropped, retrieval_ms: set.retrievalMs }, 'training set built');
    throwIfCancelled(ctx, 'training');

    const trainRows = set.rows.slice(0, set.split);
    const labels = Float64Array.from(trainRows, (r) => labelOf(i.task, r));
    const spec = fitFeatureSpec(trainRows, set.features, { feature_service: featureService, task: i.task, label: i.task === 'fare' ? LABEL : 'big_tipper', labels });
    const enc = new Encoder(spec);
    step(`training set: ${set.rows.length.toLocaleString('en-US')} trips in ${(set.retrievalMs / 1000).toFixed(1)} s; ${set.features.length} features encoded into ${enc.dim} inputs`);

    const fitted = await fitModel(i, set, spec, enc, ctx, step);
    throwIfCancelled(ctx, 'training');

    step('evaluating');
    const evalRows = set.rows.slice(set.split);
    const yEval = Float64Array.from(evalRows, (r) => labelOf(i.task, r));
    const hours = Int32Array.from(evalRows, (r) => new Date(Number(r.event_timestamp)).getUTCHours());
    const trainMean = spec.label_scale.mean;
    const baselinePred = new Float64Array(yEval.length).fill(i.task === 'fare' ? trainMean : trainMean >= 0.5 ? 1 : 0);
    const metrics = {
      ...regressionMetrics(yEval, fitted.predictions),
      ...(i.task === 'big_tipper' ? { accuracy: accuracy(yEval, fitted.predictions), auc: rocAuc(yEval, fitted.predictions) } : {}),
    };
    const baseline = {
      ...regressionMetrics(yEval, i.task === 'fare' ? baselinePred : new Float64Array(yEval.length).fill(trainMean)),
      ...(i.task === 'big_tipper' ? { accuracy: accuracy(yEval, baselinePred), auc: 0.5 } : {}),
    };
    const byHour = perHour(yEval, fitted.predictions, hours);

    step('logging the run and registering the version');
    const registry = env.registry ?? (await openRegistryStore(ws));
    try {
      const result = await logAndRegister(registry, {
        i,
        modelName,
        featureService,
        set,
        spec,
        fitted,
        metrics,
        baseline,
        byHour,
        conn: db.conn,
        tmpDir: ws.paths.tmpDir,
        ctx,
      });
      const out: TrainResult = {
        task: i.task,
        algorithm: i.algorithm,
        ...result,
        alias: i.alias ?? null,
        rows: { train: set.split, eval: evalRows.length, dropped: set.dropped.reduce((s, d) => s + d.count, 0) },
        split_time: new Date(set.splitTime).toISOString(),
        epochs_run: fitted.epochsRun,
        metrics,
        baseline,
        per_hour: byHour.map((h) => ({ hour: h.hour, count: h.count, rmse: h.rmse, mae: h.mae, r2: h.r2 })),
        duration_ms: Math.round(performance.now() - started),
      };
      ctx.progress({ done: totalSteps, total: totalSteps, unit: 'steps', message: `registered ${modelName} v${out.version}: RMSE ${metrics.rmse?.toFixed(3)} (mean baseline ${baseline.rmse?.toFixed(3)})` });
      ctx.log.info({ model: modelName, version: out.version, run_id: out.run_id, rmse: metrics.rmse, baseline_rmse: baseline.rmse }, 'model registered');
      return out;
    } finally {
      if (!env.registry) await registry.close();
    }
  } finally {
    db.close();
  }
}

interface LogArgs {
  i: TrainInput;
  modelName: string;
  featureService: string;
  set: TrainingSet;
  spec: FeatureSpec;
  fitted: Fitted;
  metrics: ReturnType<typeof regressionMetrics> & { accuracy?: number | null; auc?: number | null };
  baseline: ReturnType<typeof regressionMetrics> & { accuracy?: number | null; auc?: number | null };
  byHour: ReturnType<typeof perHour>;
  conn: import('@duckdb/node-api').DuckDBConnection;
  tmpDir: string;
  ctx: JobContext;
}

async function logAndRegister(r: RegistryStore, a: LogArgs): Promise<{ experiment_id: string; run_id: string; registered_model: string; version: string }> {
  const { i, set, spec, fitted } = a;
  const experimentId = await experimentIdOf(r, i.experiment ?? a.modelName);
  const now = Date.now();
  const tags = [
    { key: TAGS.algorithm, value: i.algorithm },
    { key: TAGS.task, value: i.task },
    { key: TAGS.featureService, value: a.featureService },
    { key: 'mlflow.source.name', value: 'taxi-mlops train' },
    { key: 'mlflow.source.type', value: 'JOB' },
  ];
  const run = await r.createRun({ experiment_id: experimentId, run_name: i.run_name ?? `${i.algorithm}-${i.task}-${new Date(now).toISOString().slice(0, 19)}`, start_time: now, tags });
  const runId = run.info.run_id;
  try {
    const params: Record<string, string | number | undefined> = {
      algorithm: i.algorithm,
      task: i.task,
      feature_service: a.featureService,
      train_rows: set.split,
      eval_rows: set.rows.length - set.split,
      split_time: new Date(set.splitTime).toISOString(),
      eval_fraction: i.eval_fraction,
      max_fare: i.max_fare,
      max_rows: i.max_rows,
      start: i.start,
      end: i.end,
      input_dim: spec.input_dim,
      features: spec.features.length,
      seed: i.seed,
      ...(i.algorithm === 'linear'
        ? { l2: i.l2 }
        : { epochs: i.epochs, batch_size: i.batch_size, learning_rate: i.learning_rate, hidden_units: i.hidden_units.join(','), patience: i.patience, backend: 'tfjs-wasm' }),
    };
    await r.logBatch(runId, { params: Object.entries(params).filter(([, v]) => v !== undefined).map(([key, v]) => ({ key, value: String(v) })) });
    const ts = Date.now();
    const m = (key: string, value: number | null | undefined, step = 0): Metric[] => (value === null || value === undefined ? [] : [{ key, value, timestamp: ts, step }]);
    await logMetrics(r, runId, [
      ...m('rmse', a.metrics.rmse),
      ...m('mae', a.metrics.mae),
      ...m('r2', a.metrics.r2),
      ...m('accuracy', a.metrics.accuracy),
      ...m('auc', a.metrics.auc),
      ...m('baseline_rmse', a.baseline.rmse),
      ...m('baseline_mae', a.baseline.mae),
      ...m('baseline_r2', a.baseline.r2),
      ...m('baseline_accuracy', a.baseline.accuracy),
      ...m('epochs_run', fitted.epochsRun),
      ...fitted.history.flatMap((h) => [...m('loss', h.loss, h.epoch), ...m('val_loss', h.val_loss, h.epoch)]),
      ...a.byHour.flatMap((h) => [...m('rmse_by_hour', h.rmse, h.hour), ...m('mae_by_hour', h.mae, h.hour)]),
    ]);

    // Artifacts: model files first, then the reference sets; registration only once all are in.
    const upload = (p: string, body: Buffer): Promise<void> => r.uploadArtifact(runId, p, body);
    await upload(`${MODEL_DIR}/${MODEL_FILES.spec}`, Buffer.from(JSON.stringify(spec, null, 1)));
    for (const [file, body] of Object.entries(fitted.files)) await upload(`${MODEL_DIR}/${file}`, body);
    await upload(`${MODEL_DIR}/${MODEL_FILES.mlmodel}`, Buffer.from(mlmodelYaml(runId, i.algorithm, spec)));
    await upload(EVALUATION_FILE, Buffer.from(JSON.stringify({ metrics: a.metrics, baseline: a.baseline, per_hour: a.byHour, dropped: set.dropped }, null, 1)));
    throwIfCancelled(a.ctx, 'training');

    const profile = profileOf(set.rows.slice(0, set.split), set.features, LABEL);
    await upload(`${REFERENCE_DIR}/${REFERENCE_FILES.profile}`, Buffer.from(JSON.stringify(profile)));
    const sqlOf = new Map(set.columns.map((c) => [c.name, c.type]));
    const columns: ParquetColumn[] = [
      { name: 'trip_id', sql: 'VARCHAR' },
      { name: 'taxi_id', sql: 'VARCHAR' },
      { name: 'event_timestamp', sql: 'TIMESTAMP' },
      ...spec.features.map((f) => ({ name: f.name, sql: sqlOf.get(f.name) ?? (f.type === 'numerical' ? 'DOUBLE' : 'VARCHAR') })),
      { name: LABEL, sql: 'DOUBLE' },
      { name: 'tips', sql: 'DOUBLE' },
    ];
    const evalRows = set.rows.slice(set.split).map((row, k) => ({ ...row, prediction: fitted.predictions[k]! }));
    fs.mkdirSync(a.tmpDir, { recursive: true });
    const tag = crypto.randomBytes(4).toString('hex');
    for (const [name, rows, cols] of [
      [REFERENCE_FILES.train, set.rows.slice(0, set.split), columns],
      [REFERENCE_FILES.eval, evalRows, [...columns, { name: 'prediction', sql: 'DOUBLE' }]],
    ] as const) {
      const file = path.join(a.tmpDir, `reference-${process.pid}-${tag}-${name}`);
      try {
        await writeParquet(a.conn, file, cols, rows);
        await upload(`${REFERENCE_DIR}/${name}`, fs.readFileSync(file));
      } finally {
        fs.rmSync(file, { force: true });
      }
    }
    throwIfCancelled(a.ctx, 'training');

    await ensureRegisteredModel(r, a.modelName, i.task);
    const version = await r.createModelVersion({
      name: a.modelName,
      source: `runs:/${runId}/${MODEL_DIR}`,
      run_id: runId,
      description: `${i.algorithm} on ${set.split.toLocaleString('en-US')} trips; eval RMSE ${a.metrics.rmse?.toFixed(3)} vs mean baseline ${a.baseline.rmse?.toFixed(3)}`,
      tags: [...tags.slice(0, 3), ...(a.metrics.rmse !== null ? [{ key: 'taxi.rmse', value: String(a.metrics.rmse) }] : [])],
    });
    if (i.alias) await r.setRegisteredModelAlias(a.modelName, i.alias, version.version);
    await r.updateRun(runId, { status: 'FINISHED', end_time: Date.now() });
    return { experiment_id: experimentId, run_id: runId, registered_model: a.modelName, version: version.version };
  } catch (e) {
    const killed = isAppError(e) && e.code === 'CANCELLED';
    try {
      await r.setTag(runId, 'taxi.error', `${isAppError(e) ? e.code : 'INTERNAL'}: ${(e as Error).message}`.slice(0, 5000));
      await r.updateRun(runId, { status: killed ? 'KILLED' : 'FAILED', end_time: Date.now() });
    } catch {
      // The original error is the one worth reporting.
    }
    throw e;
  }
}

