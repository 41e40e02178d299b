/**
 * A version's reference data for monitoring: the training and evaluation sets saved at training time
 * (Parquet: trip_id, taxi_id, event_timestamp, the features as view__feature, fare_amount, tips, and
 * `prediction` in the evaluation set) and the per-feature profile of the training set.
 *
 * The Parquet files are copied out of the registry once into the workspace tmp folder (DuckDB reads them
 * there by path, whichever registry backend holds them) and reused while they are there.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, isAppError } from '../../platform/errors.js';
import type { Services } from '../../platform/services.js';
import type { Workspace } from '../../platform/workspace.js';
import { getRegistry } from '../registry/index.js';
import type { RegistryStore } from '../registry/types.js';
import { REFERENCE_DIR, REFERENCE_FILES } from './layout.js';
import type { FeatureProfile } from './profile.js';

export type { FeatureProfile, FeatureProfileEntry, NumericalProfile, CategoricalProfile } from './profile.js';

export interface ModelReference {
  trainParquet: string;
  evalParquet: string;
  profile: FeatureProfile;
  runId: string;
}

async function fetchArtifact(r: RegistryStore, runId: string, p: string, label: string): Promise<Buffer> {
  try {
    return await r.downloadArtifact(runId, p);
  } catch (e) {
    if (isAppError(e) && (e.code === 'RESOURCE_DOES_NOT_EXIST' || e.code === 'NOT_FOUND')) {
      throw new AppError('NOT_FOUND', `${label} has no ${p} (trained before reference data was saved, or not trained by taxi-mlops)`, { run_id: runId, path: p });
    }
    throw e;
  }
}

/** Reference data of a version from an open registry (usable inside job workers). */
export async function referenceFromRegistry(r: RegistryStore, ws: Workspace, name: string, version: string | number): Promise<ModelReference> {
  const v = await r.getModelVersion(name, String(version));
  const label = `model ${name} version ${v.version}`;
  const runId = v.run_id;
  if (!runId) throw new AppError('NOT_FOUND', `${label} is not linked to a run, so it has no reference data`, { name, version: v.version });
  const dir = path.join(ws.paths.tmpDir, 'model-reference', encodeURIComponent(name), v.version, runId);
  fs.mkdirSync(dir, { recursive: true });
  const local = async (file: string): Promise<string> => {
    const target = path.join(dir, file);
    if (fs.existsSync(target)) return target;
    const body = await fetchArtifact(r, runId, `${REFERENCE_DIR}/${file}`, label);
    const tmp = `${target}.${crypto.randomBytes(4).toString('hex')}.partial`;
    fs.writeFileSync(tmp, body);
    fs.renameSync(tmp, target);
    return target;
  };
  const profileBody = await fetchArtifact(r, runId, `${REFERENCE_DIR}/${REFERENCE_FILES.profile}`, label);
  let profile: FeatureProfile;
  try {
    profile = JSON.parse(profileBody.toString('utf8')) as FeatureProfile;
  } catch (e) {
    throw new AppError('INVALID_FILE', `${label}: ${REFERENCE_DIR}/${REFERENCE_FILES.profile} is not JSON (${(e as Error).message})`, { run_id: runId });
  }
  return { trainParquet: await local(REFERENCE_FILES.train), evalParquet: await local(REFERENCE_FILES.eval), profile, runId };
}

export async function referenceOf(s: Services, name: string, version: string | number): Promise<ModelReference> {
  return referenceFromRegistry(await getRegistry(s), s.workspace, name, version);
}
