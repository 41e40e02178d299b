/**
 * registry.*: the model registry for the console and the CLI — experiments, runs (search with MLflow's
 * filter grammar, comparison, metric histories), registered models, versions, stages, aliases and
 * artifact listings — on whichever backend the active profile names (embedded SQLite or MLflow).
 */
import { z } from 'zod';
import { empty, method } from './common.js';

// ---------- shapes ----------

const TagSchema = z.object({ key: z.string(), value: z.string() });
export const MetricSchema = z.object({
  key: z.string(),
  value: z.number().nullable().describe('null when the logged value was NaN or infinite (JSON has no such numbers)'),
  timestamp: z.number().int(),
  step: z.number().int(),
});
const LifecycleSchema = z.enum(['active', 'deleted']);
export const RunStatusSchema = z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);
export const StageSchema = z.enum(['None', 'Staging', 'Production', 'Archived']);
const ViewTypeSchema = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']);

export const ExperimentSchema = z.object({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string(),
  lifecycle_stage: LifecycleSchema,
  creation_time: z.number().int(),
  last_update_time: z.number().int(),
  tags: z.array(TagSchema),
});

export const RunSchema = z.object({
  info: z.object({
    run_id: z.string(),
    run_uuid: z.string(),
    experiment_id: z.string(),
    run_name: z.string(),
    user_id: z.string(),
    status: RunStatusSchema,
    start_time: z.number().int(),
    end_time: z.number().int().nullable(),
    artifact_uri: z.string(),
    lifecycle_stage: LifecycleSchema,
  }),
  data: z.object({ metrics: z.array(MetricSchema).describe('latest value of each metric'), params: z.array(TagSchema), tags: z.array(TagSchema) }),
  inputs: z.object({ dataset_inputs: z.array(z.unknown()) }),
});

export const ModelVersionSchema = z.object({
  name: z.string(),
  version: z.string(),
  creation_timestamp: z.number().int(),
  last_updated_timestamp: z.number().int(),
  user_id: z.string(),
  current_stage: StageSchema,
  description: z.string(),
  source: z.string(),
  run_id: z.string(),
  run_link: z.string(),
  status: z.enum(['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY']),
  status_message: z.string(),
  tags: z.array(TagSchema),
  aliases: z.array(z.string()),
});

export const RegisteredModelSchema = z.object({
  name: z.string(),
  creation_timestamp: z.number().int(),
  last_updated_timestamp: z.number().int(),
  description: z.string(),
  latest_versions: z.array(ModelVersionSchema).describe('newest version in each stage'),
  tags: z.array(TagSchema),
  aliases: z.array(z.object({ alias: z.string(), version: z.string() })),
});

export const FileInfoSchema = z.object({ path: z.string(), is_dir: z.boolean(), file_size: z.number().int().nullable() });

const pageOf = <K extends string, T extends z.ZodType>(key: K, item: T) =>
  z.object({ [key]: z.array(item), next_page_token: z.string().nullable() } as { [P in K]: z.ZodArray<T> } & { next_page_token: z.ZodNullable<z.ZodString> });

/** Emitted after anything in the registry changes, from the console or from an MLflow client. */
export const RegistryChangedSchema = z.object({
  entity: z.enum(['experiment', 'run', 'model', 'version', 'alias', 'artifact']),
  source: z.enum(['console', 'mlflow-api']),
  endpoint: z.string().describe('the contract method or MLflow endpoint that made the change'),
});
export type RegistryChanged = z.infer<typeof RegistryChangedSchema>;

// ---------- inputs ----------

