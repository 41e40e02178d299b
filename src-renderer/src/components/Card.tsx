import type { ReactNode } from 'react';

interface CardProps {
  title: string;
  subtitle?: ReactNode;
  actions?: ReactNode;
  testId?: string;
  className?: string;
  children: ReactNode;
}

export function Card({ title, subtitle, actions, testId, className, children }: CardProps) {
  return (
    <section className={`card ${className ?? ''}`} data-testid={testId} aria-label={title}>
      <header className="card-header">
        <div>
          <h2 className="card-title">{title}</h2>
          {subtitle ? <div className="card-subtitle">{subtitle}</div> : null}
        </div>
        {actions ? <div className="card-actions">{actions}</div> : null}
      </header>
      <div className="card-body">{children}</div>
    </section>
  );
}
