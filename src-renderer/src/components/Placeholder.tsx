import type { ReactNode } from 'react';
import { Card } from './Card';

interface PlaceholderProps {
  tab: string;
  title: string;
  summary: string;
  planned: { name: string; what: string }[];
  children?: ReactNode;
}

/** A tab whose screens are not built yet says exactly what will live there, so nobody mistakes it for broken. */
export function Placeholder({ tab, title, summary, planned, children }: PlaceholderProps) {
  return (
    <div className="tab-page" data-testid={`placeholder-${tab}`}>
      <Card title={title} subtitle="Coming in a later release" testId={`placeholder-card-${tab}`}>
        <p className="lead">{summary}</p>
        <ul className="planned">
          {planned.map((p) => (
            <li key={p.name}>
              <strong>{p.name}</strong>
              <span>{p.what}</span>
            </li>
          ))}
        </ul>
      </Card>
      {children}
    </div>
  );
}
