/**
 * The bridge to the models engine (src-main/engines/models/): a version's reference sets
 * (`referenceFromRegistry`), its loaded model (`loadModelFromRegistry`) and its evaluation RMSE. Loaded by
 * path at run time so monitoring still works with time-range references in a build without the models
 * engine; everything here opens the registry itself, so it runs inside job workers too.
 */
import { AppError } from '../../platform/errors.js';
import type { Workspace } from '../../platform/workspace.js';
import { openRegistryStore } from '../registry/index.js';
import type { RegistryStore } from '../registry/types.js';

export interface ReferenceFiles {
  trainParquet: string;
  evalParquet: string;
}

export interface PredictingModel {
  name: string;
  version: string;
  featureNames: string[];
  predictRows(rows: ReadonlyArray<Readonly<Record<string, string | number | boolean | null>>>): Float64Array;
}

async function modelsModule<T>(file: string, member: string): Promise<T> {
  const spec = `../models/${file}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (e) {
    throw new AppError('UNAVAILABLE', `this needs the models engine (${(e as Error).message})`, { module: file });
  }
  if (typeof mod[member] !== 'function') throw new AppError('UNAVAILABLE', `the models engine has no ${member}`, { module: file });
  return mod[member] as T;
}

async function withRegistry<T>(ws: Workspace, f: (r: RegistryStore) => Promise<T>): Promise<T> {
  const r = await openRegistryStore(ws);
  try {
    return await f(r);
  } finally {
    await r.close();
  }
}

/** A lookup of reference files bound to a workspace. */
export function modelReferenceOf(ws: Workspace): (name: string, version: string) => Promise<ReferenceFiles> {
  return async (name, version) => {
    const referenceFromRegistry = await modelsModule<(r: RegistryStore, ws: Workspace, n: string, v: string) => Promise<ReferenceFiles>>('reference.js', 'referenceFromRegistry');
    return withRegistry(ws, (r) => referenceFromRegistry(r, ws, name, version));
  };
}

export async function loadPredictingModel(ws: Workspace, name: string, version: string): Promise<PredictingModel> {
  const load = await modelsModule<(r: RegistryStore, n: string, v: string) => Promise<PredictingModel>>('model-io.js', 'loadModelFromRegistry');
  return withRegistry(ws, (r) => load(r, name, version));
}

/** The version's evaluation RMSE (its run's `rmse` metric), or null when it has none. */
export async function baselineRmse(ws: Workspace, name: string, version: string): Promise<number | null> {
  return withRegistry(ws, async (r) => {
    const v = await r.getModelVersion(name, version);
    if (!v.run_id) return null;
    const run = await r.getRun(v.run_id);
    const m = run.data.metrics.find((x) => x.key === 'rmse');
    return m && Number.isFinite(m.value) ? m.value : null;
  });
}

/** A version number from a version or an alias. */
export async function resolveVersion(ws: Workspace, name: string, ref: { version?: string | number; alias?: string }): Promise<string> {
  if (ref.version !== undefined) return String(ref.version);
  return withRegistry(ws, async (r) => (await r.getModelVersionByAlias(name, ref.alias ?? 'champion')).version);
}