const name = z.string().min(1);
const version = z.union([z.string().regex(/^\d+$/, 'expected a version number'), z.number().int().positive()]).transform(String);
const tags = z.array(z.object({ key: z.string().min(1), value: z.string() }).strict()).max(100).optional();
const paging = {
  max_results: z.number().int().min(1).max(50_000).optional(),
  page_token: z.string().min(1).optional(),
};
const search = {
  filter: z.string().max(10_000).optional().describe("MLflow's filter grammar, e.g. metrics.rmse < 5 and params.model = 'mlp'"),
  order_by: z.array(z.string().min(1)).max(10).optional().describe('e.g. ["metrics.rmse ASC", "attributes.start_time DESC"]'),
  ...paging,
};

export const registryEvents = {
  'registry.changed': RegistryChangedSchema,
} as const;

export const registryMethods = {
  'registry.info': method({
    description: 'Which registry the active profile uses (embedded SQLite or an MLflow server) and where.',
    input: empty,
    output: z.object({ backend: z.enum(['sqlite', 'mlflow']), location: z.string(), profile: z.string() }),
  }),

  'registry.experiments.list': method({
    description: 'Search experiments (filter on name, tags, creation_time).',
    input: z.object({ ...search, view_type: ViewTypeSchema.default('ACTIVE_ONLY') }).strict().default({ view_type: 'ACTIVE_ONLY' }),
    output: pageOf('experiments', ExperimentSchema),
  }),
  'registry.experiments.get': method({
    description: 'One experiment by id or by name.',
    input: z
      .object({ experiment_id: z.string().min(1).optional(), name: name.optional() })
      .strict()
      .refine((v) => !!v.experiment_id !== !!v.name, { message: 'give experiment_id or name (one of them)' }),
    output: ExperimentSchema,
  }),
  'registry.experiments.create': method({
    description: 'Create an experiment.',
    input: z.object({ name: name.max(500), tags }).strict(),
    output: ExperimentSchema,
  }),
  'registry.experiments.rename': method({
    description: 'Rename an experiment.',
    input: z.object({ experiment_id: z.string().min(1), new_name: name.max(500) }).strict(),
    output: ExperimentSchema,
  }),
  'registry.experiments.delete': method({
    description: 'Delete an experiment and its runs (they can be restored).',
    input: z.object({ experiment_id: z.string().min(1) }).strict(),
    output: ExperimentSchema,
  }),
  'registry.experiments.restore': method({
    description: 'Restore a deleted experiment and its runs.',
    input: z.object({ experiment_id: z.string().min(1) }).strict(),
    output: ExperimentSchema,
  }),

  'registry.runs.search': method({
    description: "Search runs with MLflow's filter grammar and order_by; without experiment_ids, all active experiments.",
    input: z
      .object({ experiment_ids: z.array(z.string().min(1)).max(1000).optional(), ...search, run_view_type: ViewTypeSchema.default('ACTIVE_ONLY') })
      .strict()
      .default({ run_view_type: 'ACTIVE_ONLY' }),
    output: pageOf('runs', RunSchema),
  }),
  'registry.runs.get': method({
    description: 'One run with its params, tags and the latest value of each metric.',
    input: z.object({ run_id: z.string().min(1) }).strict(),
    output: RunSchema,
  }),
  'registry.runs.compare': method({
    description: 'Several runs side by side: their params and latest metrics, and the full history of the chosen metrics.',
    input: z
      .object({
        run_ids: z.array(z.string().min(1)).min(1).max(50),
        metric_keys: z.array(z.string().min(1)).max(20).optional().describe('histories to load; default: every metric the runs have (up to 20)'),
      })
      .strict(),
    output: z.object({
      runs: z.array(RunSchema),
      param_keys: z.array(z.string()),
      metric_keys: z.array(z.string()),
      histories: z.array(z.object({ run_id: z.string(), key: z.string(), metrics: z.array(MetricSchema) })),
    }),
  }),
  'registry.runs.metricHistory': method({
    description: 'Every logged value of one metric of a run (step, timestamp, value), paged.',
    input: z.object({ run_id: z.string().min(1), key: z.string().min(1), ...paging }).strict(),
    output: pageOf('metrics', MetricSchema),
  }),
  'registry.runs.delete': method({
    description: 'Delete a run (it can be restored).',
    input: z.object({ run_id: z.string().min(1) }).strict(),
    output: RunSchema,
  }),
  'registry.runs.restore': method({
    description: 'Restore a deleted run.',
    input: z.object({ run_id: z.string().min(1) }).strict(),
    output: RunSchema,
  }),

  'registry.models.list': method({
    description: 'Search registered models (filter on name and tags).',
    input: z.object(search).strict().default({}),
    output: pageOf('models', RegisteredModelSchema),
  }),
  'registry.models.get': method({
    description: 'One registered model with its latest versions, tags and aliases.',
    input: z.object({ name }).strict(),
    output: RegisteredModelSchema,
  }),
  'registry.models.create': method({
    description: 'Register a model name.',
    input: z.object({ name, description: z.string().max(100_000).optional(), tags }).strict(),
    output: RegisteredModelSchema,
  }),
  'registry.models.update': method({
    description: "Change a registered model's description.",
    input: z.object({ name, description: z.string().max(100_000) }).strict(),
    output: RegisteredModelSchema,
  }),
  'registry.models.rename': method({
    description: 'Rename a registered model; its versions and aliases follow.',
    input: z.object({ name, new_name: name }).strict(),
    output: RegisteredModelSchema,
  }),
  'registry.models.delete': method({
    description: 'Delete a registered model with all its versions and aliases.',
    input: z.object({ name }).strict(),
    output: z.object({ deleted: z.string() }),
  }),

  'registry.versions.list': method({
    description: 'Search model versions (filter on name, run_id, version_number, tags); name narrows to one model.',
    input: z.object({ name: name.optional(), ...search }).strict().default({}),
    output: pageOf('versions', ModelVersionSchema),
  }),
  'registry.versions.get': method({
    description: 'One model version.',
    input: z.object({ name, version }).strict(),
    output: ModelVersionSchema,
  }),
  'registry.versions.create': method({
    description: "Register a new version from a run's artifacts (runs:/<run_id>/<path>) or another source URI.",
    input: z.object({ name, source: z.string().min(1), run_id: z.string().min(1).optional(), description: z.string().optional(), tags }).strict(),
    output: ModelVersionSchema,
  }),
  'registry.versions.update': method({
    description: "Change a version's description.",
    input: z.object({ name, version, description: z.string().max(100_000) }).strict(),
    output: ModelVersionSchema,
  }),
  'registry.versions.delete': method({
    description: 'Delete a model version (its number is not reused).',
    input: z.object({ name, version }).strict(),
    output: z.object({ deleted: z.object({ name: z.string(), version: z.string() }) }),
  }),
  'registry.versions.transitionStage': method({
    description: 'Move a version to None, Staging, Production or Archived; optionally archive the others in that stage.',
    input: z.object({ name, version, stage: StageSchema, archive_existing_versions: z.boolean().default(false) }).strict(),
    output: ModelVersionSchema,
  }),

  'registry.aliases.set': method({
    description: 'Point an alias (e.g. champion, challenger) at a version; moves it if it exists.',
    input: z.object({ name, alias: z.string().min(1).max(255), version }).strict(),
    output: ModelVersionSchema,
  }),
  'registry.aliases.delete': method({
    description: 'Remove an alias from a model.',
    input: z.object({ name, alias: z.string().min(1) }).strict(),
    output: RegisteredModelSchema,
  }),
  'registry.aliases.get': method({
    description: 'The version an alias points at.',
    input: z.object({ name, alias: z.string().min(1) }).strict(),
    output: ModelVersionSchema,
  }),

  'registry.artifacts.list': method({
    description: "The files and folders at a path of a run's artifacts.",
    input: z.object({ run_id: z.string().min(1), path: z.string().optional() }).strict(),
    output: z.object({ root_uri: z.string(), files: z.array(FileInfoSchema) }),
  }),
} as const;
