import type { HandlersFor } from '../handler-types.js';
import type { ModelVersionSummary, modelsMethods } from '../methods/models.js';
import { getRegistry } from '../../engines/registry/index.js';
import type { RegistryStore } from '../../engines/registry/types.js';
import type { Services } from '../../platform/services.js';
import { isAppError } from '../../platform/errors.js';
import { filterLiteral } from '../../engines/registry/filter.js';


/** Versions never change once registered; their spec summary is read once per process. */
const specSummaries = new Map<string, ModelVersionSummary['features']>();

async function specSummary(r: RegistryStore, name: string, version: string, runId: string, source: string): Promise<ModelVersionSummary['features']> {
  const key = `${r.location}\u0000${name}\u0000${version}`;
  const hit = specSummaries.get(key);
  if (hit) return hit;
  const { sourceOf } = await import('../../engines/models/model-io.js');
  const { MODEL_FILES } = await import('../../engines/models/layout.js');
  const src = sourceOf({ source, run_id: runId });
  let features: ModelVersionSummary['features'] = [];
  try {
    const body = await r.downloadArtifact(src?.runId ?? runId, `${src?.path ? `${src.path}/` : ''}${MODEL_FILES.spec}`);
    const spec = JSON.parse(body.toString('utf8')) as { features?: { name: string; type: 'numerical' | 'categorical' }[] };
    features = (spec.features ?? []).map((f) => ({ name: f.name, type: f.type }));
  } catch (e) {
    // A version registered by another tool has no feature spec; it lists without one.
    if (!isAppError(e) && !(e instanceof SyntaxError)) throw e;
  }
  specSummaries.set(key, features);
  return features;
}

async function predictor(s: Services) {
  return (await import('../../engines/models/predictor.js')).getPredictor(s);
}

export const modelsHandlers: HandlersFor<keyof typeof modelsMethods> = {
  'models.train': (i, s) => s.jobs.start('models.train', i),
  'models.predict': async (i, s) => (await predictor(s)).predictParsed(i),
  'models.serving': async (i, s) => (await predictor(s)).state(i.model),
  'models.setChallengerShare': async (i, s) => {
    const p = await predictor(s);
    // Saved first: a share that cannot be saved is not applied either, so memory and file never disagree.
    const { saveConfigSetting } = await import('../../platform/profiles.js');
    await saveConfigSetting(s, ['models', 'serving', 'challenger_share'], i.share);
    p.setChallengerShare(i.share);
    return p.state();
  },
  'models.list': async (i, s) => {
    const { modelsConfigOf } = await import('../../engines/models/config.js');
    const { TAGS } = await import('../../engines/models/layout.js');
    const name = i.model ?? modelsConfigOf(s.workspace.config).registered_model;
    const r = await getRegistry(s);
    let items;
    try {
      items = (await r.searchModelVersions({ filter: `name = ${filterLiteral(name)}`, max_results: Math.min(i.limit, 1000) })).items;
    } catch (e) {
      if (isAppError(e) && e.code === 'RESOURCE_DOES_NOT_EXIST') return { model: name, versions: [] };
      throw e;
    }
    items.sort((a, b) => Number(b.version) - Number(a.version));
    const versions = await Promise.all(
      items.slice(0, i.limit).map(async (v): Promise<ModelVersionSummary> => {
        const tag = (k: string): string | null => v.tags.find((t) => t.key === k)?.value ?? null;
        let metrics: Record<string, number | null> = {};
        let params: Record<string, string> = {};
        if (v.run_id) {
          try {
            const run = await r.getRun(v.run_id);
            metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, Number.isFinite(m.value) ? m.value : null]));
            params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
          } catch (e) {
            if (!isAppError(e) || e.code !== 'RESOURCE_DOES_NOT_EXIST') throw e;
          }
        }
        const num = (k: string): number | null => (params[k] === undefined ? null : Number(params[k]));
        return {
          name: v.name,
          version: v.version,
          run_id: v.run_id,
          aliases: v.aliases,
          stage: v.current_stage,
          created_at: v.creation_timestamp,
          algorithm: tag(TAGS.algorithm),
          task: tag(TAGS.task),
          feature_service: tag(TAGS.featureService),
          metrics,
          features: v.run_id ? await specSummary(r, v.name, v.version, v.run_id, v.source) : [],
          train_rows: num('train_rows'),
          eval_rows: num('eval_rows'),
        };
      }),
    );
    return { model: name, versions };
  },
};
