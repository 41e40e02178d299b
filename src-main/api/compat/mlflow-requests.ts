/**
 * zod schemas of the MLflow REST requests `serve` answers, field for field as MLflow's protobuf messages.
 *
 * Objects are not strict on purpose: MLflow's server ignores fields it does not know, and its clients of
 * other versions send extra ones (run_uuid next to run_id, model_id and dataset fields on log-metric);
 * refusing them would break a stock client. GET requests arrive as query strings, so numbers and booleans
 * are coerced and a repeated field given once becomes a list.
 */
import { z } from 'zod';

const text = z.string();
const id = z.union([z.string(), z.number()]).transform(String);
const int = z.coerce.number().int();
const bool = z.preprocess((v) => (typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v), z.boolean());
const list = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item));
const tag = z.object({ key: text, value: text.default('') });
const tags = z.array(tag).optional();
/** JSON has no NaN or Infinity; MLflow writes them as strings. */
const metricValue = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity']).transform(Number), z.string().regex(/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/).transform(Number)]);
const viewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']);

const runIdFields = { run_id: text.optional(), run_uuid: text.optional() };

/** run_id, or its older name run_uuid, as run_id. */
function pickRunId<T extends { run_id?: string | undefined; run_uuid?: string | undefined }>(v: T, ctx: z.RefinementCtx): Omit<T, 'run_uuid'> & { run_id: string } {
  const runId = v.run_id || v.run_uuid;
  if (!runId) {
    ctx.addIssue({ code: 'custom', message: 'Missing value for required parameter', path: ['run_id'] });
    return z.NEVER;
  }
  const { run_uuid: _old, ...rest } = v;
  return { ...rest, run_id: runId };
}

const metric = z.object({ key: text, value: metricValue, timestamp: int, step: int.default(0) });

export const Req = {
  createExperiment: z.object({ name: text, artifact_location: text.optional(), tags }),
  searchExperiments: z.object({
    max_results: int.optional(),
    page_token: text.optional(),
    filter: text.optional(),
    order_by: list(text).optional(),
    view_type: viewType.optional(),
  }),
  experimentId: z.object({ experiment_id: id }),
  experimentByName: z.object({ experiment_name: text }),
  updateExperiment: z.object({ experiment_id: id, new_name: text }),
  experimentTag: z.object({ experiment_id: id, key: text, value: text.default('') }),
  experimentTagKey: z.object({ experiment_id: id, key: text }),

  createRun: z.object({
    experiment_id: id.default('0'),
    user_id: text.optional(),
    run_name: text.optional(),
    start_time: int.optional(),
    tags,
  }),
  updateRun: z.object({ ...runIdFields, status: z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']).optional(), end_time: int.optional(), run_name: text.optional() }).transform(pickRunId),
  runId: z.object(runIdFields).transform(pickRunId),
  logMetric: z.object({ ...runIdFields, key: text, value: metricValue, timestamp: int, step: int.default(0) }).transform(pickRunId),
  logParam: z.object({ ...runIdFields, key: text, value: text.default('') }).transform(pickRunId),
  setTag: z.object({ ...runIdFields, key: text, value: text.default('') }).transform(pickRunId),
  deleteTag: z.object({ ...runIdFields, key: text }).transform(pickRunId),
  logBatch: z.object({ ...runIdFields, metrics: z.array(metric).optional(), params: z.array(tag).optional(), tags }).transform(pickRunId),
  searchRuns: z.object({
    experiment_ids: list(id).default([]),
    filter: text.optional(),
    run_view_type: viewType.optional(),
    max_results: int.optional(),
    order_by: list(text).optional(),
    page_token: text.optional(),
  }),
  metricHistory: z.object({ ...runIdFields, metric_key: text, max_results: int.optional(), page_token: text.optional() }).transform(pickRunId),
  listArtifacts: z.object({ ...runIdFields, path: text.optional(), page_token: text.optional() }).transform(pickRunId),

  createModel: z.object({ name: text, description: text.optional(), tags }),
  modelName: z.object({ name: text }),
  renameModel: z.object({ name: text, new_name: text }),
  updateModel: z.object({ name: text, description: text.default('') }),
  searchModels: z.object({ filter: text.optional(), max_results: int.optional(), order_by: list(text).optional(), page_token: text.optional() }),
  latestVersions: z.object({ name: text, stages: list(text).optional() }),
  modelTag: z.object({ name: text, key: text, value: text.default('') }),
  modelTagKey: z.object({ name: text, key: text }),
  setAlias: z.object({ name: text, alias: text, version: id }),
  alias: z.object({ name: text, alias: text }),

  createVersion: z.object({ name: text, source: text, run_id: text.optional(), run_link: text.optional(), description: text.optional(), tags }),
  version: z.object({ name: text, version: id }),
  updateVersion: z.object({ name: text, version: id, description: text.default('') }),
  transition: z.object({ name: text, version: id, stage: text, archive_existing_versions: bool.default(false) }),
  versionTag: z.object({ name: text, version: id, key: text, value: text.default('') }),
  versionTagKey: z.object({ name: text, version: id, key: text }),

  artifactList: z.object({ path: text.default('') }),

  /** The platform guide's POST /mlflow/models/metrics: metrics for the run behind a model version. */
  modelMetrics: z
    .object({
      model_name: text.min(1),
      version: id.optional(),
      alias: text.optional(),
      metrics: z.record(z.string(), metricValue).refine((m) => Object.keys(m).length > 0, 'at least one metric'),
      step: int.default(0),
      timestamp: int.optional(),
    })
    .strict()
    .refine((v) => !(v.version && v.alias), { message: 'give version or alias, not both', path: ['alias'] }),
} as const;
