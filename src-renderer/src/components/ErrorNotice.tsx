import type { ApiError } from '../api/client';

/** Every failure shows its code next to the message: the code is what operators search logs and docs for. */
export function ErrorNotice({ error, onRetry, testId = 'error' }: { error: ApiError; onRetry?: () => void; testId?: string }) {
  const hasDetails = error.details && Object.keys(error.details).length > 0;
  return (
    <div className="notice notice-error" role="alert" data-testid={testId}>
      <div className="notice-line">
        <code className="error-code" data-testid="error-code">
          {error.code}
        </code>
        <span className="error-message" data-testid="error-message">
          {error.message}
        </span>
        {onRetry ? (
          <button type="button" className="btn btn-small" onClick={onRetry}>
            Retry
          </button>
        ) : null}
      </div>
      {hasDetails ? (
        <details>
          <summary>Details</summary>
          <pre>{JSON.stringify(error.details, null, 2)}</pre>
        </details>
      ) : null}
    </div>
  );
}
