/**
 * The shape every remote value takes in a store: its last data (kept while refreshing so screens don't
 * blink), whether a request is in flight, and the last error.
 */
import { ApiError, toApiError } from '../api/client';

export interface Remote<T> {
  data: T | null;
  loading: boolean;
  error: ApiError | null;
  updatedAt: number | null;
}

export const idle = <T>(): Remote<T> => ({ data: null, loading: false, error: null, updatedAt: null });

/**
 * Runs `load` and reports each step through `set`. A later request supersedes an earlier one, so a slow
 * stale answer can never overwrite a fresh one or leave `loading` stuck.
 */
export function remoteLoader<T>(get: () => Remote<T>, set: (r: Remote<T>) => void): (load: () => Promise<T>) => Promise<void> {
  let generation = 0;
  return async (load) => {
    const mine = ++generation;
    set({ ...get(), loading: true });
    try {
      const data = await load();
      if (mine === generation) set({ data, loading: false, error: null, updatedAt: Date.now() });
    } catch (err) {
      if (mine === generation) set({ ...get(), loading: false, error: toApiError(err) });
    }
  };
}
