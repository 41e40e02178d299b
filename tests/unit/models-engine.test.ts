import { describe, expect, it } from 'vitest';
import { Encoder, fitFeatureSpec, isCategorical } from '../../src-main/engines/models/feature-spec.js';
import { fitLinear, predictLinear } from '../../src-main/engines/models/linear.js';
import { accuracy, perHour, regressionMetrics, rocAuc } from '../../src-main/engines/models/metrics.js';
import { forwardMlp, modelJsonOf, parseMlp } from '../../src-main/engines/models/mlp-forward.js';
import { categoricalProfile, numericalProfile } from '../../src-main/engines/models/profile.js';
import { requestOfTrip } from '../../src-main/api/compat/predict.js';

const COLUMNS = [
  { name: 'v__distance', type: 'numerical' as const },
  { name: 'v__payment', type: 'categorical' as const },
];

describe('feature spec', () => {
  const rows = [
    ...Array.from({ length: 20 }, (_, i) => ({ v__distance: i, v__payment: 'Cash' })),
    ...Array.from({ length: 10 }, (_, i) => ({ v__distance: i * 2, v__payment: 'Credit Card' })),
    { v__distance: null, v__payment: 'Rare' },
    { v__distance: 5000, v__payment: null },
  ];
  const spec = fitFeatureSpec(rows, COLUMNS, { feature_service: 's', task: 'fare', label: 'fare_amount', labels: Float64Array.from([1, 2, 3]) });

  it('fits on training rows: clip bounds, mean imputation, frequent categories only', () => {
    const num = spec.features[0]!;
    const cat = spec.features[1]!;
    expect(num.type).toBe('numerical');
    expect(cat.type).toBe('categorical');
    if (num.type !== 'numerical' || cat.type !== 'categorical') return;
    // The 5000-mile outlier is clipped to the 99.9% quantile before the mean is taken.
    expect(num.clip[1]).toBeLessThan(5000);
    const unclipped = (190 + 90 + 5000) / 31;
    expect(num.mean).toBeLessThan(unclipped);
    expect(num.mean).toBeCloseTo((190 + 90 + num.clip[1]) / 31, 9);
    expect(num.impute).toBe(num.mean);
    expect(cat.vocabulary).toEqual(['Cash', 'Credit Card']);
    expect(cat.impute).toBe('Cash');
    expect(spec.input_dim).toBe(1 + 3);
    expect(spec.label_scale).toEqual({ mean: 2, std: 1 });
  });

  it('encodes unseen and missing values the way training decided', () => {
    const enc = new Encoder(spec);
    const x = enc.encode([{ v__distance: null, v__payment: 'Bitcoin' }, { v__distance: '1e9', v__payment: null }, {}]);
    const num = spec.features[0]!;
    if (num.type !== 'numerical') throw new Error('spec');
    expect(Array.from(x.subarray(0, 4))).toEqual([0, 0, 0, 1]); // imputed mean → 0; unknown → other slot
    expect(x[4]).toBeCloseTo((num.clip[1] - num.mean) / num.std, 12); // clipped
    expect(Array.from(x.subarray(5, 8))).toEqual([1, 0, 0]); // missing → most frequent
    expect(Array.from(x.subarray(8, 12))).toEqual([0, 1, 0, 0]);
  });

  it('treats text, time parts and community areas as categories', () => {
    expect(isCategorical({ dtype: 'string', kind: 'column' })).toBe(true);
    expect(isCategorical({ dtype: 'int', kind: 'time_part' })).toBe(true);
    expect(isCategorical({ dtype: 'int', kind: 'column', column: 'dropoff_community_area' })).toBe(true);
    expect(isCategorical({ dtype: 'double', kind: 'column', column: 'trip_distance' })).toBe(false);
  });
});

describe('linear model', () => {
  it('recovers known coefficients, with a one-hot slot never seen (singular without the ridge)', () => {
    const n = 2000;
    const d = 4;
    const x = new Float64Array(n * d);
    const y = new Float64Array(n);
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) - 0.5;
    for (let i = 0; i < n; i++) {
      const a = rnd();
      const b = rnd();
      const cash = i % 3 === 0 ? 1 : 0;
      x.set([a, b, cash, 0], i * d); // column 3 is an "other" slot no row uses
      y[i] = 5 + 3 * a - 2 * b + 4 * cash;
    }
    const m = fitLinear(x, n, d, y, 1e-9);
    expect(m.intercept).toBeCloseTo(5, 4);
    expect(m.weights[0]).toBeCloseTo(3, 4);
    expect(m.weights[1]).toBeCloseTo(-2, 4);
    expect(m.weights[2]).toBeCloseTo(4, 4);
    expect(m.weights[3]).toBeCloseTo(0, 6);
    const p = predictLinear(m, x, n);
    expect(regressionMetrics(y, p).rmse!).toBeLessThan(1e-4);
  });
});

