/**
 * The feature store: views with freshness → a view's features and their distributions; the pipeline
 * (transform, materialize) as live jobs; an online lookup playground; the scheduler and run history.
 */
import { useEffect } from 'react';
import { ApiError } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';
import { LoadingRow } from '../../components/Spinner';
import { followFeatureJobs, useFeaturesStore, viewFactsOf } from '../../stores/features';
import { useSystemStore } from '../../stores/system';
import { goToTab } from '../../stores/ui';
import { DefinitionsCard } from './DefinitionsCard';
import { FeatureJobs } from './FeatureJobs';
import { LookupCard } from './LookupCard';
import { PipelineCard } from './PipelineCard';
import { RunsCard } from './RunsCard';
import { SchedulerCard } from './SchedulerCard';
import { ViewDetail } from './ViewDetail';
import { ViewsCard } from './ViewsCard';
import { useFeaturePath, useNow } from './path';

const TICK_MS = 15_000;

/** What the operator should do first, when the store has nothing to show yet. */
function NextStep() {
  const trips = useSystemStore((s) => s.summary.data?.trips);
  const facts = useFeaturesStore(viewFactsOf);
  if (!facts || facts.some((v) => v.rows > 0)) return null;
  if (trips === 0) {
    return (
      <div className="banner-card" data-testid="features-next-step" data-step="trips">
        <strong>No trips yet.</strong> Feature rows are computed from stored trips: generate or import trips on the{' '}
        <button type="button" className="link-button" onClick={() => goToTab('overview')}>
          Overview
        </button>{' '}
        first, then run Transform.
      </div>
    );
  }
  return (
    <div className="banner-card" data-testid="features-next-step" data-step="transform">
      <strong>No feature rows yet — run Transform.</strong> It turns the stored trips into one Parquet partition per day and view; then Materialize loads the
      latest values into the online store.
    </div>
  );
}

export function FeaturesTab() {
  const list = useFeaturesStore((s) => s.list);
  const stats = useFeaturesStore((s) => s.stats.data);
  const runs = useFeaturesStore((s) => s.runs.data);
  const refreshAll = useFeaturesStore((s) => s.refreshAll);
  const refreshSummary = useSystemStore((s) => s.refreshSummary);
  const path = useFeaturePath();
  const now = useNow(TICK_MS);

  useEffect(() => {
    void refreshAll();
    void refreshSummary();
    return followFeatureJobs();
  }, [refreshAll, refreshSummary]);

  const views = list.data?.views ?? [];
  const view = path.view ? views.find((v) => v.name === path.view) : views[0];
  const unknownView =
    list.data && path.view && !view
      ? new ApiError('NOT_FOUND', `no feature view named "${path.view}" (have: ${views.map((v) => v.name).join(', ') || 'none'})`, { view: path.view })
      : null;
  const materialized = (runs?.watermarks.length ?? 0) > 0;

  return (
    <div className="tab-page features" data-testid="features-tab">
      <NextStep />
      <div className="grid grid-main">
        <ViewsCard selected={view?.name ?? null} now={now} />
        {list.data ? <PipelineCard views={views} /> : null}
      </div>
      {unknownView ? <ErrorNotice error={unknownView} testId="unknown-view" /> : null}
      {view && list.data ? (
        <ViewDetail view={view} stats={stats?.find((s) => s.view === view.name)} list={list.data} feature={path.view === view.name ? path.feature : null} now={now} />
      ) : list.loading && !list.data ? (
        <LoadingRow label="Loading feature views" />
      ) : null}
      {list.data ? (
        <div className="grid grid-even">
          <LookupCard list={list.data} defaultView={view?.name ?? null} materialized={materialized} />
          <SchedulerCard now={now} />
        </div>
      ) : null}
      <div className="grid grid-even">
        <RunsCard selectedView={view?.name ?? null} />
        {list.data ? <DefinitionsCard list={list.data} /> : null}
      </div>
      <FeatureJobs />
    </div>
  );
}
