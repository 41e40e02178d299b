/**
 * The tab's deep link: #/monitoring/<section>[/<object>]. As in the other tabs the hash is the source of
 * truth, so a drift report or a feature's distribution can be linked and the back button walks back.
 *   #/monitoring/drift[/<report_id>[/<column>]]  run drift, past reports, one report (and one feature)
 *   #/monitoring/quality  #/monitoring/features  #/monitoring/performance  #/monitoring/ab
 *   #/monitoring/system   #/monitoring/alerts[/<alert_id>]
 */
import { useEffect, useState } from 'react';

export const sections = [
  { id: 'drift', label: 'Data drift' },
  { id: 'quality', label: 'Quality' },
  { id: 'features', label: 'Importance & correlation' },
  { id: 'performance', label: 'Model performance' },
  { id: 'ab', label: 'A/B' },
  { id: 'system', label: 'System' },
  { id: 'alerts', label: 'Alerts' },
] as const;

export type SectionId = (typeof sections)[number]['id'];

export interface MonitoringPath {
  section: SectionId;
  object: string | null;
  sub: string | null;
}

const isSection = (s: string): s is SectionId => sections.some((x) => x.id === s);

const decode = (s: string | undefined): string | null => {
  if (!s) return null;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function monitoringPathOf(hash: string): MonitoringPath {
  const parts = hash.replace(/^#\/?/, '').split('?')[0]!.split('/');
  if (parts[0] !== 'monitoring') return { section: 'drift', object: null, sub: null };
  const section = parts[1] && isSection(parts[1]) ? parts[1] : 'drift';
  return { section, object: decode(parts[2]), sub: decode(parts[3]) };
}

export const monitoringHref = (section: SectionId, object?: string | null, sub?: string | null): string =>
  `#/monitoring/${section}${object ? `/${encodeURIComponent(object)}` : ''}${object && sub ? `/${encodeURIComponent(sub)}` : ''}`;

export function goToMonitoring(section: SectionId, object?: string | null, sub?: string | null): void {
  const hash = monitoringHref(section, object, sub);
  if (location.hash !== hash) location.hash = hash;
}

export function useMonitoringPath(): MonitoringPath {
  const [path, setPath] = useState(() => monitoringPathOf(location.hash));
  useEffect(() => {
    const onHash = (): void => setPath(monitoringPathOf(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return path;
}
