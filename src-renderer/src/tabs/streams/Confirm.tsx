import { useState, type ReactNode } from 'react';

/**
 * A destructive action asks twice, inline (no modal to lose focus to): the button turns into a question
 * with the consequence spelled out. With `typeToConfirm`, the operator types the name of what goes.
 */
export function ConfirmAction({
  label,
  question,
  confirmLabel,
  onConfirm,
  busy,
  typeToConfirm,
  testId,
  danger = true,
  disabled,
}: {
  label: string;
  question: ReactNode;
  confirmLabel: string;
  onConfirm: () => void | Promise<void>;
  busy?: boolean;
  typeToConfirm?: string;
  testId: string;
  danger?: boolean;
  disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  if (!open) {
    return (
      <button type="button" className={`btn btn-small${danger ? ' btn-danger' : ''}`} disabled={disabled || busy} onClick={() => setOpen(true)} data-testid={testId}>
        {label}
      </button>
    );
  }
  const ready = typeToConfirm === undefined || typed === typeToConfirm;
  return (
    <div className="confirm" role="alertdialog" aria-label={label} data-testid={`${testId}-confirm`}>
      <div className="confirm-question">{question}</div>
      {typeToConfirm !== undefined ? (
        <label className="field">
          <span>
            Type <code>{typeToConfirm}</code> to confirm
          </span>
          <input value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus data-testid={`${testId}-typed`} />
        </label>
      ) : null}
      <div className="form-actions">
        <button
          type="button"
          className={`btn btn-small ${danger ? 'btn-danger-solid' : 'btn-primary'}`}
          disabled={!ready || busy}
          onClick={async () => {
            await onConfirm();
            setOpen(false);
            setTyped('');
          }}
          data-testid={`${testId}-yes`}
        >
          {busy ? 'Working…' : confirmLabel}
        </button>
        <button type="button" className="btn btn-small" onClick={() => setOpen(false)} data-testid={`${testId}-no`}>
          Cancel
        </button>
      </div>
    </div>
  );
}
