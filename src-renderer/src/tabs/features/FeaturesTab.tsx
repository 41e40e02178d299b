import { Placeholder } from '../../components/Placeholder';

export function FeaturesTab() {
  return (
    <Placeholder
      tab="features"
      title="Feature store"
      summary="Entities and feature views from integration_config.yaml, with the offline (Parquet) and online (SQLite or Redis) stores behind them."
      planned={[
        { name: 'Feature views', what: 'Entities, features, TTL and sources of every view, with per-view materialization watermarks.' },
        { name: 'Materialize', what: 'materialize(start, end) and materialize-incremental as jobs with live progress.' },
        { name: 'Online lookup', what: 'Batched online reads showing each value’s status: present, not found, outside max age.' },
        { name: 'Training sets', what: 'Point-in-time correct historical retrieval from the offline store.' },
        { name: 'Scheduler', what: 'Refresh and materialize intervals and the run history.' },
      ]}
    />
  );
}
