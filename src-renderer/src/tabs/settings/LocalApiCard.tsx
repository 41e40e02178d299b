import { useEffect, useState } from 'react';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { useSettingsStore } from '../../stores/settings';

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host.startsWith('127.');

/** The desktop app's HTTP API for notebooks (MLflow and Feast endpoints). In a browser the server already is one. */
export function LocalApiCard() {
  const api = useSettingsStore((s) => s.localApi);
  const busy = useSettingsStore((s) => s.localApiBusy);
  const error = useSettingsStore((s) => s.localApiError);
  const refresh = useSettingsStore((s) => s.refreshLocalApi);
  const setLocalApi = useSettingsStore((s) => s.setLocalApi);
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('8765');
  const [token, setToken] = useState('');

  useEffect(() => {
    void refresh();
  }, [refresh]);
  useEffect(() => {
    if (api.data) {
      setHost(api.data.host);
      setPort(String(api.data.port));
    }
  }, [api.data]);

  const d = api.data;
  const portNum = Number(port);
  const portError = Number.isInteger(portNum) && portNum >= 0 && portNum <= 65535 ? null : 'a port is 0-65535';
  const needsToken = !isLoopback(host.trim()) && !d?.token_set && token.length < 16;
  return (
    <Card title="Local API" subtitle="Serve the API, MLflow and Feast endpoints to notebooks while the app runs" testId="local-api-card">
      {api.error ? <ErrorNotice error={api.error} onRetry={() => void refresh()} /> : null}
      {d && !d.available ? (
        <p className="muted" data-testid="local-api-unavailable">
          {d.message}
        </p>
      ) : d ? (
        <>
          <div className="local-api-state">
            <StatusBadge status={d.running ? 'ok' : 'off'} tone={d.running ? 'ok' : 'muted'} label={d.running ? 'on' : 'off'} testId="local-api-status" />
            {d.url ? <code data-testid="local-api-url">{d.url}</code> : <span className="muted">off by default</span>}
          </div>
          <div className="form-grid">
            <label className="field">
              <span>Address</span>
              <input value={host} onChange={(e) => setHost(e.target.value)} data-testid="local-api-host" />
            </label>
            <label className="field">
              <span>Port</span>
              <input value={port} onChange={(e) => setPort(e.target.value)} aria-invalid={!!portError} />
              {portError ? <span className="field-error">{portError}</span> : null}
            </label>
            <label className="field">
              <span>Token {d.token_set ? '(set)' : '(not set)'}</span>
              <input type="password" value={token} placeholder={isLoopback(host) ? 'not needed on 127.0.0.1' : 'at least 16 characters'} onChange={(e) => setToken(e.target.value)} />
              {needsToken ? <span className="field-error">any address other than loopback needs a token</span> : null}
            </label>
          </div>
          {error ? <ErrorNotice error={error} testId="local-api-error" /> : null}
          <div className="form-actions">
            <button
              type="button"
              className={d.running ? 'btn' : 'btn btn-primary'}
              disabled={busy || !!portError || (!d.running && needsToken)}
              onClick={() => void setLocalApi({ enabled: !d.running, host: host.trim(), port: portNum, ...(token ? { token } : {}) })}
              data-testid="local-api-toggle"
            >
              {busy ? '…' : d.running ? 'Turn off' : 'Turn on'}
            </button>
          </div>
        </>
      ) : null}
    </Card>
  );
}
