/**
 * models.*: training fare models from the feature store (a job), online prediction with A/B routing
 * between the champion and challenger aliases, the serving state, and the registered versions with their
 * metrics for the Models tab and the Overview.
 */
import { z } from 'zod';
import { JobSchema, method } from './common.js';

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const version = z.union([z.string().regex(/^\d+$/, 'expected a version number'), z.number().int().positive()]).transform(String);

export const TrainInputSchema = z
  .object({
    algorithm: z.enum(['linear', 'mlp']).default('mlp'),
    task: z.enum(['fare', 'big_tipper']).default('fare').describe('fare: regress fare_amount; big_tipper: classify tips > 20% of fare'),
    feature_service: z.string().min(1).optional().describe('default: models.feature_service of config.yaml'),
    registered_model: z.string().min(1).optional().describe('default: models.registered_model (fare) or <it>_big_tipper'),
    experiment: z.string().min(1).optional().describe('default: the registered model name'),
    start: z.string().min(1).optional().describe('first pickup time of the trips trained on (ISO date or date-time, UTC-labelled)'),
    end: z.string().min(1).optional().describe('pickups before this time (exclusive)'),
    max_rows: z.number().int().min(100).max(5_000_000).optional().describe('train on a reproducible sample of this many trips (spread over the whole range; the latest 20% of it evaluates)'),
    eval_fraction: z.number().gt(0).lt(0.9).default(0.2).describe('latest share of trips (by pickup time) held out for evaluation'),
    epochs: z.number().int().min(1).max(1000).default(40),
    batch_size: z.number().int().min(8).max(65_536).default(256),
    learning_rate: z.number().positive().max(1).default(0.003),
    hidden_units: z.array(z.number().int().min(1).max(1024)).min(1).max(4).default([64, 32]),
    patience: z.number().int().min(1).max(1000).default(5).describe('epochs without validation improvement before stopping'),
    l2: z.number().min(0).max(1e6).default(1e-4).describe('ridge penalty of the linear model, per training row (keeps the normal equations solvable when a one-hot slot is never seen)'),
    max_fare: z.number().positive().default(250).describe('trips with a larger fare (or a fare ≤ 0) are left out of training and evaluation, counted as dropped'),
    seed: z.number().int().default(42),
    alias: z.string().min(1).max(255).optional().describe('alias to point at the new version'),
    run_name: z.string().min(1).max(250).optional(),
  })
  .strict();
export type TrainInput = z.infer<typeof TrainInputSchema>;

const MetricSetSchema = z.object({
  rmse: z.number().nullable(),
  mae: z.number().nullable(),
  r2: z.number().nullable(),
  accuracy: z.number().nullable().optional(),
  auc: z.number().nullable().optional(),
  count: z.number(),
});

export const TrainResultSchema = z.object({
  task: z.enum(['fare', 'big_tipper']),
  algorithm: z.enum(['linear', 'mlp']),
  experiment_id: z.string(),
  run_id: z.string(),
  registered_model: z.string(),
  version: z.string(),
  alias: z.string().nullable(),
  rows: z.object({ train: z.number(), eval: z.number(), dropped: z.number() }),
  split_time: z.string().describe('first pickup time of the evaluation slice'),
  epochs_run: z.number(),
  metrics: MetricSetSchema.describe('the model on the evaluation slice'),
  baseline: MetricSetSchema.describe('predicting the training mean (or the majority class) on the evaluation slice'),
  per_hour: z.array(z.object({ hour: z.number(), count: z.number(), rmse: z.number().nullable(), mae: z.number().nullable(), r2: z.number().nullable() })),
  duration_ms: z.number(),
});
export type TrainResult = z.infer<typeof TrainResultSchema>;

export const PredictRequestSchema = z
  .object({
    trip_id: z.string().min(1),
    taxi_id: z.string().min(1).optional(),
    pickup_community_area: z.number().int().optional(),
    features: z.record(z.string(), Scalar).optional().describe('values that fill or override online features, by feature name (view__feature or bare)'),
  })
  .strict();

