/**
 * The tab's deep link: #/monitoring/<section>[/<object>]. As in the other tabs the hash is the source of
 * truth, so a drift report or a feature's distribution can be linked and the back button walks back.
 *   #/monitoring/drift[/<report_id>[/<column>]]  run drift, past reports, one report (and one feature)
 *   #/monitoring/quality  #/monitoring/features  #/monitoring/performance  #/monitoring/ab
 *   #/monitoring/system   #/monitoring/alerts[/<alert_id>]
 */
import { goToHash, sectionPathOf, useHashPath } from '../../lib/hashPath';

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

export const monitoringPathOf = (hash: string): MonitoringPath => sectionPathOf(hash, 'monitoring', isSection, 'drift');

export const monitoringHref = (section: SectionId, object?: string | null, sub?: string | null): string =>
  `#/monitoring/${section}${object ? `/${encodeURIComponent(object)}` : ''}${object && sub ? `/${encodeURIComponent(sub)}` : ''}`;

export function goToMonitoring(section: SectionId, object?: string | null, sub?: string | null): void {
  goToHash(monitoringHref(section, object, sub));
}

export function useMonitoringPath(): MonitoringPath {
  return useHashPath(monitoringPathOf);
}
