/**
 * The console's deep links live in the hash (#/<tab>/<segment>/…[?query]); the hash is the source of truth,
 * so links can be shared and the back button walks the navigation. What every tab's path module needs:
 * the segments, a tolerant decoder, the navigation and a hook that follows the hash.
 */
import { useEffect, useState } from 'react';

/** The hash's path segments, without the leading `#/` and the query: `#/models/run/a%2Fb?x=1` → models, run, a%2Fb. */
export const hashSegments = (hash: string): string[] => hash.replace(/^#\/?/, '').split('?')[0]!.split('/');

/** A segment, URI-decoded; null when missing or empty; as written when it is not valid percent-encoding. */
export function decodeSegment(s: string | undefined | null): string | null {
  if (!s) return null;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * `#/<tab>/<section>[/<object>[/<sub>]]`: the section of `tab` the link names (`fallback` when it names none
 * that `isSection` knows, or the hash is another tab's) and its decoded object and sub.
 */
export function sectionPathOf<S extends string>(hash: string, tab: string, isSection: (s: string) => s is S, fallback: S): { section: S; object: string | null; sub: string | null } {
  const parts = hashSegments(hash);
  if (parts[0] !== tab) return { section: fallback, object: null, sub: null };
  const section = parts[1] && isSection(parts[1]) ? parts[1] : fallback;
  return { section, object: decodeSegment(parts[2]), sub: decodeSegment(parts[3]) };
}

/** Navigates to `hash` unless it is already there (no history entry, no hashchange for the same link). */
export function goToHash(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}

/** `parse(location.hash)`, kept current on every hashchange. */
export function useHashPath<T>(parse: (hash: string) => T): T {
  const [path, setPath] = useState(() => parse(location.hash));
  useEffect(() => {
    const onHash = (): void => setPath(parse(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [parse]);
  return path;
}
