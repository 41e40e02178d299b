import { create } from 'zustand';
import { onConnection, transportKind, type ConnectionState } from '../api/client';

interface ConnectionStore {
  state: ConnectionState;
  transport: 'ipc' | 'http';
  /** Bumped on every reconnect so screens can refetch what they missed while events were not flowing. */
  reconnects: number;
}

export const useConnectionStore = create<ConnectionStore>()(() => ({
  state: 'connecting',
  transport: transportKind(),
  reconnects: 0,
}));

/** Starts following the event channel; returns the unsubscribe. */
export function watchConnection(): () => void {
  let seenConnected = false;
  return onConnection((state) => {
    const reconnected = state === 'connected' && seenConnected;
    if (state === 'connected') seenConnected = true;
    useConnectionStore.setState((s) => ({ state, reconnects: reconnected ? s.reconnects + 1 : s.reconnects }));
  });
}
