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
import { goToHash, sectionPathOf, useHashPath } from '../../lib/hashPath';

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

export const modelsPathOf = (hash: string): ModelsPath => sectionPathOf(hash, 'models', isSection, 'overview');

export const modelsHref = (section: SectionId, object?: string | null, sub?: string | null): string =>
  `#/models/${section}${object ? `/${section === 'compare' ? object.split(',').map(encodeURIComponent).join(',') : encodeURIComponent(object)}` : ''}${object && sub ? `/${encodeURIComponent(sub)}` : ''}`;

export function goToModels(section: SectionId, object?: string | null, sub?: string | null): void {
  goToHash(modelsHref(section, object, sub));
}

export const compareIds = (object: string | null): string[] => (object ? object.split(',').filter(Boolean) : []);

export function useModelsPath(): ModelsPath {
  return useHashPath(modelsPathOf);
}
