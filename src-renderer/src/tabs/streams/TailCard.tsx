import { useEffect, useMemo, useState } from 'react';
import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { formatInt } from '../../components/format';
import { TAIL_KEEP, tailRate, useStreamsStore } from '../../stores/streams';
import { MessageDetail } from './MessageDetail';
import { messageColumns, messageKey, messageText } from './messageColumns';
import { Stat } from '../../components/Stat';

function useTick(ms: number, active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms, active]);
  return now;
}

const rateFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** Follows a topic from its end: messages as they are written, newest on top, with a count and a rate. */
export function TailCard({ topic }: { topic: string }) {
  const tail = useStreamsStore((s) => s.tail);
  const startTail = useStreamsStore((s) => s.startTail);
  const stopTail = useStreamsStore((s) => s.stopTail);
  const setPaused = useStreamsStore((s) => s.setPaused);
  const clearTail = useStreamsStore((s) => s.clearTail);
  const [selected, setSelected] = useState<string | null>(null);
  const mine = tail.topic === topic;
  const running = mine && tail.tailId !== null;
  const now = useTick(1000, running);
  const rows = useMemo(() => (mine ? [...tail.messages].reverse() : []), [mine, tail.messages]);
  const message = selected ? rows.find((m) => messageKey(m) === selected) : undefined;
  const state = running ? (tail.paused ? 'paused' : 'live') : tail.starting && mine ? 'starting' : 'stopped';

  return (
    <Card
      title="Live tail"
      subtitle={mine && tail.tailId === null && tail.received === 0 ? 'Messages as they are written' : `Newest first · last ${formatInt(TAIL_KEEP)} kept`}
      testId="tail-card"
      actions={
        <>
          <StatusBadge status={state} tone={state === 'live' ? 'ok' : state === 'paused' ? 'warn' : state === 'starting' ? 'info' : 'muted'} testId="tail-state" />
          {running ? (
            <>
              <button type="button" className="btn btn-small" onClick={() => setPaused(!tail.paused)} data-testid="tail-pause">
                {tail.paused ? `Resume${tail.pending.length ? ` (${formatInt(tail.pending.length)} new)` : ''}` : 'Pause'}
              </button>
              <button type="button" className="btn btn-small" onClick={() => void stopTail()} data-testid="tail-stop">
                Stop
              </button>
            </>
          ) : (
            <button type="button" className="btn btn-small btn-primary" disabled={tail.starting} onClick={() => void startTail(topic, null)} data-testid="tail-start">
              Start tail
            </button>
          )}
          <button type="button" className="btn btn-small btn-ghost" onClick={clearTail} disabled={!mine || tail.received === 0} data-testid="tail-clear">
            Clear
          </button>
        </>
      }
    >
      <div className="stats stats-4 tail-stats">
        <Stat label="received" testId="tail-count">{formatInt(mine ? tail.received : 0)}</Stat>
        <Stat label="messages / s (last 5 s)" testId="tail-rate">{running ? rateFormat.format(tailRate(tail.recent, now)) : '—'}</Stat>
        <Stat label="held while paused">{formatInt(mine ? tail.pending.length : 0)}</Stat>
        <Stat label="skipped (too fast)" title="Sent by the server as a count only, because they came faster than a screen can show">{formatInt(mine ? tail.dropped : 0)}</Stat>
      </div>
      {mine && tail.error ? <ErrorNotice error={tail.error} testId="tail-error" /> : null}
      {mine && tail.ended && tail.tailId === null && !tail.error && tail.received > 0 ? <div className="help">The tail stopped. Start it again to follow new messages.</div> : null}
      <div className={message ? 'browser-split' : undefined}>
        <DataTable
          testId="tail-table"
          storageKey="streams.tail"
          rows={rows}
          columns={messageColumns}
          rowKey={messageKey}
          filterText={messageText}
          filterPlaceholder="Filter the tail…"
          selectedKey={selected}
          onRowClick={(m) => setSelected(messageKey(m))}
          maxHeight={360}
          noun="messages"
          empty={running ? <>Waiting for messages on {topic}… produce one below.</> : <>Start the tail to see messages as they arrive.</>}
        />
        {message ? <MessageDetail message={message} onClose={() => setSelected(null)} testId="tail-message-detail" /> : null}
      </div>
    </Card>
  );
}
