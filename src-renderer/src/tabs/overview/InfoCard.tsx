import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { KeyValues } from '../../components/KeyValues';
import { LoadingRow } from '../../components/Spinner';
import { formatDuration } from '../../components/format';
import { useSystemStore } from '../../stores/system';

export function InfoCard() {
  const info = useSystemStore((s) => s.info);
  const refresh = useSystemStore((s) => s.refreshInfo);
  const d = info.data;
  return (
    <Card title="Instance" testId="info-card" subtitle={d ? `${d.app} ${d.version}` : undefined}>
      {info.error ? <ErrorNotice error={info.error} onRetry={() => void refresh()} testId="info-error" /> : null}
      {d ? (
        <KeyValues
          testId="system-info"
          rows={[
            { key: 'Version', value: d.version, testId: 'info-version' },
            { key: 'Workspace', value: <span className="path">{d.workspace}</span>, testId: 'info-workspace' },
            { key: 'Profile', value: `${d.profile} (${d.profile_kind})`, testId: 'info-profile' },
            { key: 'Mode', value: d.mode },
            { key: 'Runtime', value: `Node ${d.node} · ${d.platform}/${d.arch} · pid ${d.pid}` },
            { key: 'Uptime', value: formatDuration(d.uptime_s) },
          ]}
        />
      ) : !info.error ? (
        <LoadingRow label="Loading instance facts" />
      ) : null}
    </Card>
  );
}
