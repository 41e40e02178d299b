import type { ReactNode } from 'react';

export function KeyValues({ rows, testId }: { rows: { key: string; value: ReactNode; testId?: string }[]; testId?: string }) {
  return (
    <dl className="kv" data-testid={testId}>
      {rows.map((r) => (
        <div className="kv-row" key={r.key}>
          <dt>{r.key}</dt>
          <dd data-testid={r.testId}>{r.value}</dd>
        </div>
      ))}
    </dl>
  );
}
