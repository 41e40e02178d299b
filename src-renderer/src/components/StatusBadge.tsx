export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

const toneOf: Record<string, Tone> = {
  ok: 'ok',
  succeeded: 'ok',
  connected: 'ok',
  degraded: 'warn',
  queued: 'muted',
  connecting: 'warn',
  cancelled: 'muted',
  running: 'info',
  down: 'bad',
  failed: 'bad',
  disconnected: 'bad',
};

export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  return (
    <span className={`badge badge-${toneOf[status] ?? 'muted'}`} data-testid={testId} data-status={status}>
      {status}
    </span>
  );
}
