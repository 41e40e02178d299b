/**
 * The tab's deep link: #/features/<view>[/<feature>]. The hash is the source of truth, as for tabs, so a
 * link to a view (or one feature's histogram) can be shared and the back button walks the selection.
 */
import { useEffect, useState } from 'react';

export interface FeaturePath {
  view: string | null;
  feature: string | null;
}

export function featurePathOf(hash: string): FeaturePath {
  const parts = hash.replace(/^#\/?/, '').split('?')[0]!.split('/');
  if (parts[0] !== 'features') return { view: null, feature: null };
  const decode = (s: string | undefined): string | null => {
    if (!s) return null;
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return { view: decode(parts[1]), feature: decode(parts[2]) };
}

export const featureHref = (view: string, feature?: string): string =>
  `#/features/${encodeURIComponent(view)}${feature ? `/${encodeURIComponent(feature)}` : ''}`;

export function selectFeaturePath(view: string, feature?: string): void {
  const hash = featureHref(view, feature);
  if (location.hash !== hash) location.hash = hash;
}

export function useFeaturePath(): FeaturePath {
  const [path, setPath] = useState(() => featurePathOf(location.hash));
  useEffect(() => {
    const onHash = (): void => setPath(featurePathOf(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return path;
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
