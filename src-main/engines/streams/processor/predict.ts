/**
 * The processor's view of the models engine: `predict` for a batch of trips with their features given
 * (so serving does not read back what the processor just wrote), champion/challenger routing left to
 * the predictor. No registered model (or no champion alias) is not a failure of the stream: prediction
 * is skipped, counted with its reason, and tried again a little later.
 */
import type { PredictInput, PredictOutput } from '../../../api/methods/models.js';
import { AppError } from '../../../platform/errors.js';
import type { Services } from '../../../platform/services.js';
import { resolveFeatureRefs } from '../../features/definitions.js';
import { modelsConfigOf } from '../../models/config.js';

export interface PredictorLike {
  predict(input: PredictInput): Promise<PredictOutput>;
}

/** The models engine's predictor of these services, or null with the reason when there is none. */
export async function loadPredictor(s: Services): Promise<{ predictor: PredictorLike | null; reason: string | null }> {
  try {
    const { getPredictor } = await import('../../models/predictor.js');
    return { predictor: await getPredictor(s), reason: null };
  } catch (e) {
    if (isNoModel(e)) return { predictor: null, reason: (e as Error).message };
    throw e;
  }
}

/**
 * Full names (`view__feature`) of the features the served model reads: those of the configured
 * feature service. Values outside it are left out of requests, which the predictor would refuse.
 */
export function modelFeatureNames(config: Services['workspace']['config']): Set<string> {
  const service = modelsConfigOf(config).feature_service;
  try {
    return new Set(resolveFeatureRefs(config, { feature_service: service }).refs.map((r) => r.replace(':', '__')));
  } catch {
    return new Set();
  }
}

/** Errors that mean "nothing to predict with" rather than "the stream must stop". */
export function isNoModel(e: unknown): boolean {
  return e instanceof AppError && ['NOT_FOUND', 'RESOURCE_DOES_NOT_EXIST', 'INVALID_PARAMETER_VALUE', 'INVALID_CONFIG', 'INVALID_INPUT'].includes(e.code);
}
