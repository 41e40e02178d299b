export function Spinner({ label = 'Loading' }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label} />;
}

export function LoadingRow({ label }: { label: string }) {
  return (
    <div className="loading-row" data-testid="loading">
      <Spinner label={label} /> {label}…
    </div>
  );
}
