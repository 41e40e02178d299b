/**
 * The tab's deep link: #/streams/<topic>[?group=<group>]. The hash is the source of truth, as for tabs,
 * so a link to a topic (and a consumer group) can be shared and the back button walks the selection.
 */
import { decodeSegment, goToHash, useHashPath } from '../../lib/hashPath';

export interface StreamsPath {
  topic: string | null;
  group: string | null;
}

export function streamsPathOf(hash: string): StreamsPath {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const parts = (q >= 0 ? body.slice(0, q) : body).split('/');
  if (parts[0] !== 'streams') return { topic: null, group: null };
  const params = new URLSearchParams(q >= 0 ? body.slice(q + 1) : '');
  return { topic: decodeSegment(parts[1]), group: params.get('group') || null };
}

export function streamsHref(p: StreamsPath): string {
  const base = `#/streams${p.topic ? `/${encodeURIComponent(p.topic)}` : ''}`;
  return p.group ? `${base}?group=${encodeURIComponent(p.group)}` : base;
}

export function selectStreamsPath(next: Partial<StreamsPath>): void {
  goToHash(streamsHref({ ...streamsPathOf(location.hash), ...next }));
}

export function useStreamsPath(): StreamsPath {
  return useHashPath(streamsPathOf);
}
