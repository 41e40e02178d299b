/** Materialization history from app.db: every run per view, and the watermark each view has reached. */
import { useState } from 'react';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { LoadingRow, Spinner } from '../../components/Spinner';
import { elapsedSeconds, formatDuration, formatInt, formatUtc } from '../../components/format';
import { useFeaturesStore, type MaterializationRuns } from '../../stores/features';

type Run = MaterializationRuns['runs'][number];

const RUNS_SHOWN = 12;

function RunRow({ run }: { run: Run }) {
  return (
    <tr data-testid={`run-row-${run.id}`} data-view={run.view} data-status={run.status}>
      <td>
        <div className="strong">{run.view}</div>
        <div className="cell-sub">{run.mode === 'incremental' ? 'incremental' : 'materialize'}</div>
      </td>
      <td className="nowrap">
        {formatUtc(run.start, { seconds: false })}
        <div className="cell-sub">→ {formatUtc(run.end, { seconds: false })}</div>
      </td>
      <td className="num">
        {formatInt(run.rows)}
        <div className="cell-sub" title="Rows stored; the others lost to a newer online value">
          {formatInt(run.written)} written
        </div>
      </td>
      <td>
        <StatusBadge status={run.status} title={run.error ? `${run.error.code}: ${run.error.message}` : undefined} />
        <div className="cell-sub nowrap" title={`started ${formatUtc(run.started_at)}`}>
          {formatUtc(run.started_at).slice(5)} · {formatDuration(elapsedSeconds(run.started_at, run.finished_at))}
        </div>
        {run.error ? (
          <div className="cell-sub text-bad">
            <code>{run.error.code}</code> {run.error.message}
          </div>
        ) : null}
      </td>
    </tr>
  );
}

export function RunsCard({ selectedView }: { selectedView: string | null }) {
  const runs = useFeaturesStore((s) => s.runs);
  const refresh = useFeaturesStore((s) => s.refreshRuns);
  const [onlySelected, setOnlySelected] = useState(false);
  const data = runs.data;
  const shown = (data?.runs ?? []).filter((r) => !onlySelected || r.view === selectedView).slice(0, RUNS_SHOWN);
  return (
    <Card
      title="Materialization runs"
      subtitle="Newest first; a failed run never moves its view's watermark"
      testId="runs-card"
      actions={
        <>
          {runs.loading ? <Spinner label="Loading" /> : null}
          {selectedView ? (
            <label className="check small">
              <input type="checkbox" checked={onlySelected} onChange={(e) => setOnlySelected(e.target.checked)} /> only {selectedView}
            </label>
          ) : null}
          <button type="button" className="btn btn-small" onClick={() => void refresh()} disabled={runs.loading}>
            Refresh
          </button>
        </>
      }
    >
      {runs.error ? <ErrorNotice error={runs.error} onRetry={() => void refresh()} testId="runs-error" /> : null}
      {data ? (
        <>
          <div className="panel-title">Watermarks</div>
          {data.watermarks.length > 0 ? (
            <ul className="watermarks watermark-chips" data-testid="watermarks">
              {data.watermarks.map((w) => (
                <li key={w.view} data-view={w.view} title={`updated ${formatUtc(w.updated_at)}`}>
                  <code>{w.view}</code> {formatUtc(w.watermark, { seconds: false })}
                </li>
              ))}
            </ul>
          ) : (
            <div className="muted section-note">No view has been materialized yet, so none has a watermark.</div>
          )}
          {shown.length > 0 ? (
            <div className="table-wrap">
              <table className="table" data-testid="runs-table">
                <thead>
                  <tr>
                    <th>View</th>
                    <th>Range (UTC)</th>
                    <th className="num">Rows</th>
                    <th>Status · started</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((r) => (
                    <RunRow key={r.id} run={r} />
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <div className="empty" data-testid="runs-empty">
              No materialization runs yet — run <strong>Materialize</strong> to load the online store.
            </div>
          )}
        </>
      ) : !runs.error ? (
        <LoadingRow label="Reading the run history" />
      ) : null}
    </Card>
  );
}