describe('MLP forward pass', () => {
  const topology = {
    class_name: 'Sequential',
    config: {
      layers: [
        { class_name: 'Dense', config: { units: 2, activation: 'relu', use_bias: true } },
        { class_name: 'Dense', config: { units: 1, activation: 'linear', use_bias: true } },
      ],
    },
  };
  const specs = [
    { name: 'd1/kernel', shape: [3, 2], dtype: 'float32' },
    { name: 'd1/bias', shape: [2], dtype: 'float32' },
    { name: 'd2/kernel', shape: [2, 1], dtype: 'float32' },
    { name: 'd2/bias', shape: [1], dtype: 'float32' },
  ];
  // Kernel rows are inputs, columns units (Keras layout).
  const weights = new Float32Array([1, -1, 2, 0, 0, 1, 0.5, -0.5, 1, 2, 3]);
  const bytes = new Uint8Array(weights.buffer);

  it('computes relu(x·W1 + b1)·W2 + b2 from the saved files', () => {
    const net = parseMlp(modelJsonOf({ topology, weightSpecs: specs, weightData: bytes }), bytes, 'm');
    const x = Float64Array.from([1, 2, 3, 0, 0, 0]);
    const out = forwardMlp(net, x, 2);
    const h1 = Math.max(0, 1 * 1 + 2 * 2 + 3 * 0 + 0.5);
    const h2 = Math.max(0, 1 * -1 + 2 * 0 + 3 * 1 - 0.5);
    expect(out[0]).toBeCloseTo(h1 * 1 + h2 * 2 + 3, 5);
    expect(out[1]).toBeCloseTo(0.5 * 1 + 0 * 2 + 3, 5);
  });

  it('refuses truncated weights, bad layers and mismatched shapes with the file named', () => {
    const json = modelJsonOf({ topology, weightSpecs: specs, weightData: bytes });
    expect(() => parseMlp(json, bytes.subarray(0, 40), 'm')).toThrow(/m\/weights\.bin: holds 40 bytes but its manifest describes 44/);
    expect(() => parseMlp('{nope', bytes, 'm')).toThrow(/m\/model\.json: not JSON/);
    const conv = JSON.stringify({ modelTopology: { config: { layers: [{ class_name: 'Conv2D', config: {} }] } }, weightsManifest: [{ weights: specs }] });
    expect(() => parseMlp(conv, bytes, 'm')).toThrow(/only Dense layers/);
    const nan = new Float32Array(weights);
    nan[3] = Number.NaN;
    expect(() => parseMlp(json, new Uint8Array(nan.buffer), 'm')).toThrow(/non-finite/);
  });
});

describe('metrics and profiles', () => {
  it('computes RMSE, MAE, R², per-hour groups, accuracy and AUC', () => {
    const y = [1, 2, 3, 4];
    const p = [1, 2, 3, 6];
    expect(regressionMetrics(y, p)).toEqual({ rmse: 1, mae: 0.5, r2: 1 - 4 / 5, count: 4 });
    expect(regressionMetrics([], [])).toEqual({ rmse: null, mae: null, r2: null, count: 0 });
    const hours = perHour(y, p, [0, 0, 23, 23]);
    expect(hours.map((h) => [h.hour, h.count, h.rmse])).toEqual([
      [0, 2, 0],
      [23, 2, Math.sqrt(2)],
    ]);
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNull();
    expect(accuracy([0, 1, 1], [0.2, 0.7, 0.4])).toBeCloseTo(2 / 3, 12);
  });

  it('profiles numbers and categories with missing counts', () => {
    const num = numericalProfile('x', [1, 2, 3, 4, null, undefined, 'n/a']);
    expect(num).toMatchObject({ count: 7, missing: 3, mean: 2.5, min: 1, max: 4 });
    expect(num.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(4);
    const cat = categoricalProfile('c', ['a', 'b', 'a', null, '']);
    expect(cat).toMatchObject({ count: 5, missing: 2, distinct: 2, categories: [{ value: 'a', count: 2 }, { value: 'b', count: 1 }] });
  });
});

describe('POST /predict trip messages', () => {
  it('derives the trip inputs from the message fields', () => {
    const r = requestOfTrip({ trip_id: 't', pickup_datetime: '2024-01-01T10:00:00Z', dropoff_datetime: '2024-01-01T10:30:00Z', passenger_count: 2, trip_distance: 3.5, taxi_id: 'x' });
    // 2024-01-01 was a Monday (weekday 0).
    expect(r).toEqual({ trip_id: 't', taxi_id: 'x', features: { trip_distance: 3.5, passenger_count: 2, pickup_hour: 10, pickup_weekday: 0, pickup_month: 1, trip_seconds: 1800 } });
    expect(() => requestOfTrip({ trip_id: 't', pickup_datetime: 'soon' })).toThrow(/pickup_datetime/);
  });
});
