/**
 * MLflow's JSON entities → ours. MLflow leaves out empty fields (no tags, no description, no end_time)
 * and writes non-finite metric values as strings ("NaN", "Infinity"); these functions fill the gaps so
 * both backends answer with the same shapes.
 */
import type { Experiment, Metric, ModelVersion, RegisteredModel, Run, RunInfo, Stage, Tag } from '../types.js';

type Json = Record<string, unknown>;

const str = (v: unknown, fallback = ''): string => (v === undefined || v === null ? fallback : String(v));
const num = (v: unknown, fallback = 0): number => (v === undefined || v === null || v === '' ? fallback : Number(v));
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const tags = (v: unknown): Tag[] => list(v).map((t) => ({ key: str(t.key), value: str(t.value) }));

/** A metric value as MLflow writes it: a number, or "NaN" / "Infinity" / "-Infinity". */
export const metricValue = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));
/** Non-finite numbers as strings, since JSON has no NaN or Infinity. */
export const metricJson = (v: number): number | string => (Number.isFinite(v) ? v : String(v));

export const toMetric = (m: Json): Metric => ({ key: str(m.key), value: metricValue(m.value), timestamp: num(m.timestamp), step: num(m.step) });

export function toExperiment(e: Json): Experiment {
  return {
    experiment_id: str(e.experiment_id),
    name: str(e.name),
    artifact_location: str(e.artifact_location),
    lifecycle_stage: str(e.lifecycle_stage, 'active') as Experiment['lifecycle_stage'],
    creation_time: num(e.creation_time),
    last_update_time: num(e.last_update_time),
    tags: tags(e.tags),
  };
}

export function toRunInfo(i: Json): RunInfo {
  const id = str(i.run_id ?? i.run_uuid);
  return {
    run_id: id,
    run_uuid: id,
    experiment_id: str(i.experiment_id),
    run_name: str(i.run_name),
    user_id: str(i.user_id),
    status: str(i.status, 'RUNNING') as RunInfo['status'],
    start_time: num(i.start_time),
    end_time: i.end_time === undefined || i.end_time === null ? null : num(i.end_time),
    artifact_uri: str(i.artifact_uri),
    lifecycle_stage: str(i.lifecycle_stage, 'active') as RunInfo['lifecycle_stage'],
  };
}

const byKey = <T extends { key: string }>(xs: T[]): T[] => [...xs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

export function toRun(r: Json): Run {
  const data = (r.data ?? {}) as Json;
  const inputs = (r.inputs ?? {}) as Json;
  return {
    info: toRunInfo((r.info ?? {}) as Json),
    data: { metrics: byKey(list(data.metrics).map(toMetric)), params: byKey(tags(data.params)), tags: byKey(tags(data.tags)) },
    inputs: {
      dataset_inputs: list(inputs.dataset_inputs).map((d) => {
        const ds = (d.dataset ?? {}) as Json;
        return {
          tags: tags(d.tags),
          dataset: { name: str(ds.name), digest: str(ds.digest), source_type: str(ds.source_type), source: str(ds.source) },
        };
      }),
    },
  };
}

export function toModelVersion(v: Json): ModelVersion {
  return {
    name: str(v.name),
    version: str(v.version),
    creation_timestamp: num(v.creation_timestamp),
    last_updated_timestamp: num(v.last_updated_timestamp),
    user_id: str(v.user_id),
    current_stage: str(v.current_stage, 'None') as Stage,
    description: str(v.description),
    source: str(v.source),
    run_id: str(v.run_id),
    run_link: str(v.run_link),
    status: str(v.status, 'READY') as ModelVersion['status'],
    status_message: str(v.status_message),
    tags: byKey(tags(v.tags)),
    aliases: (Array.isArray(v.aliases) ? (v.aliases as unknown[]).map(String) : []).sort(),
  };
}

export function toRegisteredModel(m: Json): RegisteredModel {
  return {
    name: str(m.name),
    creation_timestamp: num(m.creation_timestamp),
    last_updated_timestamp: num(m.last_updated_timestamp),
    description: str(m.description),
    latest_versions: list(m.latest_versions)
      .map(toModelVersion)
      .sort((a, b) => Number(b.version) - Number(a.version)),
    tags: byKey(tags(m.tags)),
    aliases: list(m.aliases)
      .map((a) => ({ alias: str(a.alias), version: str(a.version) }))
      .sort((a, b) => (a.alias < b.alias ? -1 : 1)),
  };
}
