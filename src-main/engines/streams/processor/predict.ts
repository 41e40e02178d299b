/**
 * The processor's view of the models engine: `predict` for a batch of trips with their features given
 * (so serving does not read back what the processor just wrote), champion/challenger routing left to
 * the predictor. No registered model (or no champion alias) is not a failure of the stream: prediction
 * is skipped, counted with its reason, and tried again a little later.
 */
import type { PredictInput, PredictOutput } from '../../../api/methods/models.js';
import { AppError } from '../../../platform/errors.js';
import type { Services } from '../../../platform/services.js';

export interface PredictorLike {
  predict(input: PredictInput): Promise<PredictOutput>;
}

/** The models engine's predictor of these services, or null with the reason when there is none. */
export async function loadPredictor(s: Services): Promise<{ predictor: PredictorLike | null; reason: string | null }> {
  void s;
  return { predictor: null, reason: 'the models engine is not part of this build' };
}

/** Errors that mean "nothing to predict with" rather than "the stream must stop". */
export function isNoModel(e: unknown): boolean {
  return e instanceof AppError && (e.code === 'NOT_FOUND' || e.code === 'RESOURCE_DOES_NOT_EXIST' || e.code === 'INVALID_CONFIG');
}
