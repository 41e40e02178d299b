/**
 * Models and registry: an overview of registered models and what serves; experiments; runs searched with
 * MLflow's filter grammar; one run; a comparison of runs as charts; registry actions on versions; per-version
 * metrics; training as a job; and a predict form. Sub-sections are deep links (see path.ts).
 */
import { useEffect } from 'react';
import { followRegistry, useModelsStore } from '../../stores/models';
import { CompareSection } from './CompareSection';
import { ExperimentsSection } from './ExperimentsSection';
import { MetricsSection } from './MetricsSection';
import { OverviewSection } from './OverviewSection';
import { PredictSection } from './PredictSection';
import { RegistrySection } from './RegistrySection';
import { RunDetail } from './RunDetail';
import { RunsSection } from './RunsSection';
import { TrainSection } from './TrainSection';
import { modelsHref, sections, useModelsPath, type SectionId } from './path';
import './models.css';

function SectionNav({ active }: { active: SectionId }) {
  const selected = useModelsStore((s) => s.selected.length);
  const current = active === 'run' ? 'runs' : active;
  return (
    <nav className="models-nav" aria-label="Models sections" data-testid="models-nav">
      {sections.map((s) => (
        <a
          key={s.id}
          href={s.id === 'compare' && selected > 0 ? modelsHref('compare', useModelsStore.getState().selected.join(',')) : modelsHref(s.id)}
          aria-current={s.id === current ? 'page' : undefined}
          data-testid={`models-nav-${s.id}`}
        >
          {s.label}
          {s.id === 'compare' && selected > 0 ? <span className="count">{selected}</span> : null}
        </a>
      ))}
    </nav>
  );
}

export function ModelsTab() {
  const path = useModelsPath();
  const refreshInfo = useModelsStore((s) => s.refreshInfo);
  const refreshModels = useModelsStore((s) => s.refreshModels);
  const refreshExperiments = useModelsStore((s) => s.refreshExperiments);

  useEffect(() => {
    void refreshInfo();
    void refreshModels();
    void refreshExperiments();
    return followRegistry();
  }, [refreshInfo, refreshModels, refreshExperiments]);

  let body;
  switch (path.section) {
    case 'overview':
      body = <OverviewSection />;
      break;
    case 'experiments':
      body = <ExperimentsSection />;
      break;
    case 'runs':
      body = <RunsSection experimentId={path.object} />;
      break;
    case 'run':
      body = <RunDetail runId={path.object} />;
      break;
    case 'compare':
      body = <CompareSection ids={path.object} />;
      break;
    case 'registry':
      body = <RegistrySection model={path.object} version={path.sub} />;
      break;
    case 'metrics':
      body = <MetricsSection model={path.object} />;
      break;
    case 'train':
      body = <TrainSection />;
      break;
    case 'predict':
      body = <PredictSection />;
      break;
    default:
      body = <OverviewSection />;
  }

  return (
    <div className="tab-page models" data-testid="models-tab" data-section={path.section}>
      <SectionNav active={path.section} />
      {body}
    </div>
  );
}
