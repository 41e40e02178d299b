import type { ReactNode } from 'react';

/**
 * One labelled form row: the label, the control, then the control's inline error (or, while it has none,
 * a hint). Styled by `.field` in styles.css; put rows in a `.form-grid`.
 */
export function Field({ label, error, hint, children }: { label: ReactNode; error?: string | undefined; hint?: ReactNode; children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
      {error ? <span className="field-error">{error}</span> : hint ? <span className="field-hint muted">{hint}</span> : null}
    </label>
  );
}
