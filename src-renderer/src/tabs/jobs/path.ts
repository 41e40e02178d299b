/** The tab's deep link: #/jobs/<id>. The hash is the source of truth, so a job can be linked and Back works. */
import { useEffect, useState } from 'react';

export function jobIdOf(hash: string): string | null {
  const parts = hash.replace(/^#\/?/, '').split('?')[0]!.split('/');
  if (parts[0] !== 'jobs' || !parts[1]) return null;
  try {
    return decodeURIComponent(parts[1]);
  } catch {
    return parts[1];
  }
}

export const jobHref = (id: string | null): string => (id ? `#/jobs/${encodeURIComponent(id)}` : '#/jobs');

export function selectJob(id: string | null): void {
  const hash = jobHref(id);
  if (location.hash !== hash) location.hash = hash;
}

export function useSelectedJobId(): string | null {
  const [id, setId] = useState(() => jobIdOf(location.hash));
  useEffect(() => {
    const onHash = (): void => setId(jobIdOf(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return id;
}
