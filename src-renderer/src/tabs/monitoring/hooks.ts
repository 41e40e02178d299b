/** Small request helpers shared by the sections: one remote call with its state; date inputs. */
import { useCallback, useRef, useState } from 'react';
import { toApiError, type ApiError } from '../../api/client';
export { useJobRun, type JobRun } from '../../lib/useJobRun';

export interface CallState<T> {
  data: T | null;
  loading: boolean;
  error: ApiError | null;
  run(load: () => Promise<T>): Promise<void>;
}

/** A later request supersedes an earlier one, so a slow stale answer never overwrites a fresh one. */
export function useCall<T>(): CallState<T> {
  const [state, setState] = useState<{ data: T | null; loading: boolean; error: ApiError | null }>({ data: null, loading: false, error: null });
  const gen = useRef(0);
  const run = useCallback(async (load: () => Promise<T>) => {
    const mine = ++gen.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await load();
      if (mine === gen.current) setState({ data, loading: false, error: null });
    } catch (err) {
      if (mine === gen.current) setState((s) => ({ ...s, loading: false, error: toApiError(err) }));
    }
  }, []);
  return { ...state, run };
}

/** `<input type="datetime-local">` speaks local time without a zone; the API wants ISO 8601. */
export const localInputToIso = (v: string): string | undefined => (v.trim() ? new Date(v).toISOString() : undefined);
export const isoToLocalInput = (iso: string | null | undefined): string => {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