export const PredictInputSchema = z
  .object({
    model: z.string().min(1).optional().describe('registered model; default: models.registered_model'),
    alias: z.string().min(1).optional().describe('serve this alias only (no A/B routing)'),
    version: version.optional().describe('serve this version only (no A/B routing)'),
    requests: z.array(PredictRequestSchema).min(1).max(10_000),
  })
  .strict()
  .refine((i) => !(i.alias && i.version), { message: 'give alias or version, not both', path: ['alias'] });
export type PredictInput = z.input<typeof PredictInputSchema>;

export const FeatureStatusSchema = z.enum(['PRESENT', 'NOT_FOUND', 'OUTSIDE_MAX_AGE', 'NULL_VALUE', 'REQUEST']);

export const PredictionSchema = z.object({
  trip_id: z.string(),
  prediction: z.number(),
  model_name: z.string(),
  model_version: z.string(),
  variant: z.enum(['champion', 'challenger']).nullable(),
  feature_statuses: z.record(z.string(), FeatureStatusSchema).describe('REQUEST: the value came with the request'),
  features: z.record(z.string(), Scalar),
});

export const PredictOutputSchema = z.object({ predictions: z.array(PredictionSchema), latency_ms: z.number() });
export type PredictOutput = z.infer<typeof PredictOutputSchema>;

const ServedVersionSchema = z.object({
  alias: z.string(),
  version: z.string().nullable(),
  run_id: z.string().nullable(),
  algorithm: z.string().nullable(),
  rmse: z.number().nullable(),
});

export const ServingStateSchema = z.object({
  model: z.string(),
  feature_service: z.string(),
  champion: ServedVersionSchema,
  challenger: ServedVersionSchema,
  challenger_share: z.number(),
  cache: z.object({
    size: z.number(),
    capacity: z.number(),
    loaded: z.array(z.object({ model: z.string(), version: z.string(), algorithm: z.string(), loaded_at: z.string(), hits: z.number() })),
    hits: z.number(),
    misses: z.number(),
    invalidations: z.number(),
  }),
  predictions: z.object({ total: z.number(), champion: z.number(), challenger: z.number(), pinned: z.number() }),
});
export type ServingState = z.infer<typeof ServingStateSchema>;

export const ModelVersionSummarySchema = z.object({
  name: z.string(),
  version: z.string(),
  run_id: z.string(),
  aliases: z.array(z.string()),
  stage: z.string(),
  created_at: z.number(),
  algorithm: z.string().nullable(),
  task: z.string().nullable(),
  feature_service: z.string().nullable(),
  metrics: z.record(z.string(), z.number().nullable()),
  features: z.array(z.object({ name: z.string(), type: z.enum(['numerical', 'categorical']) })),
  train_rows: z.number().nullable(),
  eval_rows: z.number().nullable(),
});
export type ModelVersionSummary = z.infer<typeof ModelVersionSummarySchema>;

export const modelsMethods = {
  'models.train': method({
    description: 'Train a fare model (linear or MLP) on a point-in-time training set from the feature store, evaluate it, log and register it.',
    input: TrainInputSchema,
    output: JobSchema,
    job: true,
  }),
  'models.predict': method({
    description: 'Predict fares for trips from their online features (champion/challenger routing sticky by trip_id unless an alias or version is given).',
    input: PredictInputSchema,
    output: PredictOutputSchema,
  }),
  'models.serving': method({
    description: 'Which versions the champion and challenger aliases serve, the challenger share, and the model cache.',
    input: z.object({ model: z.string().min(1).optional() }).strict().default({}),
    output: ServingStateSchema,
  }),
  'models.setChallengerShare': method({
    description: 'Change the share of traffic the challenger gets (0 to 1); saved to config.yaml models.serving.challenger_share.',
    input: z.object({ share: z.number().min(0).max(1) }).strict(),
    output: ServingStateSchema,
  }),
  'models.list': method({
    description: 'Registered versions of a model with their evaluation metrics and feature spec summary, newest first.',
    input: z.object({ model: z.string().min(1).optional(), limit: z.number().int().min(1).max(1000).default(100) }).strict().default({ limit: 100 }),
    output: z.object({ model: z.string(), versions: z.array(ModelVersionSummarySchema) }),
  }),
} as const;
