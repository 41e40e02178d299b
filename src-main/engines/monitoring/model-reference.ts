/**
 * The bridge to the models engine's `referenceOf` (src-main/engines/models/reference.ts): a model
 * version's training and evaluation sets as Parquet files. Imported lazily by path so monitoring works
 * (with time-range references) in a build where the models engine is absent.
 */
import { AppError } from '../../platform/errors.js';
import type { Workspace } from '../../platform/workspace.js';

interface ReferenceFiles {
  trainParquet: string;
  evalParquet: string;
}

type ReferenceOf = (s: unknown, name: string, version: string) => Promise<ReferenceFiles>;

/** A lookup bound to a workspace; opens just enough of the services for the models engine to read the registry. */
export function modelReferenceOf(ws: Workspace): (name: string, version: string) => Promise<ReferenceFiles> {
  return async (name, version) => {
    const spec = '../models/reference.js';
    let referenceOf: ReferenceOf | undefined;
    try {
      referenceOf = ((await import(spec)) as { referenceOf?: ReferenceOf }).referenceOf;
    } catch (e) {
      throw new AppError('UNAVAILABLE', `model references need the models engine (${(e as Error).message})`, { model: name, version });
    }
    if (!referenceOf) throw new AppError('UNAVAILABLE', 'the models engine has no referenceOf', { model: name, version });
    const { openServices } = await import('../../platform/services.js');
    const s = await openServices({ workspace: ws.paths.root, mode: 'cli', maxConcurrentJobs: 1 });
    try {
      return await referenceOf(s, name, version);
    } finally {
      await s.close();
    }
  };
}
