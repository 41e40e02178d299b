/**
 * The bridge to the models engine (src-main/engines/models/): a version's reference sets
 * (`referenceFromRegistry`), its loaded model (`loadModelFromRegistry`) and its evaluation RMSE. Everything
 * here opens the registry itself, so it runs inside job workers too (no Services there).
 */
import type { Workspace } from '../../platform/workspace.js';
import { loadModelFromRegistry } from '../models/model-io.js';
import { referenceFromRegistry } from '../models/reference.js';
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
  return async (name, version) => withRegistry(ws, (r) => referenceFromRegistry(r, ws, name, version));
}

export async function loadPredictingModel(ws: Workspace, name: string, version: string): Promise<PredictingModel> {
  return withRegistry(ws, (r) => loadModelFromRegistry(r, name, version));
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
