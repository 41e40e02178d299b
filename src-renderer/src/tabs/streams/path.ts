/**
 * The tab's deep link: #/streams/<topic>[?group=<group>]. The hash is the source of truth, as for tabs,
 * so a link to a topic (and a consumer group) can be shared and the back button walks the selection.
 */
import { useEffect, useState } from 'react';

export interface StreamsPath {
  topic: string | null;
  group: string | null;
}

const decode = (s: string | undefined | null): string | null => {
  if (!s) return null;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function streamsPathOf(hash: string): StreamsPath {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const parts = (q >= 0 ? body.slice(0, q) : body).split('/');
  if (parts[0] !== 'streams') return { topic: null, group: null };
  const params = new URLSearchParams(q >= 0 ? body.slice(q + 1) : '');
  return { topic: decode(parts[1]), group: params.get('group') || null };
}

export function streamsHref(p: StreamsPath): string {
  const base = `#/streams${p.topic ? `/${encodeURIComponent(p.topic)}` : ''}`;
  return p.group ? `${base}?group=${encodeURIComponent(p.group)}` : base;
}

export function selectStreamsPath(next: Partial<StreamsPath>): void {
  const hash = streamsHref({ ...streamsPathOf(location.hash), ...next });
  if (location.hash !== hash) location.hash = hash;
}

export function useStreamsPath(): StreamsPath {
  const [path, setPath] = useState(() => streamsPathOf(location.hash));
  useEffect(() => {
    const onHash = (): void => setPath(streamsPathOf(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return path;
}
