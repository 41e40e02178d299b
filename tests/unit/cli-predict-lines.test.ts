/** What `taxi-mlops predict` prints, from a predict answer: counts per feature status and the no-features warning. */
import { describe, expect, it } from 'vitest';
import { PredictOutputSchema } from '../../src-main/api/methods/models.js';
import { predictionLines } from '../../src-main/cli/commands/models.js';

const answer = (statuses: Record<string, string>) =>
  PredictOutputSchema.parse({
    predictions: [
      {
        trip_id: 't-1',
        prediction: 11.574,
        model_name: 'chicago_taxi_fare',
        model_version: '2',
        variant: 'champion',
        feature_statuses: statuses,
        features: Object.fromEntries(Object.keys(statuses).map((f, i) => [f, statuses[f] === 'PRESENT' ? i : null])),
      },
    ],
    latency_ms: 3.2,
  });

describe('predict output', () => {
  it('counts the features per status, most frequent first', () => {
    const lines = predictionLines(answer({ a: 'PRESENT', b: 'PRESENT', c: 'NOT_FOUND', d: 'PRESENT', e: 'OUTSIDE_MAX_AGE', f: 'NOT_FOUND' }));
    expect(lines[0]).toBe('t-1: 11.57  (chicago_taxi_fare v2, champion)');
    expect(lines[1]).toBe('  features: 3 PRESENT · 2 NOT_FOUND · 1 OUTSIDE_MAX_AGE');
    expect(lines.some((l) => l.includes('warning'))).toBe(false);
    expect(lines.at(-1)).toBe('1 prediction(s) in 3.20 ms');
  });

  it('warns when the trip has no feature value at all', () => {
    const lines = predictionLines(answer({ a: 'NOT_FOUND', b: 'OUTSIDE_MAX_AGE' }));
    expect(lines[1]).toBe('  features: 1 NOT_FOUND · 1 OUTSIDE_MAX_AGE');
    expect(lines[2]).toMatch(/^ {2}warning: no feature value for this trip, online or in the request/);
    // Values sent with the request are values: no warning.
    expect(predictionLines(answer({ a: 'REQUEST', b: 'NOT_FOUND' })).some((l) => l.includes('warning'))).toBe(false);
  });
});
