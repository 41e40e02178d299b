/**
 * The tab's deep link: #/features/<view>[/<feature>]. The hash is the source of truth, as for tabs, so a
 * link to a view (or one feature's histogram) can be shared and the back button walks the selection.
 */
import { useEffect, useState } from 'react';
import { decodeSegment, goToHash, hashSegments, useHashPath } from '../../lib/hashPath';

export interface FeaturePath {
  view: string | null;
  feature: string | null;
}

export function featurePathOf(hash: string): FeaturePath {
  const parts = hashSegments(hash);
  if (parts[0] !== 'features') return { view: null, feature: null };
  return { view: decodeSegment(parts[1]), feature: decodeSegment(parts[2]) };
}

export const featureHref = (view: string, feature?: string): string =>
  `#/features/${encodeURIComponent(view)}${feature ? `/${encodeURIComponent(feature)}` : ''}`;

export function selectFeaturePath(view: string, feature?: string): void {
  goToHash(featureHref(view, feature));
}

export function useFeaturePath(): FeaturePath {
  return useHashPath(featurePathOf);
}

/** Re-renders every `ms` so ages ("3m ago") and countdowns stay true without refetching. */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
