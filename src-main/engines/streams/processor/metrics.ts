/**
 * Running measures of the processor: publish→prediction latency percentiles over the most recent
 * predictions, a message rate over the last seconds, and model error windows (RMSE, MAE, R² per model
 * version over the last N minutes) for the `window` messages of the metrics topic.
 */

/** The last `capacity` latencies; percentiles over them. */
export class LatencyRing {
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;

  constructor(capacity = 20_000) {
    this.values = new Float64Array(capacity);
  }

  add(ms: number): void {
    this.values[this.next] = ms;
    this.next = (this.next + 1) % this.values.length;
    if (this.size < this.values.length) this.size++;
  }

  get count(): number {
    return this.size;
  }

  /** Nearest-rank percentiles (p in 0..100) of what is held; null when empty. */
  percentiles(ps: readonly number[]): (number | null)[] {
    if (this.size === 0) return ps.map(() => null);
    const sorted = this.values.slice(0, this.size).sort();
    return ps.map((p) => sorted[Math.min(this.size - 1, Math.max(0, Math.ceil((p / 100) * this.size) - 1))]!);
  }

  clear(): void {
    this.next = 0;
    this.size = 0;
  }
}

/** Events per second over a sliding span (default 10 s), in one-second buckets. */
export class RateMeter {
  private readonly buckets = new Map<number, number>();

  constructor(private readonly spanS = 10) {}

  add(n: number, now = Date.now()): void {
    const s = Math.floor(now / 1000);
    this.buckets.set(s, (this.buckets.get(s) ?? 0) + n);
    for (const k of this.buckets.keys()) if (k <= s - this.spanS) this.buckets.delete(k);
  }

  perSecond(now = Date.now()): number {
    const s = Math.floor(now / 1000);
    let total = 0;
    let first = s;
    for (const [k, v] of this.buckets) {
      if (k > s - this.spanS) {
        total += v;
        first = Math.min(first, k);
      }
    }
    // A meter younger than the span divides by its age, not the span.
    const seconds = Math.max(1, Math.min(this.spanS, s - first + 1));
    return total / seconds;
  }
}

export interface ErrorWindow {
  model_name: string;
  model_version: string;
  window_start: number;
  window_end: number;
  count: number;
  rmse: number | null;
  mae: number | null;
  r2: number | null;
}

interface Outcome {
  at: number;
  prediction: number;
  actual: number;
}

/** Prediction errors per model version, kept for the window span; see `windows`. */
export class ErrorWindows {
  private readonly byModel = new Map<string, { name: string; version: string; outcomes: Outcome[] }>();

  constructor(private readonly spanMs: number) {}

  add(name: string, version: string, prediction: number, actual: number, at = Date.now()): void {
    const k = `${name}\u0000${version}`;
    let m = this.byModel.get(k);
    if (!m) this.byModel.set(k, (m = { name, version, outcomes: [] }));
    m.outcomes.push({ at, prediction, actual });
  }

  /** Metrics over the last span per model version that had predictions in it; older outcomes are dropped. */
  windows(now = Date.now()): ErrorWindow[] {
    const start = now - this.spanMs;
    const out: ErrorWindow[] = [];
    for (const [k, m] of this.byModel) {
      const first = m.outcomes.findIndex((o) => o.at >= start);
      m.outcomes = first < 0 ? [] : m.outcomes.slice(first);
      if (m.outcomes.length === 0) {
        this.byModel.delete(k);
        continue;
      }
      out.push({ model_name: m.name, model_version: m.version, window_start: start, window_end: now, count: m.outcomes.length, ...errorMetrics(m.outcomes) });
    }
    return out;
  }
}

export function errorMetrics(outcomes: readonly { prediction: number; actual: number }[]): { rmse: number | null; mae: number | null; r2: number | null } {
  const n = outcomes.length;
  if (n === 0) return { rmse: null, mae: null, r2: null };
  let se = 0;
  let ae = 0;
  let mean = 0;
  for (const o of outcomes) mean += o.actual / n;
  let tot = 0;
  for (const o of outcomes) {
    const e = o.prediction - o.actual;
    se += e * e;
    ae += Math.abs(e);
    tot += (o.actual - mean) ** 2;
  }
  // R² is undefined for one outcome or when every actual is the same.
  return { rmse: Math.sqrt(se / n), mae: ae / n, r2: n > 1 && tot > 0 ? 1 - se / tot : null };
}
