/** What the predictor serves: the A/B share between champion and challenger, its model cache and its traffic. */
import { useEffect, useState } from 'react';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatInt, formatNumber, formatTime } from '../../components/format';
import { useModelsStore } from '../../stores/models';
import { Stat } from '../../components/Stat';

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;

export function ServingPanel({ model }: { model: string }) {
  const serving = useModelsStore((s) => s.serving);
  const refresh = useModelsStore((s) => s.refreshServing);
  const setShare = useModelsStore((s) => s.setChallengerShare);
  const busy = useModelsStore((s) => s.shareBusy);
  const shareError = useModelsStore((s) => s.shareError);
  const [draft, setDraft] = useState<number | null>(null);

  useEffect(() => {
    void refresh(model);
  }, [model, refresh]);

  const st = serving.data?.model === model ? serving.data : null;
  if (serving.error && !st) return <ErrorNotice error={serving.error} onRetry={() => void refresh(model)} testId="serving-error" />;
  if (!st) return null;

  const share = st.challenger.version ? st.challenger_share : 0;
  const shown = draft ?? st.challenger_share;
  const total = st.predictions.total;

  return (
    <div data-testid="serving" data-share={st.challenger_share} style={{ marginTop: 14 }}>
      <h3 className="panel-title">A/B routing</h3>
      <div className="share-bar" aria-hidden="true">
        <span style={{ width: pct(1 - share) }} />
        <span style={{ width: pct(share) }} />
      </div>
      <div className="muted" data-testid="serving-share">
        {st.challenger.version
          ? `${pct(1 - share)} of trips to the champion (v${st.champion.version ?? '—'}), ${pct(share)} to the challenger (v${st.challenger.version}); a trip always gets the same variant.`
          : st.champion.version
            ? `Every trip goes to the champion (v${st.champion.version}): no version has the ${st.challenger.alias} alias.`
            : `Nothing serves: no version has the ${st.champion.alias} alias — set it on the Registry section.`}
      </div>
      <div className="chips">
        <label className="field" style={{ flexDirection: 'row', alignItems: 'center', gap: 8 }}>
          <span>Challenger share</span>
          <input type="range" min={0} max={1} step={0.05} value={shown} onChange={(e) => setDraft(Number(e.target.value))} data-testid="share-input" aria-label="Challenger share" />
          <span className="num">{pct(shown)}</span>
        </label>
        <button
          type="button"
          className="btn btn-small"
          disabled={busy || draft === null || draft === st.challenger_share}
          onClick={() => void setShare(shown).then(() => setDraft(null))}
          data-testid="share-apply"
          title="Applies to this server process until it restarts; the default is models.serving.challenger_share in config.yaml"
        >
          {busy ? 'Applying…' : 'Apply'}
        </button>
      </div>
      {shareError ? <ErrorNotice error={shareError} testId="share-error" /> : null}
      <div className="stats stats-4" style={{ marginTop: 12 }}>
        <Stat label="predictions served" testId="serving-predictions">{formatInt(total)}</Stat>
        <Stat label="went to the challenger">{total > 0 ? pct(st.predictions.challenger / total) : '—'}</Stat>
        <Stat label="models in cache">{st.cache.size}/{st.cache.capacity}</Stat>
        <Stat label={<>cache hits · {formatInt(st.cache.invalidations)} invalidations</>}>{st.cache.hits + st.cache.misses > 0 ? pct(st.cache.hits / (st.cache.hits + st.cache.misses)) : '—'}</Stat>
      </div>
      {st.cache.loaded.length > 0 ? (
        <div className="muted" data-testid="serving-cache">
          Loaded:{' '}
          {st.cache.loaded.map((l) => (
            <span key={`${l.model}/${l.version}`} className="tag" title={`loaded ${formatTime(l.loaded_at)}, ${formatInt(l.hits)} hits`}>
              {l.model} v{l.version} · {l.algorithm}
            </span>
          ))}
        </div>
      ) : null}
      {st.champion.rmse !== null || st.challenger.rmse !== null ? (
        <div className="muted" style={{ marginTop: 6 }}>
          Feature service <code>{st.feature_service}</code> · evaluation RMSE champion {formatNumber(st.champion.rmse)}, challenger {formatNumber(st.challenger.rmse)}
        </div>
      ) : null}
    </div>
  );
}
