import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { LoadingRow, Spinner } from '../../components/Spinner';
import { formatInt, formatSpan, formatUtc } from '../../components/format';
import { useFeaturesStore, viewFactsOf, type FeatureView, type ViewStats } from '../../stores/features';
import { ageLabel, freshnessLabel, freshnessOf } from './freshness';
import { featureHref, selectFeaturePath } from './path';

function ViewRow({ view, stats, selected, now }: { view: FeatureView; stats: ViewStats | undefined; selected: boolean; now: number }) {
  const fresh = stats ? freshnessOf(stats, now) : null;
  return (
    <tr
      className={`row-link${selected ? ' row-selected' : ''}`}
      title={view.description}
      onClick={() => selectFeaturePath(view.name)}
      data-testid={`view-row-${view.name}`}
      data-view={view.name}
      data-selected={selected ? 'true' : 'false'}
      aria-selected={selected}
    >
      <td>
        <a className="strong link" href={featureHref(view.name)} onClick={(e) => e.stopPropagation()}>
          {view.name}
        </a>
        <div className="cell-sub">
          <code>{view.join_key}</code> · TTL {formatSpan(view.ttl_seconds)}
        </div>
      </td>
      <td className="num">{view.features.length}</td>
      <td className="num nowrap" data-testid="view-rows">
        {stats ? formatInt(stats.rows) : '…'}
      </td>
      <td className="nowrap">
        {stats?.newest_event ? (
          <>
            {formatUtc(stats.newest_event, { seconds: false })}
            <div className="cell-sub">{ageLabel(fresh?.ageSeconds ?? null)}</div>
          </>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="nowrap">
        {stats?.watermark ? (
          <>
            {formatUtc(stats.watermark, { seconds: false })}
            <div className="cell-sub">{stats.watermark_lag_seconds ? `${formatSpan(stats.watermark_lag_seconds)} behind` : 'caught up'}</div>
          </>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td>
        {fresh ? (
          <StatusBadge status={fresh.state} label={freshnessLabel(fresh.state)} tone={fresh.tone} title={fresh.reasons.join('\n')} testId="view-freshness" />
        ) : null}
      </td>
    </tr>
  );
}

export function ViewsCard({ selected, now }: { selected: string | null; now: number }) {
  const list = useFeaturesStore((s) => s.list);
  const stats = useFeaturesStore((s) => s.stats);
  const facts = useFeaturesStore(viewFactsOf);
  const refreshList = useFeaturesStore((s) => s.refreshList);
  const refreshStats = useFeaturesStore((s) => s.refreshStats);
  const byView = new Map((facts ?? []).map((v) => [v.view, v]));
  const busy = list.loading || stats.loading;
  return (
    <Card
      title="Feature views"
      subtitle="Defined under feature_store in config.yaml · times in UTC"
      testId="views-card"
      actions={
        <>
          {busy ? <Spinner label="Loading" /> : null}
          <button
            type="button"
            className="btn btn-small"
            onClick={() => void Promise.all([refreshList(), refreshStats()])}
            disabled={busy}
            data-testid="views-refresh"
          >
            Refresh
          </button>
        </>
      }
    >
      {list.error ? <ErrorNotice error={list.error} onRetry={() => void refreshList()} testId="views-error" /> : null}
      {stats.error ? <ErrorNotice error={stats.error} onRetry={() => void refreshStats()} testId="stats-error" /> : null}
      {list.data ? (
        list.data.views.length > 0 ? (
          <div className="table-wrap">
            <table className="table" data-testid="views-table">
              <thead>
                <tr>
                  <th>View</th>
                  <th className="num">Features</th>
                  <th className="num">Rows</th>
                  <th>Newest event</th>
                  <th>Watermark</th>
                  <th>Freshness</th>
                </tr>
              </thead>
              <tbody>
                {list.data.views.map((v) => (
                  <ViewRow key={v.name} view={v} stats={byView.get(v.name)} selected={v.name === selected} now={now} />
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <div className="empty" data-testid="views-empty">
            No feature views are defined. Add them under <code>feature_store.feature_views</code> in config.yaml.
          </div>
        )
      ) : !list.error ? (
        <LoadingRow label="Reading feature definitions" />
      ) : null}
    </Card>
  );
}
