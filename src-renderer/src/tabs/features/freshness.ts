/**
 * Is a view's data fit to serve? Two things go stale independently: the offline store (its newest event is
 * older than the TTL, so online reads of it come back OUTSIDE_MAX_AGE) and the online store (the watermark
 * is behind the newest offline event, so recent rows were never materialized).
 */
import type { Tone } from '../../components/StatusBadge';
import { formatSpan } from '../../components/format';
import type { ViewStats } from '../../stores/features';

export type FreshnessState = 'empty' | 'unmaterialized' | 'stale' | 'fresh';

export interface Freshness {
  state: FreshnessState;
  tone: Tone;
  /** Seconds between now and the newest event (negative when it lies ahead of now); null without rows. */
  ageSeconds: number | null;
  /** Why the state is what it is, each with what to do next. */
  reasons: string[];
}

const toneOf: Record<FreshnessState, Tone> = { empty: 'muted', unmaterialized: 'warn', stale: 'warn', fresh: 'ok' };

const labelOf: Record<FreshnessState, string> = { empty: 'empty', unmaterialized: 'not materialized', stale: 'stale', fresh: 'fresh' };

export const freshnessLabel = (s: FreshnessState): string => labelOf[s];

/** Clocks and pushed rows can put an event after now; say so rather than show "0s ago". */
export const ageLabel = (ageSeconds: number | null): string =>
  ageSeconds === null ? '—' : ageSeconds < 0 ? `${formatSpan(-ageSeconds)} ahead of now` : `${formatSpan(ageSeconds)} ago`;

export function freshnessOf(v: ViewStats, nowMs: number): Freshness {
  if (v.rows === 0 || !v.newest_event) {
    return { state: 'empty', tone: toneOf.empty, ageSeconds: null, reasons: ['No feature rows yet — run Transform.'] };
  }
  const ageSeconds = (nowMs - Date.parse(v.newest_event)) / 1000;
  const reasons: string[] = [];
  if (ageSeconds > v.ttl_seconds) {
    reasons.push(
      `Newest event is ${formatSpan(ageSeconds)} old, past the ${formatSpan(v.ttl_seconds)} TTL: online reads return OUTSIDE_MAX_AGE until newer trips are transformed.`,
    );
  }
  if (v.watermark === null) {
    reasons.push('Never materialized: the online store has nothing of this view — run Materialize.');
    return { state: 'unmaterialized', tone: toneOf.unmaterialized, ageSeconds, reasons };
  }
  if ((v.watermark_lag_seconds ?? 0) > 0) {
    reasons.push(`Watermark is ${formatSpan(v.watermark_lag_seconds)} behind the newest event — run Materialize incremental.`);
  }
  const state: FreshnessState = reasons.length > 0 ? 'stale' : 'fresh';
  if (state === 'fresh') reasons.push(`Newest event ${ageLabel(ageSeconds)}, within the ${formatSpan(v.ttl_seconds)} TTL; materialized up to it.`);
  return { state, tone: toneOf[state], ageSeconds, reasons };
}
