import { Card } from '../../components/Card';
import { KeyValues } from '../../components/KeyValues';
import { StatusBadge } from '../../components/StatusBadge';
import { LoadingRow } from '../../components/Spinner';
import { formatBytes, formatInt, formatNumber, formatSpan, formatUtc } from '../../components/format';
import type { FeatureList, FeatureStats, FeatureView, ViewStats } from '../../stores/features';
import { FeatureChart } from './FeatureChart';
import { freshnessLabel, freshnessOf } from './freshness';
import { selectFeaturePath } from './path';
import { Stat } from '../../components/Stat';

const kindLabel: Record<FeatureView['features'][number]['kind'], string> = { column: 'column', time_part: 'time part', aggregate: 'aggregate' };

/** Half the values or more missing is worth a look before a model trains on it. */
const NULLS_WORTH_A_LOOK = 0.5;

function FeatureRow({ view, def, stats, selected }: { view: string; def: FeatureView['features'][number]; stats: FeatureStats | undefined; selected: boolean }) {
  const nullPct = stats && stats.count + stats.nulls > 0 ? stats.null_fraction * 100 : null;
  return (
    <tr
      className={`row-link${selected ? ' row-selected' : ''}`}
      onClick={() => selectFeaturePath(view, def.name)}
      data-testid={`feature-row-${def.name}`}
      data-selected={selected ? 'true' : 'false'}
      aria-selected={selected}
    >
      <td>
        <span className="strong">{def.name}</span>
        <div className="cell-sub">{kindLabel[def.kind]}</div>
      </td>
      <td>
        <code className="dtype">{def.dtype}</code>
      </td>
      <td>
        <code className="expr">{def.expression}</code>
      </td>
      <td className="num">{stats ? formatInt(stats.count) : '…'}</td>
      <td className={`num${stats && stats.null_fraction >= NULLS_WORTH_A_LOOK ? ' text-warn' : ''}`} title={stats ? `${formatInt(stats.nulls)} null values` : undefined}>
        {nullPct === null ? '—' : `${nullPct.toFixed(nullPct > 0 && nullPct < 0.1 ? 2 : 1)}%`}
      </td>
      <td className="num">{stats ? formatInt(stats.distinct) : '…'}</td>
      <td className="num">{formatNumber(stats?.min ?? null)}</td>
      <td className="num">{formatNumber(stats?.mean ?? null)}</td>
      <td className="num">{formatNumber(stats?.max ?? null)}</td>
      <td className="num">{formatNumber(stats?.std ?? null)}</td>
      <td className="top-cell">{stats?.top?.[0] ? <span title={`${formatInt(stats.top[0].count)} rows`}>{stats.top[0].value}</span> : <span className="muted">—</span>}</td>
    </tr>
  );
}

function ViewFacts({ view, stats, list, now }: { view: FeatureView; stats: ViewStats; list: FeatureList; now: number }) {
  const fresh = freshnessOf(stats, now);
  const services = list.services.filter((s) => s.features.some((f) => f.startsWith(`${view.name}:`)));
  return (
    <div className="detail-top">
      <div className="stats stats-4">
        <Stat label="feature rows" testId="detail-rows">{formatInt(stats.rows)}</Stat>
        <Stat label="date partitions">{formatInt(stats.partitions)}</Stat>
        <Stat label="Parquet on disk">{formatBytes(stats.bytes)}</Stat>
        <Stat label="TTL (max age online)">{formatSpan(view.ttl_seconds)}</Stat>
      </div>
      <div className="grid grid-even detail-kv">
        <KeyValues
          testId="detail-facts"
          rows={[
            { key: 'Entity', value: <><code>{view.join_key}</code> <span className="muted">({view.join_key_type})</span></> },
            { key: 'Source', value: <code>{view.source}</code> },
            { key: 'Served by', value: services.length ? services.map((s) => s.name).join(', ') : <span className="muted">no feature service</span> },
            { key: 'Oldest event', value: formatUtc(stats.oldest_event) },
            { key: 'Newest event', value: formatUtc(stats.newest_event), testId: 'detail-newest' },
          ]}
        />
        <KeyValues
          rows={[
            { key: 'Last written', value: formatUtc(stats.last_written) },
            { key: 'Watermark', value: stats.watermark ? formatUtc(stats.watermark) : <span className="muted">never materialized</span>, testId: 'detail-watermark' },
            { key: 'Watermark lag', value: stats.watermark_lag_seconds === null ? '—' : stats.watermark_lag_seconds === 0 ? 'caught up' : formatSpan(stats.watermark_lag_seconds) },
            {
              key: 'Freshness',
              testId: 'detail-freshness',
              value: (
                <div className="freshness">
                  <StatusBadge status={fresh.state} label={freshnessLabel(fresh.state)} tone={fresh.tone} />
                  <ul className="reasons">
                    {fresh.reasons.map((r) => (
                      <li key={r}>{r}</li>
                    ))}
                  </ul>
                </div>
              ),
            },
          ]}
        />
      </div>
    </div>
  );
}

interface ViewDetailProps {
  view: FeatureView;
  stats: ViewStats | undefined;
  list: FeatureList;
  feature: string | null;
  now: number;
}

export function ViewDetail({ view, stats, list, feature, now }: ViewDetailProps) {
  const byName = new Map((stats?.features ?? []).map((f) => [f.feature, f]));
  // Without a feature in the link, show the first one that has values, so the panel is never blank.
  const shown = (feature && byName.get(feature)) || stats?.features.find((f) => f.count > 0) || stats?.features[0];
  return (
    <Card
      title={view.name}
      subtitle={view.description}
      testId="view-detail"
      className="view-detail"
      actions={<span className="muted">{view.features.length} features · click one for its distribution</span>}
    >
      <div data-testid="view-detail-body" data-view={view.name}>
        {stats ? <ViewFacts view={view} stats={stats} list={list} now={now} /> : <LoadingRow label="Reading offline statistics" />}
        {stats && stats.rows === 0 ? (
          <div className="empty empty-action" data-testid="detail-empty">
            No feature rows yet — run <strong>Transform</strong> to turn the stored trips into rows of <code>{view.name}</code>.
          </div>
        ) : null}
        <div className="table-wrap">
          <table className="table" data-testid="features-table">
            <thead>
              <tr>
                <th>Feature</th>
                <th>Type</th>
                <th>Expression</th>
                <th className="num">Count</th>
                <th className="num">Nulls</th>
                <th className="num">Distinct</th>
                <th className="num">Min</th>
                <th className="num">Mean</th>
                <th className="num">Max</th>
                <th className="num">Std</th>
                <th>Top value</th>
              </tr>
            </thead>
            <tbody>
              {view.features.map((f) => (
                <FeatureRow key={f.name} view={view.name} def={f} stats={byName.get(f.name)} selected={shown?.feature === f.name} />
              ))}
            </tbody>
          </table>
        </div>
        {shown && stats && stats.rows > 0 ? <FeatureChart f={shown} viewRows={stats.rows} /> : null}
      </div>
    </Card>
  );
}
