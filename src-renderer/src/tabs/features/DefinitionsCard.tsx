/** Entities and feature services: what views are keyed by, and which features each model reads. */
import { Card } from '../../components/Card';
import { useFeaturesStore, type FeatureList } from '../../stores/features';
import { featureHref } from './path';

/** "view:feature" references grouped by view, so a service reads as "trip_features: 10 features". */
function byView(features: string[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const ref of features) {
    const [view, feature] = ref.split(':') as [string, string];
    groups.set(view, [...(groups.get(view) ?? []), feature]);
  }
  return [...groups.entries()];
}

export function DefinitionsCard({ list }: { list: FeatureList }) {
  const setLookupTarget = useFeaturesStore((s) => s.setLookupTarget);
  return (
    <Card title="Entities and feature services" subtitle="Join keys of the views, and the feature sets models read" testId="definitions-card">
      <div className="table-wrap">
        <table className="table" data-testid="entities-table">
          <thead>
            <tr>
              <th>Entity</th>
              <th>Type</th>
              <th>Description</th>
              <th>Views</th>
            </tr>
          </thead>
          <tbody>
            {list.entities.map((e) => (
              <tr key={e.name} data-testid={`entity-row-${e.name}`}>
                <td>
                  <code className="strong">{e.join_key}</code>
                </td>
                <td>
                  <code className="dtype">{e.value_type}</code>
                </td>
                <td className="muted">{e.description}</td>
                <td>
                  {list.views
                    .filter((v) => v.entity === e.name)
                    .map((v) => (
                      <a key={v.name} className="tag" href={featureHref(v.name)}>
                        {v.name}
                      </a>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="panel-title section-gap">Feature services</div>
      {list.services.length > 0 ? (
        <div className="services">
          {list.services.map((s) => (
            <div key={s.name} className="service" data-testid={`service-${s.name}`}>
              <div className="service-head">
                <span className="strong">{s.name}</span>
                <span className="muted">{s.features.length} features</span>
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() => {
                    setLookupTarget({ kind: 'service', name: s.name });
                    document.querySelector('[data-testid="lookup-card"]')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
                  }}
                  data-testid={`service-try-${s.name}`}
                >
                  Try in lookup
                </button>
              </div>
              <div className="muted service-desc">{s.description}</div>
              {byView(s.features).map(([view, features]) => (
                <div key={view} className="service-view">
                  <a className="tag" href={featureHref(view)}>
                    {view}
                  </a>
                  <span className="service-features">{features.join(', ')}</span>
                </div>
              ))}
            </div>
          ))}
        </div>
      ) : (
        <div className="empty">
          No feature services. Name a set of features for a model under <code>feature_store.feature_services</code> in config.yaml.
        </div>
      )}
    </Card>
  );
}
