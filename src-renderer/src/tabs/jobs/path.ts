/** The tab's deep link: #/jobs/<id>. The hash is the source of truth, so a job can be linked and Back works. */
import { decodeSegment, goToHash, hashSegments, useHashPath } from '../../lib/hashPath';

export function jobIdOf(hash: string): string | null {
  const parts = hashSegments(hash);
  return parts[0] === 'jobs' ? decodeSegment(parts[1]) : null;
}

export const jobHref = (id: string | null): string => (id ? `#/jobs/${encodeURIComponent(id)}` : '#/jobs');

export function selectJob(id: string | null): void {
  goToHash(jobHref(id));
}

export function useSelectedJobId(): string | null {
  return useHashPath(jobIdOf);
}
