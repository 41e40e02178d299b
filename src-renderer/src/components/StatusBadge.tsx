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

/** `tone` overrides the colour for statuses outside the shared table; `title` explains the status on hover. */
export function StatusBadge({ status, testId, tone, title, label }: { status: string; testId?: string; tone?: Tone; title?: string; label?: string }) {
  return (
    <span className={`badge badge-${tone ?? toneOf[status] ?? 'muted'}`} data-testid={testId} data-status={status} title={title}>
      {label ?? status}
    </span>
  );
}
