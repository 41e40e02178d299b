/** Evaluation measures: regression (RMSE, MAE, R²) and classification (accuracy, ROC AUC), overall and per pickup hour. */

export interface RegressionMetrics {
  rmse: number | null;
  mae: number | null;
  r2: number | null;
  count: number;
}

export function regressionMetrics(y: ArrayLike<number>, pred: ArrayLike<number>, index?: ArrayLike<number>): RegressionMetrics {
  const n = index ? index.length : y.length;
  if (n === 0) return { rmse: null, mae: null, r2: null, count: 0 };
  let sum = 0;
  for (let k = 0; k < n; k++) sum += y[index ? index[k]! : k]!;
  const mean = sum / n;
  let se = 0;
  let ae = 0;
  let tot = 0;
  for (let k = 0; k < n; k++) {
    const i = index ? index[k]! : k;
    const e = y[i]! - pred[i]!;
    se += e * e;
    ae += Math.abs(e);
    tot += (y[i]! - mean) ** 2;
  }
  return { rmse: Math.sqrt(se / n), mae: ae / n, r2: tot > 0 ? 1 - se / tot : null, count: n };
}

/** Metrics of the evaluation rows grouped by pickup hour (0–23); hours without rows are left out. */
export function perHour(y: ArrayLike<number>, pred: ArrayLike<number>, hours: ArrayLike<number>): ({ hour: number } & RegressionMetrics)[] {
  const groups: number[][] = Array.from({ length: 24 }, () => []);
  for (let i = 0; i < hours.length; i++) groups[hours[i]!]?.push(i);
  return groups.flatMap((idx, hour) => (idx.length ? [{ hour, ...regressionMetrics(y, pred, idx) }] : []));
}

export function accuracy(y: ArrayLike<number>, p: ArrayLike<number>, threshold = 0.5): number | null {
  if (y.length === 0) return null;
  let ok = 0;
  for (let i = 0; i < y.length; i++) if ((p[i]! >= threshold ? 1 : 0) === y[i]) ok++;
  return ok / y.length;
}

/** ROC AUC by ranks (Mann–Whitney U), ties sharing their average rank. Null when one class is absent. */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number | null {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let k = 0; k < n; ) {
    let j = k;
    while (j + 1 < n && score[order[j + 1]!] === score[order[k]!]) j++;
    const avg = (k + j) / 2 + 1;
    for (let t = k; t <= j; t++) if (y[order[t]!] === 1) {
      pos++;
      rankSum += avg;
    }
    k = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
