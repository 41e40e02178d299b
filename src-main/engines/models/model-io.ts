/**
 * Loading a registered version into something that predicts: the version's source (runs:/<run>/model)
 * gives the MLmodel file, the feature spec and the model files; each is checked, and anything missing or
 * inconsistent is an INVALID_FILE naming the model, version and file. Loading never writes to the registry.
 */
import { parse as parseYaml } from 'yaml';
import { AppError, isAppError } from '../../platform/errors.js';
import type { Services } from '../../platform/services.js';
import { getRegistry } from '../registry/index.js';
import { parseRunsUri, safeArtifactPath } from '../registry/paths.js';
import type { ModelVersion, RegistryStore } from '../registry/types.js';
import { Encoder, FeatureSpecSchema, type FeatureRow, type FeatureSpec } from './feature-spec.js';
import { MLMODEL_FLAVOR, MODEL_FILES } from './layout.js';
import type { LinearModel } from './linear.js';
import { forwardMlp, parseMlp, type MlpNet } from './mlp-forward.js';

export type Row = Record<string, number | string | boolean | null>;

export interface LoadedModel {
  name: string;
  version: string;
  runId: string;
  algorithm: 'linear' | 'mlp';
  task: FeatureSpec['task'];
  spec: FeatureSpec;
  /** Feature columns (view__feature) the model reads, in spec order. */
  featureNames: string[];
  loadedAt: number;
  /** One prediction per row (fare in dollars, or the big-tipper probability). */
  predictRows(rows: ReadonlyArray<Readonly<FeatureRow>>): Float64Array;
}

async function download(r: RegistryStore, runId: string, p: string, where: string): Promise<Buffer> {
  try {
    return await r.downloadArtifact(runId, p);
  } catch (e) {
    if (isAppError(e) && (e.code === 'RESOURCE_DOES_NOT_EXIST' || e.code === 'NOT_FOUND')) {
      throw new AppError('INVALID_FILE', `${where}: artifact ${p} is missing from run ${runId}`, { run_id: runId, path: p }, { cause: e });
    }
    throw e;
  }
}

function parseJson<T>(buf: Buffer, where: string): T {
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch (e) {
    throw new AppError('INVALID_FILE', `${where}: not valid JSON (${(e as Error).message})`, { file: where });
  }
}

function checkLinear(m: unknown, dim: number, where: string): LinearModel {
  const x = m as Partial<LinearModel>;
  if (x?.format !== 'taxi-mlops/linear@1' || !Array.isArray(x.weights) || typeof x.intercept !== 'number') {
    throw new AppError('INVALID_FILE', `${where}: not a taxi-mlops linear model`, { file: where });
  }
  if (x.weights.length !== dim) throw new AppError('INVALID_FILE', `${where}: ${x.weights.length} weights for ${dim} encoded inputs`, { file: where, weights: x.weights.length, inputs: dim });
  if (!x.weights.every(Number.isFinite) || !Number.isFinite(x.intercept)) throw new AppError('INVALID_FILE', `${where}: non-finite weights`, { file: where });
  return x as LinearModel;
}

/**
 * The run and artifact folder of a version: its runs:/ source, or (as MLflow stores it after
 * registration) an artifact URI ending in <run_id>/artifacts/<path>.
 */
export function sourceOf(v: Pick<ModelVersion, 'source' | 'run_id'>): { runId: string; path: string } | null {
  const runs = parseRunsUri(v.source);
  if (runs) return runs;
  const m = /\/([^/]+)\/artifacts(?:\/(.*?))?\/?$/.exec(v.source);
  if (m && (!v.run_id || m[1] === v.run_id)) return { runId: m[1]!, path: safeArtifactPath(m[2] ?? '', 'source') };
  return null;
}

