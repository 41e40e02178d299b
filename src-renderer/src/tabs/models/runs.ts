/**
 * Reading runs: labels, a param's or metric's value, which keys are numeric, and the per-hour error a
 * training run may log (as metrics named like rmse_hour_07, or as one metric whose step is the hour).
 */
import type { Comparison, Run } from '../../stores/models';

export const shortId = (id: string): string => id.slice(0, 8);
export const runLabel = (run: Run): string => run.info.run_name || shortId(run.info.run_id);

export const metricOf = (run: Run, key: string): number | null => run.data.metrics.find((m) => m.key === key)?.value ?? null;
export const paramOf = (run: Run, key: string): string | null => run.data.params.find((p) => p.key === key)?.value ?? null;
export const tagOf = (run: Run, key: string): string | null => run.data.tags.find((t) => t.key === key)?.value ?? null;

/** A dimension of a comparison: a param or a metric, named the way the filter grammar names it. */
export interface Dimension {
  kind: 'param' | 'metric';
  key: string;
  /** params.lr / metrics.rmse — the name the operator would type in a filter. */
  id: string;
  numeric: boolean;
}

export function valueOf(run: Run, d: Pick<Dimension, 'kind' | 'key'>): number | string | null {
  if (d.kind === 'metric') return metricOf(run, d.key);
  const v = paramOf(run, d.key);
  if (v === null) return null;
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : v;
}

export function dimensionsOf(c: Comparison): Dimension[] {
  const params = c.param_keys.map((key): Dimension => {
    const values = c.runs.map((r) => paramOf(r, key)).filter((v): v is string => v !== null);
    return { kind: 'param', key, id: `params.${key}`, numeric: values.length > 0 && values.every((v) => v.trim() !== '' && Number.isFinite(Number(v))) };
  });
  // A per-hour breakdown's latest value is just its last hour: it has its own chart instead.
  const metrics = c.metric_keys.filter((key) => !isHourlyKey(key)).map((key): Dimension => ({ kind: 'metric', key, id: `metrics.${key}`, numeric: true }));
  return [...params, ...metrics];
}

/** Params and metrics that are the same in every compared run say nothing about the difference between them. */
export function varyingDimensions(c: Comparison, dims: Dimension[]): Dimension[] {
  return dims.filter((d) => new Set(c.runs.map((r) => String(valueOf(r, d)))).size > 1);
}

const HOUR_KEY = /^(?:eval[_.])?(rmse|mae)[_.-]?(?:by[_.-]?)?(?:hour|h)[_.-]?(\d{1,2})$/i;
const HOUR_HISTORY_KEY = /^(?:eval[_.])?(rmse|mae)[_.-]?(?:by|per)[_.-]?hour$/i;

/** RMSE per pickup hour 0..23 if the run logged it, else null. */
export function hourlyRmse(run: Run, histories: Comparison['histories']): (number | null)[] | null {
  const out: (number | null)[] = Array.from({ length: 24 }, () => null);
  let found = false;
  for (const m of run.data.metrics) {
    const match = HOUR_KEY.exec(m.key);
    if (!match || match[1]!.toLowerCase() !== 'rmse') continue;
    const hour = Number(match[2]);
    if (hour >= 0 && hour < 24) {
      out[hour] = m.value;
      found = true;
    }
  }
  if (found) return out;
  const h = histories.find((x) => x.run_id === run.info.run_id && HOUR_HISTORY_KEY.test(x.key) && x.key.toLowerCase().includes('rmse'));
  if (!h) return null;
  for (const m of h.metrics) if (m.step >= 0 && m.step < 24) out[m.step] = m.value;
  return out;
}

/** Keys that are per-hour breakdowns: shown in their own chart, not as 24 columns. */
export const isHourlyKey = (key: string): boolean => HOUR_KEY.test(key) || HOUR_HISTORY_KEY.test(key);

/** Metrics with more than one logged value: the ones worth a line chart (per-epoch loss and the like). */
export function historyKeys(c: Comparison): string[] {
  const keys = new Set<string>();
  for (const h of c.histories) if (h.metrics.length > 1 && !HOUR_HISTORY_KEY.test(h.key)) keys.add(h.key);
  return [...keys].sort(lossFirst);
}

/** Loss curves first, then the rest alphabetically: they are what a comparison is usually opened for. */
function lossFirst(a: string, b: string): number {
  const la = /loss/i.test(a) ? 0 : 1;
  const lb = /loss/i.test(b) ? 0 : 1;
  return la - lb || a.localeCompare(b);
}

/** The evaluation metrics shown first wherever a run or version is summarized. */
export const HEADLINE_METRICS = ['rmse', 'mae', 'r2', 'accuracy', 'auc'];

export function headlineKeys(keys: string[]): string[] {
  const lower = (k: string): string => k.toLowerCase().replace(/^(eval|test|val)[_.]/, '');
  const picked = HEADLINE_METRICS.flatMap((h) => keys.filter((k) => lower(k) === h));
  return picked.length > 0 ? picked : keys.filter((k) => !isHourlyKey(k)).slice(0, 4);
}
