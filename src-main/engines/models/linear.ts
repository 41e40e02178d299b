/**
 * The linear baseline: ridge regression on the encoded features.
 *
 * The encoded rows are mostly one-hot zeros, so the normal equations (XᵀX + λI)·w = Xᵀy are accumulated
 * over each row's non-zero entries only (about 20 of ~250), which takes well under a second for 200k rows
 * where a dense XᵀX would take minutes in JavaScript. The solve is ml-regression-multivariate-linear's
 * (an SVD inverse, robust to near-singular systems): handed the symmetric positive definite A = XᵀX + λI
 * as its design matrix and b = Xᵀy as its targets, it returns (AᵀA)⁻¹Aᵀb = A⁻¹b, the ridge solution.
 * The intercept is an extra column of ones and is not penalized.
 */
import MLR from 'ml-regression-multivariate-linear';
import { AppError } from '../../platform/errors.js';

export interface LinearModel {
  format: 'taxi-mlops/linear@1';
  /** One weight per encoded input column. */
  weights: number[];
  intercept: number;
  l2: number;
}

export function fitLinear(x: Float64Array, n: number, d: number, y: Float64Array, l2: number): LinearModel {
  if (n === 0) throw new AppError('INVALID_INPUT', 'no training rows for the linear model', {});
  const D = d + 1;
  const a = new Float64Array(D * D);
  const b = new Float64Array(D);
  const nz = new Int32Array(D);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    let m = 0;
    for (let j = 0; j < d; j++) if (x[row + j] !== 0) nz[m++] = j;
    nz[m++] = d;
    const yi = y[i]!;
    for (let p = 0; p < m; p++) {
      const j = nz[p]!;
      const xj = j === d ? 1 : x[row + j]!;
      b[j] = b[j]! + xj * yi;
      const base = j * D;
      for (let q = p; q < m; q++) {
        const k = nz[q]!;
        a[base + k] = a[base + k]! + xj * (k === d ? 1 : x[row + k]!);
      }
    }
  }
  const lambda = l2 * n;
  const rows: number[][] = [];
  for (let j = 0; j < D; j++) {
    const r = new Array<number>(D);
    for (let k = 0; k < D; k++) r[k] = k >= j ? a[j * D + k]! : a[k * D + j]!;
    if (j < d) r[j] = r[j]! + lambda;
    rows.push(r);
  }
  const solved = new MLR(rows, Array.from(b, (v) => [v]), { intercept: false, statistics: false });
  const w = solved.weights.map((r) => r[0]!);
  if (w.some((v) => !Number.isFinite(v))) throw new AppError('INTERNAL', 'the linear solve did not converge (non-finite weights); raise l2', { l2 });
  return { format: 'taxi-mlops/linear@1', weights: w.slice(0, d), intercept: w[d]!, l2 };
}

export function predictLinear(m: LinearModel, x: Float64Array, n: number): Float64Array {
  const d = m.weights.length;
  const w = Float64Array.from(m.weights);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = m.intercept;
    const row = i * d;
    for (let j = 0; j < d; j++) s += w[j]! * x[row + j]!;
    out[i] = s;
  }
  return out;
}