/** Loads a version from an open registry (usable inside job workers, which have no Services). */
export async function loadModelFromRegistry(r: RegistryStore, name: string, version: string | number, mv?: ModelVersion): Promise<LoadedModel> {
  const v = mv ?? (await r.getModelVersion(name, String(version)));
  const label = `model ${name} version ${v.version}`;
  const src = sourceOf(v);
  if (!src) throw new AppError('INVALID_FILE', `${label}: source ${v.source} names no run artifact folder this app can load`, { source: v.source });
  const runId = src.runId;
  const at = (f: string): string => (src.path ? `${src.path}/${f}` : f);
  const mlmodelText = (await download(r, runId, at(MODEL_FILES.mlmodel), label)).toString('utf8');
  let flavor: { algorithm?: string; model_file?: string; weights_file?: string; feature_spec?: string } | undefined;
  try {
    flavor = (parseYaml(mlmodelText) as { flavors?: Record<string, typeof flavor> })?.flavors?.[MLMODEL_FLAVOR];
  } catch (e) {
    throw new AppError('INVALID_FILE', `${label}: ${at(MODEL_FILES.mlmodel)} is not YAML (${(e as Error).message.split('\n')[0]})`, { path: at(MODEL_FILES.mlmodel) });
  }
  if (!flavor || (flavor.algorithm !== 'linear' && flavor.algorithm !== 'mlp')) {
    throw new AppError('INVALID_FILE', `${label}: ${at(MODEL_FILES.mlmodel)} has no ${MLMODEL_FLAVOR} flavor with a linear or mlp algorithm`, { path: at(MODEL_FILES.mlmodel) });
  }
  const specPath = at(flavor.feature_spec ?? MODEL_FILES.spec);
  const specParsed = FeatureSpecSchema.safeParse(parseJson(await download(r, runId, specPath, label), `${label}: ${specPath}`));
  if (!specParsed.success) {
    const issue = specParsed.error.issues[0]!;
    throw new AppError('INVALID_FILE', `${label}: ${specPath}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { path: specPath });
  }
  const spec = specParsed.data;
  const enc = new Encoder(spec);
  const algorithm = flavor.algorithm;
  let predictEncoded: (x: Float64Array, n: number) => Float64Array;
  if (algorithm === 'linear') {
    const p = at(flavor.model_file ?? MODEL_FILES.linear);
    const m = checkLinear(parseJson(await download(r, runId, p, label), `${label}: ${p}`), enc.dim, `${label}: ${p}`);
    const w = Float64Array.from(m.weights);
    const clip = spec.task === 'big_tipper';
    predictEncoded = (x, n) => {
      const out = new Float64Array(n);
      const d = w.length;
      for (let i = 0; i < n; i++) {
        let s = m.intercept;
        for (let j = 0, row = i * d; j < d; j++) s += w[j]! * x[row + j]!;
        out[i] = clip ? Math.min(1, Math.max(0, s)) : s;
      }
      return out;
    };
  } else {
    const jp = at(flavor.model_file ?? MODEL_FILES.mlpJson);
    const wp = at(flavor.weights_file ?? MODEL_FILES.mlpWeights);
    const net: MlpNet = parseMlp((await download(r, runId, jp, label)).toString('utf8'), await download(r, runId, wp, label), `${label}: ${src.path || '.'}`);
    if (net.inputDim !== enc.dim) throw new AppError('INVALID_FILE', `${label}: the network takes ${net.inputDim} inputs but the feature spec encodes ${enc.dim}`, { inputs: net.inputDim, encoded: enc.dim });
    const { mean, std } = spec.label_scale;
    const scale = spec.task === 'fare';
    predictEncoded = (x, n) => {
      const out = forwardMlp(net, x, n);
      if (scale) for (let i = 0; i < n; i++) out[i] = out[i]! * std + mean;
      return out;
    };
  }
  const one = new Float64Array(enc.dim);
  return {
    name,
    version: v.version,
    runId,
    algorithm,
    task: spec.task,
    spec,
    featureNames: enc.featureNames,
    loadedAt: Date.now(),
    predictRows(rows) {
      if (rows.length === 1) {
        // The single-row path reuses one buffer: no allocation beyond the result.
        one.fill(0);
        enc.encodeInto(rows[0]!, one, 0);
        return predictEncoded(one, 1);
      }
      return predictEncoded(enc.encode(rows), rows.length);
    },
  };
}

/** A registered version, loaded through the profile's registry. */
export async function loadModelVersion(s: Services, name: string, version: string | number): Promise<LoadedModel> {
  return loadModelFromRegistry(await getRegistry(s), name, version);
}
