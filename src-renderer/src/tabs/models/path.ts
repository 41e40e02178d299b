/**
 * The tab's deep link: #/models/<section>[/<object>[/<sub>]]. As for tabs, the hash is the source of truth,
 * so a run, a comparison or a model version can be linked and the back button walks the navigation.
 *   #/models/overview                  registered models, champion / challenger, A/B share
 *   #/models/experiments
 *   #/models/runs[/<experiment_id>]    runs table (filter, order, paging)
 *   #/models/run/<run_id>              one run
 *   #/models/compare/<id>,<id>[,…]     run comparison
 *   #/models/registry[/<model>[/<version>]]  versions, aliases, stages and actions
 *   #/models/metrics[/<model>]         per-version evaluation metrics
 *   #/models/train  #/models/predict
 */
import { useEffect, useState } from 'react';

export const sections = [
  { id: 'overview', label: 'Overview' },
  { id: 'experiments', label: 'Experiments' },
  { id: 'runs', label: 'Runs' },
  { id: 'compare', label: 'Compare' },
  { id: 'registry', label: 'Registry' },
  { id: 'metrics', label: 'Metrics' },
  { id: 'train', label: 'Train' },
  { id: 'predict', label: 'Predict' },
] as const;

export type SectionId = (typeof sections)[number]['id'] | 'run';

export interface ModelsPath {
  section: SectionId;
  /** The run, the model or the experiment the section shows; for compare, the run ids joined by commas. */
  object: string | null;
  /** The version, under a model. */
  sub: string | null;
}

const isSection = (s: string): s is SectionId => s === 'run' || sections.some((x) => x.id === s);

const decode = (s: string | undefined): string | null => {
  if (!s) return null;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function modelsPathOf(hash: string): ModelsPath {
  const parts = hash.replace(/^#\/?/, '').split('?')[0]!.split('/');
  if (parts[0] !== 'models') return { section: 'overview', object: null, sub: null };
  const section = parts[1] && isSection(parts[1]) ? parts[1] : 'overview';
  return { section, object: decode(parts[2]), sub: decode(parts[3]) };
}

export const modelsHref = (section: SectionId, object?: string | null, sub?: string | null): string =>
  `#/models/${section}${object ? `/${section === 'compare' ? object.split(',').map(encodeURIComponent).join(',') : encodeURIComponent(object)}` : ''}${object && sub ? `/${encodeURIComponent(sub)}` : ''}`;

export function goToModels(section: SectionId, object?: string | null, sub?: string | null): void {
  const hash = modelsHref(section, object, sub);
  if (location.hash !== hash) location.hash = hash;
}

export const compareIds = (object: string | null): string[] => (object ? object.split(',').filter(Boolean) : []);

export function useModelsPath(): ModelsPath {
  const [path, setPath] = useState(() => modelsPathOf(location.hash));
  useEffect(() => {
    const onHash = (): void => setPath(modelsPathOf(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return path;
}
