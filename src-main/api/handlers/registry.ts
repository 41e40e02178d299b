import type { HandlersFor } from '../handler-types.js';
import type { RegistryChanged, registryMethods } from '../methods/registry.js';
import { getRegistry } from '../../engines/registry/index.js';
import type { Metric, Run } from '../../engines/registry/types.js';
import type { Services } from '../../platform/services.js';
import { filterLiteral } from '../../engines/registry/filter.js';

/** NaN and ±Infinity cannot cross JSON; the contract shows them as null. */
const metricOut = (m: Metric) => ({ ...m, value: Number.isFinite(m.value) ? m.value : null });
const runOut = (r: Run) => ({ ...r, data: { ...r.data, metrics: r.data.metrics.map(metricOut) } });

const changed = (s: Services, entity: RegistryChanged['entity'], endpoint: string): void =>
  s.events.publish('registry.changed', { entity, source: 'console', endpoint });


/** Every metric key of the runs, or the asked ones, capped so a comparison stays a comparison. */
const MAX_COMPARED_METRICS = 20;

export const registryHandlers: HandlersFor<keyof typeof registryMethods> = {
  'registry.info': async (_i, s) => {
    const r = await getRegistry(s);
    return { backend: r.kind, location: r.location, profile: s.workspace.profile.name };
  },

  'registry.experiments.list': async (i, s) => {
    const p = await (await getRegistry(s)).searchExperiments(i);
    return { experiments: p.items, next_page_token: p.next_page_token };
  },
  'registry.experiments.get': async (i, s) => {
    const r = await getRegistry(s);
    return i.experiment_id ? r.getExperiment(i.experiment_id) : r.getExperimentByName(i.name!);
  },
  'registry.experiments.create': async (i, s) => {
    const r = await getRegistry(s);
    const id = await r.createExperiment({ name: i.name, ...(i.tags ? { tags: i.tags } : {}) });
    changed(s, 'experiment', 'registry.experiments.create');
    return r.getExperiment(id);
  },
  'registry.experiments.rename': async (i, s) => {
    const r = await getRegistry(s);
    await r.renameExperiment(i.experiment_id, i.new_name);
    changed(s, 'experiment', 'registry.experiments.rename');
    return r.getExperiment(i.experiment_id);
  },
  'registry.experiments.delete': async (i, s) => {
    const r = await getRegistry(s);
    await r.deleteExperiment(i.experiment_id);
    changed(s, 'experiment', 'registry.experiments.delete');
    return r.getExperiment(i.experiment_id);
  },
  'registry.experiments.restore': async (i, s) => {
    const r = await getRegistry(s);
    await r.restoreExperiment(i.experiment_id);
    changed(s, 'experiment', 'registry.experiments.restore');
    return r.getExperiment(i.experiment_id);
  },

  'registry.runs.search': async (i, s) => {
    const r = await getRegistry(s);
    const experiment_ids = i.experiment_ids ?? (await r.searchExperiments({ max_results: 50_000 })).items.map((e) => e.experiment_id);
    const p = await r.searchRuns({ ...i, experiment_ids });
    return { runs: p.items.map(runOut), next_page_token: p.next_page_token };
  },
  'registry.runs.get': async (i, s) => runOut(await (await getRegistry(s)).getRun(i.run_id)),
  'registry.runs.compare': async (i, s) => {
    const r = await getRegistry(s);
    const runs = await Promise.all([...new Set(i.run_ids)].map((id) => r.getRun(id)));
    const union = (pick: (run: Run) => { key: string }[]): string[] => [...new Set(runs.flatMap((run) => pick(run).map((x) => x.key)))].sort();
    const metric_keys = i.metric_keys ?? union((run) => run.data.metrics).slice(0, MAX_COMPARED_METRICS);
    const histories = await Promise.all(
      runs.flatMap((run) =>
        metric_keys.map(async (key) => ({ run_id: run.info.run_id, key, metrics: (await r.getMetricHistory(run.info.run_id, key)).items.map(metricOut) })),
      ),
    );
    return { runs: runs.map(runOut), param_keys: union((run) => run.data.params), metric_keys, histories: histories.filter((h) => h.metrics.length > 0) };
  },
  'registry.runs.metricHistory': async (i, s) => {
    const p = await (await getRegistry(s)).getMetricHistory(i.run_id, i.key, i);
    return { metrics: p.items.map(metricOut), next_page_token: p.next_page_token };
  },
  'registry.runs.delete': async (i, s) => {
    const r = await getRegistry(s);
    await r.deleteRun(i.run_id);
    changed(s, 'run', 'registry.runs.delete');
    return runOut(await r.getRun(i.run_id));
  },
  'registry.runs.restore': async (i, s) => {
    const r = await getRegistry(s);
    await r.restoreRun(i.run_id);
    changed(s, 'run', 'registry.runs.restore');
    return runOut(await r.getRun(i.run_id));
  },

  'registry.models.list': async (i, s) => {
    const p = await (await getRegistry(s)).searchRegisteredModels(i);
    return { models: p.items, next_page_token: p.next_page_token };
  },
  'registry.models.get': async (i, s) => (await getRegistry(s)).getRegisteredModel(i.name),
  'registry.models.create': async (i, s) => {
    const m = await (await getRegistry(s)).createRegisteredModel(i);
    changed(s, 'model', 'registry.models.create');
    return m;
  },
  'registry.models.update': async (i, s) => {
    const m = await (await getRegistry(s)).updateRegisteredModel(i.name, i.description);
    changed(s, 'model', 'registry.models.update');
    return m;
  },
  'registry.models.rename': async (i, s) => {
    const m = await (await getRegistry(s)).renameRegisteredModel(i.name, i.new_name);
    changed(s, 'model', 'registry.models.rename');
    return m;
  },
  'registry.models.delete': async (i, s) => {
    await (await getRegistry(s)).deleteRegisteredModel(i.name);
    changed(s, 'model', 'registry.models.delete');
    return { deleted: i.name };
  },

  'registry.versions.list': async ({ name, ...i }, s) => {
    const filter = [name ? `name = ${filterLiteral(name)}` : '', i.filter ?? ''].filter((f) => f.trim() !== '').join(' AND ');
    const p = await (await getRegistry(s)).searchModelVersions({ ...i, ...(filter ? { filter } : {}) });
    return { versions: p.items, next_page_token: p.next_page_token };
  },
  'registry.versions.get': async (i, s) => (await getRegistry(s)).getModelVersion(i.name, i.version),
  'registry.versions.create': async (i, s) => {
    const v = await (await getRegistry(s)).createModelVersion(i);
    changed(s, 'version', 'registry.versions.create');
    return v;
  },
  'registry.versions.update': async (i, s) => {
    const v = await (await getRegistry(s)).updateModelVersion(i.name, i.version, i.description);
    changed(s, 'version', 'registry.versions.update');
    return v;
  },
  'registry.versions.delete': async (i, s) => {
    await (await getRegistry(s)).deleteModelVersion(i.name, i.version);
    changed(s, 'version', 'registry.versions.delete');
    return { deleted: { name: i.name, version: i.version } };
  },
  'registry.versions.transitionStage': async (i, s) => {
    const v = await (await getRegistry(s)).transitionModelVersionStage(i);
    changed(s, 'version', 'registry.versions.transitionStage');
    return v;
  },

  'registry.aliases.set': async (i, s) => {
    const r = await getRegistry(s);
    await r.setRegisteredModelAlias(i.name, i.alias, i.version);
    changed(s, 'alias', 'registry.aliases.set');
    return r.getModelVersion(i.name, i.version);
  },
  'registry.aliases.delete': async (i, s) => {
    const r = await getRegistry(s);
    await r.deleteRegisteredModelAlias(i.name, i.alias);
    changed(s, 'alias', 'registry.aliases.delete');
    return r.getRegisteredModel(i.name);
  },
  'registry.aliases.get': async (i, s) => (await getRegistry(s)).getModelVersionByAlias(i.name, i.alias),

  'registry.artifacts.list': async (i, s) => {
    const r = await getRegistry(s);
    const run = await r.getRun(i.run_id);
    return { root_uri: run.info.artifact_uri, files: await r.listArtifacts(i.run_id, i.path) };
  },
};
