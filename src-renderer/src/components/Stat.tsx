/** One headline number with its label, in a `.stats` row; `testId` marks the value, which tests read. */
import type { ReactNode } from 'react';

export function Stat({ label, testId, title, warn, children }: { label: ReactNode; testId?: string; title?: string; warn?: boolean; children: ReactNode }) {
  return (
    <div className="stat">
      <div className={warn ? 'stat-value text-warn' : 'stat-value'} data-testid={testId} title={title}>
        {children}
      </div>
      <div className="stat-label">{label}</div>
    </div>
  );
}
